"""The bars a stream must write, computed independently in pandas from the generated messages."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd


def expected_bars(messages: list[dict]) -> pd.DataFrame:
    """symbol, ts_event (minute start, UTC, naive), open, high, low, close, volume; one row per bar.

    Trades: open = first by event time (ties: arrival order), close = last, high, low, volume = sum.
    A minute with a bar message takes the last bar message."""
    frame = pd.DataFrame([{**m, "arrival": i} for i, m in enumerate(messages)])
    frame["ts"] = pd.to_datetime(frame["ts_event"].str.replace("Z", ""), format="ISO8601")
    frame["minute"] = frame["ts"].dt.floor("min")
    trades = frame[frame["type"] == "trade"].sort_values(["ts", "arrival"])
    trades = trades.assign(price=trades["price"].map(Decimal), size=trades["size"].astype("int64"))
    agg = trades.groupby(["symbol", "minute"]).agg(
        open=("price", "first"),
        high=("price", "max"),
        low=("price", "min"),
        close=("price", "last"),
        volume=("size", "sum"),
    )
    parts = [agg]
    if (frame["type"] == "bar").any():
        bars = frame[frame["type"] == "bar"].sort_values("arrival").groupby(["symbol", "minute"]).last()
        parts.append(
            bars[["open", "high", "low", "close", "volume"]].map(lambda v: Decimal(v) if isinstance(v, str) else v)
        )
    out = pd.concat(parts).reset_index().rename(columns={"minute": "ts_event"})
    out["volume"] = out["volume"].astype("int64")
    return out.sort_values(["symbol", "ts_event"]).reset_index(drop=True)


def bar_tuples(frame: pd.DataFrame) -> list[tuple]:
    return [
        (
            r.symbol,
            pd.Timestamp(r.ts_event).to_pydatetime(),
            *(Decimal(r[c]).normalize() for c in ("open", "high", "low", "close")),
            int(r.volume),
        )
        for _, r in frame.iterrows()
    ]
