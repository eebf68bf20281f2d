"""One exact definition per output column (pasted into the dbt yml docs of indicators_daily/_intraday).

Notation: c, h, l, v = close, high, low, volume of the bar; t = the bar; "null" = NaN in numpy, null in
the table. Warm-up rows (fewer bars than the window) are null, never a partial-window value.
"""

from __future__ import annotations

COLUMN_DOCS: dict[str, str] = {
    "sma_20": "TA-Lib SMA(20): mean of the last 20 closes; null for the first 19 bars.",
    "sma_50": "TA-Lib SMA(50): mean of the last 50 closes; null for the first 49 bars.",
    "sma_200": "TA-Lib SMA(200): mean of the last 200 closes; null for the first 199 bars.",
    "ema_12": "TA-Lib EMA(12): k = 2/13; seeded at bar 11 by the SMA of the first 12 closes, then "
    "ema_t = (c_t - ema_{t-1}) * k + ema_{t-1}; null before bar 11.",
    "ema_26": "TA-Lib EMA(26): k = 2/27; seeded at bar 25 by the SMA of the first 26 closes, then "
    "ema_t = (c_t - ema_{t-1}) * k + ema_{t-1}; null before bar 25.",
    "macd": "TA-Lib MACD(12,26,9) line: fast EMA(12) - slow EMA(26), both starting at bar 25 (slow seeded by "
    "SMA(c_0..c_25), fast seeded late by SMA(c_14..c_25), so the fast EMA is not ema_12); null before bar 33 "
    "(TA-Lib's lookback).",
    "macd_signal": "TA-Lib MACD signal: EMA(9) (k = 2/10) of the MACD line, seeded at bar 33 by the mean of "
    "the line's values at bars 25..33; null before bar 33.",
    "macd_hist": "TA-Lib MACD histogram: macd - macd_signal; null before bar 33.",
    "roc_10": "TA-Lib ROC(10): (c_t / c_{t-10} - 1) * 100 (0 when c_{t-10} = 0); null for the first 10 bars.",
    "mom_10": "TA-Lib MOM(10): c_t - c_{t-10}; null for the first 10 bars.",
    "rsi_14": "TA-Lib RSI(14), Wilder: d_t = c_t - c_{t-1}; at bar 14 avg_gain = sum(max(d,0))/14 and "
    "avg_loss = sum(max(-d,0))/14 over d_1..d_14; then avg = (avg*13 + today's gain or loss)/14; "
    "rsi = 100 * avg_gain / (avg_gain + avg_loss), 0 when both are 0 (constant prices); null before bar 14.",
    "bb_upper": "TA-Lib BBANDS(20, 2, 2, SMA) upper band: sma_20 + 2 * sd, sd = population standard deviation "
    "(ddof = 0) of the last 20 closes; null for the first 19 bars.",
    "bb_middle": "TA-Lib BBANDS(20) middle band: sma_20.",
    "bb_lower": "TA-Lib BBANDS(20, 2, 2, SMA) lower band: sma_20 - 2 * sd (population sd of the last 20 closes).",
    "bb_width": "(bb_upper - bb_lower) / bb_middle (= 4 sd / sma_20); 0 over a constant window.",
    "bb_pct_b": "%b = (c - bb_lower) / (bb_upper - bb_lower); null when the bands coincide (constant window).",
    "atr_14": "TA-Lib ATR(14), Wilder: TR_t = max(h-l, |c_{t-1}-h|, |c_{t-1}-l|) (undefined at bar 0); at bar 14 "
    "atr = mean(TR_1..TR_14), then atr_t = (atr_{t-1}*13 + TR_t)/14; null before bar 14.",
    "hv_20": "Historical volatility: sample standard deviation (ddof = 1) of the last 20 log returns times "
    "sqrt(252) (daily) or sqrt(252*78) (5-minute bars); null until 20 returns exist (bar 20).",
    "obv": "TA-Lib OBV: obv_0 = v_0; obv_t = obv_{t-1} + v_t if c_t > c_{t-1}, - v_t if c_t < c_{t-1}, else unchanged.",
    "ad": "TA-Lib AD (Chaikin A/D line): ad_t = ad_{t-1} + ((c-l) - (h-c)) / (h-l) * v (unchanged when h = l), "
    "ad_{-1} = 0.",
    "log_return": "ln(c_t / c_{t-1}); null at the series' first bar.",
    "cum_return": "c_t / c_0 - 1, c_0 = the first close of the stored series.",
    "sharpe_63": "Annualised Sharpe over the last 63 daily excess returns e_t = (c_t / c_{t-1} - 1) - rf_t, "
    "rf_t = IRX_t / 100 / 252 (^IRX of the same date, percent): mean(e) / std(e, ddof = 1) * sqrt(252); "
    "null before bar 63, when a window misses ^IRX, or when std(e) = 0.",
    "sortino_63": "Annualised Sortino over the same 63 excess returns e: mean(e) / DD * sqrt(252), "
    "DD = sqrt(sum(min(e_i, 0)^2) / 63) (downside deviation below 0, divided by all 63 observations); "
    "null before bar 63 or when no e_i < 0 (DD = 0).",
    "drawdown": "c_t / peak_t - 1 with peak_t = max(c_0..c_t) (<= 0).",
    "max_drawdown": "min(drawdown_0..drawdown_t): the worst drawdown so far (<= 0, a negative fraction).",
    "beta_60": "cov(r, m) / var(m) over the last 60 daily log returns r of the symbol and m of SPX (both over "
    "consecutive rows of the symbol's series, SPX close aligned by date); null before bar 60, when a window "
    "misses SPX, or when var(m) = 0.",
    "corr_60": "Pearson correlation cov(r, m) / (sd(r) * sd(m)) over the same 60 log-return pairs as beta_60; "
    "null when either variance is 0.",
    "vwap": "Session VWAP: sum(tp * v) / sum(v) over the session's bars so far, tp = (h + l + c) / 3, reset at "
    "each session's first bar; null while the session's cumulated volume is 0.",
    "slope_10y_3m": "^TNX - ^IRX (10-year minus 13-week Treasury yield, percent points), same date.",
    "slope_10y_5y": "^TNX - ^FVX (10-year minus 5-year Treasury yield, percent points), same date.",
    "corr_btc_spy_60": "rolling_corr over 60 days of BTC's and SPY's daily log returns on the dates both have "
    "(same definition as corr_60).",
    "corr_eth_spy_60": "rolling_corr over 60 days of ETH's and SPY's daily log returns on the dates both have.",
}

