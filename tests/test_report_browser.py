"""`optlake report` and the `dbt docs` site in a real headless Chromium (Debian's chromium-headless-shell).

A small real warehouse is built once (generated quotes and bars, a rejected file and a quarantined
line, loaded into Bronze; dbt builds the surface, the vol index, the indicators and two strategies),
the report is written from it and opened from file://: every chart's div holds a plotly SVG with
drawn marks and the screenshot is not blank. The vol index needs dense chains: one day of a million
quotes. A page drawn from small frames is checked the same way, and a missing table's panel. The dbt
docs site of that warehouse is served over HTTP (it loads its JSON by XHR) and its lineage graph
(cytoscape, canvases) renders and is drawn.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import headless
from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.generator import generate
from optlake.report.cli import write_report
from optlake.report.figures import panels
from optlake.report.page import render
from optlake.report.queries import DELTAS, Choice
from optlake.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

SCHEMA = "report_browser"
START = dt.date(2025, 2, 3)
CHARTS = ("surface", "term", "vol-index", "signals", "indicators", "load-health")
MODELS = ("+iv_surface_daily", "+vol_index", "+indicators_daily", "+gold_laymanspystrategy", "+gold_ironcondorstrategy")
WINDOW = (1280, 4400)  # the whole report in one screenshot


@pytest.fixture(scope="module", autouse=True)
def chromium() -> None:
    assert headless.browser(), "no headless Chromium: run `make browser-deps` (scripts/install-browser-deps.sh)"


@pytest.fixture(scope="module")
def built(spark, dbt, tmp_path_factory) -> Path:
    """The module's warehouse schema, built; returns the dbt target folder (with the docs site)."""
    landing = tmp_path_factory.mktemp("landing")
    generate(landing, days=1, rows_per_day=1_000_000, start=START, sets=("options", "bars"), history_days=25)
    history = landing / "xnas-itch-20250130.ohlcv-1d.csv"
    with history.open("a") as f:
        f.write("not,a,bar\n")  # one line to quarantine
    (landing / "broken-20250203.csv").write_text("hello\n1,2\n")  # rejected: no known header
    spark.sql(f"create database if not exists {SCHEMA}")
    load(spark, LocalLanding(landing), SCHEMA)
    dbt(SCHEMA, "seed")
    dbt(SCHEMA, "run", "--select", *MODELS)
    dbt(SCHEMA, "docs", "generate")
    return dbt.target_path / PROJECT_DIR.name


def chart_marks(dom: str, chart: str) -> tuple[int, int]:
    """(plotly SVG roots, drawn data marks) inside the chart's div."""
    inside = headless.elements(dom, f"chart-{chart}")
    return sum("main-svg" in e.classes for e in inside), headless.plotly_marks(inside)


def assert_not_blank(png: Path, min_colours: int = 50) -> None:
    share, colours = headless.ink(headless.read_png(png))
    assert share > 0.02 and colours >= min_colours, f"{png.name}: {share:.1%} non-white pixels, {colours} colours"


def test_report_renders_every_chart_in_chromium(spark, built, settings, tmp_path):
    page = write_report(spark, Choice(SCHEMA), PROJECT_DIR, tmp_path / "out" / "report.html")
    assert page.is_file() and page.stat().st_size > 3_000_000  # plotly.js inlined
    dom = headless.dump_dom(page.as_uri(), size=WINDOW)
    drawn = {chart: chart_marks(dom, chart) for chart in CHARTS}
    for chart, (roots, marks) in drawn.items():
        assert roots >= 1 and marks >= 1, f"chart {chart}: {roots} plotly SVGs, {marks} marks drawn"
    assert 'data-missing="true"' not in dom
    # the term structure's 3 lines; both strategies' signals
    assert drawn["term"][1] >= 3 and drawn["signals"][1] >= 2
    assert "gold_laymanspystrategy" in dom and "gold_ironcondorstrategy" in dom
    health = spark.sql(
        f"select sum(rows_quarantined), sum(case when status = 'rejected' then 1 else 0 end) "
        f"from {SCHEMA}.bronze_load_audit"
    ).collect()[0]
    assert tuple(health) == (1, 1)
    assert_not_blank(headless.screenshot(page.as_uri(), tmp_path / "report.png", size=WINDOW))


