"""`optlake serve` without Spark: look-ups, metadata location, the store's reloads and the API on in-memory tables."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pytest

from optlake.jobs.strategy import Strategy
from optlake.serving.catalog import (
    Candidate,
    GlueLocator,
    LocalLocator,
    candidates,
    local_path,
    metadata_is_complete,
    pick_metadata,
)
from optlake.serving.cli import hot_tables
from optlake.serving.lookups import (
    BadRequest,
    NotFound,
    build_keyed,
    day_range,
    group_slices,
    latest_day,
    latest_signals,
    one_day,
    time_range,
)
from optlake.serving.tables import Loaded, TableStore, gold_columns, index_table

D = dt.date


def signals_table() -> pa.Table:
    ts = [dt.datetime(2025, 1, 27 + d, 15, m, tzinfo=dt.UTC) for d in range(3) for m in range(3)]
    return pa.table(
        {
            "symbol": ["SPY", "QQQ", "SPY"] * 3,
            "trade_date": [t.date() for t in ts],
            "ts": ts,
            "signal": ["BUY_CALL", "HOLD", "BUY_PUT"] * 3,
            "price": pa.array([str(i) for i in range(9)]).cast(pa.decimal128(10, 3)),
        }
    )


def test_group_slices_runs_of_sorted_keys():
    assert group_slices(pa.array(["a", "a", "b", "c", "c", "c"])) == {"a": (0, 2), "b": (2, 3), "c": (3, 6)}
    assert group_slices(pa.array([], pa.string())) == {}
    assert group_slices(pa.array(["a", None, None])) == {"a": (0, 1)}


def test_day_range_and_latest_day():
    keyed = build_keyed(pa.table({"k": ["x"] * 4, "d": [D(2025, 1, d) for d in (2, 3, 3, 6)]}), "k", "d")
    span = keyed.slices["x"]
    assert day_range(keyed, span, D(2025, 1, 3), D(2025, 1, 3)) == (1, 3)
    assert day_range(keyed, span, None, D(2025, 1, 4)) == (0, 3)
    assert day_range(keyed, span, D(2025, 1, 4), None) == (3, 4)
    assert day_range(keyed, span, D(2024, 1, 1), D(2024, 2, 1)) == (0, 0)
    assert latest_day(keyed, span) == D(2025, 1, 6)
    with pytest.raises(BadRequest, match="after end"):
        day_range(keyed, span, D(2025, 1, 5), D(2025, 1, 4))


def test_latest_signals_by_symbol_day_and_all_symbols():
    idx = index_table("gold_x", signals_table())
    got = latest_signals(idx["key"], idx["day"], "SPY", None, 3, "symbol")
    assert [r["ts"] for r in got.rows] == [
        "2025-01-29T15:02:00.000000Z",
        "2025-01-29T15:00:00.000000Z",
        "2025-01-28T15:02:00.000000Z",
    ]
    assert got.matched == 6 and got.truncated and got.rows[0]["price"] == 8.0
    one = latest_signals(idx["key"], idx["day"], "SPY", D(2025, 1, 27), 10, "symbol")
    assert [r["price"] for r in one.rows] == [2.0, 0.0] and not one.truncated
    assert latest_signals(idx["key"], idx["day"], "SPY", D(2025, 2, 27), 10).rows == []
    every = latest_signals(idx["key"], idx["day"], None, None, 10)
    assert every.day == D(2025, 1, 29) and [r["symbol"] for r in every.rows] == ["SPY", "QQQ", "SPY"]
    with pytest.raises(NotFound, match="no symbol 'IWM' in gold_x; known: QQQ, SPY"):
        latest_signals(idx["key"], idx["day"], "IWM", None, 3)


def test_gold_key_is_the_underlying_when_there_is_one():
    assert gold_columns(["symbol", "underlying", "trade_date", "ts_recv"]) == ("underlying", ("ts_recv",))
    assert gold_columns(["symbol", "trade_date", "ts_start"]) == ("symbol", ("ts_start",))
    assert gold_columns(["underlying", "trade_date", "expiry_date"]) == ("underlying", ())


def test_time_range_keeps_the_latest_rows_when_truncated_and_one_day_says_what_exists():
    table = pa.table({"symbol": ["A"] * 5, "trade_date": [D(2025, 1, d) for d in range(1, 6)], "v": range(5)})
    keyed = build_keyed(table, "symbol", "trade_date", name="indicators_daily")
    got = time_range(keyed, "A", D(2025, 1, 2), None, 2)
    assert [r["v"] for r in got.rows] == [3, 4] and got.matched == 4 and got.truncated
    assert one_day(keyed, "A", None).rows == [{"symbol": "A", "trade_date": "2025-01-05", "v": 4}]
    with pytest.raises(NotFound, match="it has days 2025-01-01 to 2025-01-05"):
        one_day(keyed, "A", D(2024, 1, 1))
    with pytest.raises(NotFound, match="no symbol 'B' in indicators_daily"):
        time_range(keyed, "B", None, None, 2)


def test_hot_tables_checks_names():
    assert hot_tables(["gold_a"], None)[:2] == ["gold_a", "indicators_daily"]
    assert hot_tables(["gold_a"], ["vol_index", "gold_a", "vol_index"]) == ["vol_index", "gold_a"]
    with pytest.raises(ValueError, match="not a served table: bronze_bars"):
        hot_tables(["gold_a"], ["bronze_bars"])


# ---------------------------------------------------------------- metadata location (local target)


def write_metadata(folder: Path, version: int, uid: str, snapshot: bool = True, mtime_ns: int | None = None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    manifest_list = folder / f"snap-{version}-{uid}.avro"
    manifest_list.write_bytes(b"avro")
    meta = {"format-version": 2, "location": f"file:{folder.parent}", "current-snapshot-id": -1, "snapshots": []}
    if snapshot:
        meta["current-snapshot-id"] = version
        meta["snapshots"] = [{"snapshot-id": version, "manifest-list": f"file:{manifest_list}"}]
    path = folder / f"{version:05d}-{uid}.metadata.json"
    path.write_text(json.dumps(meta))
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return str(path)


def test_candidates_newest_first_and_only_metadata_files():
    found = candidates([("00001-ab.metadata.json", 5), ("00002-cd.metadata.json", 9), ("x.avro", 99)], "/m")
    assert found == [Candidate(9, 2, "/m/00002-cd.metadata.json"), Candidate(5, 1, "/m/00001-ab.metadata.json")]
    assert local_path("file:/w/t/m.avro") == local_path("file:///w/t/m.avro") == "/w/t/m.avro"


def test_metadata_is_complete():
    ok = {
        "format-version": 2,
        "location": "x",
        "current-snapshot-id": 1,
        "snapshots": [{"snapshot-id": 1, "manifest-list": "/l"}],
    }
    assert metadata_is_complete(json.dumps(ok), lambda p: p == "/l")
    assert not metadata_is_complete(json.dumps(ok), lambda p: False)  # its snapshot's files are gone
    assert not metadata_is_complete(json.dumps(ok)[:-5], lambda p: True)  # cut short
    assert metadata_is_complete(json.dumps({**ok, "current-snapshot-id": -1}), lambda p: False)  # empty table


def test_local_locator_newest_complete_file(tmp_path):
    meta = tmp_path / "trading_db.db" / "t" / "metadata"
    locator = LocalLocator(tmp_path, "trading_db")
    assert locator.locate("t") is None
    first = write_metadata(meta, 0, "a", mtime_ns=1_000)
    second = write_metadata(meta, 1, "b", mtime_ns=2_000)
    assert locator.locate("t") == second
    # a failed commit's file whose manifest list was cleaned up: skipped
    broken = write_metadata(meta, 2, "c", mtime_ns=3_000)
    os.remove(meta / "snap-2-c.avro")
    assert locator.locate("t") == second
    # dropped and created again at the same place: version 0 again, but newer
    recreated = write_metadata(meta, 0, "d", mtime_ns=4_000)
    assert locator.locate("t") == recreated
    assert pick_metadata(candidates([(Path(p).name, 0) for p in (first, broken)], str(meta)), lambda p: True) == broken


def test_glue_locator_against_moto():
    import boto3

    from loopback import moto_server

    with moto_server() as endpoint:
        glue = boto3.client(
            "glue", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        glue.create_database(DatabaseInput={"Name": "trading_db"})
        glue.create_table(
            DatabaseName="trading_db",
            TableInput={
                "Name": "vol_index",
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG", "metadata_location": "s3://b/vol_index/metadata/1.json"},
            },
        )
        locator = GlueLocator("trading_db", glue)
        assert locator.locate("vol_index") == "s3://b/vol_index/metadata/1.json"
        assert locator.locate("gold_nothing") is None


# ---------------------------------------------------------------- store and API on fake tables


class FakeLocator:
    def __init__(self, where: dict[str, str | None]) -> None:
        self.where = where

    def locate(self, table: str) -> str | None:
        if self.where.get(table) == "boom":
            raise OSError("catalog unreachable")
        return self.where.get(table)


def fake_tables() -> dict[str, pa.Table]:
    days = [D(2025, 1, 27), D(2025, 1, 28)]
    return {
        "gold_rsibollingerstrategy": signals_table(),
        "indicators_daily": pa.table(
            {"symbol": ["SPY", "SPY"], "trade_date": days, "close": [1.0, float("nan")], "st_state": [1, 2]}
        ),
        "indicators_intraday": pa.table(
            {
                "symbol": ["SPY"],
                "session_date": days[:1],
                "ts_start": [dt.datetime(2025, 1, 27, 15, tzinfo=dt.UTC)],
                "close": [1.0],
            }
        ),
        "iv_surface_daily": pa.table(
            {
                "trade_date": days,
                "underlying": ["SPX", "SPX"],
                "tenor_days": [30, 30],
                "atm_iv": [0.2, 0.21],
                "iv_d50": [0.2, 0.21],
            }
        ),
        "vol_index": pa.table(
            {
                "trade_date": days,
                "underlying": ["SPX", "SPX"],
                "ts_recv": [dt.datetime(2025, 1, 27, 20, tzinfo=dt.UTC), dt.datetime(2025, 1, 28, 20, tzinfo=dt.UTC)],
                "vol_index": [18.0, 19.0],
            }
        ),
    }


def fake_store(refresh_seconds: float = 0) -> tuple[TableStore, FakeLocator, dict]:
    data = fake_tables()
    locator = FakeLocator({name: f"{name}@1" for name in data})
    reads = {"n": 0}

    def reader(location: str):
        reads["n"] += 1
        name, version = location.split("@")
        return int(version), data[name]

    names = [*data, "gold_laymanspystrategy"]
    return TableStore(locator, names, refresh_seconds, reader), locator, reads


def test_store_reloads_only_a_changed_table_and_keeps_serving_on_errors():
    store, locator, reads = fake_store()
    assert set(store.refresh_once()) == set(fake_tables())
    assert reads["n"] == 5 and store.refresh_once() == [] and reads["n"] == 5
    locator.where["vol_index"] = "vol_index@2"
    assert store.refresh_once() == ["vol_index"] and store.get("vol_index").snapshot_id == 2
    locator.where["vol_index"] = "boom"
    store.refresh_once()
    health = store.health()
    assert (
        health["tables"]["vol_index"]["state"] == "loaded"
        and "catalog unreachable" in health["tables"]["vol_index"]["error"]
    )
    assert health["tables"]["gold_laymanspystrategy"]["state"] == "missing" and health["status"] == "ok"
    assert isinstance(store.get("vol_index"), Loaded)


@pytest.fixture
def client():
    from fastapi.testclient import TestClient

    from optlake.serving.api import create_app

    store, _, _ = fake_store()
    store.refresh_once()
    strategies = [Strategy("gold_rsibollingerstrategy", True), Strategy("gold_laymanspystrategy", True)]
    with TestClient(create_app(store, strategies, manage_refresh=False), raise_server_exceptions=False) as c:
        yield c


def test_api_answers(client):
    got = client.get("/signals/RSIBollingerStrategy", params={"symbol": "SPY", "limit": 1}).json()
    assert got["count"] == 1 and got["rows"][0]["ts"] == "2025-01-29T15:02:00.000000Z" and got["truncated"]
    daily = client.get("/indicators/SPY").json()
    assert [r["close"] for r in daily["rows"]] == [1.0, None] and "st_state" not in daily["rows"][0]
    assert client.get("/indicators/SPY", params={"frequency": "5m"}).json()["count"] == 1
    assert client.get("/surface/SPX").json()["day"] == "2025-01-28"
    assert client.get("/term-structure/SPX", params={"day": "2025-01-27"}).json()["rows"][0]["atm_iv"] == 0.2
    assert client.get("/vol-index", params={"start": "2025-01-28"}).json()["rows"][0]["vol_index"] == 19.0
    assert client.get("/health").json()["tables"]["vol_index"]["snapshot_id"] == 1
    assert "/signals/{strategy}" in client.get("/openapi.json").json()["paths"]


BAD_REQUESTS = [
    ("/signals/nope", 404, "unknown strategy 'nope'"),
    ("/signals/laymanspy", 404, "gold_laymanspystrategy is not built in this warehouse"),
    ("/signals/rsibollinger?symbol=ZZZ", 404, "no symbol 'ZZZ'"),
    ("/signals/rsibollinger?day=2025-02-30", 422, "date"),
    ("/signals/rsibollinger?limit=0", 422, "greater than or equal to 1"),
    ("/signals/rsibollinger?limit=10000000", 422, "less than or equal"),
    ("/signals/rsibollinger?limit=1e3", 422, "integer"),
    ("/signals/rsibollinger?symbol=", 422, "at least 1 character"),
    ("/indicators/SPY?start=2025-02-01&end=2025-01-01", 400, "is after end"),
    ("/indicators/SPY?frequency=weekly", 422, "'daily' or '5m'"),
    ("/indicators/SPY?start=yesterday", 422, "date"),
    ("/indicators/%00%ff", 404, "no symbol"),
    ("/surface/SPX?day=1999-01-01", 404, "it has days 2025-01-27 to 2025-01-28"),
    ("/surface/NOPE", 404, "no underlying 'NOPE'"),
    ("/term-structure/SPX?day=-1", 422, "date"),
    ("/vol-index?underlying=SPY", 404, "no underlying 'SPY'"),
    ("/vol-index?start=9999-12-31", 200, ""),
    ("/nowhere", 404, "Not Found"),
]


@pytest.mark.parametrize(("url", "status", "message"), BAD_REQUESTS)
def test_api_bad_requests_get_a_4xx_with_a_message(client, url, status, message):
    got = client.get(url)
    assert got.status_code == status, got.text
    assert message in got.text


def test_api_fuzz_never_500(client):
    import random

    rng = random.Random(7)
    pieces = ["", "SPY", "SPX", "%20", "..", "'", '"', "😀", "-1", "0", "2025-01-27", "9" * 30, "NaN", "[]", "%"]
    paths = ["/signals/{}", "/indicators/{}", "/surface/{}", "/term-structure/{}", "/vol-index", "/health"]
    params = ["symbol", "day", "limit", "start", "end", "frequency", "underlying"]
    for _ in range(300):
        path = rng.choice(paths).format(rng.choice(pieces[1:]))
        query = {rng.choice(params): rng.choice(pieces) for _ in range(rng.randint(0, 3))}
        got = client.get(path, params=query)
        assert got.status_code < 500, (path, query, got.text)
