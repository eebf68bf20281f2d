"""Iceberg maintenance (macros/maintenance.sql through optlake.jobs.maintenance) on real tables:
compaction keeps the rows, expiry keeps the configured snapshots, a dry run changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.generator import generate
from optlake.jobs.dbt_invoke import DbtError
from optlake.jobs.maintenance import run_maintenance
from optlake.settings import PROJECT_DIR, Settings

TABLE = "bronze_options_chain"
COMMITS = 12  # a streaming-style run: many small commits


@pytest.fixture(scope="module")
def small_files(spark, settings, tmp_path_factory):
    """A schema whose Bronze options table holds two days in many small files (one per commit)."""
    schema = "maintenance_small_files"
    spark.sql(f"create database if not exists {schema}")
    landing = tmp_path_factory.mktemp("landing")
    generate(landing, days=2, rows_per_day=3_000, start=dt.date(2025, 2, 3))
    load(spark, LocalLanding(landing), schema)
    table = f"{schema}.{TABLE}"
    spark.sql(f"create table {schema}.rows_once using parquet as select * from {table}")
    spark.sql(f"delete from {table} where true")
    for part in range(COMMITS):
        spark.sql(f"insert into {table} select * from {schema}.rows_once where pmod(instrument_id, {COMMITS}) = {part}")
    return Settings(PROJECT_DIR, settings.warehouse, schema, "local")


def checksum(spark, table: str) -> tuple[int, int]:
    return tuple(spark.sql(f"select count(*), sum(xxhash64(*)) from {table}").collect()[0])


def stats(spark, table: str) -> tuple[int, int]:
    files = spark.sql(f"select count(*) from {table}.data_files").collect()[0][0]
    snapshots = spark.sql(f"select count(*) from {table}.snapshots").collect()[0][0]
    return files, snapshots


def files_on_disk(spark, table: str) -> set[Path]:
    location = spark.sql(f"describe table extended {table}").where("col_name = 'Location'").collect()[0][1]
    root = Path(location.removeprefix("file:"))
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_dry_run_measures_and_changes_nothing(spark, small_files):
    table = f"{small_files.schema}.{TABLE}"
    before = (stats(spark, table), files_on_disk(spark, table), checksum(spark, table))
    report = run_maintenance(small_files, [TABLE], dry_run=True)

    assert (stats(spark, table), files_on_disk(spark, table), checksum(spark, table)) == before
    [entry] = report.tables
    assert entry["status"] == "dry_run" and "after" not in entry
    assert entry["before"]["data_files"] == before[0][0] >= COMMITS  # a file per commit at least
    assert entry["before"]["snapshots"] == before[0][1] == COMMITS + 2  # the load, the delete, the inserts
    assert entry["orphan_files"] == []
    assert [s.split("(")[0] for s in entry["statements"]] == [
        "call spark_catalog.system.rewrite_data_files",
        "call spark_catalog.system.rewrite_manifests",
        "call spark_catalog.system.expire_snapshots",
        "call spark_catalog.system.remove_orphan_files",
    ]
    assert "retain_last => 30" in entry["statements"][2]  # the bronze layer's retention (dbt_project.yml)
    assert report.lines()[0] == "Iceberg maintenance (dry run: nothing changed)"


def test_compaction_and_expiry_keep_the_rows_and_the_kept_snapshots(spark, small_files):
    table = f"{small_files.schema}.{TABLE}"
    rows = checksum(spark, table)
    files, snapshots = stats(spark, table)
    manifests = spark.sql(f"select count(*) from {table}.manifests").collect()[0][0]
    history = [r[0] for r in spark.sql(f"select snapshot_id from {table}.snapshots order by committed_at").collect()]

    report = run_maintenance(small_files, [TABLE], retain_last=3, max_snapshot_age_days=0)

    assert checksum(spark, table) == rows  # identical content
    new_files, new_snapshots = stats(spark, table)
    partitions = spark.sql(f"select count(*) from {table}.partitions").collect()[0][0]
    assert new_files == partitions < files  # one file per partition
    assert new_snapshots == 3
    kept = [r[0] for r in spark.sql(f"select snapshot_id from {table}.snapshots order by committed_at").collect()]
    # the two maintenance commits (compaction, manifests) and the last insert before them
    assert kept[0] == history[-1]
    last_insert = spark.sql(f"select count(*) from {table} version as of {kept[0]}").collect()[0][0]
    assert last_insert == rows[0]  # time travel to a kept snapshot works
    with pytest.raises(Exception, match="Cannot find snapshot"):
        spark.sql(f"select count(*) from {table} version as of {history[0]}").collect()
    [entry] = report.tables
    assert entry["before"] == {
        "data_files": files,
        "bytes": entry["before"]["bytes"],
        "manifests": manifests,
        "snapshots": snapshots,
    }
    assert entry["after"]["data_files"] == new_files and entry["after"]["snapshots"] == 3
    assert entry["after"]["manifests"] == 1 < manifests  # rewritten into one
    assert report.total("after", "data_files") == new_files


def test_unknown_tables_and_bad_retention_are_refused(small_files):
    with pytest.raises(DbtError):
        run_maintenance(small_files, ["no_such_table"], dry_run=True)
    with pytest.raises(ValueError, match="retain_last must keep at least 1 snapshot"):
        run_maintenance(small_files, [TABLE], retain_last=0)
