"""Per-symbol flows: ``analyze_symbol`` re-runs strategies (default the VIX-adaptive one) for one
symbol and reports its rows; ``analyze_symbols`` fans out one task per symbol, as the old Prefect
pipeline's orchestrator did, and writes a summary artifact.

The strategies run through dbt, and dbt runs one invocation at a time in a process, so the symbols'
dbt runs take turns on the dbt lock: the fan-out gives each symbol its own retries, failure isolation
and row in the report (and lets one symbol's row counts overlap the next one's dbt run), not parallel
dbt runs.

    .venv/bin/python -m flows.symbols AAPL MSFT [--strategies VIXAdaptive]
"""

from __future__ import annotations

import argparse
import time

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import task_run

from flows.artifacts import SymbolOutcome, symbols_markdown
from flows.common import (
    DBT_LOCK,
    flow_settings,
    one_at_a_time,
    shared_spark,
    signal_counts,
    warehouse_guard,
)
from flows.plans import artifact_key, key_column
from optlake.settings import Settings
from optlake.sql_literals import sql_string

DEFAULT_STRATEGIES = ("VIXAdaptive",)


@task(name="analyze-symbol", cache_policy=NO_CACHE, task_run_name="analyze {symbol}")
def analyze(settings: Settings, symbol: str, strategies: list[str]) -> SymbolOutcome:
    """Re-run the strategies for ``symbol`` on every day (run_strategies with symbols); its rows per signal."""
    from optlake.jobs.strategy import run_strategies

    t0 = time.monotonic()
    spark = shared_spark(settings)
    with one_at_a_time(DBT_LOCK, f"strategies for {symbol}"):
        models = run_strategies(settings, strategies, [symbol])
    counts: dict[str, int] = {}
    for model in models:
        table = f"{settings.schema}.{model}"
        if not spark.catalog.tableExists(table):
            continue
        column = key_column(spark.table(table).columns)
        for signal, n in signal_counts(spark, table, f"{column} = {sql_string(symbol)}").items():
            counts[signal] = counts.get(signal, 0) + n
    get_run_logger().info("%s: %s rows (%s)", symbol, sum(counts.values()), counts)
    return SymbolOutcome(symbol, "Completed", task_run.run_count, tuple(models), counts, time.monotonic() - t0)


def _checked(settings: Settings, strategies: list[str] | None) -> list[str]:
    """The strategy names, checked against the switchboard before any work."""
    from optlake.jobs.strategy import resolve, switchboard

    names = list(strategies or DEFAULT_STRATEGIES)
    resolve(names, switchboard(settings.project_dir))
    return names


def known_symbols(settings: Settings, strategies: list[str]) -> list[str]:
    """The symbols (or underlyings) that the strategies' Gold tables hold, sorted."""
    from optlake.jobs.strategy import resolve, switchboard

    spark = shared_spark(settings)
    found: set[str] = set()
    for model in resolve(strategies, switchboard(settings.project_dir)):
        table = f"{settings.schema}.{model}"
        if spark.catalog.tableExists(table):
            column = key_column(spark.table(table).columns)
            found |= {r[0] for r in spark.sql(f"select distinct {column} from {table}").collect() if r[0]}
    return sorted(found)


@flow(name="optlake-analyze-symbol")
def analyze_symbol(
    symbol: str,
    strategies: list[str] | None = None,
    retries: int = 2,
    warehouse: str | None = None,
    schema_name: str | None = None,
) -> dict:
    """Re-run ``strategies`` (default VIXAdaptive) for one symbol; its rows per signal, as an artifact."""
    settings = flow_settings(warehouse, schema_name)
    names = _checked(settings, strategies)
    with warehouse_guard(settings, f"prefect flow optlake-analyze-symbol {symbol}"):
        outcome = analyze.with_options(retries=retries, retry_delay_seconds=5)(settings, symbol, names)
    create_markdown_artifact(
        markdown=symbols_markdown(f"optlake analyze {symbol}", [outcome]),
        key=artifact_key("optlake-symbol", settings.schema, symbol),
        description=f"strategies re-run for {symbol}",
    )
    return {"symbol": symbol, "models": list(outcome.strategies), "signals": outcome.signals}


@flow(name="optlake-analyze-symbols")
def analyze_symbols(
    symbols: list[str] | None = None,
    strategies: list[str] | None = None,
    retries: int = 2,
    retry_delay_seconds: float = 5,
    warehouse: str | None = None,
    schema_name: str | None = None,
) -> dict:
    """Fan out one task per symbol (default: every symbol the strategies' tables hold), each retried
    up to ``retries`` times; a summary artifact. Fails, after the artifact, when a symbol failed for good."""
    logger = get_run_logger()
    settings = flow_settings(warehouse, schema_name)
    names = _checked(settings, strategies)
    outcomes: list[SymbolOutcome] = []
    try:
        with warehouse_guard(settings, "prefect flow optlake-analyze-symbols"):
            chosen = list(symbols) if symbols else known_symbols(settings, names)
            if not chosen:
                raise ValueError(f"no symbol given and none in the tables of {', '.join(names)}: pass symbols")
            logger.info("analyzing %d symbol(s) with %s", len(chosen), ", ".join(names))
            task_ = analyze.with_options(retries=retries, retry_delay_seconds=retry_delay_seconds)
            futures = task_.map(unmapped(settings), chosen, unmapped(names))
            for symbol, future in zip(chosen, futures, strict=True):
                future.wait()
                state = future.state
                if state.is_completed():
                    outcomes.append(future.result())
                else:
                    outcomes.append(SymbolOutcome(symbol, state.name, retries + 1, (), {}, 0.0, state.message or ""))
    finally:
        create_markdown_artifact(
            markdown=symbols_markdown("optlake analyze symbols", outcomes),
            key=artifact_key("optlake-symbols", settings.schema),
            description="strategies re-run per symbol",
        )
    failed = [o.symbol for o in outcomes if o.state != "Completed"]
    if failed:
        raise RuntimeError(f"analyze_symbols: {len(failed)} symbol(s) failed: {', '.join(failed)}")
    return {o.symbol: o.signals for o in outcomes}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.symbols", description=analyze_symbols.description)
    parser.add_argument("symbols", nargs="*", help="symbols (default: every symbol the strategies' tables hold)")
    parser.add_argument("--strategies", nargs="+", default=list(DEFAULT_STRATEGIES))
    args = parser.parse_args(argv)
    analyze_symbols(args.symbols or None, args.strategies)


if __name__ == "__main__":
    main()
