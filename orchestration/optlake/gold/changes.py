"""Which trading days a Gold model must recompute: pure functions, no Spark.

The signals of a day read the strategy's input rows of the calendar days [day - lookback_days, day]
(``lookback_days``: the input history the strategy declares; 0 when a day reads only itself).

Every input day has a version: the newest Bronze load among its rows (``bronze_ingested_at``,
``bars_version``, ``version``), so a new or reloaded day gets a new one. The **fingerprint** of a
day hashes the versions of every input day in its window, of every input table. Gold rows carry the
fingerprint they were computed from (``input_fingerprint``). A run recomputes exactly the days whose
fingerprint changed (new, reloaded, within lookback_days after a reloaded day, or all of them when
the strategy's parameters or model file changed), deletes the days
whose input is gone, and leaves every other day alone. A full rebuild computes every day with the
same function, so an incremental history equals a rebuild.

A re-run of named keys (``optlake strategy --symbols AAPL``) recomputes every day of those keys and
touches no other key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DayVersions = Mapping[dt.date, object]


def fingerprints(inputs: Mapping[str, DayVersions], lookback_days: int, settings: str = "") -> dict[dt.date, str]:
    """The fingerprint of every day of the first input: a hash of the (input, day, version) of every
    input day in [day - lookback_days, day], and of ``settings`` (the strategy's parameters and
    model file: changing them recomputes every day)."""
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be 0 or more calendar days, got {lookback_days}")
    if not inputs:
        return {}
    primary = next(iter(inputs.values()))
    series = {name: sorted(days.items()) for name, days in inputs.items()}
    window = dt.timedelta(days=lookback_days)
    out = {}
    for day in sorted(primary):
        parts = [settings] + [
            f"{name}:{d.isoformat()}={v}"
            for name, days in sorted(series.items())
            for d, v in days
            if day - window <= d <= day
        ]
        out[day] = hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]
    return out


@dataclass(frozen=True)
class Plan:
    """What a run writes. ``compute``: day -> its new fingerprint; ``delete_days``: stored days
    cleared first (replaced or gone); ``only``: the keys of a named re-run (their rows are cleared
    instead, on every day)."""

    compute: dict[dt.date, str]
    delete_days: tuple[dt.date, ...] = ()
    only: tuple[str, ...] | None = None

    @property
    def days(self) -> list[dt.date]:
        return sorted(self.compute)


def plan(
    current: Mapping[dt.date, str], stored: Mapping[dt.date, str | None], only: Iterable[str] | None = None
) -> Plan:
    """The run's plan. ``current``: the fingerprints now; ``stored``: the fingerprint of each day the
    table holds (None when its rows disagree or predate fingerprints); empty on a full build."""
    if only is not None:
        return Plan(compute=dict(current), only=tuple(only))
    compute = {day: fp for day, fp in current.items() if stored.get(day) != fp}
    delete = sorted((set(compute) & set(stored)) | (set(stored) - set(current)))
    return Plan(compute=compute, delete_days=tuple(delete))
