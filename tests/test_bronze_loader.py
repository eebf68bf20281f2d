"""The Bronze loader on real Spark and real Iceberg tables."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import shutil
from decimal import Decimal
from pathlib import Path

from logcapture import captured_log
from optlake.bronze import LoadReport, load
from optlake.bronze.landing import LocalLanding
from optlake.bronze.specs import cbbo

GOOD = "2025-01-29T14:31:00.000000000Z,,193,30,7,N,,0,200,1.000000000,1.100000000,3,4,0,0,SPY   250131C00600000"


def run_load(spark, folder: Path, schema: str, reprocess: bool = False) -> tuple[LoadReport, list[str]]:
    with captured_log() as said:
        report = load(spark, LocalLanding(folder), schema, reprocess=reprocess)
    return report, said


def count(spark, sql: str) -> int:
    return spark.sql(sql).collect()[0][0]


def audit(spark, schema: str, load_id: str) -> dict[str, dict]:
    rows = spark.sql(f"select * from {schema}.bronze_load_audit where load_id = '{load_id}'").collect()
    return {r["file_name"]: r.asDict() for r in rows}


def ns_to_iso(ns: int) -> str:
    seconds, frac = divmod(ns, 1_000_000_000)
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def text_of(value) -> str:
    """A Bronze value printed the way the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.9f}"
    return str(value)


def test_real_fixture_loads_exactly(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing)
    report, said = run_load(spark, landing, schema)

    with fixture_csv.open() as f:
        source = list(csv.DictReader(f))
    rows = spark.sql(f"select * from {schema}.bronze_options_chain").collect()
    assert len(source) == len(rows) == 9
    by_instrument = {str(r["instrument_id"]): r for r in rows}
    for line in source:
        row = by_instrument[line["instrument_id"]]
        for col in cbbo.COLUMNS:
            if col in ("ts_recv", "ts_event"):
                got = ns_to_iso(row[f"{col}_ns"]) if row[f"{col}_ns"] is not None else ""
            else:
                got = text_of(row[col])
            assert got == line[col], (col, got, line[col])
        assert row["ts_recv"] == dt.datetime(2025, 1, 28, 14, 31)
        assert row["file_name"] == fixture_csv.name
        assert row["trade_date"] == dt.date(2025, 1, 28)
        assert row["load_id"] == report.load_id
    assert (landing / "processed" / fixture_csv.name).exists() and not (landing / fixture_csv.name).exists()
    a = audit(spark, schema, report.load_id)[fixture_csv.name]
    assert (a["status"], a["rows_read"], a["rows_loaded"], a["rows_quarantined"]) == ("loaded", 9, 9, 0)
    assert any("read 9, loaded 9, quarantined 0" in s for s in said)


def test_nanoseconds_are_kept(spark, schema: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    ts = "2025-01-29T14:31:00.123456789Z"
    line = GOOD.replace("2025-01-29T14:31:00.000000000Z,", f"{ts},{ts}")
    (landing / "opra-pillar-20250129.cbbo-1m.csv").write_text(f"{cbbo.HEADER}\n{line}\n")
    run_load(spark, landing, schema)
    row = spark.sql(f"select * from {schema}.bronze_options_chain").collect()[0]
    assert ns_to_iso(row["ts_recv_ns"]) == ts and ns_to_iso(row["ts_event_ns"]) == ts
    assert row["ts_recv"] == dt.datetime(2025, 1, 29, 14, 31, 0, 123456)


def test_generated_days_load_with_reconciled_counts(spark, schema: str, tmp_path: Path) -> None:
    from optlake.generator import generate

    landing = tmp_path / "landing"
    plain = generate(landing, days=2, rows_per_day=20_000, start=dt.date(2025, 3, 3), seed=1)
    gz = generate(landing, days=1, rows_per_day=15_000, start=dt.date(2025, 3, 5), gzip=True, seed=1)
    report, _ = run_load(spark, landing, schema)
    assert [r.status for r in report.results] == ["loaded"] * 3
    assert report.rows_read == report.rows_loaded == 55_000 and report.rows_quarantined == 0
    per_day = dict(
        spark.sql(f"select trade_date, count(*) from {schema}.bronze_options_chain group by trade_date").collect()
    )
    assert per_day == {dt.date(2025, 3, 3): 20_000, dt.date(2025, 3, 4): 20_000, dt.date(2025, 3, 5): 15_000}
    assert {p.name for p in (landing / "processed").iterdir()} == {p.name for p in plain + gz}


def test_loading_the_same_file_twice_leaves_the_same_rows(
    spark, schema: str, tmp_path: Path, fixture_csv: Path
) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing)
    first, _ = run_load(spark, landing, schema)
    table = f"{schema}.bronze_options_chain"
    before = sorted(tuple(r) for r in spark.table(table).drop("load_id", "ingested_at").collect())

    again, said = run_load(spark, landing, schema)  # nothing pending any more
    assert again.results == [] and said == [f"Nothing to load in {landing}."]

    shutil.copy(fixture_csv, landing)  # the same file delivered again
    second, _ = run_load(spark, landing, schema)
    third, _ = run_load(spark, landing, schema, reprocess=True)  # and reloaded on purpose
    after = sorted(tuple(r) for r in spark.table(table).drop("load_id", "ingested_at").collect())
    assert after == before and len(after) == 9
    assert {r["load_id"] for r in spark.table(table).collect()} == {third.load_id}
    statuses = spark.sql(f"select load_id, status from {schema}.bronze_load_audit").collect()
    assert sorted(r["load_id"] for r in statuses) == sorted([first.load_id, second.load_id, third.load_id])


