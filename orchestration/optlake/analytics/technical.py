"""The technical indicators shared by the daily and the intraday sets, full pass or resumed from state."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optlake.analytics import indicators as ind
from optlake.analytics.bars import _Bars
from optlake.analytics.state import HISTORY_BARS, TechState

TECH_COLUMNS: list[str] = [
    "sma_20",
    "sma_50",
    "sma_200",
    "ema_12",
    "ema_26",
    "macd",
    "macd_signal",
    "macd_hist",
    "roc_10",
    "mom_10",
    "rsi_14",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "bb_width",
    "bb_pct_b",
    "atr_14",
    "hv_20",
    "obv",
    "ad",
    "log_return",
]


@dataclass(frozen=True)
class Plan:
    """How a run proceeds: ``start`` = index of the first new bar in the concatenated series;
    ``resume`` = recursions continue from the given state (False: recomputed from the series' first bar)."""

    start: int
    resume: bool


def plan(n_history: int, state: TechState | None, history_close_last: float | None) -> Plan:
    """Check that (history, state) can give exact values for the new bars, and say how.

    * no state: the new bars are the series' first bars; history must be empty;
    * history holds every bar so far (``n_history == state.bar_count``): everything is recomputed from the
      first bar (identical to a full pass);
    * otherwise history must hold at least ``HISTORY_BARS`` bars (enough for every window) and its last
      close must be the state's ``prev_close``; the recursions resume from the state.
    """
    if state is None:
        if n_history:
            raise ValueError("history given without a state: pass the state after the last history bar")
        return Plan(0, False)
    if n_history > state.bar_count:
        raise ValueError(f"history has {n_history} bars but the state has seen only {state.bar_count}")
    if n_history == state.bar_count:
        return Plan(n_history, False)
    if n_history < HISTORY_BARS:
        raise ValueError(
            f"need the last {min(state.bar_count, HISTORY_BARS)} bars as history (state has seen "
            f"{state.bar_count} bars), got {n_history}"
        )
    if history_close_last is None or not (history_close_last == state.prev_close):
        raise ValueError(f"state prev_close {state.prev_close!r} is not the last history close {history_close_last!r}")
    return Plan(n_history, True)


def run_series(bars: _Bars, history: _Bars | None, state: TechState | None) -> tuple[_Bars, Plan]:
    """The series a run computes over (the history, trimmed to ``HISTORY_BARS`` when resuming, then
    the new bars) and its plan: the one setup step of ``compute_daily`` and ``compute_intraday``."""
    n_hist = len(history) if history is not None else 0
    p = plan(n_hist, state, float(history.close[-1]) if n_hist else None)
    if p.resume and n_hist > HISTORY_BARS:
        history = history.tail(HISTORY_BARS)  # type: ignore[union-attr]
        p = Plan(HISTORY_BARS, True)
    return (history.concat(bars) if n_hist else bars), p


def technical(
    x: _Bars, p: Plan, state: TechState | None, periods_per_year: float
) -> tuple[dict[str, np.ndarray], dict[str, float | int]]:
    """Technical columns for bars ``x[p.start:]`` of the concatenated series ``x`` (history + new bars) and
    the technical state fields after the last bar."""
    c = x.close
    s = p.start
    cols: dict[str, np.ndarray] = {}
    cols["sma_20"] = ind.sma(c, 20)[s:]
    cols["sma_50"] = ind.sma(c, 50)[s:]
    cols["sma_200"] = ind.sma(c, 200)[s:]
    cols["roc_10"] = ind.roc(c, 10)[s:]
    cols["mom_10"] = ind.momentum(c, 10)[s:]
    bb = ind.bollinger(c, 20, 2.0)
    cols.update(
        bb_upper=bb.upper[s:],
        bb_middle=bb.middle[s:],
        bb_lower=bb.lower[s:],
        bb_width=bb.width[s:],
        bb_pct_b=bb.pct_b[s:],
    )
    logret = ind.log_returns(c)
    cols["log_return"] = logret[s:]
    cols["hv_20"] = (ind.rolling_std(logret, 20, ddof=1) * math.sqrt(periods_per_year))[s:]

    if p.resume:
        assert state is not None
        n = x.slice(s, len(x))
        nc = n.close
        e12, e12_last = ind.ema(nc, 12, prev=state.ema_12)
        e26, e26_last = ind.ema(nc, 26, prev=state.ema_26)
        m_line, m_sig, m_hist, m_carry = ind.macd(
            nc, carry=ind.MacdCarry(state.macd_fast_ema, state.ema_26, state.macd_signal)
        )
        rsi, rsi_carry = ind.rsi(nc, 14, ind.WilderCarry(state.prev_close, state.rsi_avg_gain, state.rsi_avg_loss))
        atr, atr_last = ind.atr(n.high, n.low, nc, 14, prev_close=state.prev_close, prev_atr=state.atr_14)
        obv, obv_last = ind.obv(nc, n.volume, prev_close=state.prev_close, prev_obv=state.obv)
        adl, ad_last = ind.ad(n.high, n.low, nc, n.volume, prev_ad=state.ad)
        bar_count = state.bar_count + len(n)
    else:
        e12, e12_last = ind.ema(c, 12)
        e26, e26_last = ind.ema(c, 26)
        m_line, m_sig, m_hist, m_carry = ind.macd(c)
        rsi, rsi_carry = ind.rsi(c, 14)
        atr, atr_last = ind.atr(x.high, x.low, c, 14)
        obv, obv_last = ind.obv(c, x.volume)
        adl, ad_last = ind.ad(x.high, x.low, c, x.volume)
        e12, e26, m_line, m_sig, m_hist, rsi, atr, obv, adl = (
            a[s:] for a in (e12, e26, m_line, m_sig, m_hist, rsi, atr, obv, adl)
        )
        bar_count = len(x)
    cols.update(
        ema_12=e12,
        ema_26=e26,
        macd=m_line,
        macd_signal=m_sig,
        macd_hist=m_hist,
        rsi_14=rsi,
        atr_14=atr,
        obv=obv,
        ad=adl,
    )
    fields: dict[str, float | int] = {
        "bar_count": bar_count,
        "prev_close": float(c[-1]) if len(c) else math.nan,
        "ema_12": e12_last,
        "ema_26": e26_last,
        "macd_fast_ema": m_carry.fast_ema,
        "macd_signal": m_carry.signal_ema,
        "rsi_avg_gain": rsi_carry.avg_gain,
        "rsi_avg_loss": rsi_carry.avg_loss,
        "atr_14": atr_last,
        "obv": obv_last,
        "ad": ad_last,
    }
    return {k: cols[k] for k in TECH_COLUMNS}, fields
