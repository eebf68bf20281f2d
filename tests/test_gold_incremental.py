"""Gold recomputes only what changed, for every strategy, on generated days built for real.

Days 1-2 built; the daily job on day 3 (each Gold table must append day 3 only, from its Iceberg
snapshot summaries); day 1 reloaded and run (each table recomputes day 1 and the days whose lookback
reaches it, nothing else); one symbol re-run by name (only its rows change); then a full rebuild of
every strategy, which must equal the incremental history row for row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from landings import copied_landing
from optlake.bronze import load
from optlake.bronze.spec import trade_date_from_name
from optlake.generator import generate
from optlake.jobs.daily import daily
from optlake.jobs.strategy import run_strategies, switchboard
from optlake.settings import PROJECT_DIR, Settings

DAYS = (dt.date(2025, 1, 27), dt.date(2025, 1, 28), dt.date(2025, 1, 29))
SCHEMA = "gold_inc"
STRATEGIES = [s.model for s in switchboard(PROJECT_DIR) if s.active]
UPSTREAM = ("run", "--select", "tag:silver", "yield_curve_daily", "option_analytics")
#: The days a reload of day 1 must recompute, per strategy (its lookback_days, calendar days).
RELOAD_RECOMPUTES = {
    "gold_laymanspystrategy": {DAYS[0]},
    "gold_ironcondorstrategy": {DAYS[0]},
    "gold_deltaironcondorstrategy": {DAYS[0]},
    "gold_rsibollingerstrategy": set(DAYS),  # lookback 4 days: days 2 and 3 read day 1
    "gold_vixadaptivestrategy": set(DAYS),  # lookback 4 days
}


def day_state(spark, table: str) -> dict[dt.date, tuple[int, object]]:
    """Per trade date: (rows, newest computed_at)."""
    rows = spark.sql(f"select trade_date, count(*), max(computed_at) from {SCHEMA}.{table} group by 1").collect()
    return {r[0]: (r[1], r[2]) for r in rows}


def last_snapshot(spark, table: str) -> int:
    return spark.sql(
        f"select max(committed_at), max_by(snapshot_id, committed_at) from {SCHEMA}.{table}.snapshots"
    ).collect()[0][1]


def snapshots_after(spark, table: str, snapshot_id: int) -> list[dict]:
    rows = spark.sql(
        f"select snapshot_id, operation, summary from {SCHEMA}.{table}.snapshots order by committed_at"
    ).collect()
    ids = [r["snapshot_id"] for r in rows]
    return [dict(r["summary"], operation=r["operation"]) for r in rows[ids.index(snapshot_id) + 1 :]]


def content(spark, table: str) -> Counter:
    """The table's rows without computed_at, as a multiset."""
    frame = spark.table(f"{SCHEMA}.{table}").drop("computed_at")
    return Counter(tuple(r) for r in frame.collect())


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[dt.date, list]:
    folder = tmp_path_factory.mktemp("goldgen")
    paths = generate(folder, len(DAYS), 20_000, DAYS[0], sets=("options", "bars"))
    return {day: [p for p in paths if trade_date_from_name(p.name) == day] for day in DAYS}


