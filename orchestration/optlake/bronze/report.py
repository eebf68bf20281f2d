"""What a load did, file by file: statuses, row counts that must reconcile, and the summary."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from optlake.bronze.landing import FAILED, LandingFile

#: Audit statuses. loaded: rows committed; rejected: the whole file failed a check; duplicate: its
#: content or rows were already loaded from another file; replaced: an earlier file of the day
#: superseded by --replace-day; unreconciled: rows read != loaded + quarantined.
STATUSES = ("loaded", "rejected", "duplicate", "replaced", "unreconciled")


class LoadError(RuntimeError):
    """A load that committed rows but whose counts do not reconcile."""


@dataclass
class FileResult:
    file: LandingFile
    trade_date: dt.date | None
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    seconds: float = 0.0
    final_uri: str = ""
    sha256: str | None = None
    duplicate_of: str | None = None
    replaces: tuple[str, ...] = ()

    def reconcile(self) -> None:
        """Mark the result unreconciled when rows read != loaded + quarantined."""
        if self.rows_read != self.rows_loaded + self.rows_quarantined:
            self.status = "unreconciled"
            self.error = (
                f"rows read {self.rows_read} != loaded {self.rows_loaded} + quarantined {self.rows_quarantined}"
            )


@dataclass
class LoadReport:
    load_id: str
    started_at: dt.datetime
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    @classmethod
    def start(cls) -> LoadReport:
        return cls(uuid.uuid4().hex, dt.datetime.now(dt.UTC).replace(tzinfo=None))

    def by_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.results)

    @property
    def rows_quarantined(self) -> int:
        return sum(r.rows_quarantined for r in self.results)

    @property
    def rows_read(self) -> int:
        return sum(r.rows_read for r in self.results)


def summary_lines(report: LoadReport) -> list[str]:
    """The end-of-load summary: one line per file, then totals and throughput."""
    lines = []
    for r in report.results:
        if r.status == "rejected":
            lines.append(f"  REJECTED {r.file.name} -> {FAILED}/: {r.error}")
        elif r.status == "duplicate":
            lines.append(f"  DUPLICATE {r.file.name} -> {FAILED}/: {r.error}")
        elif r.status == "replaced":
            lines.append(f"  replaced {r.file.name}: {r.error}")
        else:
            replaced = f"; replaces {', '.join(r.replaces)}" if r.replaces else ""
            lines.append(
                f"  {r.status:<8} {r.file.name}: read {r.rows_read:,}, loaded {r.rows_loaded:,}, "
                f"quarantined {r.rows_quarantined:,} ({r.file.size / 1e6:,.1f} MB){replaced}"
            )
    loaded = report.by_status("loaded")
    mb = sum(r.file.size for r in loaded) / 1e6
    secs = max(report.seconds, 1e-9)
    duplicates = len(report.by_status("duplicate"))
    lines.append(
        f"Load {report.load_id} done in {report.seconds:.1f} s: {len(loaded)} file(s) loaded, "
        f"{len(report.by_status('rejected'))} rejected"
        + (f", {duplicates} duplicate" if duplicates else "")
        + f"; rows read {report.rows_read:,} = loaded {report.rows_loaded:,} + quarantined "
        f"{report.rows_quarantined:,}; {report.rows_loaded / secs:,.0f} rows/s, {mb / secs:,.1f} MB/s"
    )
    return lines
