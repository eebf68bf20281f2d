"""CSV text of Databento OHLCV bars (the pretty text form), built column-wise with pyarrow.

A line is ``ts_event,rtype,publisher_id,instrument_id,open,high,low,close,volume,symbol``, e.g.
``2025-01-28T14:30:00.000000000Z,33,2,1234567,600.120000000,600.150000000,600.050000000,600.100000000,52310,SPY``.
``ts_event`` is the bar's start; rtype 33 = one-minute bars, 35 = daily bars. Rows are ordered by
ts_event, then symbol. Files: ``<dataset>-YYYYMMDD.ohlcv-1m.csv`` / ``.ohlcv-1d.csv`` (``.gz``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from optlake.bronze.specs import ohlcv
from optlake.generator import writer
from optlake.generator.bars import NANOS, DailyBars, MinuteBars

#: Bar size -> rtype (the generator writes 1-minute and 1-day bars).
RTYPE = {"1m": ohlcv.RTYPE_1M, "1d": ohlcv.RTYPE_1D}
HEADER = ohlcv.HEADER
file_name = ohlcv.file_name


def minute_stamps(day: dt.date) -> pa.StringArray:
    """The 1440 ``ts_event`` texts of a UTC day, one per minute."""
    return pa.array([f"{day:%Y-%m-%d}T{m // 60:02d}:{m % 60:02d}:00.000000000Z" for m in range(1440)])


def day_stamp(day: dt.date) -> pa.StringArray:
    """The one ``ts_event`` text of a daily bar: the day's 00:00 UTC."""
    return pa.array([f"{day:%Y-%m-%d}T00:00:00.000000000Z"])


@dataclass(frozen=True)
class BarRows:
    """Rows of one bar file, in file order; ``instrument`` indexes the file's instrument list."""

    stamp: np.ndarray  # (r,) index into the stamp texts
    instrument: np.ndarray  # (r,)
    open: np.ndarray  # (r,) int64 nanos
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


def minute_rows(bars: MinuteBars, symbols: Sequence[str]) -> tuple[BarRows, list[int]]:
    """The present bars ordered by minute then symbol; also the model indices of the row instruments."""
    order = sorted(range(len(bars.instruments)), key=lambda k: symbols[int(bars.instruments[k])])
    present = bars.present[order].T  # (m, k): minute-major, symbols ascending

    def flat(values: np.ndarray) -> np.ndarray:
        return values[order].T[present]

    stamp = np.broadcast_to(bars.minutes[:, None], present.shape)[present]
    instrument = np.broadcast_to(np.arange(len(order))[None, :], present.shape)[present]
    rows = BarRows(
        stamp, instrument, flat(bars.open), flat(bars.high), flat(bars.low), flat(bars.close), flat(bars.volume)
    )
    return rows, [int(bars.instruments[k]) for k in order]


def daily_rows(bars: DailyBars, symbols: Sequence[str]) -> tuple[BarRows, list[int]]:
    """The daily bars ordered by symbol (one ``ts_event``: stamp 0)."""
    order = sorted(range(len(bars.instruments)), key=lambda k: symbols[int(bars.instruments[k])])
    pick = np.array(order, dtype=np.int64)
    rows = BarRows(
        np.zeros(pick.size, dtype=np.int64),
        np.arange(pick.size),
        bars.open[pick],
        bars.high[pick],
        bars.low[pick],
        bars.close[pick],
        bars.volume[pick],
    )
    return rows, [int(bars.instruments[k]) for k in order]


def price_text(nanos: np.ndarray) -> pa.StringArray:
    """Nine-decimal prices from integer nanos: 600120000000 -> ``600.120000000``."""
    whole = pc.cast(pa.array(nanos // NANOS), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(nanos % NANOS), pa.string()), width=9, padding="0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def lines(
    stamps: pa.StringArray,
    rows: BarRows,
    rtype: int,
    publisher_ids: Sequence[int],
    ids: Sequence[int],
    symbols: Sequence[str],
) -> pa.StringArray:
    """Complete CSV lines; ``publisher_ids``, ``ids`` and ``symbols`` are per row instrument."""
    prefix = pa.array([f",{rtype},{p},{i}," for p, i in zip(publisher_ids, ids, strict=True)])
    suffix = pa.array([f",{s}\n" for s in symbols])
    which = pa.array(rows.instrument)
    return pc.binary_join_element_wise(
        stamps.take(pa.array(rows.stamp)),
        prefix.take(which),
        price_text(rows.open),
        ",",
        price_text(rows.high),
        ",",
        price_text(rows.low),
        ",",
        price_text(rows.close),
        ",",
        pc.cast(pa.array(rows.volume), pa.string()),
        suffix.take(which),
        "",
    )


def write_file(path: Path, text: pa.StringArray, gzip: bool) -> Path:
    """Write the header and the lines."""
    with writer.open_csv(path, gzip, HEADER) as stream:
        if len(text):
            stream.write(writer.text_bytes(text))
    return path
