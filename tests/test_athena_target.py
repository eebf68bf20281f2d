"""The `athena` target, offline: dbt-athena against a moto server (S3, Glue, Athena) on loopback.

What these tests prove:
- the `athena` profile, dbt_project.yml and every model, test and analysis compile with the real
  dbt-athena adapter, and every compiled file and every statement dbt sends parses as Athena/Trino
  SQL with sqlglot, free of the Spark spellings Trino rejects (rlike, make_date, 2-argument
  datediff, the `string` type);
- the Spark rendering of the same project differs exactly where the engines differ;
- `dbt seed` and `dbt run` of Silver and Gold go through dbt-athena's materializations: Iceberg
  CTAS at the configured S3 location, the incremental MERGE on the unique key, the pre-hook
  DELETEs computed from what "Athena" answered, Gold's Spark code for Athena for Apache Spark.

What they cannot prove: moto's Athena executes no SQL and runs no Spark. `FakeAthenaEngine` below
only mirrors CREATE/DROP into moto's Glue catalog (as Athena would) and returns chosen rows for
chosen queries; Gold's Python submission is intercepted in the dbt process and its code checked,
never run. Whether Athena's engine accepts and executes the SQL (types, MERGE semantics, Iceberg
writes, costs) needs a real account: docs/athena.md has the runbook.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import sqlglot
from moto.athena.models import AthenaBackend, QueryResults
from moto.glue.models import glue_backends
from sqlglot import exp

from loopback import athena_profile_env, moto_server
from optlake.bronze.tables import table_definitions
from optlake.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

REGION = "us-east-1"
SCHEMA = "trading_db"
LAKE = "optlake-lake"
RESULTS = "optlake-athena-results"
DBT = [sys.executable, "-m", "dbt.cli.main"]

# The dbt command for the Python-model runs: dbt-athena's Athena Spark submission is replaced by
# one that writes the code it would submit to $OPTLAKE_TEST_PY_CAPTURE and, for the CREATE TABLE
# the code would run on Athena Spark, registers the table in Glue with the model's columns
# ($OPTLAKE_TEST_PY_COLUMNS), as Athena's Spark would. Nothing else in dbt is changed.
RUNNER = r"""
import json, os, re, sys
from pathlib import Path
import boto3
from dbt.adapters.athena import python_submissions

capture = Path(os.environ["OPTLAKE_TEST_PY_CAPTURE"])
columns = json.loads(os.environ["OPTLAKE_TEST_PY_COLUMNS"])

def submit(self, compiled_code):
    number = len(list(capture.glob("*.py")))
    (capture / f"{number:03d}.py").write_text(compiled_code)
    created = re.search(r"create table (\w+)\.(\w+)\s+using iceberg\s+location '([^']+)'", compiled_code)
    if created:
        schema, name, location = created.groups()
        glue = boto3.client("glue")
        try:
            glue.delete_table(DatabaseName=schema, Name=name)
        except glue.exceptions.EntityNotFoundException:
            pass
        glue.create_table(DatabaseName=schema, TableInput={
            "Name": name, "TableType": "EXTERNAL_TABLE",
            "Parameters": {"table_type": "ICEBERG"},
            "StorageDescriptor": {"Location": location, "Columns": [
                {"Name": c, "Type": "string"} for c in columns[re.sub("__dbt_tmp$", "", name)]]},
        })
    return {"ResultS3Uri": "s3://fake/result", "ResultType": "application/json",
            "StdErrorS3Uri": "s3://fake/stderr", "StdOutS3Uri": "s3://fake/stdout"}

