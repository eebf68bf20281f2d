"""The truth sidecar: what the generator used to price one day, for checking analytics later.

Written to ``<out_dir>/truth/opra-pillar-YYYYMMDD.truth.json`` (a subfolder: the loader reads
every top-level file of the landing folder). Layout::

    {
      "trade_date": "2025-01-28",
      "csv_file": "opra-pillar-20250128.cbbo-1m.csv",
      "seed": 7,
      "rows": 100000,
      "rate": 0.043,                       # r, continuously compounded
      "formula": {"T": "...", "vol": "...", "call": "...", ...},   # pricing.FORMULA
      "underlyings": {                     # one entry per simulated path used that day
        "SPX": {
          "dividend_yield": 0.013,         # q
          "path_vol": 0.13,                # annualised volatility of the market model's path
          "ts_recv": ["2025-01-28T14:31:00.000000000Z", ...],   # the 390 bars
          "spot": [6012.35, ...],          # S at each bar (exact float)
          "bar": {"dataset": "xnas-itch", "symbol": "SPX", "ts_event_offset_s": -60}
                                           # S = close of that instrument's 1m bar starting 60 s earlier
        }, ...
      },
      "roots": {                           # one entry per option root in the file
        "SPXW": {
          "underlying": "SPX",
          "base_vol": 0.15, "skew": -0.2, "curvature": 0.05, "term_slope": 0.06,
          "base_vol_from": "VIX",          # null for roots with a constant base_vol
          "base_vol_by_minute": [0.1612, ...],   # only when base_vol_from: VIX close / 100 at each
                                           # bar; it replaces base_vol in the formula (base_vol
                                           # then only sized the strike grid)
          "tick_rule": "index", "strike_offset": 0.0, "settlement": "PM",   # AM: 09:30 on the expiry day
          "trading_days_to_expiry": {"2025-01-28": 0, "2025-01-29": 1, ...},   # its expiries
          "contracts": 1324
        }, ...
      }
    }

Every row's theoretical value is ``formula`` applied to the row's strike, expiry and type with
``spot`` at the row's ``ts_recv``; the quote always satisfies ``bid <= theo <= ask``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from optlake.generator.catalogue import ROOTS, UNDERLYINGS
from optlake.generator.instruments import by_symbol
from optlake.generator.pricing import FORMULA, RATE
from optlake.generator.universe import Contracts
from optlake.generator.writer import timestamp_text

TRUTH_DIR = "truth"


def truth_path(out_dir: Path, trade_date: dt.date) -> Path:
    """Where the sidecar of a trade date goes."""
    return out_dir / TRUTH_DIR / f"opra-pillar-{trade_date:%Y%m%d}.truth.json"


def _root_entry(root_index: int, contracts: Contracts, base_vols: np.ndarray) -> dict[str, Any]:
    root = ROOTS[root_index]
    mine = np.flatnonzero(contracts.root_index == root_index)
    by_minute = {"base_vol_by_minute": base_vols[root_index].tolist()} if root.smile.base_vol_from else {}
    return {
        "underlying": root.underlying,
        **dataclasses.asdict(root.smile),
        **by_minute,
        "tick_rule": root.tick_rule,
        "strike_offset": root.strike_offset,
        "settlement": root.settlement,
        "trading_days_to_expiry": {
            contracts.expiries[i].isoformat(): int(contracts.trading_days_to_expiry[i]) for i in mine
        },
        "contracts": int(mine.size),
    }


def truth_document(
    trade_date: dt.date,
    csv_file: str,
    seed: int,
    rows: int,
    minutes: list[dt.datetime],
    spots: np.ndarray,
    base_vols: np.ndarray,
    contracts: Contracts,
) -> dict[str, Any]:
    """The sidecar content; ``spots`` has shape (underlyings, minutes), ``base_vols`` (roots, minutes)."""
    ts_text = [timestamp_text(m) for m in minutes]
    return {
        "trade_date": trade_date.isoformat(),
        "csv_file": csv_file,
        "seed": seed,
        "rows": rows,
        "rate": RATE,
        "formula": FORMULA,
        "underlyings": {
            UNDERLYINGS[u].name: {
                "dividend_yield": UNDERLYINGS[u].dividend_yield,
                "path_vol": UNDERLYINGS[u].path_vol,
                "ts_recv": ts_text,
                "spot": spots[u].tolist(),
                "bar": {
                    "dataset": by_symbol(UNDERLYINGS[u].name).dataset,
                    "symbol": UNDERLYINGS[u].name,
                    "ts_event_offset_s": -60,
                },
            }
            for u in sorted(set(contracts.underlying_index.tolist()))
        },
        "roots": {
            ROOTS[r].symbol: _root_entry(r, contracts, base_vols) for r in sorted(set(contracts.root_index.tolist()))
        },
    }


def write_truth(path: Path, document: dict[str, Any]) -> None:
    """Write the sidecar as indented JSON (floats keep their exact value)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")
