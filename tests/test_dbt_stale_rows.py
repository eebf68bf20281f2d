"""No stale Silver rows: for every processed day, each Silver table holds exactly what Bronze gives
it now, including when a reload moves all of a day's rows from one table to the other, and when a
dbt run is killed part-way.

In the test session's warehouse: a day whose quotes are all valid is reloaded with every quote now
invalid (all of its rows move from Silver to the rejected table), then reloaded valid again (back).

In a warehouse of its own, driven by this file run as a script in child processes (the embedded
Derby metastore allows one process at a time): the options Silver step (`dbt run`) killed with SIGKILL at
a chosen dbt event (right after the rejected table's model finished; between the rejected table's
insert and its post-hook delete), then a normal run. Both tables must then equal a --full-refresh
build of the same Bronze, row for row, and reconcile with Bronze per day.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from optlake.bronze import LocalLanding, load
from optlake.bronze.specs import cbbo
from optlake.generator import generate
from optlake.settings import PROJECT_DIR, Settings

DAY, OTHER_DAY = dt.date(2025, 1, 27), dt.date(2025, 1, 28)
ROWS = 400
#: The options part of the Silver step (`tag:silver` also holds the bars models, whose Bronze these
#: tests do not load): the staging and intermediate views, the rejected table, then Silver.
SILVER_STEP = ("--select", "+enriched_options_silver", "--exclude", "resource_type:seed")


# ---------------------------------------------------------------------------------------------
# files


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    generate(folder, days=2, rows_per_day=ROWS, start=DAY)
    return folder


def landing_with(generated: Path, folder: Path, day: dt.date, all_invalid: bool = False) -> Path:
    """A landing folder holding the generated file of `day`; with all_invalid, every symbol is
    written in lowercase, so every quote of the file is rejected as invalid_symbol."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = (generated / cbbo.file_name(day)).read_text().splitlines()
    if all_invalid:
        lines = [lines[0], *(line[: line.rindex(",") + 1] + line[line.rindex(",") + 1 :].lower() for line in lines[1:])]
    (folder / cbbo.file_name(day)).write_text("\n".join(lines) + "\n")
    return folder


# ---------------------------------------------------------------------------------------------
# in the test session's warehouse

SCHEMA = "stale_rows"
SILVER = f"{SCHEMA}.enriched_options_silver"
REJECTED = f"{SCHEMA}.enriched_options_silver_rejected"


def per_day(spark, table: str) -> dict[dt.date, int]:
    return {r[0]: r[1] for r in spark.sql(f"select trade_date, count(*) from {table} group by 1").collect()}


def reasons(spark, day: dt.date) -> dict[str, int]:
    rows = spark.sql(
        f"select reject_reason, count(*) from {REJECTED} where trade_date = date'{day}' group by 1"
    ).collect()
    return {r[0]: r[1] for r in rows}


def snapshots(spark, table: str) -> list[dict]:
    rows = spark.sql(f"select snapshot_id, operation, summary from {table}.snapshots order by committed_at").collect()
    return [r.asDict() for r in rows]


def files_of(spark, table: str, day: dt.date) -> set[str]:
    rows = spark.sql(f"select file_path from {table}.files where partition.trade_date = date'{day}'").collect()
    return {r[0] for r in rows}


def assert_reconciled(spark) -> None:
    bronze = per_day(spark, f"{SCHEMA}.bronze_options_chain")
    silver, rejected = per_day(spark, SILVER), per_day(spark, REJECTED)
    assert {d: silver.get(d, 0) + rejected.get(d, 0) for d in bronze} == bronze
    assert set(silver) | set(rejected) <= set(bronze)


@pytest.fixture(scope="module")
def all_valid_built(spark, dbt, generated, tmp_path_factory):
    spark.sql(f"create database if not exists {SCHEMA}")
    landing = tmp_path_factory.mktemp("both-days")
    landing_with(generated, landing, DAY)
    landing_with(generated, landing, OTHER_DAY)
    load(spark, LocalLanding(landing), SCHEMA)
    dbt(SCHEMA, "build", "--select", "+enriched_options_silver")  # seed, views, tables, tests
    assert per_day(spark, SILVER) == {DAY: ROWS, OTHER_DAY: ROWS}
    assert per_day(spark, REJECTED) == {}


