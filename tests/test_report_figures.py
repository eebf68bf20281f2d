"""`optlake report`'s figures and page from small frames (pure: no Spark, no browser)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optlake.cli import build_parser
from optlake.report.figures import (
    indicators_figure,
    load_health_figure,
    panels,
    signals_figure,
    surface_figure,
    term_structure_figure,
    vol_index_figure,
)
from optlake.report.page import render
from optlake.report.queries import DELTAS, Choice, _literal

DAY = dt.date(2025, 2, 4)
CHOICE = Choice("trading_db")


def surface_frame() -> pd.DataFrame:
    rows = []
    for tenor in (7, 30, 91):
        row = {"trade_date": DAY, "ts_recv": pd.Timestamp("2025-02-04 20:59"), "tenor_days": tenor}
        row |= {f"iv_d{d:02d}": 0.15 + 0.001 * d + 0.0001 * tenor for d in DELTAS}
        row |= {"atm_iv": 0.2, "rr_25": -0.02, "bf_25": 0.004, "in_range": tenor != 91, "options_used": 120}
        rows.append(row)
    rows[0]["iv_d90"] = None  # a grid point without quotes
    return pd.DataFrame(rows)


def vol_frame() -> pd.DataFrame:
    ts = pd.date_range("2025-02-03 15:00", periods=4, freq="30min")
    return pd.DataFrame(
        {"trade_date": [DAY] * 4, "ts_recv": ts, "vol_index": [17.1, 17.4, 16.9, 18.0], "status": ["ok"] * 4}
    )


def signals_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": ["gold_a", "gold_a", "gold_a", "gold_b"],
            "trade_date": [DAY, DAY, DAY - dt.timedelta(1), DAY],
            "signal": ["BUY_CALL", "HOLD", "HOLD", "SELL_IRON_CONDOR"],
            "signals": [3, 10, 7, 2],
        }
    )


def indicators_frame() -> pd.DataFrame:
    n = 5
    return pd.DataFrame(
        {
            "trade_date": [DAY - dt.timedelta(n - i) for i in range(n)],
            "close": [600.0 + i for i in range(n)],
            "sma_20": [599.0] * n,
            "sma_50": [None, None, 598.0, 598.5, 599.0],
            "bb_upper": [610.0] * n,
            "bb_lower": [590.0] * n,
            "rsi_14": [45.0, 50.0, 55.0, 60.0, 65.0],
            "macd": [0.1] * n,
            "macd_signal": [0.05] * n,
            "macd_hist": [0.05] * n,
        }
    )


def loads_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trade_date": [DAY - dt.timedelta(1), DAY],
            "files": [3, 4],
            "rows_loaded": [40_000, 39_990],
            "rows_quarantined": [0, 10],
            "rows_rejected": [0, 500],
            "files_rejected": [0, 1],
        }
    )


def test_surface_is_a_heatmap_in_volatility_points():
    fig = surface_figure(surface_frame(), "SPX")
    (heat,) = fig.data
    assert heat.type == "heatmap" and list(heat.y) == ["7d", "30d", "91d"] and len(heat.x) == len(DELTAS)
    assert heat.z[1][0] == pytest.approx(100 * (0.15 + 0.01 + 0.003)) and heat.z[0][-1] is None
    assert "2025-02-04" in fig.layout.title.text


def test_term_structure_marks_extrapolated_tenors():
    fig = term_structure_figure(surface_frame(), "SPX")
    atm, rr, bf = fig.data
    assert list(atm.x) == [7, 30, 91] and list(atm.y) == [20.0, 20.0, 20.0]
    assert list(atm.marker.symbol) == ["circle", "circle", "circle-open"]
    assert list(rr.y) == [-2.0] * 3 and rr.yaxis == "y2" and bf.y[0] == pytest.approx(0.4)


def test_vol_index_over_time():
    fig = vol_index_figure(vol_frame(), "SPX")
    assert len(fig.data[0].x) == 4 and list(fig.data[0].y) == [17.1, 17.4, 16.9, 18.0]


def test_signals_one_subplot_per_strategy_one_legend_entry_per_signal():
    fig = signals_figure(signals_frame())
    assert [a.text for a in fig.layout.annotations] == ["gold_a", "gold_b"]
    assert [(t.name, t.xaxis, t.showlegend) for t in fig.data] == [
        ("BUY_CALL", "x", True),
        ("HOLD", "x", True),
        ("SELL_IRON_CONDOR", "x2", True),
    ]
    hold = fig.data[1]
    assert list(hold.x) == ["2025-02-03", "2025-02-04"] and list(hold.y) == [7, 10]
    assert fig.layout.barmode == "stack"


def test_indicators_three_rows():
    fig = indicators_figure(indicators_frame(), "SPY")
    names = [t.name for t in fig.data]
    assert {"close", "sma_20", "sma_50", "bb_upper", "bb_lower", "rsi_14", "macd", "macd_signal"} <= set(names)
    assert {t.yaxis for t in fig.data} == {"y", "y2", "y3"}


def test_load_health_bars_on_a_log_scale():
    fig = load_health_figure(loads_frame())
    names = ["rows loaded", "rows quarantined", "rows of rejected files", "other files", "files rejected"]
    assert [t.name for t in fig.data] == names
    assert list(fig.data[1].y) == [0, 10] and list(fig.data[2].y) == [0, 500]
    assert list(fig.data[3].y) == [3, 3] and list(fig.data[4].y) == [0, 1] and fig.data[4].yaxis == "y2"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type != "log"


def test_missing_tables_give_panels_that_say_so():
    data = {
        "surface": "table trading_db.iv_surface_daily is not built",
        "vol_index": vol_frame(),
        "signals": signals_frame(),
        "indicators": "table trading_db.indicators_daily has no rows of XYZ",
        "load_health": loads_frame(),
    }
    data["signals"].attrs["not_built"] = ["gold_c"]
    drawn = panels(data, CHOICE)
    assert [p.key for p in drawn] == ["surface", "term", "vol-index", "signals", "indicators", "load-health"]
    by_key = {p.key: p for p in drawn}
    assert by_key["surface"].figure is None and "iv_surface_daily is not built" in by_key["surface"].missing
    assert by_key["term"].missing == by_key["surface"].missing
    assert by_key["indicators"].missing.endswith("no rows of XYZ")
    assert by_key["signals"].figure is not None and "not built: gold_c" in by_key["signals"].source
    page = render(drawn, CHOICE, dt.datetime(2025, 2, 5, 12, 0))
    assert page.count('class="chart missing"') == 3
    assert 'id="chart-surface" class="chart missing"' in page and "Not available: table trading_db.iv_surface" in page
    assert 'id="chart-signals"' in page and 'id="chart-load-health"' in page


def test_page_inlines_plotly_once_and_needs_no_network():
    data = {
        "surface": surface_frame(),
        "vol_index": vol_frame(),
        "signals": signals_frame(),
        "indicators": indicators_frame(),
        "load_health": loads_frame(),
    }
    page = render(panels(data, CHOICE), CHOICE, dt.datetime(2025, 2, 5, 12, 0))
    assert page.count("Plotly.newPlot(") == 6 and 'class="chart missing"' not in page
    assert page.count("plotly.js v") == 1  # the library's banner: inlined once
    assert "<script src=" not in page and "<link " not in page  # nothing loaded from elsewhere


def test_symbols_are_quoted_safely():
    assert _literal("BTC-USD") == "'BTC-USD'" and _literal("^VIX") == "'^VIX'"
    with pytest.raises(ValueError):
        _literal("SPY' or 1=1 --")


def test_cli_parses_report_options():
    args = build_parser().parse_args(["report", "--out", "x.html", "--symbol", "QQQ", "--day", "2025-02-04"])
    assert (args.command, args.out, args.symbol, args.underlying, args.day) == ("report", "x.html", "QQQ", "SPX", DAY)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "--day", "04/02/2025"])
