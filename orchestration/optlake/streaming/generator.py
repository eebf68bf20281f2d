"""Reproducible market messages for tests and the demo: a pure function of (symbols, minutes, seed).

Trades (a few per symbol and minute, prices on a random walk), a quote before each trade, and for the
symbols in ``bar_symbols`` one bar message per minute instead of trades. Messages come in event-time
order except that ``shuffle_seconds`` > 0 swaps neighbours up to that many seconds apart (out of order,
but within any watermark longer than that).
"""

from __future__ import annotations

import json
import os
import random
import time
from decimal import Decimal
from pathlib import Path

from optlake.streaming.messages import NS_PER_MINUTE, NS_PER_S, format_ts, parse_ts

DEFAULT_START = "2025-01-28T14:31:00Z"  # 09:31 in New York: inside the regular session
CENT = Decimal("0.01")


def generate_messages(
    symbols: tuple[str, ...],
    minutes: int,
    seed: int,
    start: str = DEFAULT_START,
    bar_symbols: tuple[str, ...] = (),
    trades_per_minute: int = 4,
    shuffle_seconds: int = 0,
) -> list[dict]:
    """A list of message dicts (JSON-ready: prices as strings) in arrival order."""
    rng = random.Random(seed)
    t0 = parse_ts(start)
    out: list[tuple[int, int, dict]] = []
    for s, symbol in enumerate(symbols):
        price = Decimal(100 + 50 * s)
        for minute in range(minutes):
            base = t0 + minute * NS_PER_MINUTE
            prices = []
            offsets = sorted(rng.sample(range(1, 59_000), trades_per_minute))
            for offset_ms in offsets:
                price = max(CENT, price + Decimal(rng.randint(-20, 20)) * CENT)
                prices.append(price)
                ts = base + offset_ms * 1_000_000
                if symbol in bar_symbols:
                    continue
                size = rng.randint(1, 50) * 10
                quote = {
                    "type": "quote",
                    "symbol": symbol,
                    "ts_event": format_ts(ts - 1_000_000),
                    "bid_px": str(price - CENT),
                    "ask_px": str(price + CENT),
                    "bid_sz": rng.randint(1, 9) * 100,
                    "ask_sz": rng.randint(1, 9) * 100,
                }
                trade = {
                    "type": "trade",
                    "symbol": symbol,
                    "ts_event": format_ts(ts),
                    "price": str(price),
                    "size": size,
                }
                out += [(ts - 1_000_000, len(out), quote), (ts, len(out) + 1, trade)]
            if symbol in bar_symbols:
                bar = {
                    "type": "bar",
                    "symbol": symbol,
                    "ts_event": format_ts(base),
                    "open": str(prices[0]),
                    "high": str(max(prices)),
                    "low": str(min(prices)),
                    "close": str(prices[-1]),
                    "volume": rng.randint(1, 100) * 100,
                }
                out.append((base + NS_PER_MINUTE, len(out), bar))  # published as its minute closes
    out.sort(key=lambda x: (x[0], x[1]))
    messages = [m for _, _, m in out]
    if shuffle_seconds:
        times = [t for t, _, _ in out]
        for i in range(len(messages) - 1):
            if rng.random() < 0.3 and times[i + 1] - times[i] <= shuffle_seconds * NS_PER_S:
                messages[i], messages[i + 1] = messages[i + 1], messages[i]
                times[i], times[i + 1] = times[i + 1], times[i]
    return messages


def to_jsonl(messages: list[dict]) -> str:
    return "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)


def write_atomic(path: Path, text: str) -> Path:
    """Write a file so a reader never sees half of it: a hidden temp name in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp"
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def write_files(messages: list[dict], folder: Path, per_file: int, prefix: str = "messages") -> list[Path]:
    """Land the messages as JSON-lines files of ``per_file`` messages each, named in arrival order and with
    modification times 1 s apart in that order (the file source takes files oldest first)."""
    chunks = [messages[i : i + per_file] for i in range(0, len(messages), per_file)]
    paths = [write_atomic(folder / f"{prefix}-{n:05d}.jsonl", to_jsonl(c)) for n, c in enumerate(chunks)]
    first = time.time() - len(paths)
    for n, path in enumerate(paths):
        os.utime(path, (first + n, first + n))
    return paths
