"""One trading day: plan the rows, price them, write the CSV and its truth sidecar.

The day's candidate rows are every (minute, contract) pair, minute-major, contracts in
``Contracts`` order (root, expiry, strike, call before put) like the real file. A
deterministic random subset is dropped (contracts that did not quote that minute) so the file
has exactly ``rows`` data rows. Rows are priced and formatted in chunks to bound memory.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optlake.bronze.specs.cbbo import file_name
from optlake.generator import writer
from optlake.generator.catalogue import ROOTS, UNDERLYINGS
from optlake.generator.pricing import black_scholes, calendar_years, implied_vol, trading_years
from optlake.generator.quotes import TICK_RULES, Quotes, make_quotes
from optlake.generator.seeding import DROP_STREAM, QUOTE_STREAM, rng_for
from optlake.generator.truth import truth_document, truth_path, write_truth
from optlake.generator.universe import Contracts, build_contracts
from optlake.reference.trading_calendar import SESSION_MINUTES, session_minutes_utc

CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class DayPlan:
    trade_date: dt.date
    minutes: list[dt.datetime]  # the 390 bar timestamps (UTC)
    minute_ns: np.ndarray  # int64, the bars as ns since the epoch
    spots: np.ndarray  # (underlyings, minutes) prices
    base_vols: np.ndarray  # (roots, minutes) each root's smile base_vol at each minute
    contracts: Contracts
    rows: np.ndarray  # int64 candidate indices kept: minute * len(contracts) + contract


def kept_rows(n_candidates: int, n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``n_rows`` of ``n_candidates`` rows, the others dropped at random."""
    keep = np.ones(n_candidates, dtype=bool)
    keep[rng.choice(n_candidates, n_candidates - n_rows, replace=False)] = False
    return np.flatnonzero(keep)


def plan_day(trade_date: dt.date, spots: np.ndarray, base_vols: np.ndarray, n_rows: int, seed: int) -> DayPlan:
    """Contracts and kept rows of a day whose underlying prices are ``spots`` (underlyings, minutes)
    and whose smiles have ``base_vols`` (roots, minutes)."""
    contracts = build_contracts(trade_date, spots[:, 0], math.ceil(n_rows / SESSION_MINUTES), base_vols[:, 0])
    minutes = session_minutes_utc(trade_date)
    rows = kept_rows(len(contracts) * SESSION_MINUTES, n_rows, rng_for(seed, DROP_STREAM, trade_date.toordinal()))
    minute_ns = np.array([int(m.timestamp()) * 10**9 for m in minutes], dtype=np.int64)
    return DayPlan(trade_date, minutes, minute_ns, spots, base_vols, contracts, rows)


def _per_root(values: list[float], root_index: np.ndarray) -> np.ndarray:
    return np.array(values)[root_index]


def price_rows(plan: DayPlan, minute: np.ndarray, contract: np.ndarray, rng: np.random.Generator) -> Quotes:
    """Quotes for rows given by minute and contract index."""
    c = plan.contracts
    root = c.root_index[contract]
    under = c.underlying_index[contract]
    spot = plan.spots[under, minute]
    strike = c.strike_mills[contract] / 1000
    t = calendar_years((c.expiry_close_ns[contract] - plan.minute_ns[minute]) / 1e9)
    tau = trading_years(SESSION_MINUTES - 1 - minute, c.trading_days_to_expiry[contract])
    q = np.array([u.dividend_yield for u in UNDERLYINGS])[under]
    smiles = [r.smile for r in ROOTS]
    vol = implied_vol(
        spot,
        strike,
        t,
        tau,
        q,
        plan.base_vols[root, minute],
        _per_root([s.skew for s in smiles], root),
        _per_root([s.curvature for s in smiles], root),
        _per_root([s.term_slope for s in smiles], root),
    )
    theo = black_scholes(spot, strike, t, vol, c.is_call[contract], q)
    ticks = np.array([TICK_RULES[r.tick_rule] for r in ROOTS], dtype=np.int64)[root]
    return make_quotes(theo, spot, _per_root([r.spread_rel for r in ROOTS], root), ticks[:, 0], ticks[:, 1], rng)


def write_day(out_dir: Path, plan: DayPlan, gzip: bool, seed: int) -> Path:
    """Write the day's CSV (and its truth sidecar); returns the CSV path."""
    path = out_dir / file_name(plan.trade_date, gzip)
    n_contracts = len(plan.contracts)
    minute_text = writer.minute_prefixes(plan.minutes)
    prefix_text = writer.contract_prefixes(plan.contracts.instrument_ids)
    suffix_text = writer.contract_suffixes(plan.contracts.symbols)
    rng = rng_for(seed, QUOTE_STREAM, plan.trade_date.toordinal())
    with writer.open_csv(path, gzip) as stream:
        for start in range(0, plan.rows.size, CHUNK_ROWS):
            minute, contract = np.divmod(plan.rows[start : start + CHUNK_ROWS], n_contracts)
            quotes = price_rows(plan, minute, contract, rng)
            text = writer.lines(minute_text, prefix_text, suffix_text, minute, contract, quotes)
            stream.write(writer.text_bytes(text))
    document = truth_document(
        plan.trade_date, path.name, seed, int(plan.rows.size), plan.minutes, plan.spots, plan.base_vols, plan.contracts
    )
    write_truth(truth_path(out_dir, plan.trade_date), document)
    return path
