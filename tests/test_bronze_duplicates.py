"""The same trading day delivered twice, and the real line numbers of quarantined lines."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest

from logcapture import captured_log
from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.bronze.specs import cbbo

pytestmark = pytest.mark.integration

NAME = "opra-pillar-20250128.cbbo-1m.csv"
GOOD = "2025-01-29T14:31:00.000000000Z,,193,30,7,N,,0,200,1.000000000,1.100000000,3,4,0,0,SPY   250131C00600000"


def run(spark, landing: Path, schema: str, **kw):
    with captured_log() as said:
        report = load(spark, LocalLanding(landing), schema, **kw)
    return report, said


def bronze_files(spark, schema: str) -> dict[str, int]:
    rows = spark.sql(f"select file_name, count(*) from {schema}.bronze_options_chain group by file_name").collect()
    return {r[0]: r[1] for r in rows}


def audit_of(spark, schema: str, load_id: str) -> dict[str, dict]:
    rows = spark.sql(f"select * from {schema}.bronze_load_audit where load_id = '{load_id}'").collect()
    return {r["file_name"]: r.asDict() for r in rows}


def test_csv_and_csv_gz_of_one_day_load_once(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing / NAME)
    (landing / (NAME + ".gz")).write_bytes(gzip.compress(fixture_csv.read_bytes()))

    report, said = run(spark, landing, schema)

    assert bronze_files(spark, schema) == {NAME: 9}
    a = audit_of(spark, schema, report.load_id)
    digest = hashlib.sha256(fixture_csv.read_bytes()).hexdigest()
    assert a[NAME]["status"] == "loaded" and a[NAME]["content_sha256"] == digest
    dup = a[NAME + ".gz"]
    assert (dup["status"], dup["duplicate_of"], dup["content_sha256"]) == ("duplicate", NAME, digest)
    assert dup["error"].startswith(f"same content as {NAME}, already loaded")
    assert dup["rows_loaded"] == 0
    assert (landing / "failed" / (NAME + ".gz")).exists() and (landing / "processed" / NAME).exists()
    assert any(line.startswith(f"  DUPLICATE {NAME}.gz -> failed/: same content as {NAME}") for line in said)
    assert report.rows_loaded == 9 and report.rows_read == 9


def test_a_renamed_copy_in_a_later_load_is_a_duplicate(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing / NAME)
    run(spark, landing, schema)
    copy = "opra-pillar-20250128.cbbo-1m (1).csv"
    shutil.copy(fixture_csv, landing / copy)

    report, _ = run(spark, landing, schema)

    assert [(r.file.name, r.status, r.duplicate_of) for r in report.results] == [(copy, "duplicate", NAME)]
    assert bronze_files(spark, schema) == {NAME: 9}


def corrected(fixture_csv: Path) -> str:
    """The sample with the first quote's ask changed: same day, same keys, other content."""
    lines = fixture_csv.read_text().splitlines()
    first = lines[1].split(",")
    first[10] = "9999.000000000"
    return "\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n"


def test_overlapping_rows_are_a_duplicate_unless_replace_day(
    spark, schema: str, tmp_path: Path, fixture_csv: Path
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing / NAME)
    run(spark, landing, schema)
    fix = "opra-pillar-20250128.cbbo-1m.v2.csv"
    (landing / fix).write_text(corrected(fixture_csv))

    refused, said = run(spark, landing, schema)
    (r,) = refused.results
    assert (r.status, r.duplicate_of) == ("duplicate", NAME)
    assert r.error.startswith(f"9 rows overlap {NAME}, already loaded for 2025-01-28 (same instrument_id and ts_recv)")
    assert "--replace-day" in r.error
    assert bronze_files(spark, schema) == {NAME: 9}

    shutil.move(landing / "failed" / fix, landing / fix)  # the user re-runs with --replace-day
    replaced, said = run(spark, landing, schema, replace_day=True)

    assert bronze_files(spark, schema) == {fix: 9}
    asks = spark.sql(f"select max(ask_px_00) from {schema}.bronze_options_chain").collect()[0][0]
    assert float(asks) == 9999.0
    a = audit_of(spark, schema, replaced.load_id)
    assert (a[fix]["status"], a[fix]["replaces"], a[fix]["rows_loaded"]) == ("loaded", NAME, 9)
    assert (a[NAME]["status"], a[NAME]["error"]) == ("replaced", f"superseded by {fix} (--replace-day)")
    assert any(
        line.startswith(f"  loaded   {fix}: read 9, loaded 9") and line.endswith(f"replaces {NAME}") for line in said
    )


def test_files_of_one_day_that_share_no_row_both_load(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    header, *rows = fixture_csv.read_text().splitlines()
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "opra-pillar-20250128.cbbo-1m.part1.csv").write_text("\n".join([header, *rows[:4]]) + "\n")
    (landing / "opra-pillar-20250128.cbbo-1m.part2.csv").write_text("\n".join([header, *rows[4:]]) + "\n")

    report, _ = run(spark, landing, schema)

    assert [r.status for r in report.results] == ["loaded", "loaded"]
    assert sum(bronze_files(spark, schema).values()) == 9


def test_overlapping_files_in_one_load_keep_the_first(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing / NAME)
    second = "opra-pillar-20250128.cbbo-1m.v2.csv"
    (landing / second).write_text(corrected(fixture_csv))

    report, _ = run(spark, landing, schema, replace_day=True)

    statuses = {r.file.name: (r.status, r.duplicate_of) for r in report.results}
    assert statuses == {NAME: ("loaded", None), second: ("duplicate", NAME)}
    assert "load the files of one day one at a time" in next(r.error for r in report.results if r.file.name == second)
    assert bronze_files(spark, schema) == {NAME: 9}


def test_quarantine_line_numbers_are_the_files_own(spark, schema: str, tmp_path: Path) -> None:
    bad_price = GOOD.replace("1.100000000", "1.1x")
    lines = [cbbo.HEADER, GOOD, "", bad_price, cbbo.HEADER, GOOD, bad_price, "", GOOD[:40]]
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "opra-pillar-20250129.cbbo-1m.csv").write_bytes("\r\n".join(lines).encode())

    report, _ = run(spark, landing, schema)

    q = spark.sql(
        f"select line_number, reason, raw_line from {schema}.bronze_quarantine order by line_number"
    ).collect()
    assert [(r[0], r[1]) for r in q] == [
        (4, "non-numeric ask_px_00: '1.1x'"),
        (5, "unparseable timestamp ts_recv: 'ts_recv'"),
        (7, "non-numeric ask_px_00: '1.1x'"),
        (9, "wrong column count: expected 16, found 5"),
    ]
    assert [r[2] for r in q] == [bad_price, cbbo.HEADER, bad_price, GOOD[:40]]
    (r,) = report.results
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (6, 2, 4)
