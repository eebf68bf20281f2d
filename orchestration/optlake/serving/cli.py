"""`optlake serve`: the read-only HTTP API (optlake.serving.api) on uvicorn."""

from __future__ import annotations

import argparse
import gc
import logging

from optlake.settings import Settings

log = logging.getLogger(__name__)

#: The analytics tables served besides the Gold strategies of dbt_project.yml.
ANALYTICS_TABLES = ("indicators_daily", "indicators_intraday", "iv_surface_daily", "vol_index")


def hot_tables(strategy_models: list[str], chosen: list[str] | None) -> list[str]:
    """The tables to keep in memory: ``chosen`` (names as given), else every strategy and analytics table."""
    everything = [*strategy_models, *ANALYTICS_TABLES]
    if not chosen:
        return everything
    unknown = [t for t in chosen if t not in everything]
    if unknown:
        raise ValueError(f"--tables: not a served table: {', '.join(unknown)}; served: {', '.join(everything)}")
    return list(dict.fromkeys(chosen))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from optlake.jobs.strategy import switchboard
    from optlake.serving.api import create_app
    from optlake.serving.catalog import locator_for
    from optlake.serving.tables import TableStore

    strategies = switchboard(settings.project_dir)
    chosen = [t.strip() for item in args.tables or [] for t in item.split(",") if t.strip()]
    names = hot_tables([s.model for s in strategies], chosen)
    store = TableStore(locator_for(settings), names, refresh_seconds=args.refresh_seconds)
    store.refresh_once()  # before the port opens: the first request finds the tables loaded
    health = store.health()["tables"]
    log.info(
        "serve: %s on the %s target, schema %s; http://%s:%d/docs",
        ", ".join(f"{n} ({t['state']})" for n, t in health.items()),
        settings.target,
        settings.schema,
        args.host,
        args.port,
    )
    app = create_app(store, strategies)
    gc.collect()
    gc.freeze()  # the loaded objects leave the collector's generations: shorter pauses under load
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return value


def add_serve_parser(sub) -> argparse.ArgumentParser:
    """The `serve` subcommand on the CLI's subparsers."""
    sp = sub.add_parser(
        "serve",
        help="read-only HTTP API: latest signals, indicators, volatility surface, term structure, vol index, health",
        description="Serve the Gold strategies' signals, indicators_daily/intraday, iv_surface_daily and vol_index "
        "over HTTP (OpenAPI docs at /docs). Reads each table's current Iceberg snapshot without a JVM (no "
        "metastore lock on the local target), keeps it in memory and reloads it in the background when its "
        "snapshot changes. Target: $OPTLAKE_TARGET (local, thrift or athena).",
    )
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sp.add_argument(
        "--refresh-seconds",
        type=_seconds,
        default=5.0,
        help="check every table's current snapshot this often, reload the changed ones (default 5; 0: never)",
    )
    sp.add_argument(
        "--tables", nargs="+", metavar="TABLE", help="tables to serve (default: every strategy and analytics table)"
    )
    sp.set_defaults(func=cmd_serve)
    return sp
