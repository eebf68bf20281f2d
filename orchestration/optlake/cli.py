"""`optlake`: the command line of the options lakehouse."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from optlake import logs
from optlake.bronze.loader import ENGINES
from optlake.settings import Settings
from optlake.targets.lock import DEFAULT_TIMEOUT_S, WarehouseBusy, warehouse_lock
from optlake.targets.spark_session import SPARK_TARGETS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from exc


def _number(cast: type, minimum: float, what: str):
    """An argparse type: ``cast(text)``, at least ``minimum``, else a message that says ``what``."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from exc
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value

    return parse


_positive = _number(int, 1, "a positive integer")
_seconds = _number(float, 0, "a number of seconds >= 0")


@contextlib.contextmanager
def spark_for(args: argparse.Namespace, settings: Settings, app_name: str) -> Iterator[SparkSession]:
    """The embedded Spark session, opened under the warehouse lock on the local target."""
    from optlake.targets.spark_session import get_spark

    guard = (
        warehouse_lock(settings.warehouse, f"optlake {args.command}", args.lock_timeout)
        if settings.target == "local"
        else contextlib.nullcontext()
    )
    with guard:
        yield get_spark(settings, app_name)


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.generator import SETS, generate

    sets = tuple(s.strip() for s in args.sets.split(",") if s.strip())
    if not sets or set(sets) - set(SETS):
        log.error("error: --sets takes a comma-separated list of %s, got %r", ", ".join(SETS), args.sets)
        return 2
    paths = generate(
        Path(args.out),
        args.days,
        args.rows_per_day,
        args.start,
        gzip=args.gzip,
        seed=args.seed,
        sets=sets,
        history_days=args.history_days,
    )
    log.info("Generated %d file(s) in %s", len(paths), args.out)
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.bronze import load, open_landing

    landing = open_landing(args.location)
    try:
        with spark_for(args, settings, "optlake-load") as spark:
            report = load(
                spark,
                landing,
                settings.schema,
                reprocess=args.reprocess,
                engine=args.engine,
                replace_day=args.replace_day,
            )
    finally:
        landing.close()
    failed = report.by_status("rejected") + report.by_status("duplicate")
    return 1 if args.strict and failed else 0