@pytest.fixture(scope="module")
def history(spark, dbt, settings, files, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("goldland")
    here = Settings(PROJECT_DIR, settings.warehouse, SCHEMA, "local")
    spark.sql(f"create database if not exists {SCHEMA}")
    found: dict = {}
    load(spark, copied_landing(tmp / "d12", files[DAYS[0]] + files[DAYS[1]]), SCHEMA)
    dbt(SCHEMA, "seed", "--select", "instruments", "option_roots", "trading_calendar", "underlying_map")
    dbt(SCHEMA, *UPSTREAM)
    run_strategies(here)
    found["days12"] = {t: day_state(spark, t) for t in STRATEGIES}
    found["before_day3"] = {t: last_snapshot(spark, t) for t in STRATEGIES}

    daily(spark, here, copied_landing(tmp / "d3", files[DAYS[2]]))  # the daily job on a new day
    found["day3"] = {t: day_state(spark, t) for t in STRATEGIES}
    found["day3_snapshots"] = {t: snapshots_after(spark, t, found["before_day3"][t]) for t in STRATEGIES}

    load(spark, copied_landing(tmp / "again", files[DAYS[0]]), SCHEMA, reprocess=True)
    dbt(SCHEMA, *UPSTREAM)
    run_strategies(here)
    found["reload"] = {t: day_state(spark, t) for t in STRATEGIES}

    aapl = "symbol = 'AAPL'"
    before = spark.sql(f"select symbol, ts_start, computed_at from {SCHEMA}.gold_vixadaptivestrategy").collect()
    run_strategies(here, ["VIXAdaptive"], ["AAPL"])
    after = spark.sql(f"select symbol, ts_start, computed_at from {SCHEMA}.gold_vixadaptivestrategy").collect()
    found["rerun"] = (before, after, aapl)

    found["incremental"] = {t: content(spark, t) for t in STRATEGIES}
    run_strategies(here, STRATEGIES, full_refresh=True)
    found["rebuilt"] = {t: content(spark, t) for t in STRATEGIES}
    return found


def test_every_active_strategy_is_covered() -> None:
    assert set(STRATEGIES) == set(RELOAD_RECOMPUTES)


def test_a_new_day_appends_only_that_day(history) -> None:
    for table in STRATEGIES:
        before, after = history["days12"][table], history["day3"][table]
        assert set(before) == set(DAYS[:2]) and set(after) == set(DAYS), table
        assert {d: after[d] for d in DAYS[:2]} == before, table  # days 1-2 untouched
        summaries = history["day3_snapshots"][table]
        assert [s["operation"] for s in summaries] == ["append"], (table, summaries)
        assert summaries[0]["changed-partition-count"] == "1", (table, summaries)
        assert int(summaries[0]["added-records"]) == after[DAYS[2]][0], table


def test_a_reloaded_day_recomputes_it_and_the_days_that_read_it(history) -> None:
    for table, expected in RELOAD_RECOMPUTES.items():
        before, after = history["day3"][table], history["reload"][table]
        recomputed = {d for d in DAYS if after[d][1] != before[d][1]}
        assert recomputed == expected, table
        assert {d: after[d][0] for d in DAYS} == {d: before[d][0] for d in DAYS}, table  # same rows


def test_a_named_symbol_rerun_replaces_only_its_rows(history) -> None:
    before, after, _ = history["rerun"]
    old = {(r[0], r[1]): r[2] for r in before}
    new = {(r[0], r[1]): r[2] for r in after}
    assert set(old) == set(new) and any(k[0] == "AAPL" for k in new)
    changed = {k for k in new if new[k] != old[k]}
    assert changed == {k for k in new if k[0] == "AAPL"}


def test_incremental_history_equals_a_full_rebuild(history) -> None:
    for table in STRATEGIES:
        assert history["incremental"][table] == history["rebuilt"][table], table
        assert sum(history["rebuilt"][table].values()) > 0, table


def decisions(spark) -> dict[tuple, int]:
    rows = spark.sql(
        f"select decision_source, fallback_reason, count(*) from {SCHEMA}.gold_rsibollingerstrategy group by 1, 2"
    ).collect()
    return {(r[0], r[1]): r[2] for r in rows}


def test_the_rsi_strategy_scores_with_a_trained_model_and_falls_back_on_a_corrupt_one(
    spark, dbt, settings, history, tmp_path
) -> None:
    from optlake.jobs.train_scorer import train_scorer

    total = sum(decisions(spark).values())
    absent = tmp_path / "absent.onnx"
    dbt(SCHEMA, "run", "--select", "gold_rsibollingerstrategy", "--vars", f"{{rsi_bollinger_scorer: '{absent}'}}")
    assert decisions(spark) == {("rule", "model_file_missing"): total}
    model = tmp_path / "rsi.onnx"
    report = train_scorer(spark, Settings(PROJECT_DIR, settings.warehouse, SCHEMA, "local"), str(model))
    assert report["rows"] > 1000 and len(report["classes"]) == 3
    # a new model file changes every day's fingerprint: the run rescores the whole history
    dbt(SCHEMA, "run", "--select", "gold_rsibollingerstrategy", "--vars", f"{{rsi_bollinger_scorer: '{model}'}}")
    scored = decisions(spark)
    assert set(scored) == {("model", None), ("rule", "features_incomplete")} and sum(scored.values()) == total
    assert scored[("model", None)] > scored[("rule", "features_incomplete")]
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(model.read_bytes()[:200])
    dbt(SCHEMA, "run", "--select", "gold_rsibollingerstrategy", "--vars", f"{{rsi_bollinger_scorer: '{corrupt}'}}")
    assert decisions(spark) == {("rule", "model_unreadable"): total}


@pytest.mark.parametrize(("frequency", "bars"), [("1m", "bars_1m"), ("daily", "bars_daily")])
def test_the_rsi_strategy_runs_on_each_bar_frequency(spark, dbt, history, frequency, bars) -> None:
    dbt(SCHEMA, "run", "--select", "gold_rsibollingerstrategy", "--vars", f"{{rsi_bollinger_frequency: {frequency}}}")
    classes = "asset_class in ('equity', 'etf', 'index')"
    expected = spark.sql(f"select count(*) from {SCHEMA}.{bars} where {classes}").collect()[0][0]
    got = spark.sql(f"select count(*), count(distinct symbol) from {SCHEMA}.gold_rsibollingerstrategy").collect()[0]
    assert got[0] == expected > 0 and got[1] == 19
