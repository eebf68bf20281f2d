"""Per-symbol bar series (numpy arrays in time order) fed to the indicator sets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Self

import numpy as np


def _arr(x: np.ndarray | list[float] | None, n: int) -> np.ndarray:
    if x is None:
        return np.full(n, np.nan)
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class _Bars:
    """OHLCV arrays of one symbol, oldest first, all of one length."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        n = len(np.asarray(self.close))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "session":
                arr = np.asarray(value if value is not None else np.zeros(n, dtype=np.int64))
            else:
                arr = _arr(value, n)
            if arr.ndim != 1 or len(arr) != n:
                raise ValueError(
                    f"{type(self).__name__}.{f.name}: expected {n} values in one dimension, got {arr.shape}"
                )
            object.__setattr__(self, f.name, arr)

    def __len__(self) -> int:
        return len(self.close)

    def tail(self, k: int) -> Self:
        """The last k bars (all of them when k >= len)."""
        start = max(len(self) - k, 0)
        return self.slice(start, len(self))

    def slice(self, start: int, stop: int) -> Self:
        """Bars [start, stop)."""
        return type(self)(**{f.name: getattr(self, f.name)[start:stop] for f in dataclasses.fields(self)})

    def concat(self, other: Self) -> Self:
        """These bars followed by ``other``'s."""
        return type(self)(
            **{
                f.name: np.concatenate((getattr(self, f.name), getattr(other, f.name)))
                for f in dataclasses.fields(self)
            }
        )


@dataclass(frozen=True)
class DailyBars(_Bars):
    """Daily bars of one symbol; ``benchmark_close`` (SPX close) and ``risk_free`` (^IRX, percent) are aligned
    to the symbol's dates (NaN where missing; None = not available: beta/corr or Sharpe/Sortino are NaN)."""

    benchmark_close: np.ndarray | None = None
    risk_free: np.ndarray | None = None


@dataclass(frozen=True)
class IntradayBars(_Bars):
    """5-minute bars of one symbol; ``session`` is an integer session id per bar (e.g. the trade date as
    yyyymmdd) that changes at each session's first bar."""

    session: np.ndarray | None = None