def cmd_daily(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.bronze import open_landing
    from optlake.jobs.daily import daily

    landing = open_landing(args.location)
    try:
        with spark_for(args, settings, "optlake-daily") as spark:
            daily(
                spark,
                settings,
                landing,
                reprocess=args.reprocess,
                engine=args.engine,
                replace_day=args.replace_day,
                test=args.test,
            )
    finally:
        landing.close()
    return 0


def cmd_bootstrap(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.bronze import open_landing
    from optlake.jobs.bootstrap import bootstrap

    landing = open_landing(args.location)
    try:
        with spark_for(args, settings, "optlake-bootstrap") as spark:
            result = bootstrap(
                spark,
                settings,
                landing,
                batch_files=args.batch_files,
                build=not args.no_build,
                compact=not args.no_compact,
                engine=args.engine,
            )
    finally:
        landing.close()
    return 1 if args.strict and (result.count("rejected") or result.count("duplicate")) else 0


def cmd_strategy(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.jobs.strategy import resolve, run_strategies, switchboard

    names = [n for item in args.strategies or [] for n in item.split(",") if n.strip()]
    symbols = [s.strip() for item in args.symbols or [] for s in item.split(",") if s.strip()]
    if symbols and not names:
        log.error("error: --symbols re-runs named strategies: add --strategies NAME")
        return 2
    if names:
        resolve(names, switchboard(settings.project_dir))  # an unknown name fails before Spark starts
    with spark_for(args, settings, "optlake-strategy"):
        run_strategies(settings, names, symbols, full_refresh=args.full_refresh, test=args.test)
    return 0


def cmd_maintenance(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.jobs.maintenance import run_maintenance

    tables = [t.strip() for item in args.tables or [] for t in item.split(",") if t.strip()]
    guard = (
        spark_for(args, settings, "optlake-maintenance") if settings.target != "athena" else contextlib.nullcontext()
    )
    with guard:
        run_maintenance(
            settings,
            tables,
            dry_run=args.dry_run,
            retain_last=args.retain_last,
            max_snapshot_age_days=args.max_snapshot_age_days,
        )
    return 0


def cmd_train_scorer(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.jobs.train_scorer import train_scorer

    with spark_for(args, settings, "optlake-train-scorer") as spark:
        report = train_scorer(spark, settings, args.out, frequency=args.frequency, horizon=args.horizon)
    details = ", ".join(f"{k} {v}" for k, v in report.items() if k != "out_path")
    log.info("scorer written to %s (%s)", report["out_path"], details)
    return 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from pyspark.errors import AnalysisException, ParseException

    from optlake.serving.query import run_query

    source = Path(args.sql)
    sql = source.read_text() if args.sql.endswith(".sql") and source.is_file() else args.sql
    with spark_for(args, settings, "optlake-query") as spark:
        try:
            print(run_query(spark, sql, limit=args.limit))
        except (AnalysisException, ParseException) as exc:
            log.error("error: %s", str(exc).strip().splitlines()[0])
            return 2
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.serving.summary import summary

    with spark_for(args, settings, "optlake-summary") as spark:
        print(summary(spark, settings.schema))
    return 0


def cmd_thrift(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.targets import thrift_server

    if args.action == "start":
        thrift_server.start(settings)
    elif args.action == "stop":
        thrift_server.stop(settings)
    else:
        running, lines = thrift_server.status(settings)
        print("\n".join(lines))
        return 0 if running else 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optlake", description=__doc__)
    parser.add_argument("--schema", help="schema (database) of the tables; default $OPTLAKE_SCHEMA or trading_db")
    parser.add_argument("--warehouse", help="local warehouse folder; default $OPTLAKE_WAREHOUSE or ./warehouse")
    parser.add_argument(
        "--target",
        choices=SPARK_TARGETS,
        help="profiles.yml target whose catalog the Spark commands use; default $OPTLAKE_TARGET or local "
        "(thrift: the PostgreSQL metastore of `optlake thrift start`)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=_seconds,
        default=os.environ.get("OPTLAKE_LOCK_TIMEOUT", str(DEFAULT_TIMEOUT_S)),  # parsed by type=
        help="seconds to wait while another optlake command uses the local warehouse "
        f"(default $OPTLAKE_LOCK_TIMEOUT or {DEFAULT_TIMEOUT_S:.0f})",
    )
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("-v", "--verbose", action="store_true", help="debug messages, with time and module")
    noise.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser(
        "generate",
        help="write synthetic OPRA CBBO-1m option quotes and OHLCV market bars (one correlated model)",
        description="Write synthetic vendor files. Set 'options': opra-pillar-YYYYMMDD.cbbo-1m.csv per trading "
        "day. Set 'bars': xnas-itch-YYYYMMDD.ohlcv-1m.csv and .ohlcv-1d.csv per trading day (equities, ETFs, "
        "indices), coinbase-YYYYMMDD.ohlcv-1m.csv and -1d for every calendar day (crypto, 24/7), "
        "treasury-YYYYMMDD.ohlcv-1d.csv per trading day (yields), and truth/market.truth.json. Option spots are "
        "the bar closes of the same model. The same seed gives byte-identical files.",
    )
    gen.add_argument("--days", type=_positive, default=3, help="trading days to write (default 3)")
    gen.add_argument("--rows-per-day", type=_positive, default=100_000, help="option rows per file (default 100000)")
    gen.add_argument(
        "--sets",
        default="options",
        help="comma-separated file sets: options, bars (default options; both: --sets options,bars)",
    )
    gen.add_argument(
        "--history-days",
        type=_number(int, 0, "an integer >= 0"),
        default=0,
        help="also write daily bars only (.ohlcv-1d of every dataset) for N trading days before --start "
        "(crypto: every calendar day from the first of them); default 0",
    )
    gen.add_argument("--start", type=_date, default=dt.date(2025, 1, 27), help="first day (default 2025-01-27)")
    gen.add_argument("--out", required=True, help="output folder (the landing folder)")
    gen.add_argument("--gzip", action="store_true", help="write .csv.gz")
    gen.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    gen.set_defaults(func=cmd_generate)

    ld = sub.add_parser("load", help="load pending CSV files of a landing folder or s3:// prefix into Bronze")
    ld.add_argument("location", help="landing folder or s3://bucket/prefix")
    ld.add_argument("--strict", action="store_true", help="exit 1 when any file was rejected or a duplicate")
    ld.set_defaults(func=cmd_load)

    dl = sub.add_parser("daily", help="the daily job in one process: load Bronze, run Silver and the active strategies")
    dl.add_argument("location", help="landing folder or s3://bucket/prefix")
    dl.add_argument(
        "--test", action="store_true", help="then run the dbt tests of the days it loaded (their rows only)"
    )
    dl.set_defaults(func=cmd_daily)

    bs = sub.add_parser(
        "bootstrap",
        help="backfill every pending file in one job (batches, resumable), then build every layer and compact",
        description="Load every pending file of LOCATION in batches (progress per batch), then `dbt build` (every "
        "layer and the active strategies, with their tests), then Iceberg maintenance. Killed part-way, run it "
        "again: it continues with the files still pending and loads nothing twice.",
    )
    bs.add_argument("location", help="landing folder or s3://bucket/prefix")
    bs.add_argument("--batch-files", type=_positive, default=20, help="files per load batch (default 20)")
    bs.add_argument("--no-build", action="store_true", help="load only (build later with dbt build)")
    bs.add_argument("--no-compact", action="store_true", help="skip the maintenance step")
    bs.add_argument("--strict", action="store_true", help="exit 1 when any file was rejected or a duplicate")
    bs.set_defaults(func=cmd_bootstrap)
    for p in (ld, dl):
        p.add_argument("--reprocess", action="store_true", help="also reload files already in processed/")
        p.add_argument(
            "--replace-day",
            action="store_true",
            help="a file whose rows overlap an already loaded file of the same trading day supersedes it "
            "(a corrected re-delivery); without it such a file is rejected as a duplicate",
        )
    for p in (ld, dl, bs):
        p.add_argument(
            "--engine",
            choices=ENGINES,
            default="auto",
            help="CSV parser: arrow (clean files parsed in this process, files with bad lines by Spark), "
            "spark (every file by Spark), auto (default: arrow on a local Spark, spark on a cluster)",
        )

    st = sub.add_parser(
        "strategy",
        help="run the active strategies, or named ones even when switched off (optionally for some symbols only)",
        description="Run strategies through dbt in one process. Names: the model (gold_laymanspystrategy), the "
        "old pipeline's name (LaymanSPYStrategy) or without 'Strategy' (LaymanSPY, VIXAdaptive); any case.",
    )
    st.add_argument("--strategies", nargs="+", metavar="NAME", help="strategies to run (default: the active ones)")
    st.add_argument(
        "--symbols",
        nargs="+",
        metavar="SYMBOL",
        help="re-run only these symbols (underlyings for option strategies) on every day; other symbols' rows "
        "are left as they are",
    )
    st.add_argument("--full-refresh", action="store_true", help="rebuild the strategies' tables from all their input")
    st.add_argument("--test", action="store_true", help="also run the strategies' dbt tests (dbt build)")
    st.set_defaults(func=cmd_strategy)

    mt = sub.add_parser(
        "maintenance",
        help="Iceberg maintenance: compact small files, rewrite manifests, expire snapshots, remove orphan files",
        description="Maintain the Bronze tables and every table model (dbt run-operation iceberg_maintenance): "
        "retention per layer in dbt_project.yml (var maintenance). Prints data files, bytes, manifests and "
        "snapshots per table before and after.",
    )
    mt.add_argument("--tables", nargs="+", metavar="TABLE", help="tables to maintain (default: all)")
    mt.add_argument("--dry-run", action="store_true", help="measure and list what would be done; change nothing")
    mt.add_argument("--retain-last", type=_positive, help="keep this many snapshots per table (overrides the layers')")
    mt.add_argument(
        "--max-snapshot-age-days",
        type=_number(float, 0, "a number of days >= 0"),
        help="keep every snapshot younger than this (overrides the layers'; 0: only --retain-last's)",
    )
    mt.set_defaults(func=cmd_maintenance)

    ts = sub.add_parser(
        "train-scorer",
        help="train the RSI/Bollinger strategy's demonstration model on the warehouse's bars (ONNX)",
        description="Train a small scikit-learn model on the warehouse's bars and write it as ONNX, for "
        "gold_rsibollingerstrategy's scorer (var rsi_bollinger_scorer). A demonstration of the model-with-rule-"
        "fallback mechanism, not of any trading edge.",
    )
    ts.add_argument("--out", help="model file to write (default: the path of var rsi_bollinger_scorer)")
    ts.add_argument("--frequency", choices=("1m", "5m", "daily"), default="5m", help="bars to train on (default 5m)")
    ts.add_argument("--horizon", type=_positive, default=6, help="label horizon in bars (default 6)")
    ts.set_defaults(func=cmd_train_scorer)

    q = sub.add_parser("query", help="run Spark SQL on the warehouse and print the result")
    q.add_argument("sql", help="SQL text, or the path of a .sql file (e.g. a compiled analysis in target/compiled)")
    q.add_argument("--limit", type=_positive, default=1000, help="rows to print at most (default 1000)")
    q.set_defaults(func=cmd_query)

    sm = sub.add_parser("summary", help="print the tables of the schema with row counts and the last load")
    sm.set_defaults(func=cmd_summary)

    from optlake.report.cli import add_report_parser

    add_report_parser(sub)

    from optlake.emr.cli import add_emr_parser

    add_emr_parser(sub)

    from optlake.serving.cli import add_serve_parser

    add_serve_parser(sub)

    from optlake.streaming.cli import add_stream_parsers

    add_stream_parsers(sub)

    th = sub.add_parser(
        "thrift", help="start, stop or show the thrift target's servers (PostgreSQL metastore, Spark Thrift server)"
    )
    th.add_argument("action", choices=("start", "stop", "status"))
    th.set_defaults(func=cmd_thrift)
    return parser


def main(argv: list[str] | None = None) -> int:
    from optlake.bronze.report import LoadError
    from optlake.jobs.dbt_invoke import DbtError
    from optlake.targets.thrift_server import ThriftError

    args = build_parser().parse_args(argv)
    logs.configure(logs.VERBOSE if args.verbose else logs.QUIET if args.quiet else logs.NORMAL)
    if args.schema:
        os.environ["OPTLAKE_SCHEMA"] = args.schema
    if args.warehouse:
        os.environ["OPTLAKE_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    if args.target:
        os.environ["OPTLAKE_TARGET"] = args.target
    settings = Settings.from_env()
    try:
        return args.func(args, settings)
    except LoadError as exc:
        log.error("error: counts do not reconcile: %s", exc)
        return 2
    except (DbtError, ThriftError) as exc:
        log.error("error: %s", exc)
        return 1
    except (FileNotFoundError, ValueError, WarehouseBusy) as exc:
        log.error("error: %s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