python_submissions.AthenaPythonJobHelper.submit = submit
from dbt.cli.main import cli
sys.argv = ["dbt", *sys.argv[1:]]
cli()
"""

SPARK_ONLY = re.compile(r"\brlike\b|\bmake_date\s*\(|\bdatediff\s*\(|\.files\b", re.I)


# ---------------------------------------------------------------------------------------------
# moto with a stand-in for Athena's catalog side effects


def output_columns(query: exp.Expression) -> list[str]:
    """Names of the columns a SELECT returns; `select *` from a CTE resolves through the CTE."""
    ctes = {cte.alias: cte.this for cte in query.find_all(exp.CTE)}

    def names(select: exp.Expression) -> list[str]:
        if isinstance(select, exp.SetOperation):
            return names(select.left)
        out: list[str] = []
        for projection in select.expressions:
            if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
                source = (select.args.get("from") or select.args.get("from_")).this
                if isinstance(source, exp.Table) and source.name in ctes:
                    out += names(ctes[source.name])
            else:
                out.append(projection.alias_or_name)
        return out

    return names(query)


class FakeAthenaEngine:
    """Records every statement dbt sends to moto's Athena; mirrors CREATE TABLE AS / CREATE VIEW /
    DROP into moto's Glue (columns from the statement's SELECT); answers queries matching a
    registered pattern with the given rows. Stores and reads no data."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.answers: list[tuple[re.Pattern[str], list[str], list[list[str | None]]]] = []

    def answer(self, pattern: str, columns: list[str], rows: list[list[str | None]]) -> None:
        self.answers.insert(0, (re.compile(pattern, re.I | re.S), columns, rows))

    def on_query(self, backend: AthenaBackend, exec_id: str, query: str) -> None:
        self.queries.append(query)
        self._mirror_catalog(backend, query)
        for pattern, columns, rows in self.answers:
            if pattern.search(query):
                header = {"Data": [{"VarCharValue": c} for c in columns]}
                data = [{"Data": [{"VarCharValue": v} if v is not None else {} for v in row]} for row in rows]
                info = [{"Name": c, "Type": "varchar"} for c in columns]
                backend.query_results[exec_id] = QueryResults(rows=[header, *data], column_info=info)
                return

    @staticmethod
    def _mirror_catalog(backend: AthenaBackend, query: str) -> None:
        try:
            statement = sqlglot.parse_one(query, read="athena")
        except sqlglot.errors.ParseError:
            return  # reported by the parse assertions, not here
        glue = glue_backends[backend.account_id][backend.region_name]
        table = statement.find(exp.Table)
        if not isinstance(statement, (exp.Create, exp.Drop)) or table is None:
            return
        database, name = table.db, table.name
        if name in glue.get_database(database).tables:
            glue.delete_table(database, name)
        if isinstance(statement, exp.Create) and statement.expression is not None:
            view = statement.kind == "VIEW"
            location = re.search(r"\blocation\s*=\s*'([^']+)'", query, re.I)
            glue.create_table(
                database,
                name,
                {
                    "Name": name,
                    "TableType": "VIRTUAL_VIEW" if view else "EXTERNAL_TABLE",
                    "Parameters": {} if view else {"table_type": "ICEBERG"},
                    "StorageDescriptor": {
                        "Columns": [{"Name": c, "Type": "string"} for c in output_columns(statement.expression)],
                        **({"Location": location.group(1)} if location else {}),
                    },
                },
            )


@pytest.fixture(scope="module")
def aws():
    """moto on 127.0.0.1 with the AWS side of docs/athena.md: buckets, the Glue database with
    the three Bronze tables (Iceberg, the loader's columns), the SQL and Spark work groups."""
    engine = FakeAthenaEngine()
    original = AthenaBackend.start_query_execution

    def start_query_execution(self, query, context, config, workgroup, execution_parameters):
        exec_id = original(self, query, context, config, workgroup, execution_parameters)
        engine.on_query(self, exec_id, query)
        return exec_id

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AthenaBackend, "start_query_execution", start_query_execution)
        with moto_server() as endpoint:
            setup_account(endpoint)
            yield endpoint, engine


