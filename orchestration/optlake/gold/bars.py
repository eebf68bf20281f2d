"""The bars a bar-based strategy reads, at its configured frequency: one layout for all three."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

OHLCV = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class BarTable:
    model: str  # the bars model
    time: str  # its bar-time column
    version: str  # its per-row version (newest Bronze load of the bar's inputs)


#: frequency -> its bars table. `1m`: one-minute bars; `5m`: five-minute bars; `daily`: daily bars.
FREQUENCIES = {
    "1m": BarTable("bars_1m", "ts_event", "bronze_ingested_at"),
    "5m": BarTable("bars_5m", "ts_start", "bars_version"),
    "daily": BarTable("bars_daily", "trade_date", "bars_version"),
}


def bar_table(frequency: str) -> BarTable:
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}, got {frequency!r}")
    return FREQUENCIES[frequency]


def bar_rows(bars: DataFrame, frequency: str, asset_classes: list[str] | None = None) -> DataFrame:
    """(symbol, trade_date, ts, open, high, low, close, volume) of the bars of ``asset_classes``:
    ``ts`` the bar's start (a timestamp; midnight of the day for daily bars), prices as doubles."""
    table = bar_table(frequency)
    if asset_classes:
        bars = bars.where(F.col("asset_class").isin(*asset_classes))
    return bars.select(
        "symbol",
        "trade_date",
        F.col(table.time).cast("timestamp").alias("ts"),
        *(F.col(c).cast("double").alias(c) for c in OHLCV),
    )


def config_list(value: object) -> list[str]:
    """A list config given as a list or a comma-separated string."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip()]
