"""`optlake daily` in one process: Bronze, Silver and the active strategies for a new day."""

from __future__ import annotations

import datetime as dt

from logcapture import captured_log
from optlake.bronze.landing import LocalLanding
from optlake.generator import generate
from optlake.jobs.daily import daily
from optlake.settings import PROJECT_DIR, Settings


def test_daily_loads_and_builds_every_layer(spark, settings, tmp_path):
    schema = "daily_job"
    spark.sql(f"create database if not exists {schema}")
    day = dt.date(2025, 2, 3)
    generate(tmp_path, days=1, rows_per_day=5_000, start=day, sets=("options", "bars"), history_days=30)
    here = Settings(PROJECT_DIR, settings.warehouse, schema, "local")
    with captured_log() as said:
        seconds = daily(spark, here, LocalLanding(tmp_path), test=True)

    assert set(seconds) == {"bronze", "silver", "analytics", "gold", "dbt", "test"} and all(
        s > 0 for s in seconds.values()
    )
    assert any(line.startswith("dbt test of 2024-12-18, ") and line.endswith(", 2025-02-03") for line in said)
    # --test: the generic tests read the loaded day only (macros/test_days.sql), grain tests included
    compiled = PROJECT_DIR / "target" / "compiled" / "optlake" / "models"
    texts = [
        (compiled / "bars" / "_bars__models.yml" / "unique_key_combination_bars_5m_symbol__ts_start.sql").read_text(),
        (compiled / "silver" / "_silver__models.yml" / "not_null_enriched_options_silver_root.sql").read_text(),
    ]
    assert all(
        "where trade_date in (date '2024-12-18', " in t and "date '2025-02-03')) dbt_subquery" in t for t in texts
    )

    def count(table):
        return spark.sql(f"select count(*) from {schema}.{table} where trade_date = date'{day}'").collect()[0][0]

    assert count("bronze_options_chain") == count("enriched_options_silver") == 5_000
    assert (
        count("gold_laymanspystrategy")
        == spark.sql(f"select count(*) from {schema}.enriched_options_silver where underlying = 'SPY'").collect()[0][0]
        > 0
    )
    assert count("gold_ironcondorstrategy") > 0

    def bars_5m(classes: str) -> int:
        where = f"trade_date = date'{day}' and asset_class in ({classes})"
        return spark.sql(f"select count(*) from {schema}.bars_5m where {where}").collect()[0][0]

    # the bar strategies: one row per 5-minute bar of their asset classes
    assert count("gold_rsibollingerstrategy") == bars_5m("'equity', 'etf', 'index'") > 0
    assert count("gold_vixadaptivestrategy") == bars_5m("'equity'") > 0
    # The daily analytics step computes the options' snapshots (every 30 minutes and the last minute).
    assert 0 < count("option_analytics") < count("enriched_options_silver")
    assert count("vol_index") > 0 and count("iv_surface_daily") > 0
    assert count("bars_daily") == 28  # one daily bar for every instrument of the seed
    spy = spark.sql(
        f"select close, sma_20, rsi_14 from {schema}.indicators_daily where symbol = 'SPY' and trade_date = date'{day}'"
    ).collect()
    assert len(spy) == 1 and spy[0]["sma_20"] is not None and 0 < spy[0]["rsi_14"] < 100
    assert said[-1].startswith("daily: bronze ")
    assert "dbt seed (missing on this warehouse: instruments, option_roots, trading_calendar, underlying_map)" in said
