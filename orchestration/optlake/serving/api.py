"""The read API of `optlake serve`: a FastAPI app over the in-memory store (optlake.serving.tables).

Every answer comes from the last loaded snapshot of a table; `/health` says which snapshot and when. Bad
requests get a 4xx with a message (404 unknown strategy, symbol, underlying or day; 400 an impossible range;
422 a malformed parameter). An unexpected fault becomes a 503 with a message, logged, never a 500.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import orjson
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import Response

from optlake.jobs.strategy import PREFIX, Strategy, resolve
from optlake.serving.lookups import Answer, BadRequest, NotFound, latest_signals, one_day, time_range
from optlake.serving.tables import TableStore

log = logging.getLogger(__name__)

#: The columns of the term structure (iv_surface_daily's ATM, risk reversal and butterfly per tenor).
TERM_COLUMNS = ["trade_date", "underlying", "ts_recv", "tenor_days", "atm_iv", "rr_25", "bf_25", "in_range"]
MAX_LIMIT = 100_000


def _default(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


class JSON(Response):
    """orjson: dates and timestamps as ISO 8601, NaN and infinities as null."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_default, option=orjson.OPT_NON_STR_KEYS)


def error(status: int, message: str) -> JSON:
    return JSON({"detail": message}, status_code=status)


def answer(table: str, store: TableStore, result: Answer, **query: Any) -> JSON:
    loaded = store.get(table)
    body = {
        "table": table,
        "snapshot_id": loaded.snapshot_id if loaded else None,
        **{k: v for k, v in query.items()},
        "count": len(result.rows),
        "matched": result.matched,
        "truncated": result.truncated,
        "rows": result.rows,
    }
    if result.day is not None:
        body["day"] = result.day
    return JSON(body)


class Unavailable(Exception):
    """A table the request needs is not loaded (not built, or its load failed)."""


def indexes(store: TableStore, table: str) -> dict:
    loaded = store.get(table)
    if loaded is None:
        if table not in store.names:
            raise NotFound(f"table {table} is not served (optlake serve --tables)")
        state = store.health()["tables"][table]["state"]
        if state == "missing":
            raise NotFound(f"table {table} is not built in this warehouse (see /health)")
        raise Unavailable(f"table {table} is not loaded: {state} (see /health)")
    return loaded.indexes


def _symbol(value: str) -> str:
    return value.strip()


Day = Annotated[dt.date | None, Query(description="trade date, YYYY-MM-DD")]
Start = Annotated[dt.date | None, Query(description="first trade date, YYYY-MM-DD (default: open)")]
End = Annotated[dt.date | None, Query(description="last trade date, YYYY-MM-DD (default: open)")]
Underlying = Annotated[str, Path(min_length=1, max_length=64, description="underlying, e.g. SPX, SPY")]


