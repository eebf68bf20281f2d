"""The daily indicator set: one row per symbol and daily bar, computed for new bars only."""

from __future__ import annotations

import numpy as np

from optlake.analytics import indicators as ind
from optlake.analytics.bars import DailyBars
from optlake.analytics.state import DailyState
from optlake.analytics.technical import TECH_COLUMNS, run_series, technical

#: Trading days per year, for annualising (hv_20, sharpe_63, sortino_63, rf_daily).
TRADING_DAYS = 252

QUANT_COLUMNS: list[str] = [
    "cum_return",
    "sharpe_63",
    "sortino_63",
    "drawdown",
    "max_drawdown",
    "beta_60",
    "corr_60",
]

#: Output columns of ``compute_daily``, in table order.
DAILY_COLUMNS: list[str] = TECH_COLUMNS + QUANT_COLUMNS


def compute_daily(
    bars: DailyBars, history: DailyBars | None = None, state: DailyState | None = None
) -> tuple[dict[str, np.ndarray], DailyState]:
    """Daily indicators of one symbol's new ``bars``.

    ``history``: the bars just before ``bars`` -- all of them while the series has at most
    ``HISTORY_BARS`` (200) bars, else at least the last 200 (more are ignored); None/empty for a symbol's
    first run. ``state``: the state after the last history bar (None for a first run).
    Returns ``({column: values for each new bar}, state after the last new bar)``; columns are
    ``DAILY_COLUMNS``, NaN where undefined (warm-up). The values equal a single full pass over the whole
    series bit for bit.
    """
    x, p = run_series(bars, history, state)
    if len(bars) == 0:
        return {k: np.empty(0) for k in DAILY_COLUMNS}, state or DailyState()

    cols, tech_fields = technical(x, p, state, TRADING_DAYS)
    s = p.start
    c = x.close
    if p.resume:
        assert state is not None
        first_close = state.first_close
        dd, mdd, peak, max_dd = ind.drawdown(bars.close, state.peak_close, state.max_drawdown)
    else:
        first_close = float(c[0])
        dd, mdd, peak, max_dd = ind.drawdown(c)
        dd, mdd = dd[s:], mdd[s:]
    cols["cum_return"] = ind.cum_return(bars.close, first_close)

    rf_daily = x.risk_free / 100.0 / TRADING_DAYS
    excess = ind.simple_returns(c) - rf_daily
    cols["sharpe_63"] = ind.sharpe(excess, 63, TRADING_DAYS)[s:]
    cols["sortino_63"] = ind.sortino(excess, 63, TRADING_DAYS)[s:]
    cols["drawdown"] = dd
    cols["max_drawdown"] = mdd
    beta, corr = ind.rolling_beta_corr(ind.log_returns(c), ind.log_returns(x.benchmark_close), 60)
    cols["beta_60"] = beta[s:]
    cols["corr_60"] = corr[s:]
    new_state = DailyState(**tech_fields, first_close=first_close, peak_close=float(peak), max_drawdown=float(max_dd))
    return {k: cols[k] for k in DAILY_COLUMNS}, new_state
