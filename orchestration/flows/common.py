"""What the flows share in one process: settings, the Spark session, and one-at-a-time locks.

Tasks run as threads of the flow's process (Prefect's thread pool), so they share one Spark session:
the embedded catalog (a Derby metastore in the warehouse) admits one process, and a session per task
would mean a JVM per task. Two kinds of work must not overlap, whatever runs in parallel:

- dbt: dbt-core does not support concurrent invocations in one process, so every dbt call of a flow
  holds ``DBT_LOCK``;
- Bronze loads: the loader screens duplicates against what Bronze holds and commits without a catalog
  lock (Hive commit locks are off on the embedded catalog), so loads hold ``LOAD_LOCK``.

Read-only Spark work (counting rows and signals) runs in parallel.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: One dbt invocation at a time in this process (dbt-core is not re-entrant).
DBT_LOCK = threading.Lock()
#: One Bronze load at a time in this process.
LOAD_LOCK = threading.Lock()
_SPARK_LOCK = threading.Lock()

APP_NAME = "optlake-flows"


class RunLogHandler(logging.Handler):
    """Prefect's API log handler for the records made inside a flow or task run; records from threads
    without one (dbt's own worker threads) still reach the console through the root logger."""

    def __init__(self) -> None:
        from prefect.logging.handlers import APILogHandler

        super().__init__()
        self.api = APILogHandler()

    def emit(self, record: logging.LogRecord) -> None:
        from prefect.context import FlowRunContext, TaskRunContext

        if FlowRunContext.get() or TaskRunContext.get():
            self.api.handle(record)


def forward_optlake_logs() -> None:
    """Send the optlake jobs' messages (INFO and up) to the run's log in the Prefect API, as
    PREFECT_LOGGING_EXTRA_LOGGERS=optlake would, at the level the jobs log at. Idempotent."""
    target = logging.getLogger("optlake")
    if not any(isinstance(h, RunLogHandler) for h in target.handlers):
        target.addHandler(RunLogHandler())
    if target.level == logging.NOTSET:
        target.setLevel(logging.INFO)


def flow_settings(warehouse: str | None = None, schema: str | None = None, target: str | None = None) -> Settings:
    """Settings from the environment (OPTLAKE_WAREHOUSE, OPTLAKE_SCHEMA, ...), overridden by a flow's
    parameters; also forwards the optlake jobs' log messages to the flow run's log."""
    forward_optlake_logs()
    settings = Settings.from_env()
    changes: dict = {}
    if warehouse:
        changes["warehouse"] = Path(warehouse).expanduser().resolve()
    if schema:
        changes["schema"] = schema
    if target:
        changes["target"] = target
    return dataclasses.replace(settings, **changes)


def shared_spark(settings: Settings) -> SparkSession:
    """The process's Spark session: started on first use, then the same one for every task (the
    loader makes it the active session of a task's thread where Iceberg's Java API needs that)."""
    from optlake.targets.spark_session import get_spark

    with _SPARK_LOCK:
        return get_spark(settings, APP_NAME)


_held: dict[Path, int] = {}  # warehouses this process holds the lock of, and how many flows hold it
_held_lock = threading.Lock()


@contextlib.contextmanager
def warehouse_guard(settings: Settings, command: str) -> Iterator[None]:
    """The warehouse lock of the `optlake` commands, for a flow run on the local target (no other
    process may open the embedded catalog meanwhile); nothing on the other targets. Re-entrant within
    the process, so a flow may run another one."""
    if settings.target != "local":
        yield
        return
    from optlake.targets.lock import warehouse_lock

    key = settings.warehouse.resolve()
    with _held_lock:
        nested = _held.get(key, 0) > 0
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    with warehouse_lock(settings.warehouse, command):
        with _held_lock:
            _held[key] = _held.get(key, 0) + 1
        try:
            yield
        finally:
            with _held_lock:
                _held[key] -= 1


@contextlib.contextmanager
def one_at_a_time(lock: threading.Lock, what: str) -> Iterator[None]:
    """Hold ``lock``; logs how long the wait was when another task held it."""
    t0 = time.monotonic()
    with lock:
        waited = time.monotonic() - t0
        if waited > 1:
            log.info("%s waited %.1f s for its turn", what, waited)
        yield


def run_dbt(settings: Settings, *args: str):
    """``dbt ARGS --quiet`` in this process, holding the dbt lock; dbt's result object."""
    from optlake.jobs.dbt_invoke import invoke_dbt

    spark_session_for(settings)
    with one_at_a_time(DBT_LOCK, f"dbt {' '.join(args)}"):
        return invoke_dbt(settings, *args, "--quiet")


def spark_session_for(settings: Settings) -> None:
    """The shared session, active in this thread, on the targets whose dbt uses an embedded session."""
    from optlake.targets.spark_session import SPARK_TARGETS

    if settings.target in SPARK_TARGETS:
        shared_spark(settings)


def seed_missing(settings: Settings) -> None:
    """dbt seed when a seed table is missing (optlake.jobs.daily.seed_missing), holding the dbt lock."""
    from optlake.jobs.daily import seed_missing as seed

    with one_at_a_time(DBT_LOCK, "dbt seed"):
        seed(shared_spark(settings), settings)


def signal_counts(spark: SparkSession, table: str, where: str) -> dict[str, int]:
    """Rows per signal of a Gold table under a SQL condition; {} when the table does not exist."""
    if not spark.catalog.tableExists(table):
        return {}
    rows = spark.sql(f"select signal, count(*) as n from {table} where {where} group by signal").collect()
    return {str(r["signal"]): int(r["n"]) for r in rows}
