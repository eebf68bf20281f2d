"""The in-memory store of `optlake serve`: each hot table's current snapshot as indexed Arrow, kept fresh.

A table is read once (PyIceberg StaticTable over the exact metadata file the locator names, scan to Arrow),
sorted and indexed by its look-up keys (optlake.serving.lookups). A background thread asks the locator for
each table's metadata location every `refresh_seconds`; when it changed, it loads the new snapshot and swaps
it in (one dict assignment). Requests always read the last loaded version: a reload never blocks them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from optlake.serving.catalog import MetadataLocator
from optlake.serving.lookups import Keyed, build_keyed

log = logging.getLogger(__name__)

#: The analytics tables the API serves: (key column, day column, order columns within a day).
ANALYTICS = {
    "indicators_daily": ("symbol", "trade_date", ()),
    "indicators_intraday": ("symbol", "session_date", ("ts_start",)),
    "iv_surface_daily": ("underlying", "trade_date", ("tenor_days",)),
    "vol_index": ("underlying", "trade_date", ("ts_recv",)),
}
#: A Gold table's time column: the first of these it has (else trade_date alone orders it).
GOLD_TIME_COLUMNS = ("ts_recv", "ts", "ts_start")


def gold_columns(names: list[str]) -> tuple[str, tuple[str, ...]]:
    """(key, order) of a Gold table: its underlying (option strategies) else its symbol; its time column."""
    key = "underlying" if "underlying" in names else "symbol"
    return key, tuple(c for c in GOLD_TIME_COLUMNS if c in names)[:1]


def prepare(table: pa.Table) -> pa.Table:
    """Decimals as float64 (JSON numbers, parsed from their exact text so 297.590000000 is 297.59), large
    strings as strings."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            as_float = pc.cast(pc.cast(table.column(i), pa.string()), pa.float64())
            table = table.set_column(i, pa.field(f.name, pa.float64()), as_float)
        elif pa.types.is_large_string(f.type):
            table = table.set_column(i, pa.field(f.name, pa.string()), table.column(i).cast(pa.string()))
    return table


def index_table(name: str, table: pa.Table) -> dict[str, Keyed]:
    """The indexes of one table: `key` for every table; `day` (all keys of one day) for Gold tables."""
    table = prepare(table)
    if name in ANALYTICS:
        key, day, order = ANALYTICS[name]
        return {"key": build_keyed(table, key, day, order, name)}
    key, order = gold_columns(table.column_names)
    return {
        "key": build_keyed(table, key, "trade_date", order, name),
        "day": build_keyed(table, "trade_date", "trade_date", order, name),
    }


def io_properties(env: dict[str, str] | None = None) -> dict[str, str]:
    """PyIceberg FileIO properties from the environment (an S3 endpoint such as a moto server)."""
    env = dict(os.environ if env is None else env)
    props = {}
    if env.get("AWS_ENDPOINT_URL"):
        props["s3.endpoint"] = env["AWS_ENDPOINT_URL"]
    if env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"):
        props["s3.region"] = env.get("AWS_REGION") or env["AWS_DEFAULT_REGION"]
    return props


def read_snapshot(metadata_location: str) -> tuple[int | None, pa.Table]:
    """(current snapshot id, its rows) of the table whose metadata file is ``metadata_location``."""
    from pyiceberg.table import StaticTable

    table = StaticTable.from_metadata(metadata_location, properties=io_properties())
    snapshot = table.current_snapshot()
    return (snapshot.snapshot_id if snapshot else None), table.scan().to_arrow()


@dataclass(frozen=True)
class Loaded:
    name: str
    metadata_location: str
    snapshot_id: int | None
    rows: int
    loaded_at: dt.datetime
    load_seconds: float
    indexes: dict[str, Keyed]


def load(name: str, metadata_location: str, reader: Callable = read_snapshot) -> Loaded:
    started = time.perf_counter()
    snapshot_id, table = reader(metadata_location)
    indexes = index_table(name, table)
    seconds = time.perf_counter() - started
    log.info("serve: loaded %s (%d rows, snapshot %s) in %.2f s", name, table.num_rows, snapshot_id, seconds)
    return Loaded(name, metadata_location, snapshot_id, table.num_rows, dt.datetime.now(dt.UTC), seconds, indexes)


@dataclass
class Status:
    state: str = "pending"  # pending, loaded, missing, error
    checked_at: dt.datetime | None = None
    error: str | None = None


@dataclass
class TableStore:
    """The hot tables, their versions and a background refresher."""

    locator: MetadataLocator
    names: list[str]
    refresh_seconds: float = 5.0
    reader: Callable = read_snapshot
    _loaded: dict[str, Loaded] = field(default_factory=dict)
    _status: dict[str, Status] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def get(self, name: str) -> Loaded | None:
        return self._loaded.get(name)

    def refresh_table(self, name: str) -> bool:
        """Load ``name`` when its metadata location changed; True when a new version was swapped in."""
        status = self._status.setdefault(name, Status())
        try:
            location = self.locator.locate(name)
            status.checked_at = dt.datetime.now(dt.UTC)
            if location is None:
                status.state, status.error = ("missing", None) if name not in self._loaded else ("loaded", None)
                return False
            current = self._loaded.get(name)
            if current is not None and current.metadata_location == location:
                status.state, status.error = "loaded", None
                return False
            self._loaded[name] = load(name, location, self.reader)
            status.state, status.error = "loaded", None
            return True
        except Exception as exc:  # a bad file or an unreachable catalog must not stop the other tables
            log.exception("serve: could not refresh %s", name)
            status.state = "loaded" if name in self._loaded else "error"
            status.error = f"{type(exc).__name__}: {exc}"[:500]
            return False

    def refresh_once(self) -> list[str]:
        """Check every table once; the names reloaded."""
        return [n for n in self.names if self.refresh_table(n)]

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            self.refresh_once()

    def start(self) -> None:
        if self._thread is None and self.refresh_seconds > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="optlake-serve-refresh", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def health(self) -> dict:
        tables = {}
        for name in self.names:
            status = self._status.get(name, Status())
            loaded = self._loaded.get(name)
            tables[name] = {
                "state": status.state,
                "metadata_location": loaded.metadata_location if loaded else None,
                "snapshot_id": loaded.snapshot_id if loaded else None,
                "rows": loaded.rows if loaded else None,
                "loaded_at": loaded.loaded_at.isoformat() if loaded else None,
                "load_seconds": round(loaded.load_seconds, 3) if loaded else None,
                "checked_at": status.checked_at.isoformat() if status.checked_at else None,
                "error": status.error,
            }
        failing = [n for n, t in tables.items() if t["state"] in ("error", "pending")]
        return {
            "status": "degraded" if failing else "ok",
            "refresh_seconds": self.refresh_seconds,
            "tables": tables,
        }