BAD_ROWS = {
    "wrong column count: expected 16, found 4": "2025-01-29T14:32:00.000000000Z,,193,30",
    "wrong column count: expected 16, found 17": GOOD + ",extra",
    "non-numeric bid_px_00: 'abc'": GOOD.replace("1.000000000", "abc"),
    "unparseable timestamp ts_recv: '2025-01-29 14:31'": GOOD.replace(
        "2025-01-29T14:31:00.000000000Z", "2025-01-29 14:31"
    ),
    "unparseable timestamp ts_event: 'yesterday'": GOOD.replace("Z,,193", "Z,yesterday,193"),
    "not a non-negative integer in range bid_sz_00: '-3'": GOOD.replace(",3,4,", ",-3,4,"),
    "missing symbol": GOOD.replace(",SPY   250131C00600000", ","),
}


def test_bad_input_matrix(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing)
    lines = [cbbo.HEADER, GOOD]
    for bad in BAD_ROWS.values():
        lines += [bad, GOOD]
    lines.append(GOOD[:40])  # a truncated last line, no newline
    mixed = "opra-pillar-20250129.cbbo-1m.csv"
    (landing / mixed).write_text("\n".join(lines))
    full_gz = gzip.compress(fixture_csv.read_bytes() * 20)
    bad_files = {
        "opra-pillar-20250130.cbbo-1m.csv": (cbbo.HEADER.replace("symbol", "sym") + "\n" + GOOD + "\n").encode(),
        "opra-pillar-20250131.cbbo-1m.csv": b"",
        "opra-pillar-20250203.cbbo-1m.csv": (cbbo.HEADER + "\n").encode(),
        "opra-pillar-20250204.cbbo-1m.csv": b"PK\x03\x04\x00\x00binary",
        "opra-pillar-20250205.cbbo-1m.csv.gz": full_gz[: len(full_gz) // 2],
        "opra-pillar-20250206.cbbo-1m.csv.zst": b"\x28\xb5\x2f\xfd",
        "README.txt": b"not data\n",
    }
    for name, data in bad_files.items():
        (landing / name).write_bytes(data)

    report, said = run_load(spark, landing, schema)

    a = audit(spark, schema, report.load_id)
    assert set(a) == set(bad_files) | {mixed, fixture_csv.name}
    expected_errors = {
        "opra-pillar-20250130.cbbo-1m.csv": "wrong header (missing symbol; unexpected sym)",
        "opra-pillar-20250131.cbbo-1m.csv": "empty file (0 bytes)",
        "opra-pillar-20250203.cbbo-1m.csv": "header only: the file has no data rows",
        "opra-pillar-20250204.cbbo-1m.csv": "binary content: not a CSV text file",
        "opra-pillar-20250205.cbbo-1m.csv.gz": "truncated gzip file",
        "opra-pillar-20250206.cbbo-1m.csv.zst": "zstd-compressed CSV is not supported yet",
        "README.txt": "not a CSV file",
    }
    for name, error in expected_errors.items():
        assert a[name]["status"] == "rejected" and a[name]["error"].startswith(error), a[name]
        assert (landing / "failed" / name).exists()
        assert any(s.startswith(f"  rejected {name}: {error}") for s in said)

    m = a[mixed]
    n_good = len(BAD_ROWS) + 1
    assert (m["status"], m["rows_read"], m["rows_loaded"], m["rows_quarantined"]) == (
        "loaded",
        n_good + len(BAD_ROWS) + 1,
        n_good,
        len(BAD_ROWS) + 1,
    )
    q = spark.sql(
        f"select line_number, reason, raw_line from {schema}.bronze_quarantine order by line_number"
    ).collect()
    expected_q = [(3 + 2 * i, reason, raw) for i, (reason, raw) in enumerate(BAD_ROWS.items())]
    expected_q.append((len(lines), "wrong column count: expected 16, found 5", GOOD[:40]))
    assert [tuple(r) for r in q] == expected_q
    assert count(spark, f"select count(*) from {schema}.bronze_options_chain where file_name = '{mixed}'") == n_good
    assert count(spark, f"select count(*) from {schema}.bronze_options_chain") == n_good + 9
    for r in report.results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined
    assert report.rows_read == report.rows_loaded + report.rows_quarantined


def test_reloading_a_file_that_became_all_bad_removes_its_old_rows(spark, schema: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    name = "opra-pillar-20250129.cbbo-1m.csv"
    (landing / name).write_text(f"{cbbo.HEADER}\n{GOOD}\n{GOOD}\n")
    run_load(spark, landing, schema)
    (landing / name).write_text(f"{cbbo.HEADER}\n{GOOD[:30]}\n")
    report, _ = run_load(spark, landing, schema)
    assert count(spark, f"select count(*) from {schema}.bronze_options_chain") == 0
    assert count(spark, f"select count(*) from {schema}.bronze_quarantine") == 1
    r = report.results[0]
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (1, 0, 1)


def test_trade_date_falls_back_to_ts_recv_when_the_name_has_none(spark, schema: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "quotes.csv").write_text(f"{cbbo.HEADER}\n{GOOD}\n")
    run_load(spark, landing, schema)
    assert spark.sql(f"select trade_date from {schema}.bronze_options_chain").collect()[0][0] == dt.date(2025, 1, 29)


def test_bronze_table_layout_and_properties(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing)
    run_load(spark, landing, schema)
    props = dict(spark.sql(f"show tblproperties {schema}.bronze_options_chain").collect())
    assert props["format-version"] == "2"
    assert props["write.distribution-mode"] == "hash"
    assert props["write.metadata.delete-after-commit.enabled"] == "true"
    assert int(props["write.metadata.previous-versions-max"]) <= 10
    assert int(props["write.target-file-size-bytes"]) == 256 * 1024 * 1024
    spec = spark.sql(f"select partition from {schema}.bronze_options_chain.partitions").schema["partition"]
    assert spec.dataType.fieldNames() == ["trade_date", "file_name"]


def test_column_comments_come_from_the_dbt_sources_yml(spark, schema: str, tmp_path: Path, fixture_csv: Path) -> None:
    import yaml

    from optlake.settings import PROJECT_DIR

    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(fixture_csv, landing)
    run_load(spark, landing, schema)
    sources = yaml.safe_load((PROJECT_DIR / "models" / "bronze" / "_bronze__sources.yml").read_text())
    documented = {t["name"]: t for t in sources["sources"][0]["tables"]}
    for table in ("bronze_options_chain", "bronze_bars", "bronze_quarantine", "bronze_load_audit"):
        fields = spark.table(f"{schema}.{table}").schema.fields
        in_yml = {c["name"]: " ".join(c["description"].split()) for c in documented[table]["columns"]}
        assert [f.name for f in fields] == list(in_yml), table  # every column documented, in table order
        for f in fields:
            assert f.metadata.get("comment") == in_yml[f.name], (table, f.name)


def test_arrow_and_spark_engines_load_identical_rows(spark, tmp_path: Path, fixture_csv: Path) -> None:
    from optlake.generator import generate

    generate(tmp_path / "gen", days=1, rows_per_day=20_000, start=dt.date(2025, 1, 30))
    tables = {}
    for engine in ("arrow", "spark"):
        landing = tmp_path / engine
        landing.mkdir()
        shutil.copy(fixture_csv, landing)
        shutil.copy(next((tmp_path / "gen").glob("*.csv")), landing)
        schema = f"engine_{engine}"
        spark.sql(f"create database if not exists {schema}")
        with captured_log() as said:
            report = load(spark, LocalLanding(landing), schema, engine=engine)
        assert report.rows_loaded == 20_009 and report.rows_quarantined == 0
        assert any("with Arrow" in line for line in said) == (engine == "arrow")
        tables[engine] = spark.table(f"{schema}.bronze_options_chain").drop("load_id", "ingested_at")
    assert tables["arrow"].schema == tables["spark"].schema
    assert tables["arrow"].exceptAll(tables["spark"]).count() == 0
    assert tables["spark"].exceptAll(tables["arrow"]).count() == 0


def test_a_file_with_a_bad_line_falls_back_to_spark_and_is_quarantined(spark, schema: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "opra-pillar-20250129.cbbo-1m.csv").write_text(
        f"{cbbo.HEADER}\n{GOOD}\n{GOOD.replace('1.100000000', '1.1x')}\n"
    )
    report, said = run_load(spark, landing, schema)
    assert any("loading it with Spark" in line for line in said)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 1, 1)
