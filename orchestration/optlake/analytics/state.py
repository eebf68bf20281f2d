"""Carried state of the recursive indicators, stored as plain columns on a symbol's last indicator row.

A run that computes only a symbol's new bars needs two things from the previous run:

* the last ``HISTORY_BARS`` (200) raw bars before the new ones, for the windowed indicators (the longest
  window is SMA 200, which needs the 199 bars before a new bar; 63-return Sharpe/Sortino need 63);
* the state after the last of those bars (this module), for the recursive ones.

Every field is a float (NaN = null = "not seeded yet") or an int. ``to_columns()`` gives the table
columns, prefixed ``st_``; ``from_columns()`` reads them back (None/null becomes NaN).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

#: How many raw bars before the new ones a run must be given (or all of them while the series is shorter).
HISTORY_BARS = 200

STATE_PREFIX = "st_"

_NAN = float("nan")


def _missing(value: Any) -> bool:
    """None, NaN, or a null of another library (pandas.NA: its comparisons are neither True nor False)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


@dataclass(frozen=True)
class TechState:
    """State of the technical indicators shared by the daily and the intraday sets.

    Fields (column ``st_<field>``):
    ``bar_count`` bars processed so far; ``prev_close`` close of the last bar; ``ema_12``/``ema_26`` the EMA
    values (``ema_26`` is also MACD's slow EMA); ``macd_fast_ema`` MACD's own fast EMA (seeded late, so not
    ``ema_12``); ``macd_signal`` the signal EMA; ``rsi_avg_gain``/``rsi_avg_loss`` RSI's Wilder averages;
    ``atr_14`` the last ATR; ``obv`` and ``ad`` the running totals.
    """

    bar_count: int = 0
    prev_close: float = _NAN
    ema_12: float = _NAN
    ema_26: float = _NAN
    macd_fast_ema: float = _NAN
    macd_signal: float = _NAN
    rsi_avg_gain: float = _NAN
    rsi_avg_loss: float = _NAN
    atr_14: float = _NAN
    obv: float = _NAN
    ad: float = _NAN

    @classmethod
    def column_names(cls) -> list[str]:
        """The table column names of this state, in field order."""
        return [STATE_PREFIX + f.name for f in dataclasses.fields(cls)]

    def to_columns(self) -> dict[str, float | int | None]:
        """``{"st_<field>": value}``; ints stay ints, a None session stays None."""
        return {STATE_PREFIX + f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> Self:
        """Read a state back from a row holding its ``st_`` columns; a missing or null column takes the
        field's default (NaN for the floats, 0 for ``bar_count``, None for ``session_id``)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = row.get(STATE_PREFIX + f.name)
            if _missing(raw):
                values[f.name] = f.default
            elif f.type in ("int", "int | None", int):
                values[f.name] = int(raw)
            else:
                values[f.name] = float(raw)
        return cls(**values)


@dataclass(frozen=True)
class DailyState(TechState):
    """Daily state: the technical state plus ``first_close`` (cum_return's base), ``peak_close`` (the
    running maximum close) and ``max_drawdown`` (the worst drawdown so far, <= 0)."""

    first_close: float = _NAN
    peak_close: float = _NAN
    max_drawdown: float = _NAN


@dataclass(frozen=True)
class IntradayState(TechState):
    """Intraday state: the technical state plus the session VWAP's running sums: ``session_id`` of the last
    bar, ``vwap_pv`` = sum(typical price x volume) and ``vwap_volume`` = sum(volume) since that session's
    first bar."""

    session_id: int | None = None
    vwap_pv: float = 0.0
    vwap_volume: float = 0.0


DAILY_STATE_COLUMNS: list[str] = DailyState.column_names()
INTRADAY_STATE_COLUMNS: list[str] = IntradayState.column_names()