def small_frames() -> dict[str, pd.DataFrame]:
    day = START
    surface = pd.DataFrame(
        [
            {"trade_date": day, "ts_recv": pd.Timestamp("2025-02-03 21:00"), "tenor_days": t}
            | {f"iv_d{d:02d}": 0.12 + 0.002 * (90 - d) / 8 + 0.0002 * t for d in DELTAS}
            | {"atm_iv": 0.15 + 0.0002 * t, "rr_25": -0.03, "bf_25": 0.005, "in_range": t < 182, "options_used": 400}
            for t in (7, 14, 30, 60, 91, 182, 365)
        ]
    )
    ts = pd.date_range("2025-02-03 15:00", periods=14, freq="30min")
    vol = pd.DataFrame({"trade_date": day, "ts_recv": ts, "vol_index": 17 + np.sin(np.arange(14)), "status": "ok"})
    signals = pd.DataFrame(
        {"strategy": ["gold_a", "gold_a", "gold_b"], "trade_date": [day] * 3, "signal": ["BUY_CALL", "HOLD", "HOLD"]}
        | {"signals": [5, 20, 7]}
    )
    days = [day - dt.timedelta(days=30 - i) for i in range(30)]
    close = 600 + np.cumsum(np.sin(np.arange(30)))
    indicators = pd.DataFrame(
        {"trade_date": days, "close": close, "sma_20": close - 1, "sma_50": close - 2, "bb_upper": close + 5}
        | {"bb_lower": close - 5, "rsi_14": 50 + 10 * np.sin(np.arange(30)), "macd": 0.5, "macd_signal": 0.4}
        | {"macd_hist": 0.1}
    )
    loads = pd.DataFrame(
        {"trade_date": [day], "files": [5], "rows_loaded": [300_000], "rows_quarantined": [1]}
        | {"rows_rejected": [0], "files_rejected": [1]}
    )
    return {"surface": surface, "vol_index": vol, "signals": signals, "indicators": indicators, "load_health": loads}


def test_page_from_small_frames_draws_all_six_charts(tmp_path):
    choice = Choice("trading_db")
    page = tmp_path / "report.html"
    page.write_text(render(panels(small_frames(), choice), choice, dt.datetime(2025, 2, 4)), encoding="utf-8")
    dom = headless.dump_dom(page.as_uri(), size=WINDOW)
    for chart in CHARTS:
        roots, marks = chart_marks(dom, chart)
        assert roots >= 1 and marks >= 1, f"chart {chart}: {roots} plotly SVGs, {marks} marks drawn"
    assert 'data-missing="true"' not in dom
    assert_not_blank(headless.screenshot(page.as_uri(), tmp_path / "report.png", size=WINDOW))


def test_missing_table_panel_in_chromium(spark, built, tmp_path):
    """A schema without the analytics: their panels say what is missing, the others still draw."""
    spark.sql(f"create database if not exists {SCHEMA}_bare")
    spark.sql(
        f"create table if not exists {SCHEMA}_bare.bronze_load_audit using iceberg as select * from {SCHEMA}.bronze_load_audit"
    )
    page = write_report(spark, Choice(f"{SCHEMA}_bare"), PROJECT_DIR, tmp_path / "bare.html")
    dom = headless.dump_dom(page.as_uri(), size=WINDOW)
    assert chart_marks(dom, "load-health")[1] >= 1
    for chart in ("surface", "term", "vol-index", "signals", "indicators"):
        assert chart_marks(dom, chart) == (0, 0)
    assert dom.count('data-missing="true"') == 5
    assert f"Not available: table {SCHEMA}_bare.iv_surface_daily is not built" in dom


@pytest.fixture(scope="module")
def docs_site(built):
    """The dbt docs site of the module's warehouse over HTTP on a free port (it loads its JSON by XHR)."""
    handler = functools.partial(QuietHandler, directory=str(built))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.mark.parametrize("route", ["#!/overview?g_v=1", "#!/model/model.optlake.iv_surface_daily?g_v=1"])
def test_dbt_docs_lineage_graph_renders(docs_site, built, route, tmp_path):
    assert {"index.html", "manifest.json", "catalog.json"} <= {p.name for p in built.iterdir()}
    url = docs_site + route
    dom = headless.dump_dom(url, size=(1400, 1000), budget_ms=20_000)
    graph = headless.elements(dom, "cy")
    layers = {e.attrs.get("data-id") for e in graph if e.tag == "canvas"}
    assert {"layer0-selectbox", "layer1-drag", "layer2-node"} <= layers, "cytoscape's canvases are missing"
    assert "iv_surface_daily" in dom and "Lineage Graph" in dom
    image = headless.read_png(headless.screenshot(url, tmp_path / "docs.png", size=(1400, 1000), budget_ms=20_000))
    # The graph panel: a plain background with the nodes and edges drawn on it.
    panel = image[120:880, 60:1340].reshape(-1, 3).astype(np.uint32)
    packed = (panel[:, 0] << 16) | (panel[:, 1] << 8) | panel[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    background = values[counts.argmax()]
    drawn = float(np.mean(packed != background))
    assert 0.005 < drawn < 0.5 and values.size > 30, f"graph panel: {drawn:.1%} drawn, {values.size} colours"