def setup_account(endpoint: str) -> None:
    kw = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    s3, glue, athena = (boto3.client(s, **kw) for s in ("s3", "glue", "athena"))
    for bucket in (LAKE, RESULTS):
        s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": SCHEMA})
    for name, columns, _partitioned_by, _props, comment in table_definitions():
        glue.create_table(
            DatabaseName=SCHEMA,
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Description": comment,
                "Parameters": {
                    "table_type": "ICEBERG",
                    "metadata_location": f"s3://{LAKE}/bronze/{name}/metadata/00001.metadata.json",
                },
                "StorageDescriptor": {
                    "Location": f"s3://{LAKE}/bronze/{name}",
                    "Columns": [{"Name": c, "Type": t} for c, t in columns],
                },
            },
        )
    athena.create_work_group(
        Name="optlake-sql", Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/sql/"}}
    )
    athena.create_work_group(
        Name="optlake-spark",
        Configuration={
            "ExecutionRole": "arn:aws:iam::123456789012:role/optlake-athena-spark",
            "EngineVersion": {"SelectedEngineVersion": "PySpark engine version 3"},
        },
    )


def athena_env(endpoint: str) -> dict[str, str]:
    return athena_profile_env(endpoint, f"s3://{RESULTS}/dbt/", f"s3://{LAKE}/warehouse/", SCHEMA)