STATE_COLUMN_DOCS: dict[str, str] = {
    "st_bar_count": "State: number of bars of the symbol processed up to and including this row.",
    "st_prev_close": "State: this row's close (the next bar's previous close).",
    "st_ema_12": "State: EMA(12) after this row (null until seeded).",
    "st_ema_26": "State: EMA(26) after this row; also MACD's slow EMA.",
    "st_macd_fast_ema": "State: MACD's own fast EMA(12) (seeded late at bar 25) after this row.",
    "st_macd_signal": "State: MACD signal EMA(9) after this row.",
    "st_rsi_avg_gain": "State: RSI(14) Wilder average gain after this row.",
    "st_rsi_avg_loss": "State: RSI(14) Wilder average loss after this row.",
    "st_atr_14": "State: ATR(14) after this row.",
    "st_obv": "State: OBV running total after this row.",
    "st_ad": "State: A/D line running total after this row.",
    "st_first_close": "State (daily): first close of the stored series (cum_return's base).",
    "st_peak_close": "State (daily): highest close so far.",
    "st_max_drawdown": "State (daily): worst drawdown so far.",
    "st_session_id": "State (intraday): session id of this row.",
    "st_vwap_pv": "State (intraday): sum of typical price x volume since the session's first bar.",
    "st_vwap_volume": "State (intraday): sum of volume since the session's first bar.",
}
