"""Silver and Gold incremental behaviour, proved from Iceberg metadata, on generated days.

One scenario, in order: build day 1; load day 2 and build (only day 2's partition is written);
build again with nothing new (Silver commits nothing, Gold content unchanged); reload day 1 and
build (only day 1's partition is replaced); reload day 2 as a file whose every line is bad (its
rows leave Bronze, so they leave Silver too).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.bronze.specs import cbbo
from optlake.generator import generate

SCHEMA = "incremental_scenario"
DAY1, DAY2 = dt.date(2025, 1, 27), dt.date(2025, 1, 28)
ROWS = 3000
SILVER = f"{SCHEMA}.enriched_options_silver"
REJECTED = f"{SCHEMA}.enriched_options_silver_rejected"
GOLD = (f"{SCHEMA}.gold_laymanspystrategy", f"{SCHEMA}.gold_ironcondorstrategy")
#: The pipeline without the option analytics and what reads them (tested in test_option_analytics_models).
BUILD = ("--exclude", "option_analytics+")


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> dict[dt.date, Path]:
    """Two generated days, each in its own landing folder, plus bad quotes appended to day 1."""
    generated = tmp_path_factory.mktemp("generated")
    generate(generated, days=2, rows_per_day=ROWS, start=DAY1)
    folders = {}
    for day in (DAY1, DAY2):
        folder = tmp_path_factory.mktemp(f"landing-{day}")
        shutil.copy(generated / cbbo.file_name(day), folder)
        folders[day] = folder
    with (folders[DAY1] / cbbo.file_name(DAY1)).open("a") as f:  # two instruments: one quote each per minute
        f.write(
            "2025-01-27T15:00:00.000000000Z,,193,30,7,N,,0,200,2.000000000,1.000000000,3,4,0,0,SPY   250131C00600000\n"
        )
        f.write(
            "2025-01-27T15:00:00.000000000Z,,193,30,8,N,,0,200,1.000000000,2.000000000,3,4,0,0,SPY   250124C00600000\n"
        )
    return folders


def load_day(spark, folder: Path, reprocess: bool = False) -> None:
    load(spark, LocalLanding(folder), SCHEMA, reprocess=reprocess)


def snapshots(spark, table: str) -> list[dict]:
    rows = spark.sql(f"select snapshot_id, operation, summary from {table}.snapshots order by committed_at").collect()
    return [r.asDict() for r in rows]


def files_of(spark, table: str, day: dt.date) -> set[str]:
    rows = spark.sql(f"select file_path from {table}.files where partition.trade_date = date'{day}'").collect()
    return {r[0] for r in rows}


def per_day(spark, table: str) -> dict[dt.date, int]:
    return {r[0]: r[1] for r in spark.sql(f"select trade_date, count(*) from {table} group by 1").collect()}


def content(spark, table: str) -> list[tuple]:
    return sorted(tuple(str(v) for v in r) for r in spark.table(table).collect())


def assert_reconciled(spark) -> None:
    bronze = per_day(spark, f"{SCHEMA}.bronze_options_chain")
    silver, rejected = per_day(spark, SILVER), per_day(spark, REJECTED)
    assert {d: silver.get(d, 0) + rejected.get(d, 0) for d in bronze} == bronze


@pytest.fixture(scope="module")
def day1_built(spark, dbt, days):
    spark.sql(f"create database if not exists {SCHEMA}")
    load_day(spark, days[DAY1])
    dbt(SCHEMA, "build", *BUILD)


def test_first_build_reconciles_and_rejects_the_bad_quotes(spark, day1_built):
    assert per_day(spark, f"{SCHEMA}.bronze_options_chain") == {DAY1: ROWS + 2}
    assert_reconciled(spark)
    reasons = spark.sql(f"select reject_reason, count(*) from {REJECTED} group by 1").collect()
    assert {r[0]: r[1] for r in reasons} == {"ask_below_bid": 1, "expiry_before_trade_date": 1}
    assert len(snapshots(spark, SILVER)) == 1


@pytest.fixture(scope="module")
def day2_built(spark, dbt, days, day1_built):
    before = {"snapshots": snapshots(spark, SILVER), "day1_files": files_of(spark, SILVER, DAY1)}
    load_day(spark, days[DAY2])
    dbt(SCHEMA, "build", *BUILD)
    return before


def test_a_new_day_writes_only_its_own_partition(spark, day2_built):
    after = snapshots(spark, SILVER)
    new = after[len(day2_built["snapshots"]) :]
    assert len(new) == 1, "one Silver commit for the new day"
    assert new[0]["summary"]["changed-partition-count"] == "1"
    assert new[0]["summary"]["added-records"] == str(ROWS)
    assert new[0]["summary"].get("deleted-records", "0") == "0"
    assert files_of(spark, SILVER, DAY1) == day2_built["day1_files"], "day 1's data files untouched"
    assert_reconciled(spark)


def test_the_day_filter_reaches_the_bronze_scan_through_both_views(spark, day2_built):
    # What the incremental models send: date literals on int_quotes_classified (over the staging
    # view). Spark must push them into the Iceberg scan of Bronze, which then reads only those days.
    plan = spark.sql(
        f"explain select * from {SCHEMA}.int_quotes_classified where trade_date in (date'{DAY1}', date'{DAY2}')"
    ).collect()[0][0]
    scans = [line for line in plan.splitlines() if "BatchScan" in line and ".bronze_options_chain" in line]
    epoch_days = [(day - dt.date(1970, 1, 1)).days for day in (DAY1, DAY2)]
    assert len(scans) == 1 and f"filters=trade_date IN ({epoch_days[0]}, {epoch_days[1]})" in scans[0], plan
    one_day = spark.sql(f"select count(*) from {SCHEMA}.int_quotes_classified where trade_date = date'{DAY2}'")
    assert one_day.collect()[0][0] == ROWS


def test_gold_keeps_signal_history_per_day(spark, day2_built):
    layman = per_day(spark, GOLD[0])
    assert set(layman) == {DAY1, DAY2}
    silver_spy = spark.sql(f"select trade_date, count(*) from {SILVER} where underlying = 'SPY' group by 1").collect()
    assert layman == {r[0]: r[1] for r in silver_spy}, "one signal row per SPY quote per day, no duplicates"


@pytest.fixture(scope="module")
def rebuilt_unchanged(spark, dbt, day2_built):
    tables = (SILVER, REJECTED, *GOLD)
    before = {t: (snapshots(spark, t), content(spark, t)) for t in tables}
    dbt(SCHEMA, "build", *BUILD)
    return before


def test_an_unchanged_rebuild_commits_nothing_to_silver(spark, rebuilt_unchanged):
    for table in (SILVER, REJECTED):
        assert snapshots(spark, table) == rebuilt_unchanged[table][0], table


def test_building_twice_gives_the_same_tables(spark, rebuilt_unchanged):
    for table, (_, rows) in rebuilt_unchanged.items():
        assert content(spark, table) == rows, table


def test_a_reloaded_day_replaces_only_its_partition(spark, dbt, days, rebuilt_unchanged):
    before = snapshots(spark, SILVER)
    day2_files = files_of(spark, SILVER, DAY2)
    load_day(spark, days[DAY1], reprocess=True)
    new_load = spark.sql(
        f"select max(load_id) from {SCHEMA}.bronze_options_chain where trade_date = date'{DAY1}'"
    ).collect()[0][0]
    dbt(SCHEMA, "build", *BUILD)
    new = snapshots(spark, SILVER)[len(before) :]
    assert len(new) == 1
    assert new[0]["summary"]["changed-partition-count"] == "1"
    assert new[0]["summary"]["deleted-records"] == str(ROWS)
    assert files_of(spark, SILVER, DAY2) == day2_files, "day 2's data files untouched"
    loads = spark.sql(f"select distinct bronze_load_id from {SILVER} where trade_date = date'{DAY1}'").collect()
    assert [r[0] for r in loads] == [new_load]
    assert_reconciled(spark)


def test_a_day_that_leaves_bronze_leaves_silver(spark, dbt, tmp_path, rebuilt_unchanged):
    # Reloading day 2's file with only a truncated line quarantines it: Bronze has no day 2 left.
    (tmp_path / cbbo.file_name(DAY2)).write_text(f"{cbbo.HEADER}\n2025-01-28T14:31:00.0000\n")
    load_day(spark, tmp_path)
    assert DAY2 not in per_day(spark, f"{SCHEMA}.bronze_options_chain")
    dbt(SCHEMA, "build", *BUILD)
    assert DAY2 not in per_day(spark, SILVER)
    assert DAY2 not in per_day(spark, REJECTED)
    assert_reconciled(spark)