@pytest.fixture(scope="module")
def moved_to_rejected(spark, dbt, generated, tmp_path_factory, all_valid_built):
    before = {"silver": snapshots(spark, SILVER), "other_day_files": files_of(spark, SILVER, OTHER_DAY)}
    load(
        spark, LocalLanding(landing_with(generated, tmp_path_factory.mktemp("invalid"), DAY, all_invalid=True)), SCHEMA
    )
    dbt(SCHEMA, "build", *SILVER_STEP)  # with the reconciliation and grain tests
    return before


def test_a_day_whose_quotes_all_become_rejected_leaves_silver(spark, moved_to_rejected):
    assert per_day(spark, SILVER) == {OTHER_DAY: ROWS}
    assert per_day(spark, REJECTED) == {DAY: ROWS}
    assert reasons(spark, DAY) == {"invalid_symbol": ROWS}
    assert_reconciled(spark)
    # Silver: one commit, a delete of the whole partition (metadata only: no data file written)
    new = snapshots(spark, SILVER)[len(moved_to_rejected["silver"]) :]
    assert [s["operation"] for s in new] == ["delete"]
    summary = new[0]["summary"]
    assert summary["deleted-records"] == str(ROWS) and summary["changed-partition-count"] == "1"
    assert summary.get("added-data-files", "0") == "0"
    assert files_of(spark, SILVER, OTHER_DAY) == moved_to_rejected["other_day_files"], "the other day untouched"


def test_a_run_with_nothing_new_still_commits_nothing(spark, dbt, moved_to_rejected):
    # The day without a valid quote is pending for Silver on every run; it must not commit.
    before = {t: snapshots(spark, t) for t in (SILVER, REJECTED)}
    dbt(SCHEMA, "run", *SILVER_STEP)
    assert {t: snapshots(spark, t) for t in (SILVER, REJECTED)} == before


@pytest.fixture(scope="module")
def moved_back_to_silver(spark, dbt, generated, tmp_path_factory, moved_to_rejected):
    before = snapshots(spark, REJECTED)
    load(spark, LocalLanding(landing_with(generated, tmp_path_factory.mktemp("valid"), DAY)), SCHEMA)
    dbt(SCHEMA, "build", *SILVER_STEP)
    return before


def test_a_day_whose_quotes_all_become_valid_leaves_the_rejected_table(spark, moved_back_to_silver):
    assert per_day(spark, SILVER) == {DAY: ROWS, OTHER_DAY: ROWS}
    assert per_day(spark, REJECTED) == {}
    assert_reconciled(spark)
    new = snapshots(spark, REJECTED)[len(moved_back_to_silver) :]
    assert [s["operation"] for s in new] == ["delete"]
    assert new[0]["summary"]["deleted-records"] == str(ROWS)


def test_the_grain_test_fails_on_a_quote_held_twice(spark, dbt, moved_back_to_silver):
    # Last of this schema's scenario: it leaves one quote of OTHER_DAY in Silver twice.
    spark.sql(f"insert into {SILVER} select * from {SILVER} where trade_date = date'{OTHER_DAY}' limit 1")
    result = dbt(
        SCHEMA, "test", "--select", "enriched_options_silver,test_name:unique_key_combination", expect_success=False
    )
    assert [(str(r.status), r.failures) for r in result.result] == [("fail", 1)]


# ---------------------------------------------------------------------------------------------
# a day delivered in two files

PARTS_SCHEMA = "stale_rows_parts"
PART_NAMES = ("opra-pillar-20250127.part1.cbbo-1m.csv", "opra-pillar-20250127.part2.cbbo-1m.csv")
HALF = ROWS // 2


