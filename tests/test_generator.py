"""The synthetic OPRA CBBO-1m generator: exact file format, row counts, realism, determinism, truth."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from logcapture import captured_log
from option_truth import true_quote
from optlake.bronze.spec import trade_date_from_name
from optlake.bronze.specs import cbbo
from optlake.generator import generate
from optlake.generator.catalogue import ROOTS, UNDERLYINGS
from optlake.generator.ids import instrument_id
from optlake.generator.universe import build_contracts, strike_grid
from optlake.reference.osi import parse_osi
from optlake.reference.trading_calendar import is_trading_day

D = dt.date
NEW_YORK = ZoneInfo("America/New_York")

# One data line of the real file, field by field (see the fixture):
# 2025-01-28T14:31:00.000000000Z,,193,30,1258322372,N,,0,200,38.000000000,38.500000000,40,2,0,0,SPXW  250331P05600000
LINE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.\d{9}Z,"  # ts_recv: nanoseconds and Z (bars on whole minutes)
    r","  # ts_event: empty
    r"193,30,"  # rtype, publisher_id
    r"[1-9]\d{0,9},"  # instrument_id
    r"N,,0,200,"  # side, price (empty), size, flags
    r"\d+\.\d{9},\d+\.\d{9},"  # bid_px_00, ask_px_00: nine decimals
    r"\d+,\d+,"  # bid_sz_00, ask_sz_00
    r"0,0,"  # bid_pb_00, ask_pb_00
    r"[A-Z][A-Z0-9 ]{5}\d{6}[CP]\d{8}\n"  # symbol: 21-character OSI
)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).decode()


def data_lines(path: Path) -> list[str]:
    return read_text(path).splitlines(keepends=True)[1:]


def rows(path: Path) -> list[dict[str, str]]:
    return [dict(zip(cbbo.COLUMNS, line.rstrip("\n").split(","), strict=True)) for line in data_lines(path)]


def trade_date(path: Path) -> dt.date:
    day = trade_date_from_name(path.name)
    assert day is not None
    return day


def truth(path: Path) -> dict:
    sidecar = path.parent / "truth" / f"opra-pillar-{trade_date(path):%Y%m%d}.truth.json"
    return json.loads(sidecar.read_text())


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two days of 5,000 rows (Monday 2025-01-27 and the fixture's day)."""
    return generate(tmp_path_factory.mktemp("small"), 2, 5_000, D(2025, 1, 27))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One day of 120,000 rows: a dozen roots."""
    return generate(tmp_path_factory.mktemp("large"), 1, 120_000, D(2025, 1, 28))[0]


def test_header_is_the_real_files_header(small: list[Path], fixture_csv: Path) -> None:
    real_header = fixture_csv.read_text().splitlines()[0]
    for path in small:
        assert read_text(path).split("\n", 1)[0] == real_header == cbbo.HEADER


def test_every_line_has_the_real_files_format(small: list[Path], large: Path, fixture_csv: Path) -> None:
    assert all(LINE.fullmatch(line) for line in data_lines(fixture_csv))  # the pattern fits real data
    for path in [*small, large]:
        bad = [line for line in data_lines(path) if not LINE.fullmatch(line)]
        assert not bad, bad[:3]
        assert read_text(path).endswith("\n")


def test_timestamps_are_the_session_bars_of_the_day(small: list[Path]) -> None:
    stamps = sorted({r["ts_recv"] for r in rows(small[1])})
    assert stamps[0] == "2025-01-28T14:31:00.000000000Z"
    assert stamps[-1] == "2025-01-28T21:00:00.000000000Z"
    assert len(stamps) <= 390


@pytest.mark.parametrize("n_rows", [1, 50, 391, 5_000])
def test_exact_row_count(tmp_path: Path, n_rows: int) -> None:
    (path,) = generate(tmp_path, 1, n_rows, D(2025, 1, 28))
    assert path.name == cbbo.file_name(D(2025, 1, 28))
    assert len(data_lines(path)) == n_rows


def test_rows_are_ordered_by_time_then_contract(small: list[Path]) -> None:
    def key(r: dict[str, str]) -> tuple[str, ...]:
        s = r["symbol"]
        return r["ts_recv"], s[:6], s[6:12], s[13:], s[12]  # root, expiry, strike, then C before P

    keys = [key(r) for r in rows(small[0])]
    assert all(a < b for a, b in itertools.pairwise(keys))


def test_quotes_are_sane(small: list[Path], large: Path) -> None:
    for path in [*small, large]:
        quotes = [
            (Decimal(r["bid_px_00"]), Decimal(r["ask_px_00"]), int(r["bid_sz_00"]), int(r["ask_sz_00"]))
            for r in rows(path)
        ]
        assert all(0 <= bid < ask for bid, ask, _, _ in quotes)
        assert all((bid == 0) == (bid_size == 0) and ask_size >= 1 for bid, _, bid_size, ask_size in quotes)
        assert any(bid == 0 for bid, *_ in quotes), "far out-of-the-money one-sided quotes expected"
        assert all(px * 100 == int(px * 100) for quote in quotes for px in quote[:2])  # cents grid


def test_spxw_has_0dte_rows(small: list[Path]) -> None:
    for path in small:
        expiries = {parse_osi(r["symbol"]).expiry for r in rows(path) if r["symbol"].startswith("SPXW ")}
        assert trade_date(path) in expiries


def test_expiries_are_trading_days_not_before_the_trade_date(small: list[Path], large: Path) -> None:
    for path in [*small, large]:
        expiries = {parse_osi(r["symbol"]).expiry for r in rows(path)}
        assert min(expiries) >= trade_date(path)
        assert all(is_trading_day(e) for e in expiries)


def test_symbols_parse_and_strikes_keep_three_decimals(large: Path) -> None:
    contracts = [parse_osi(r["symbol"]) for r in rows(large)]
    strikes = {c.strike for c in contracts}
    assert all(s > 0 and s == s.quantize(Decimal("0.001")) for s in strikes)
    assert any(s != s.to_integral_value() for s in strikes)
    roots = {c.root for c in contracts}
    assert {"SPX", "SPXW", "SPY", "QQQ", "NDXP", "VIX"} <= roots
    assert all(c.option_type in ("CALL", "PUT") for c in contracts)


def test_adjusted_root_lists_three_decimal_strikes() -> None:
    f1 = next(r for r in ROOTS if r.symbol == "F1")
    grid = strike_grid(f1, 12.4, 10, 30 / 365)
    assert 12_375 in grid.tolist()


@pytest.mark.parametrize("n_contracts", [1, 13, 129, 5_129])
def test_every_chain_has_two_calls_and_two_puts_per_expiry(n_contracts: int) -> None:
    open_spots = np.array([u.spot for u in UNDERLYINGS])
    contracts = build_contracts(D(2025, 1, 28), open_spots, n_contracts)
    assert len(contracts) >= n_contracts
    chains = Counter(
        (int(r), e, bool(c))
        for r, e, c in zip(contracts.root_index, contracts.expiries, contracts.is_call, strict=True)
    )
    assert min(chains.values()) >= 2
    assert len(set(contracts.symbols)) == len(contracts)


def test_instrument_id_is_stable_per_symbol(small: list[Path]) -> None:
    assert instrument_id("SPXW  250331P05600000") == 1608574443  # same in every process and run
    ids: dict[str, str] = {}
    for path in small:
        for r in rows(path):
            assert ids.setdefault(r["symbol"], r["instrument_id"]) == r["instrument_id"]
    assert all(0 < int(i) < 2**31 for i in ids.values())


def test_files_only_on_trading_days(tmp_path: Path) -> None:
    paths = generate(tmp_path, 3, 100, D(2025, 1, 18))  # Saturday before MLK day
    assert [p.name for p in paths] == [cbbo.file_name(D(2025, 1, d)) for d in (21, 22, 23)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [p.name for p in paths]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    def run(folder: str, seed: int) -> list[bytes]:
        out = tmp_path / folder
        paths = generate(out, 2, 2_000, D(2025, 1, 27), seed=seed)
        return [p.read_bytes() for p in paths] + [p.read_bytes() for p in sorted((out / "truth").iterdir())]

    first = run("a", 7)
    assert run("b", 7) == first
    other = run("c", 8)
    assert other[0] != first[0] and other[1] != first[1]


def test_gzip_holds_the_same_content_as_plain(tmp_path: Path) -> None:
    (plain,) = generate(tmp_path / "plain", 1, 3_000, D(2025, 1, 28))
    (packed,) = generate(tmp_path / "gz", 1, 3_000, D(2025, 1, 28), gzip=True)
    assert packed.name == cbbo.file_name(D(2025, 1, 28), gzip=True)
    assert packed.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    (again,) = generate(tmp_path / "gz-again", 1, 3_000, D(2025, 1, 28), gzip=True)
    assert again.read_bytes() == packed.read_bytes()


def test_progress_reports_each_file(tmp_path: Path) -> None:
    with captured_log() as messages:
        generate(tmp_path, 2, 500, D(2025, 1, 27))
    assert len(messages) == 2
    assert "opra-pillar-20250127.cbbo-1m.csv" in messages[0] and "500 rows" in messages[0]


def test_paths_continue_across_days(small: list[Path]) -> None:
    spots = [truth(p)["underlyings"]["SPX"]["spot"] for p in small]
    assert abs(spots[1][0] / spots[0][-1] - 1) < 0.05
    assert len(spots[0]) == len(spots[1]) == 390


def test_truth_sidecar_describes_the_day(large: Path) -> None:
    doc = truth(large)
    assert doc["csv_file"] == large.name and doc["rows"] == 120_000 and doc["trade_date"] == "2025-01-28"
    spy = doc["underlyings"]["SPY"]
    assert len(spy["spot"]) == len(spy["ts_recv"]) == 390
    assert spy["ts_recv"][0] == "2025-01-28T14:31:00.000000000Z"
    strikes = [parse_osi(r["symbol"]).strike for r in rows(large) if r["symbol"].startswith("SPY ")]
    assert min(strikes) <= min(spy["spot"]) and max(spy["spot"]) <= max(strikes)
    assert doc["roots"]["SPXW"]["underlying"] == doc["roots"]["SPX"]["underlying"] == "SPX"
    assert {"base_vol", "skew", "curvature", "term_slope"} <= doc["roots"]["VIX"].keys()
    assert "sigma" in doc["formula"] and "call" in doc["formula"]


def test_quotes_bracket_the_truths_theoretical_value(large: Path) -> None:
    doc = truth(large)
    sample = rows(large)[::61]
    for r in sample:
        theo = true_quote(doc, r["symbol"], r["ts_recv"]).value
        assert float(r["bid_px_00"]) - 1e-6 <= theo <= float(r["ask_px_00"]) + 1e-6, (r, theo)


def test_near_the_money_quotes_are_tight_and_realistic(large: Path) -> None:
    doc = truth(large)
    spot = doc["underlyings"]["SPX"]["spot"][0]
    first_bar = [r for r in rows(large) if r["ts_recv"] == "2025-01-28T14:31:00.000000000Z"]
    near = [
        r for r in first_bar if (c := parse_osi(r["symbol"])).root == "SPXW" and abs(float(c.strike) / spot - 1) < 0.005
    ]
    assert len(near) >= 4, f"only {len(near)} SPXW quotes within 0.5% of spot {spot:.2f} in the first minute"
    for r in near:
        bid, ask = float(r["bid_px_00"]), float(r["ask_px_00"])
        assert bid > 0 and (ask - bid) / ((ask + bid) / 2) < 0.2, r


def test_am_settled_roots_are_not_listed_on_their_expiry_day() -> None:
    expiry_day = dt.date(2025, 2, 21)  # a third Friday: SPX (AM) and SPXW (PM) both expire
    contracts = build_contracts(expiry_day, np.array([u.spot for u in UNDERLYINGS]), 4000)
    roots = np.array([ROOTS[i].symbol for i in contracts.root_index])
    same_day = np.array([e == expiry_day for e in contracts.expiries])
    assert same_day[roots == "SPXW"].any()
    assert not same_day[roots == "SPX"].any()
    spx_first = min(e for e, r in zip(contracts.expiries, roots, strict=True) if r == "SPX")
    at_open = dt.datetime.combine(spx_first, dt.time(9, 30), tzinfo=ZoneInfo("America/New_York"))
    assert contracts.expiry_close_ns[roots == "SPX"].min() == int(at_open.timestamp()) * 10**9


def test_instrument_ids_are_unique_within_a_day_even_when_hashes_collide() -> None:
    from optlake.generator.ids import unique_ids

    ids = unique_ids(["B", "A", "C", "A"])
    assert ids[1] == ids[3] == instrument_id("A") and len(set(ids)) == 3
    contracts = build_contracts(dt.date(2025, 1, 31), np.array([u.spot for u in UNDERLYINGS]), 25_641)
    assert len(set(contracts.instrument_ids.tolist())) == len(contracts)
