"""Stable instrument ids: the same symbol gets the same id in every process and run."""

from __future__ import annotations

import hashlib


def instrument_id(symbol: str) -> int:
    """A stable id in [1, 2**31 - 1] for a symbol (BLAKE2b, the same in every process)."""
    digest = hashlib.blake2b(symbol.encode("ascii"), digest_size=8).digest()
    return 1 + int.from_bytes(digest, "big") % (2**31 - 1)


def unique_ids(symbols: list[str]) -> list[int]:
    """``instrument_id`` of each symbol, made unique within the list like a vendor's ids within a day:
    when hashes collide, the lexicographically first symbol keeps its id and the others are
    rehashed with a suffix (``symbol#1``, ``#2``, ...) until free. Deterministic."""
    taken: dict[int, str] = {}
    found: dict[str, int] = {}
    for symbol in sorted(set(symbols)):
        candidate, salt = instrument_id(symbol), 0
        while candidate in taken:
            salt += 1
            candidate = instrument_id(f"{symbol}#{salt}")
        taken[candidate] = symbol
        found[symbol] = candidate
    return [found[s] for s in symbols]
