"""The Markdown of a run (a Prefect artifact): load counts, files, signals per strategy, step times.

Pure functions of plain values and ``LoadReport`` objects, so they are tested without Prefect or Spark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from optlake.bronze.report import LoadReport

#: Load statuses in the order the tables show them (optlake.bronze.report.STATUSES).
STATUS_ORDER = ("loaded", "rejected", "duplicate", "replaced", "unreconciled")


@dataclass(frozen=True)
class LoadTotals:
    files: dict[str, int]  # files per status
    rows_read: int
    rows_loaded: int
    rows_quarantined: int

    @property
    def files_rejected(self) -> int:
        return self.files.get("rejected", 0)


def load_totals(reports: Iterable[LoadReport]) -> LoadTotals:
    """Files per status and row counts over one or more loads."""
    files: dict[str, int] = {}
    read = loaded = quarantined = 0
    for report in reports:
        for r in report.results:
            files[r.status] = files.get(r.status, 0) + 1
            read, loaded, quarantined = read + r.rows_read, loaded + r.rows_loaded, quarantined + r.rows_quarantined
    return LoadTotals(files, read, loaded, quarantined)


def cell(value: object) -> str:
    """A table cell: numbers with thousands separators, floats to 0.1, pipes and newlines escaped."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{value:,.1f}"
    elif value is None:
        text = ""
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[bool] | None = None) -> str:
    """A Markdown table; ``numeric`` columns are right-aligned (default: every column but the first)."""
    numeric = list(numeric) if numeric is not None else [False] + [True] * (len(header) - 1)
    if len(numeric) != len(header):
        raise ValueError(f"numeric has {len(numeric)} flags for {len(header)} columns")
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row!r} has {len(row)} cells for {len(header)} columns")
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    return "\n".join(lines)


def load_section(reports: Sequence[LoadReport]) -> str:
    """Totals (files per status, rows read = loaded + quarantined), then one row per file."""
    totals = load_totals(reports)
    results = [r for report in reports for r in report.results]
    if not results:
        return "## Bronze load\n\nNo file to load."
    statuses = [s for s in STATUS_ORDER if s in totals.files] + sorted(set(totals.files) - set(STATUS_ORDER))
    summary = table(
        ["files", *statuses, "rows read", "rows loaded", "rows quarantined"],
        [
            [
                "count",
                *(totals.files[s] for s in statuses),
                totals.rows_read,
                totals.rows_loaded,
                totals.rows_quarantined,
            ]
        ],
    )
    files = table(
        ["file", "trade date", "status", "rows loaded", "rows quarantined", "note"],
        [
            [r.file.name, r.trade_date, r.status, r.rows_loaded, r.rows_quarantined, r.error or ""]
            for r in sorted(results, key=lambda r: r.file.name)
        ],
        numeric=[False, False, False, True, True, False],
    )
    return f"## Bronze load\n\n{summary}\n\n{files}"


def signals_section(counts: Mapping[str, Mapping[str, int]], days: Sequence[dt.date]) -> str:
    """Rows per signal (columns) for each strategy (rows) on the processed days, with a total."""
    scope = ", ".join(d.isoformat() for d in days)
    if not days:
        return "## Signals per strategy\n\nNo new trading day: no signal counted."
    if not counts:
        return f"## Signals per strategy ({scope})\n\nNo active strategy."
    signals = sorted({s for per in counts.values() for s in per})
    rows = [[name, *(per.get(s, 0) for s in signals), sum(per.values())] for name, per in counts.items()]
    return f"## Signals per strategy ({scope})\n\n" + table(["strategy", *signals, "total"], rows)


def steps_section(seconds: Mapping[str, float]) -> str:
    """Seconds per step, in the order they ran, and their sum."""
    if not seconds:
        return "## Steps\n\nNo step ran."
    rows = [[name, round(s, 1)] for name, s in seconds.items()]
    return "## Steps\n\n" + table(["step", "seconds"], [*rows, ["total", round(sum(seconds.values()), 1)]])


def daily_markdown(
    day: dt.date,
    reports: Sequence[LoadReport],
    signals: Mapping[str, Mapping[str, int]],
    processed_days: Sequence[dt.date],
    seconds: Mapping[str, float],
    maintenance: str | None,
    notes: Sequence[str] = (),
) -> str:
    """The daily flow's artifact. ``maintenance``: the maintenance report's Markdown, or why it did not run."""
    parts = [f"# optlake daily {day.isoformat()}", *notes, load_section(reports)]
    parts += [signals_section(signals, processed_days), steps_section(seconds)]
    parts.append("## Weekly maintenance\n\n" + (maintenance or "Not run."))
    return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class BatchOutcome:
    label: str
    files: int
    state: str  # Completed, Failed, ...
    attempts: int
    report: LoadReport | None  # None when the batch failed


def backfill_markdown(location: str, batches: Sequence[BatchOutcome], seconds: Mapping[str, float], build: str) -> str:
    """The backfill flow's artifact: one row per batch (state, attempts, rows), the totals, the build."""
    rows = []
    for b in batches:
        totals = load_totals([b.report] if b.report else [])
        rows.append(
            [
                b.label,
                b.files,
                b.state,
                b.attempts,
                totals.files.get("loaded", 0),
                totals.files_rejected,
                totals.rows_loaded,
                totals.rows_quarantined,
            ]
        )
    header = ["batch", "files", "state", "attempts", "loaded", "rejected", "rows loaded", "rows quarantined"]
    numeric = [False, True, False, True, True, True, True, True]
    parts = [
        f"# optlake backfill of {location}",
        f"## Batches\n\n{table(header, rows, numeric) if rows else 'No pending file.'}",
        load_section([b.report for b in batches if b.report]),
        f"## dbt build\n\n{build}",
        steps_section(seconds),
    ]
    return "\n\n".join(parts) + "\n"


@dataclass(frozen=True)
class SymbolOutcome:
    symbol: str
    state: str
    attempts: int
    strategies: tuple[str, ...]
    signals: dict[str, int]  # rows per signal of this symbol, over the strategies' tables
    seconds: float
    error: str = ""


def symbols_markdown(title: str, outcomes: Sequence[SymbolOutcome]) -> str:
    """The per-symbol flows' artifact: one row per symbol (state, attempts, rows per signal, seconds)."""
    if not outcomes:
        return f"# {title}\n\nNo symbol.\n"
    signals = sorted({s for o in outcomes for s in o.signals})
    header = ["symbol", "state", "attempts", *signals, "rows", "seconds", "note"]
    numeric = [False, False, True, *([True] * len(signals)), True, True, False]
    rows = [
        [
            o.symbol,
            o.state,
            o.attempts,
            *(o.signals.get(s, 0) for s in signals),
            sum(o.signals.values()),
            round(o.seconds, 1),
            o.error,
        ]
        for o in outcomes
    ]
    strategies = sorted({s for o in outcomes for s in o.strategies})
    scope = f"Strategies: {', '.join(strategies)}." if strategies else ""
    return f"# {title}\n\n{scope}\n\n{table(header, rows, numeric)}\n"
