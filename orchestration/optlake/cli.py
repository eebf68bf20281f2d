"""`optlake`: the command line of the options lakehouse."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from optlake.loader import ENGINES
from optlake.settings import Settings
from optlake.spark_session import SPARK_TARGETS


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from exc


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.generator import generate

    paths = generate(
        Path(args.out), args.days, args.rows_per_day, args.start, gzip=args.gzip, seed=args.seed
    )
    print(f"Generated {len(paths)} file(s) in {args.out}")
    return 0


def cmd_daily(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.daily import daily
    from optlake.dbt_invoke import DbtError
    from optlake.landing import open_landing
    from optlake.loader import LoadError
    from optlake.spark_session import get_spark

    landing = open_landing(args.location)
    try:
        daily(get_spark(settings, "optlake-daily"), settings, landing, reprocess=args.reprocess, engine=args.engine)
    except LoadError as exc:
        print(f"error: counts do not reconcile: {exc}", file=sys.stderr)
        return 2
    except DbtError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        landing.close()
    return 0


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.landing import open_landing
    from optlake.loader import LoadError, load
    from optlake.spark_session import get_spark

    landing = open_landing(args.location)
    try:
        spark = get_spark(settings, "optlake-load")
        report = load(spark, landing, settings.schema, reprocess=args.reprocess, engine=args.engine)
    except LoadError as exc:
        print(f"error: counts do not reconcile: {exc}", file=sys.stderr)
        return 2
    finally:
        landing.close()
    return 1 if args.strict and report.by_status("rejected") else 0


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.query import run_query
    from optlake.spark_session import get_spark

    from pyspark.errors import AnalysisException, ParseException

    source = Path(args.sql)
    sql = source.read_text() if args.sql.endswith(".sql") and source.is_file() else args.sql
    spark = get_spark(settings, "optlake-query")
    try:
        print(run_query(spark, sql, limit=args.limit))
    except (AnalysisException, ParseException) as exc:
        print(f"error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    from optlake.spark_session import get_spark
    from optlake.summary import summary

    print(summary(get_spark(settings, "optlake-summary"), settings.schema))
    return 0


def cmd_thrift(args: argparse.Namespace, settings: Settings) -> int:
    from optlake import thrift_server

    try:
        if args.action == "start":
            thrift_server.start(settings)
        elif args.action == "stop":
            thrift_server.stop(settings)
        else:
            return 0 if thrift_server.status(settings) else 3
    except thrift_server.ThriftError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optlake", description=__doc__)
    parser.add_argument(
        "--schema", help="schema (database) of the tables; default $OPTLAKE_SCHEMA or trading_db"
    )
    parser.add_argument("--warehouse", help="local warehouse folder; default $OPTLAKE_WAREHOUSE or ./warehouse")
    parser.add_argument(
        "--target", choices=SPARK_TARGETS,
        help="profiles.yml target whose catalog the Spark commands use; default $OPTLAKE_TARGET or local "
        "(thrift: the PostgreSQL metastore of `optlake thrift start`)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write synthetic OPRA CBBO-1m CSV files")
    gen.add_argument("--days", type=_positive, default=3, help="trading days to write (default 3)")
    gen.add_argument("--rows-per-day", type=_positive, default=100_000, help="rows per file (default 100000)")
    gen.add_argument("--start", type=_date, default=dt.date(2025, 1, 27), help="first day (default 2025-01-27)")
    gen.add_argument("--out", required=True, help="output folder (the landing folder)")
    gen.add_argument("--gzip", action="store_true", help="write .csv.gz")
    gen.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    gen.set_defaults(func=cmd_generate)

    ld = sub.add_parser("load", help="load pending CSV files of a landing folder or s3:// prefix into Bronze")
    ld.add_argument("location", help="landing folder or s3://bucket/prefix")
    ld.add_argument("--reprocess", action="store_true", help="also reload files already in processed/")
    ld.add_argument("--strict", action="store_true", help="exit 1 when any file was rejected")
    ld.set_defaults(func=cmd_load)

    dl = sub.add_parser("daily", help="the daily job in one process: load Bronze, run Silver and the active strategies")
    dl.add_argument("location", help="landing folder or s3://bucket/prefix")
    dl.add_argument("--reprocess", action="store_true", help="also reload files already in processed/")
    dl.set_defaults(func=cmd_daily)
    for p in (ld, dl):
        p.add_argument(
            "--engine", choices=ENGINES, default="auto",
            help="CSV parser: arrow (clean files parsed in this process, files with bad lines by Spark), "
            "spark (every file by Spark), auto (default: arrow on a local Spark, spark on a cluster)",
        )

    q = sub.add_parser("query", help="run Spark SQL on the local warehouse and print the result")
    q.add_argument("sql", help="SQL text, or the path of a .sql file (e.g. a compiled analysis in target/compiled)")
    q.add_argument("--limit", type=_positive, default=1000, help="rows to print at most (default 1000)")
    q.set_defaults(func=cmd_query)

    sm = sub.add_parser("summary", help="print the tables of the schema with row counts and the last load")
    sm.set_defaults(func=cmd_summary)

    th = sub.add_parser("thrift", help="start, stop or show the thrift target's servers (PostgreSQL metastore, Spark Thrift server)")
    th.add_argument("action", choices=("start", "stop", "status"))
    th.set_defaults(func=cmd_thrift)
    return parser


def main(argv: list[str] | None = None) -> int:
    import os

    args = build_parser().parse_args(argv)
    if args.schema:
        os.environ["OPTLAKE_SCHEMA"] = args.schema
    if args.warehouse:
        os.environ["OPTLAKE_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    if args.target:
        os.environ["OPTLAKE_TARGET"] = args.target
    settings = Settings.from_env()
    try:
        return args.func(args, settings)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
