"""`optlake maintenance`: Iceberg maintenance through dbt (macros/maintenance.sql), and its report.

The macro compacts small files, rewrites manifests, expires snapshots past the layer's retention and
removes orphan files, table by table; it logs each table's counts before and after as a JSON line,
which this module collects from dbt's events into a report (data files, bytes, manifests,
snapshots per table).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import yaml

from optlake.jobs.dbt_invoke import invoke_dbt
from optlake.settings import Settings

log = logging.getLogger(__name__)

MARKER = "optlake-maintenance "
COUNTS = ("data_files", "bytes", "manifests", "snapshots")


@dataclass
class MaintenanceReport:
    """One entry per table: name, layer, status (done, dry_run, absent), before/after counts."""

    tables: list[dict] = field(default_factory=list)
    dry_run: bool = False

    def done(self) -> list[dict]:
        return [t for t in self.tables if t["status"] != "absent"]

    def total(self, phase: str, count: str) -> int | None:
        values = [t.get(phase, {}).get(count) for t in self.done()]
        return None if not values or None in values else sum(values)

    def rows(self) -> list[tuple[str, ...]]:
        """Table rows: name, then before -> after per count (before only on a dry run)."""
        out = []
        for t in [*self.done(), {"table": "TOTAL", **self._totals()}]:
            cells = [t["table"]]
            for count in COUNTS:
                before, after = t.get("before", {}).get(count), t.get("after", {}).get(count)
                cells.append(_fmt(before, count) if self.dry_run else f"{_fmt(before, count)} -> {_fmt(after, count)}")
            if self.dry_run:
                orphans = t.get("orphan_files")
                cells.append("" if orphans is None else str(len(orphans)))
            out.append(tuple(cells))
        return out

    def header(self) -> tuple[str, ...]:
        return ("table", *COUNTS, *(["orphan_files"] if self.dry_run else []))

    def lines(self) -> list[str]:
        """The report as aligned text lines."""
        rows = [self.header(), *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        title = "Iceberg maintenance (dry run: nothing changed)" if self.dry_run else "Iceberg maintenance"
        return [title, *("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)]

    def markdown(self) -> str:
        header = self.header()
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows()]
        return "\n".join(lines)

    def _totals(self) -> dict:
        totals: dict = {phase: {c: self.total(phase, c) for c in COUNTS} for phase in ("before", "after")}
        if self.dry_run:
            totals["orphan_files"] = [f for t in self.done() for f in t.get("orphan_files") or []]
        return totals


def _fmt(value: int | None, count: str) -> str:
    if value is None:
        return "?"
    if count == "bytes":
        return f"{value / 1e6:,.1f} MB"
    return f"{value:,}"


def collect(report: MaintenanceReport):
    """A dbt event callback that adds the macro's JSON lines to the report."""

    def callback(event) -> None:
        message = getattr(getattr(event, "data", None), "msg", "")
        if isinstance(message, str) and message.startswith(MARKER):
            entry = json.loads(message[len(MARKER) :])
            report.tables.append(entry)
            log.info("  %s: %s", entry["table"], entry["status"].replace("_", " "))

    return callback


def run_maintenance(
    settings: Settings,
    tables: list[str] | None = None,
    dry_run: bool = False,
    retain_last: int | None = None,
    max_snapshot_age_days: float | None = None,
) -> MaintenanceReport:
    """Maintain the named tables (default: every Bronze and table model); returns the report.

    ``retain_last`` / ``max_snapshot_age_days`` override the layers' retention (var maintenance) for
    this run. On the local target the caller holds the Spark session (dbt's session connection uses it)."""
    if retain_last is not None and retain_last < 1:
        raise ValueError(f"retain_last must keep at least 1 snapshot, got {retain_last}")
    if max_snapshot_age_days is not None and max_snapshot_age_days < 0:
        raise ValueError(f"max_snapshot_age_days must be >= 0, got {max_snapshot_age_days}")
    report = MaintenanceReport(dry_run=dry_run)
    arguments: dict = {"dry_run": dry_run}
    if tables:
        arguments["tables"] = list(tables)
    if retain_last is not None:
        arguments["retain_last"] = retain_last
    if max_snapshot_age_days is not None:
        arguments["max_snapshot_age_days"] = max_snapshot_age_days
    log.info("maintenance%s: %s", " (dry run)" if dry_run else "", ", ".join(tables) if tables else "every table")
    invoke_dbt(
        settings,
        "run-operation",
        "iceberg_maintenance",
        "--args",
        yaml.safe_dump(arguments, default_flow_style=True).strip(),
        "--quiet",
        callbacks=[collect(report)],
    )
    for line in report.lines():
        log.info(line)
    return report
