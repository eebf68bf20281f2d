"""Stable instrument ids: the same symbol gets the same id in every process and run."""

from __future__ import annotations

import hashlib


def instrument_id(symbol: str) -> int:
    """A stable id in [1, 2**31 - 1] for a symbol (BLAKE2b, the same in every process)."""
    digest = hashlib.blake2b(symbol.encode("ascii"), digest_size=8).digest()
    return 1 + int.from_bytes(digest, "big") % (2**31 - 1)