def dbt(
    env: dict[str, str], out: Path, *args: str, target: str = "athena", command: list[str] = DBT
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [
            *command,
            *args,
            "--target",
            target,
            "--project-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(out / "target"),
            "--log-path",
            str(out / "logs"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return done


# ---------------------------------------------------------------------------------------------
# what makes SQL Athena's


def athena_problems(sql: str) -> list[str]:
    """Parse as Athena and as Trino (raises on a syntax error) and list the Spark spellings that
    sqlglot would accept but Athena's engine rejects."""
    problems = [f"Spark-only syntax {m.group(0)!r}" for m in SPARK_ONLY.finditer(strip_comments(sql))]
    # Athena runs CREATE EXTERNAL TABLE (dbt-athena's seed upload) with its Hive DDL engine, where
    # `string` is the type's name; everything else goes to the Trino engine.
    hive_ddl = re.match(r"\s*create\s+external\s+table\b", strip_comments(sql), re.I) is not None
    for dialect in ("athena",) if hive_ddl else ("athena", "trino"):
        for statement in sqlglot.parse(sql, read=dialect):
            if statement is None:
                continue
            for dtype in statement.find_all(exp.DataType):
                if dtype.this == exp.DataType.Type.TEXT and not hive_ddl:
                    problems.append(f"type {dtype.sql()} (Trino has no `string`; use varchar)")
            for diff in statement.find_all(exp.DateDiff):
                if diff.args.get("unit") is None:
                    problems.append(f"2-argument datediff: {diff.sql()}")
    return problems


def strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.S)


def sent_statements(engine: FakeAthenaEngine) -> list[str]:
    return [strip_comments(q).strip() for q in engine.queries]


def squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().lower()


# ---------------------------------------------------------------------------------------------
# tests


@pytest.fixture(scope="module")
def compiled(aws, tmp_path_factory: pytest.TempPathFactory) -> Path:
    endpoint, _ = aws
    out = tmp_path_factory.mktemp("athena-compile")
    dbt(athena_env(endpoint), out, "compile", "--select", "fqn:*", "--threads", "1", "--quiet")
    return out / "target" / "compiled" / "optlake"


def test_every_compiled_model_test_and_analysis_is_athena_sql(compiled: Path) -> None:
    files = sorted(compiled.rglob("*.sql"))
    by_folder = {
        folder: [f for f in files if f.relative_to(compiled).parts[0] == folder]
        for folder in ("models", "tests", "analyses", "seeds", "python_models")
    }
    assert len(by_folder["models"]) >= 4 + 10  # staging, intermediate, 2 Silver models, their data tests
    assert {f.name for f in by_folder["analyses"]} >= {
        "signal_distribution_by_day.sql",
        "silver_coverage_by_day.sql",
        "strategy_comparison.sql",
    }
    assert by_folder["tests"] and by_folder["python_models"]
    failures = {str(f.relative_to(compiled)): athena_problems(f.read_text()) for f in files}
    assert not {k: v for k, v in failures.items() if v}, failures
    # Gold's Python models compile too, as Python
    for model in sorted(compiled.rglob("*.py")):
        compile(model.read_text(), str(model), "exec")
    print(f"sqlglot athena+trino parsed {len(files)} compiled .sql files")


def test_engine_specific_sql_differs_from_spark(aws, compiled: Path, tmp_path: Path) -> None:
    """The same project compiled for `local` (Spark) and `athena` (Trino): the OSI macros, day
    arithmetic, exact mid price, text casts and the pending-day metadata query differ as the engines
    do. The local compile needs no Spark session (no introspection in these nodes)."""
    endpoint, _ = aws
    local_env = {**athena_env(endpoint), "OPTLAKE_WAREHOUSE": str(tmp_path / "warehouse")}
    dbt(
        local_env,
        tmp_path / "local",
        "compile",
        "--select",
        "stg_bronze__options_chain",
        "int_quotes_classified",
        "--no-populate-cache",
        "--quiet",
        target="local",
    )
    views = ("models/staging/stg_bronze__options_chain.sql", "models/intermediate/int_quotes_classified.sql")
    spark_sql = ";\n".join((tmp_path / "local/target/compiled/optlake" / view).read_text() for view in views)
    athena_sql = ";\n".join((compiled / view).read_text() for view in views)
    spark, athena = squash(spark_sql), squash(athena_sql)

    for spark_only, athena_only in [
        (
            "quotes.symbol rlike '^[a-z0-9][a-z0-9 ]{5}[0-9]{6}[cp][0-9]{8}$'",
            "regexp_like(quotes.symbol, '^[a-z0-9][a-z0-9 ]{5}[0-9]{6}[cp][0-9]{8}$')",
        ),
        (
            "make_date( 2000 + cast(substr(validated.symbol, 7, 2) as int)",
            "cast(try(date_parse('20' || substr(validated.symbol, 7, 6), '%y%m%d')) as date)",
        ),
        ("datediff(mapped.expiry_date, mapped.trade_date)", "date_diff('day', mapped.trade_date, mapped.expiry_date)"),
        (
            "cast((mapped.bid_px_00 + mapped.ask_px_00) / 2 as decimal(20, 10))",
            "cast(cast(mapped.bid_px_00 + mapped.ask_px_00 as decimal(21, 10)) / 2 as decimal(20, 10))",
        ),
        (
            "cast(cast(substr(validated.symbol, 14, 8) as decimal(8, 0)) / 1000 as decimal(11, 3))",
            "cast(substr(validated.symbol, 14, 5) || '.' || substr(validated.symbol, 19, 3) as decimal(11, 3))",
        ),
    ]:
        assert spark_only in spark and spark_only not in athena, spark_only
        assert athena_only in athena and athena_only not in spark, athena_only
    assert athena_problems(athena_sql) == []
    assert len(athena_problems(spark_sql)) >= 4  # rlike, make_date (x2), datediff: not Athena SQL

    def inline(target: str, env: dict[str, str], sql: str) -> str:
        done = dbt(env, tmp_path / target, "compile", "--no-populate-cache", "--quiet", "--inline", sql, target=target)
        return squash(done.stdout)

    versions = "{{ day_versions_sql(source('bronze', 'bronze_options_chain'), 'ingested_at') }}"
    spark_versions = inline("local", local_env, versions)
    athena_versions = inline("athena", athena_env(endpoint), versions)
    assert "from trading_db.bronze_options_chain.files" in spark_versions
    assert "readable_metrics.ingested_at.upper_bound" in spark_versions
    assert athena_versions == (
        'select trade_date, max(ingested_at) as version from "awsdatacatalog"."trading_db".'
        '"bronze_options_chain" group by trade_date'
    )
    assert inline("local", local_env, "select cast(1 as {{ string_type() }})") == "select cast(1 as string)"
    assert (
        inline("athena", athena_env(endpoint), "select cast(1 as {{ string_type() }})") == "select cast(1 as varchar)"
    )


SILVER = '"awsdatacatalog"."trading_db"."enriched_options_silver"'
REJECTED = '"awsdatacatalog"."trading_db"."enriched_options_silver_rejected"'
SILVER_KEY = ["trade_date", "file_name", "instrument_id", "ts_recv_ns"]


def test_dbt_seed_and_run_silver_on_moto(aws, tmp_path: Path) -> None:
    """First run: Iceberg CTAS at the data dir. Second run (tables exist): Athena answers that
    2025-01-28 is pending, 2025-01-27 has left Bronze and 2025-01-28 now holds one file under load
    L2; dbt must delete the rows Bronze no longer has, build the day from the date literal, and
    MERGE it on the unique key."""
    endpoint, engine = aws
    env = athena_env(endpoint)
    dbt(env, tmp_path, "seed", "--threads", "1")
    first = len(engine.queries)
    dbt(env, tmp_path, "run", "--select", "tag:silver", "--threads", "1")
    sent = [squash(q) for q in sent_statements(engine)[first:]]

    ctas = {
        name: next(q for q in sent if q.startswith(f'create table "awsdatacatalog"."trading_db"."{name}" '))
        for name in ("enriched_options_silver", "enriched_options_silver_rejected")
    }
    for name, q in ctas.items():
        assert "table_type='iceberg'" in q and "is_external=false" in q
        assert "partitioning=array['trade_date']" in q
        assert re.search(rf"location='s3://{LAKE}/warehouse/trading_db/{name}/[0-9a-f-]{{36}}'", q), q
        assert "merge into" not in q and "trade_date in (date" not in q  # a full first build
    for view in ("stg_bronze__options_chain", "int_quotes_classified"):
        assert any(q.startswith(f'create or replace view "awsdatacatalog"."trading_db"."{view}"') for q in sent), view

    engine.answer(r"with\s+bronze_versions\s+as", ["trade_date"], [["2025-01-28"]])
    engine.answer(r"with\s+held\s+as", ["trade_date"], [["2025-01-27"], ["2025-01-28"]])
    engine.answer(
        r"select\s+distinct\s+cast\(trade_date as varchar\) as trade_date,\s*file_name,\s*load_id",
        ["trade_date", "file_name", "load_id"],
        [["2025-01-28", "opra-pillar-20250128.cbbo-1m.csv", "L2"]],
    )
    second = len(engine.queries)
    dbt(env, tmp_path, "run", "--select", "tag:silver", "--threads", "1")
    sent = [squash(q) for q in sent_statements(engine)[second:]]

    for target in (SILVER, REJECTED):
        tmp = target[:-1] + '__dbt_tmp"'
        delete = f"delete from {target} where trade_date in (date'2025-01-27', date'2025-01-28') and not ((trade_date = date'2025-01-28' and file_name = 'opra-pillar-20250128.cbbo-1m.csv' and bronze_load_id = 'l2'))"
        assert delete in sent, [q for q in sent if q.startswith("delete")]
        build = next(q for q in sent if q.startswith(f"create table {tmp} "))
        assert "where trade_date in (date'2025-01-28')" in build
        merge = next(q for q in sent if q.startswith(f"merge into {target} as target using {tmp} as src"))
        on = " and ".join(f"target.{k} = src.{k}" for k in SILVER_KEY)
        assert f"on ({on} )" in merge or f"on ({on})" in merge, merge
        assert "when matched then update set" in merge and "when not matched then insert" in merge
        assert sent.index(delete) < sent.index(merge)  # stale rows go before the merge
    silver_merge = next(q for q in sent if q.startswith(f"merge into {SILVER}"))
    assert '"bronze_load_id" = src."bronze_load_id"' in silver_merge and '"mid_price"' in silver_merge

    problems = {q[:120]: athena_problems(q) for q in sent_statements(engine)}
    assert not {k: v for k, v in problems.items() if v}, problems
    print(f"sqlglot athena+trino parsed {len(engine.queries)} statements sent to Athena")


GOLD_COLUMNS = {
    "gold_laymanspystrategy": [
        "symbol",
        "root",
        "underlying",
        "trade_date",
        "expiry_date",
        "days_to_expiry",
        "option_type",
        "strike_price",
        "bid_px_00",
        "ask_px_00",
        "bid_sz_00",
        "ask_sz_00",
        "mid_price",
        "spread",
        "spread_pct",
        "ts_recv",
        "ts_recv_ns",
        "ts_event",
        "instrument_id",
        "file_name",
        "bronze_load_id",
        "bronze_ingested_at",
        "signal",
        "strategy_name",
    ],
    "gold_ironcondorstrategy": [
        "underlying",
        "trade_date",
        "expiry_date",
        "short_call_strike",
        "long_call_strike",
        "short_put_strike",
        "long_put_strike",
        "short_call_mid",
        "long_call_mid",
        "short_put_mid",
        "long_put_mid",
        "net_credit",
        "signal",
        "strategy_name",
    ],
}


def test_gold_python_models_on_athena_spark(aws, tmp_path: Path) -> None:
    """Gold through dbt-athena's Athena Spark path, with the submission intercepted (moto has no
    Athena Spark sessions): the first run submits code that creates an Iceberg table partitioned by
    trade_date at the data dir and writes the model's DataFrame into it; the second run deletes the
    strategy's lookback window (from Athena's answer for Silver's latest day) and appends."""
    endpoint, engine = aws
    env = {
        **athena_env(endpoint),
        "OPTLAKE_TEST_PY_CAPTURE": str(tmp_path / "py"),
        "OPTLAKE_TEST_PY_COLUMNS": json.dumps(GOLD_COLUMNS),
    }
    (tmp_path / "py").mkdir()
    runner = [sys.executable, "-c", RUNNER]
    dbt(env, tmp_path, "run", "--select", "tag:strategy", "--threads", "1", command=runner)
    codes = {p.name: p.read_text() for p in sorted((tmp_path / "py").glob("*.py"))}
    for name, lookback in (("gold_laymanspystrategy", 3), ("gold_ironcondorstrategy", 30)):
        code = next(c for c in codes.values() if f"create table trading_db.{name}\n" in c)
        compile(code, name, "exec")
        assert re.search(
            rf"using iceberg\s+location 's3://{LAKE}/warehouse/trading_db/{name}/[0-9a-f-]{{36}}/'\s+"
            r"partitioned by \(trade_date\)",
            code,
        ), code
        assert "def model(dbt, session):" in code and "df = model(dbt, spark)" in code
        assert f"'athena_window_days': {lookback}" in code and "'recompute': 'window'" in code
        assert r'"enriched_options_silver": "\"awsdatacatalog\".\"trading_db\".\"enriched_options_silver\""' in code

    engine.answer(r"select cast\(max\(trade_date\) as varchar\) as latest", ["latest"], [["2025-01-28"]])
    second = len(engine.queries)
    dbt(env, tmp_path, "run", "--select", "tag:strategy", "--threads", "1", command=runner)
    sent = [squash(q) for q in sent_statements(engine)[second:]]
    for name, start in (("gold_laymanspystrategy", "2025-01-25"), ("gold_ironcondorstrategy", "2024-12-29")):
        target = f'"awsdatacatalog"."trading_db"."{name}"'
        delete = f"delete from {target} where trade_date >= date'{start}'"
        insert = next(q for q in sent if q.startswith(f"insert into {target} "))
        assert delete in sent and sent.index(delete) < sent.index(insert)
        assert f'from {target[:-1]}__dbt_tmp"' in insert and '"signal"' in insert
    problems = {q[:120]: athena_problems(q) for q in sent_statements(engine)[second:]}
    assert not {k: v for k, v in problems.items() if v}, problems


def test_maintenance_on_athena_is_optimize_and_vacuum_driven_by_table_properties(aws, tmp_path: Path) -> None:
    """`optlake maintenance` on the athena target: the run-operation measures the table from its
    $files, $manifests and $snapshots tables, sets the VACUUM retention properties, then OPTIMIZE
    (bin-pack) and VACUUM; a dry run only measures."""
    endpoint, engine = aws
    env = athena_env(endpoint)
    engine.answer(
        r'"bronze_bars\$files"\)\s+as\s+data_files',
        ["data_files", "bytes", "manifests", "snapshots"],
        [["40", "123456", "7", "12"]],
    )
    table = "trading_db.bronze_bars"

    first = len(engine.queries)
    args = "{tables: [bronze_bars], dry_run: true}"
    dry = dbt(env, tmp_path / "dry", "run-operation", "iceberg_maintenance", "--args", args)
    assert "bronze_bars (bronze): 40 data files, 7 manifests, 12 snapshots (dry run)" in dry.stdout
    assert not [q for q in sent_statements(engine)[first:] if not q.lower().lstrip("( ").startswith("select")]

    first = len(engine.queries)
    args = "{tables: [bronze_bars], retain_last: 5, max_snapshot_age_days: 2}"
    dbt(env, tmp_path / "run", "run-operation", "iceberg_maintenance", "--args", args)
    sent = [squash(q) for q in sent_statements(engine)[first:] if not q.lower().lstrip("( ").startswith("select")]
    assert sent == [
        f"alter table {table} set tblproperties ('vacuum_min_snapshots_to_keep'='5', "
        "'vacuum_max_snapshot_age_seconds'='172800', 'optimize_rewrite_delete_file_threshold'='2')",
        f"optimize {table} rewrite data using bin_pack",
        f"vacuum {table}",
    ]


def test_iam_policies_parse_are_scoped_and_documented() -> None:
    """deploy/aws/*.json are valid IAM documents, grant no wildcard action or resource except the
    CloudWatch metric namespace condition, and docs/athena.md points to each of them."""
    docs = (PROJECT_DIR / "docs" / "athena.md").read_text()
    policies = sorted((PROJECT_DIR / "deploy" / "aws").glob("*.json"))
    assert {p.name for p in policies} >= {
        "iam-policy-athena-dbt.json",
        "iam-policy-athena-spark-execution-role.json",
        "trust-policy-athena-spark-execution-role.json",
    }
    for path in policies:
        policy = json.loads(path.read_text())
        assert policy["Version"] == "2012-10-17" and policy["Statement"], path.name
        assert f"deploy/aws/{path.name}" in docs, path.name
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in a for a in actions), (path.name, statement)
            if "Resource" in statement and statement["Resource"] == "*":
                assert statement["Action"] == "cloudwatch:PutMetricData" and "Condition" in statement
    dbt_policy = json.loads((PROJECT_DIR / "deploy/aws/iam-policy-athena-dbt.json").read_text())
    work_groups = next(s for s in dbt_policy["Statement"] if s["Sid"] == "AthenaSqlAndSparkWorkGroups")["Resource"]
    assert work_groups == [
        "arn:aws:athena:REGION:ACCOUNT_ID:workgroup/optlake-sql",
        "arn:aws:athena:REGION:ACCOUNT_ID:workgroup/optlake-spark",
    ]
