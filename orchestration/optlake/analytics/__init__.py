"""Indicator mathematics for ``indicators_daily`` / ``indicators_intraday``: pure numpy, TA-Lib definitions.

``compute_daily`` / ``compute_intraday`` compute one symbol's new bars from the last ``HISTORY_BARS`` raw
bars before them and the carried ``DailyState`` / ``IntradayState``; the result equals a full pass over the
whole series bit for bit. See ``COLUMN_DOCS`` for each output column's definition.
"""

from optlake.analytics.bars import DailyBars, IntradayBars
from optlake.analytics.daily import DAILY_COLUMNS, TRADING_DAYS, compute_daily
from optlake.analytics.docs import COLUMN_DOCS, STATE_COLUMN_DOCS
from optlake.analytics.indicators import rolling_corr, yield_curve_slopes
from optlake.analytics.intraday import BARS_PER_YEAR, INTRADAY_COLUMNS, compute_intraday
from optlake.analytics.state import (
    DAILY_STATE_COLUMNS,
    HISTORY_BARS,
    INTRADAY_STATE_COLUMNS,
    DailyState,
    IntradayState,
    TechState,
)

__all__ = [
    "BARS_PER_YEAR",
    "COLUMN_DOCS",
    "DAILY_COLUMNS",
    "DAILY_STATE_COLUMNS",
    "HISTORY_BARS",
    "INTRADAY_COLUMNS",
    "INTRADAY_STATE_COLUMNS",
    "STATE_COLUMN_DOCS",
    "TRADING_DAYS",
    "DailyBars",
    "DailyState",
    "IntradayBars",
    "IntradayState",
    "TechState",
    "compute_daily",
    "compute_intraday",
    "rolling_corr",
    "yield_curve_slopes",
]