def create_app(store: TableStore, strategies: list[Strategy], manage_refresh: bool = True) -> FastAPI:
    """The app over ``store``; with ``manage_refresh`` its lifespan starts and stops the background refresh."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_refresh:
            store.start()
        try:
            yield
        finally:
            if manage_refresh:
                store.stop()

    app = FastAPI(
        title="optlake serve",
        description="Read-only API over the lakehouse's Gold signals, indicators, volatility surface and "
        "volatility index: each table's current Iceberg snapshot, in memory, reloaded when it changes.",
        version="1",
        lifespan=lifespan,
        default_response_class=JSON,
    )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSON:
        return error(404, str(exc))

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSON:
        return error(400, str(exc))

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> JSON:
        return error(503, str(exc))

    @app.exception_handler(Exception)
    async def fault(request: Request, exc: Exception) -> JSON:
        log.exception("serve: %s %s failed", request.method, request.url.path)
        return error(503, f"server fault ({type(exc).__name__}); see the server log")

    @app.get("/health", summary="table versions, load times and refresh state")
    async def health() -> JSON:
        return JSON(store.health())

    @app.get(
        "/signals/{strategy}",
        summary="the latest signals of a strategy, newest first",
        description="Strategy: the model (gold_laymanspystrategy), the old pipeline's name (LaymanSPYStrategy) "
        "or without 'Strategy' (LaymanSPY); any case. symbol: the underlying of option strategies, the symbol of "
        "bar strategies. Without symbol: every symbol's signals of `day` (default: the table's latest day).",
        responses={404: {"description": "unknown strategy or symbol"}},
    )
    async def signals(
        strategy: Annotated[str, Path(min_length=1, max_length=100)],
        symbol: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        day: Day = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> JSON:
        try:
            model = resolve([strategy], strategies)[0]
        except ValueError as exc:
            raise NotFound(str(exc)) from None
        idx = indexes(store, model)
        what = "underlying" if idx["key"].key == "underlying" else "symbol"
        sym = _symbol(symbol) if symbol is not None else None
        result = latest_signals(idx["key"], idx["day"], sym, day, limit, what)
        return answer(model, store, result, strategy=model.removeprefix(PREFIX), symbol=sym)

    @app.get(
        "/indicators/{symbol}",
        summary="a symbol's indicators over a date range, oldest first",
        description="frequency daily (indicators_daily, one row per trade date) or 5m (indicators_intraday, one "
        "row per 5-minute bar; dates are session dates). When more rows than `limit` match, the latest `limit` "
        "are returned and `truncated` is true. The incremental state columns (st_*) are left out.",
    )
    async def indicators(
        symbol: Annotated[str, Path(min_length=1, max_length=64)],
        start: Start = None,
        end: End = None,
        frequency: Annotated[Literal["daily", "5m"], Query()] = "daily",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
    ) -> JSON:
        table = "indicators_daily" if frequency == "daily" else "indicators_intraday"
        keyed = indexes(store, table)["key"]
        columns = [c for c in keyed.table.column_names if not c.startswith("st_")]
        result = time_range(keyed, _symbol(symbol), start, end, limit, "symbol", columns)
        return answer(table, store, result, symbol=_symbol(symbol), frequency=frequency, start=start, end=end)

    @app.get(
        "/surface/{underlying}",
        summary="the implied-volatility surface of an underlying on a day (default: its latest)",
        description="iv_surface_daily: one row per tenor (days), implied volatility at 10..90 delta (iv_d10 .. "
        "iv_d90), ATM, 25-delta risk reversal and butterfly.",
    )
    async def surface(underlying: Underlying, day: Day = None) -> JSON:
        keyed = indexes(store, "iv_surface_daily")["key"]
        result = one_day(keyed, _symbol(underlying), day, "underlying")
        return answer("iv_surface_daily", store, result, underlying=_symbol(underlying))

    @app.get(
        "/term-structure/{underlying}",
        summary="the ATM term structure of an underlying on a day (default: its latest)",
    )
    async def term_structure(underlying: Underlying, day: Day = None) -> JSON:
        keyed = indexes(store, "iv_surface_daily")["key"]
        present = set(keyed.table.column_names)
        columns = [c for c in TERM_COLUMNS if c in present]
        result = one_day(keyed, _symbol(underlying), day, "underlying", columns)
        return answer("iv_surface_daily", store, result, underlying=_symbol(underlying))

    @app.get(
        "/vol-index",
        summary="the 30-day volatility index of an underlying over a date range, oldest first",
        description="vol_index: one row per snapshot time. Without start and end: the latest `limit` rows.",
    )
    async def vol_index(
        underlying: Annotated[str, Query(min_length=1, max_length=64)] = "SPX",
        start: Start = None,
        end: End = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
    ) -> JSON:
        keyed = indexes(store, "vol_index")["key"]
        result = time_range(keyed, _symbol(underlying), start, end, limit, "underlying")
        return answer("vol_index", store, result, underlying=_symbol(underlying), start=start, end=end)

    return app