def write_part(generated: Path, folder: Path, part: int, all_invalid: bool = False, crossed: bool = True) -> Path:
    """Half of DAY's generated quotes as file part1 (first half) or part2 (second half), plus one
    quote whose ask is below its bid (its own instrument id), unless crossed is False."""
    folder.mkdir(parents=True, exist_ok=True)
    header, *lines = (
        landing_with(generated, folder / "full", DAY, all_invalid)
        .joinpath(cbbo.file_name(DAY))
        .read_text()
        .splitlines()
    )
    shutil.rmtree(folder / "full")
    lines = lines[:HALF] if part == 1 else lines[HALF:]
    if crossed:
        symbol = "spy   250131c00600000" if all_invalid else "SPY   250131C00600000"
        lines.append(
            f"2025-01-27T15:00:00.000000000Z,,193,30,{10 + part},N,,0,200,2.000000000,1.000000000,3,4,0,0,{symbol}"
        )
    (folder / PART_NAMES[part - 1]).write_text("\n".join([header, *lines]) + "\n")
    return folder


def part_counts(spark) -> tuple[dict, dict]:
    silver = per_day(spark, f"{PARTS_SCHEMA}.enriched_options_silver")
    rejected = spark.sql(
        f"select file_name, reject_reason, count(*) from {PARTS_SCHEMA}.enriched_options_silver_rejected group by 1, 2"
    ).collect()
    return silver, {(r[0], r[1]): r[2] for r in rejected}


def test_a_day_in_two_files_keeps_exactly_what_each_file_gives(spark, dbt, generated, tmp_path):
    spark.sql(f"create database if not exists {PARTS_SCHEMA}")
    part1, part2 = PART_NAMES

    def load_parts(name: str, *parts: tuple[int, bool, bool]) -> None:
        folder = tmp_path / name
        for part, all_invalid, crossed in parts:
            write_part(generated, folder, part, all_invalid, crossed)
        load(spark, LocalLanding(folder), PARTS_SCHEMA)

    load_parts("both", (1, False, True), (2, False, True))
    dbt(PARTS_SCHEMA, "build", "--select", "+enriched_options_silver")
    assert part_counts(spark) == ({DAY: ROWS}, {(part1, "ask_below_bid"): 1, (part2, "ask_below_bid"): 1})

    # part 1 reloaded with every quote invalid: Silver keeps part 2's quotes only
    load_parts("part1-invalid", (1, True, True))
    dbt(PARTS_SCHEMA, "build", *SILVER_STEP)
    assert part_counts(spark) == ({DAY: HALF}, {(part1, "invalid_symbol"): HALF + 1, (part2, "ask_below_bid"): 1})

    # part 1 reloaded valid without its crossed quote, and only Silver run (not the Silver step):
    # the rejected table is left holding part 1's old rows beside part 2's current one. The next
    # Silver step finds the day done (Silver holds its version) and removes only part 1's rows.
    load_parts("part1-valid", (1, False, False))
    dbt(PARTS_SCHEMA, "run", "--select", "enriched_options_silver")
    assert part_counts(spark)[1] == {(part1, "invalid_symbol"): HALF + 1, (part2, "ask_below_bid"): 1}
    dbt(PARTS_SCHEMA, "build", *SILVER_STEP)
    assert part_counts(spark) == ({DAY: ROWS}, {(part2, "ask_below_bid"): 1})
    assert per_day(spark, f"{PARTS_SCHEMA}.bronze_options_chain") == {DAY: ROWS + 1}


# ---------------------------------------------------------------------------------------------
# killed runs, in child processes on a warehouse of their own

KILL_SCHEMA = "trading_db"
TABLES = ("enriched_options_silver", "enriched_options_silver_rejected")


