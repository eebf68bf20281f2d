"""Pure planning for the flows: batches of landing files, the maintenance day, artifact keys."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from optlake.bronze.spec import trade_date_from_name

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BATCH_MODES = ("day", "files")


@dataclass(frozen=True)
class Batch:
    """Files loaded together by one task; ``label`` names the task run (a day, or a range of days)."""

    label: str
    names: tuple[str, ...]


def by_day(names: Iterable[str]) -> dict[dt.date | None, list[str]]:
    """File names grouped by the trading day in their name (None: no date), days in order, names sorted."""
    groups: dict[dt.date | None, list[str]] = {}
    for name in sorted(set(names)):
        groups.setdefault(trade_date_from_name(name), []).append(name)
    dated = sorted(d for d in groups if d is not None)
    return {d: groups[d] for d in [*dated, *([None] if None in groups else [])]}


def plan_batches(names: Iterable[str], mode: str = "day", max_files: int = 20) -> list[Batch]:
    """Batches of whole days: one per day (``day``), or consecutive days packed up to ``max_files``
    files (``files``; a day with more files stays whole). A day is never split, so the files of one
    day (a re-delivery and its original) are always checked for duplicates in the same load. Files
    without a date in their name form the last batch."""
    if mode not in BATCH_MODES:
        raise ValueError(f"batch mode must be one of {', '.join(BATCH_MODES)}, got {mode!r}")
    if max_files < 1:
        raise ValueError(f"max_files must be at least 1, got {max_files}")
    groups = by_day(names)
    batches: list[list[tuple[dt.date | None, list[str]]]] = []
    for day, files in groups.items():
        current = batches[-1] if batches else None
        fits = (
            mode == "files"
            and current is not None
            and day is not None
            and current[-1][0] is not None
            and sum(len(f) for _, f in current) + len(files) <= max_files
        )
        if fits:
            current.append((day, files))
        else:
            batches.append([(day, files)])
    return [Batch(_label([d for d, _ in b]), tuple(n for _, f in b for n in f)) for b in batches]


def _label(days: list[dt.date | None]) -> str:
    if days == [None]:
        return "undated"
    first, last = days[0], days[-1]
    return first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"


def weekday_number(name: str | int) -> int:
    """Monday 0 .. Sunday 6, from a name (any case, or its first three letters) or a number."""
    if isinstance(name, int) and not isinstance(name, bool):
        if 0 <= name <= 6:
            return name
        raise ValueError(f"weekday number must be 0 (Monday) to 6 (Sunday), got {name}")
    text = str(name).strip().lower()
    for number, day in enumerate(WEEKDAYS):
        if text in (day, day[:3]):
            return number
    raise ValueError(f"unknown weekday {name!r}; expected one of {', '.join(WEEKDAYS)}")


def maintenance_due(day: dt.date, weekday: str | int = "sunday", force: bool = False) -> bool:
    """Whether the weekly maintenance runs on ``day``: its weekday is the configured one, or forced."""
    return force or day.weekday() == weekday_number(weekday)


def artifact_key(*parts: str) -> str:
    """A Prefect artifact key from parts: lower case letters, digits and dashes only."""
    text = "-".join(parts).lower()
    key = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if not key:
        raise ValueError(f"no letters or digits to make an artifact key from {parts!r}")
    return key


def key_column(columns: Iterable[str]) -> str:
    """The column a strategy's ``--symbols`` selects: ``symbol`` (bar strategies), else ``underlying``."""
    names = {c.lower() for c in columns}
    for column in ("symbol", "underlying"):
        if column in names:
            return column
    raise ValueError(f"a Gold table with neither a symbol nor an underlying column: {sorted(names)}")