def run_steps(warehouse: Path, steps: list[list], expect_kill: bool = False) -> subprocess.CompletedProcess:
    """Run this file as a script on `warehouse`: one process, one JVM, the steps in order."""
    env = {**os.environ, **Settings(PROJECT_DIR, warehouse, KILL_SCHEMA, "local").dbt_env()}
    done = subprocess.run(
        [sys.executable, __file__, json.dumps(steps)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if expect_kill:
        assert done.returncode == -signal.SIGKILL, done.stdout[-4000:] + done.stderr[-4000:]
    else:
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done


def read_dump(path: Path) -> dict:
    return json.loads(path.read_text())


def counts(dump: dict, table: str) -> dict[str, int]:
    return dump["per_day"][table]


@pytest.mark.integration
def test_runs_killed_part_way_are_completed_by_the_next_run(generated, tmp_path):
    warehouse, out = tmp_path / "warehouse", tmp_path / "out"
    warehouse.mkdir()
    out.mkdir()
    valid = landing_with(generated, tmp_path / "valid", DAY)
    landing_with(generated, valid, OTHER_DAY)
    invalid = landing_with(generated, tmp_path / "invalid", DAY, all_invalid=True)
    valid_again = landing_with(generated, tmp_path / "valid-again", DAY)
    day, other = str(DAY), str(OTHER_DAY)

    # 1. Both days valid and built; then the day reloaded all invalid, and a Silver run killed right
    #    after the rejected table's model finished (its rows committed, Silver's not yet touched).
    run_steps(
        warehouse,
        [
            ["load", str(valid)],
            ["dbt", "build", "--select", "+enriched_options_silver"],
            ["load", str(invalid)],
            ["dbt", "run", *SILVER_STEP, "--kill", "rejected_finished", str(out / "kill1")],
        ],
        expect_kill=True,
    )
    assert (out / "kill1").read_text() == "NodeFinished model.optlake.enriched_options_silver_rejected"

    # 2. What the kill left; a normal run; the same Bronze rebuilt with --full-refresh. Then the day
    #    reloaded valid again, and a run killed between the rejected table's insert (nothing to
    #    write: no reject left) and its post-hook delete of the day's old rows.
    run_steps(
        warehouse,
        [
            ["dump", str(out / "after_kill1.json")],
            ["dbt", "run", *SILVER_STEP],
            ["dump", str(out / "recovered1.json")],
            ["dbt", "run", *SILVER_STEP, "--full-refresh"],
            ["dump", str(out / "full_refresh1.json")],
            ["load", str(valid_again)],
            ["dbt", "run", *SILVER_STEP, "--kill", "rejected_inserted", str(out / "kill2")],
        ],
        expect_kill=True,
    )
    assert (out / "kill2").read_text() == "SQLQueryStatus model.optlake.enriched_options_silver_rejected"

    run_steps(
        warehouse,
        [
            ["dump", str(out / "after_kill2.json")],
            ["dbt", "run", *SILVER_STEP],
            ["dump", str(out / "recovered2.json")],
            ["dbt", "run", *SILVER_STEP, "--full-refresh"],
            ["dump", str(out / "full_refresh2.json")],
        ],
    )

    # kill 1 left the rejected table's new rows beside Silver's old ones: the day counted twice
    after_kill1 = read_dump(out / "after_kill1.json")
    assert counts(after_kill1, "enriched_options_silver") == {day: ROWS, other: ROWS}
    assert counts(after_kill1, "enriched_options_silver_rejected") == {day: ROWS}
    # the next run removed the day from Silver; both tables equal a full rebuild of the same Bronze
    recovered1, full1 = read_dump(out / "recovered1.json"), read_dump(out / "full_refresh1.json")
    assert counts(recovered1, "enriched_options_silver") == {other: ROWS}
    assert counts(recovered1, "enriched_options_silver_rejected") == {day: ROWS}
    assert recovered1["reasons"] == {"invalid_symbol": ROWS}
    assert recovered1["rows"] == full1["rows"]

    # kill 2 left the rejected table's old rows (its post-hook never ran); Silver had none yet
    after_kill2 = read_dump(out / "after_kill2.json")
    assert counts(after_kill2, "enriched_options_silver_rejected") == {day: ROWS}
    assert counts(after_kill2, "enriched_options_silver") == {other: ROWS}
    recovered2, full2 = read_dump(out / "recovered2.json"), read_dump(out / "full_refresh2.json")
    assert counts(recovered2, "enriched_options_silver") == {day: ROWS, other: ROWS}
    assert counts(recovered2, "enriched_options_silver_rejected") == {}
    assert recovered2["rows"] == full2["rows"]

    for dump in (recovered1, full1, recovered2, full2):
        assert dump["bronze"] == {day: ROWS, other: ROWS}
        silver, rejected = counts(dump, TABLES[0]), counts(dump, TABLES[1])
        assert {d: silver.get(d, 0) + rejected.get(d, 0) for d in dump["bronze"]} == dump["bronze"]
        assert all(n == 1 for table in TABLES for n in Counter(dump["rows"][table]).values()), "one row per quote"


# ---------------------------------------------------------------------------------------------
# the child process


def _killer(when: str, marker: Path):
    """A dbt event callback that SIGKILLs this process at the chosen point of a run:
    - rejected_finished: the rejected table's model finished (its commits and hooks done);
    - rejected_inserted: the rejected table's insert statement returned, before its post-hook."""
    armed = {"insert": False}

    def kill(event_name: str, unique_id: str) -> None:
        marker.write_text(f"{event_name} {unique_id}")
        os.kill(os.getpid(), signal.SIGKILL)

    def callback(event) -> None:
        name = event.info.name
        node_info = getattr(event.data, "node_info", None)
        unique_id = getattr(node_info, "unique_id", "") or ""
        if not unique_id.endswith(".enriched_options_silver_rejected"):
            return
        if when == "rejected_finished" and name == "NodeFinished":
            kill(name, unique_id)
        if when == "rejected_inserted":
            if name == "SQLQuery" and "insert overwrite table" in event.data.sql:
                armed["insert"] = True
            elif name == "SQLQueryStatus" and armed["insert"]:
                kill(name, unique_id)

    return callback


def _dump(spark, path: Path) -> None:
    def by_day(table: str) -> dict[str, int]:
        rows = spark.sql(f"select trade_date, count(*) from {KILL_SCHEMA}.{table} group by 1").collect()
        return {str(r[0]): r[1] for r in rows}

    reasons = spark.sql(f"select reject_reason, count(*) from {KILL_SCHEMA}.{TABLES[1]} group by 1").collect()
    path.write_text(
        json.dumps(
            {
                "bronze": by_day("bronze_options_chain"),
                "per_day": {table: by_day(table) for table in TABLES},
                "reasons": {r[0]: r[1] for r in reasons},
                "rows": {
                    table: sorted("|".join(str(v) for v in r) for r in spark.table(f"{KILL_SCHEMA}.{table}").collect())
                    for table in TABLES
                },
            }
        )
    )


def _main(steps: list[list]) -> None:
    from dbt.cli.main import dbtRunner

    from optlake.targets.spark_session import get_spark

    settings = Settings.from_env()
    spark = get_spark(settings, "optlake-stale-rows-test")
    spark.sql(f"create database if not exists {KILL_SCHEMA}")
    paths = [
        "--project-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(settings.warehouse / "target"),
        "--log-path",
        str(settings.warehouse / "logs"),
        "--quiet",
    ]
    for step in steps:
        if step[0] == "load":
            load(spark, LocalLanding(Path(step[1])), KILL_SCHEMA, reprocess=False)
        elif step[0] == "dump":
            _dump(spark, Path(step[1]))
        elif step[0] == "dbt":
            args, callbacks = step[1:], []
            if "--kill" in args:
                at = args.index("--kill")
                callbacks.append(_killer(args[at + 1], Path(args[at + 2])))
                args = args[:at] + args[at + 3 :]
            result = dbtRunner(callbacks=callbacks).invoke([*args, *paths])
            if not result.success:
                raise SystemExit(f"dbt {' '.join(args)} failed: {result.exception}")
        else:
            raise SystemExit(f"unknown step {step!r}")


if __name__ == "__main__":
    _main(json.loads(sys.argv[1]))
