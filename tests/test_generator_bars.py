"""The synthetic OHLCV bars: file format, completeness, OHLC and daily consistency, determinism, the
options priced off the same paths, and the model's truth (betas, correlations, VIX, yields)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from optlake.bronze.specs import cbbo
from optlake.cli import main
from optlake.generator import generate
from optlake.generator.catalogue import UNDERLYINGS
from optlake.generator.instruments import INSTRUMENTS, PUBLISHERS, by_symbol, seed_rows
from optlake.generator.market import ou_backward, ou_forward
from optlake.generator.yields import build_curve, ou_coefficients, ou_step
from optlake.reference.trading_calendar import is_trading_day

D = dt.date
FRIDAY = D(2025, 1, 31)  # two trading days: Friday 2025-01-31 and Monday 2025-02-03, a crypto weekend between
COLUMNS = ("ts_event", "rtype", "publisher_id", "instrument_id", "open", "high", "low", "close", "volume", "symbol")
HEADER = ",".join(COLUMNS)
NAME = re.compile(r"(xnas-itch|coinbase|treasury)-(\d{8})\.ohlcv-(1m|1d)\.csv")
TS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000000000Z"
PRICE = r"\d+\.\d{9}"


def line_pattern(rtype: int, publisher: int) -> re.Pattern[str]:
    return re.compile(rf"{TS},{rtype},{publisher},[1-9]\d{{0,9}},{PRICE},{PRICE},{PRICE},{PRICE},\d+,[A-Z^][A-Z0-9^-]*")


def name_date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def bar_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if NAME.fullmatch(p.name))


def read_bars(path: Path) -> list[dict[str, str]]:
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER
    return [dict(zip(COLUMNS, line.split(","), strict=True)) for line in lines[1:]]


def closes(path: Path) -> dict[str, dict[str, float]]:
    """symbol -> ts_event -> close."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for r in read_bars(path):
        found[r["symbol"]][r["ts_event"]] = float(r["close"])
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bars")
    generate(out, 2, 20_000, FRIDAY, sets=("options", "bars"), history_days=5)
    return out


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """300 trading days of daily bars before one day of bars, and the seconds it took."""
    out = tmp_path_factory.mktemp("history")
    began = time.perf_counter()
    generate(out, 1, 1, D(2025, 1, 27), sets=("bars",), history_days=300)
    return out, time.perf_counter() - began


def test_the_files_of_a_run(run: Path) -> None:
    names = {p.name for p in bar_files(run)}
    trading, weekend = ["20250131", "20250203"], ["20250201", "20250202"]
    for day in trading:
        assert {
            f"xnas-itch-{day}.ohlcv-1m.csv",
            f"xnas-itch-{day}.ohlcv-1d.csv",
            f"treasury-{day}.ohlcv-1d.csv",
        } <= names
    for day in trading + weekend:
        assert {f"coinbase-{day}.ohlcv-1m.csv", f"coinbase-{day}.ohlcv-1d.csv"} <= names
    assert not any(n.startswith(("xnas-itch", "treasury")) and d in n for n in names for d in weekend)
    assert not any(n.startswith("treasury") and "1m" in n for n in names)  # yields: daily bars only
    history_1m = [n for n in names if n.endswith("1m.csv") and NAME.fullmatch(n)[2] < "20250131"]
    assert history_1m == []
    history_1d = sorted(n for n in names if n.startswith("xnas-itch") and NAME.fullmatch(n)[2] < "20250131")
    assert [n[10:18] for n in history_1d] == ["20250124", "20250127", "20250128", "20250129", "20250130"]
    assert (run / cbbo.file_name(FRIDAY)).is_file() and (run / "truth" / "market.truth.json").is_file()


def test_every_line_has_the_vendor_format(run: Path) -> None:
    datasets = {i.symbol: i.dataset for i in INSTRUMENTS}
    ids = {i.symbol: str(i.instrument_id) for i in INSTRUMENTS}
    for path in bar_files(run):
        dataset, day, size = NAME.fullmatch(path.name).groups()
        text = path.read_text()
        assert text.startswith(HEADER + "\n") and text.endswith("\n")
        pattern = line_pattern(33 if size == "1m" else 35, PUBLISHERS[dataset])
        lines = text.splitlines()[1:]
        assert lines and all(pattern.fullmatch(line) for line in lines), path.name
        for r in read_bars(path):
            assert datasets[r["symbol"]] == dataset and ids[r["symbol"]] == r["instrument_id"]
            assert r["ts_event"][:10].replace("-", "") == day
            if size == "1d":
                assert r["ts_event"].endswith("T00:00:00.000000000Z")


def test_traded_instruments_have_volume_indices_and_yields_none(run: Path) -> None:
    for path in bar_files(run):
        for r in read_bars(path):
            traded = by_symbol(r["symbol"]).asset_class not in ("index", "yield")
            assert (int(r["volume"]) >= 1) if traded else r["volume"] == "0", r


def test_rows_are_ordered_by_time_then_symbol(run: Path) -> None:
    for path in bar_files(run):
        keys = [(r["ts_event"], r["symbol"]) for r in read_bars(path)]
        assert all(a < b for a, b in itertools.pairwise(keys)), path.name


def test_minutes_are_complete_except_for_the_less_liquid(run: Path) -> None:
    for path in [run / "xnas-itch-20250131.ohlcv-1m.csv", run / "coinbase-20250201.ohlcv-1m.csv"]:
        rows = read_bars(path)
        per_symbol = defaultdict(int)
        for r in rows:
            per_symbol[r["symbol"]] += 1
        regular = path.name.startswith("xnas")
        full = 390 if regular else 1440
        stamps = sorted({r["ts_event"] for r in rows})
        if regular:  # the session's bar starts, 09:30 to 15:59 New York (EST: 14:30 to 20:59 UTC)
            assert stamps[0] == "2025-01-31T14:30:00.000000000Z" and stamps[-1] == "2025-01-31T20:59:00.000000000Z"
        else:  # crypto trades every minute of a Saturday
            assert stamps[0] == "2025-02-01T00:00:00.000000000Z" and stamps[-1] == "2025-02-01T23:59:00.000000000Z"
            assert per_symbol["BTC-USD"] == per_symbol["ETH-USD"] == 1440
        assert len(stamps) == full
        for symbol, count in per_symbol.items():
            rate = by_symbol(symbol).missing_rate
            if rate == 0:
                assert count == full, symbol
            else:  # binomial: within 5 standard deviations of the missing rate
                assert abs((full - count) - rate * full) <= 5 * math.sqrt(full * rate) + 1, (symbol, count)
        assert any(count < full for count in per_symbol.values())


def test_ohlc_is_consistent_and_a_bar_opens_at_the_previous_close(run: Path) -> None:
    for path in bar_files(run):
        previous: dict[str, tuple[str, float]] = {}
        for r in read_bars(path):
            o, h, low, c = (float(r[k]) for k in ("open", "high", "low", "close"))
            assert 0 < low <= min(o, c) and max(o, c) <= h, (path.name, r)
            if path.name.endswith("1m.csv"):
                last = previous.get(r["symbol"])
                minute = dt.datetime.fromisoformat(r["ts_event"][:19])
                if last and dt.datetime.fromisoformat(last[0][:19]) == minute - dt.timedelta(minutes=1):
                    assert o == last[1], (path.name, r)
                previous[r["symbol"]] = (r["ts_event"], c)


def test_daily_bars_aggregate_the_minute_bars(run: Path) -> None:
    checked = 0
    for path in bar_files(run):
        if not path.name.endswith("1m.csv"):
            continue
        minute: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in read_bars(path):
            minute[r["symbol"]].append(r)
        daily = {r["symbol"]: r for r in read_bars(path.with_name(path.name.replace("1m", "1d")))}
        assert set(daily) == set(minute)
        for symbol, bars in minute.items():
            d = daily[symbol]
            assert d["open"] == bars[0]["open"] and d["close"] == bars[-1]["close"]
            assert float(d["high"]) == max(float(b["high"]) for b in bars)
            assert float(d["low"]) == min(float(b["low"]) for b in bars)
            assert int(d["volume"]) == sum(int(b["volume"]) for b in bars)
            checked += 1
    assert checked == 2 * 19 + 4 * 5


def test_levels_are_early_2025_and_trackers_follow_their_index(run: Path) -> None:
    day = closes(run / "xnas-itch-20250131.ohlcv-1m.csv")
    for symbol, ratio in [("SPY", 10.0), ("QQQ", 21500 / 520), ("IWM", 2300 / 225)]:
        parent = {"SPY": "SPX", "QQQ": "NDX", "IWM": "RUT"}[symbol]
        pairs = [(day[parent][t], day[symbol][t]) for t in day[symbol]]
        assert len(pairs) == 390
        assert all(abs(p / ratio / s - 1) < 5e-4 for p, s in pairs)  # tiny tracking noise and rounding
    assert 4000 < day["SPX"]["2025-01-31T14:30:00.000000000Z"] < 8000
    assert 8 < min(day["VIX"].values()) and max(day["VIX"].values()) < 60
    treasury = {r["symbol"]: float(r["close"]) for r in read_bars(run / "treasury-20250131.ohlcv-1d.csv")}
    assert set(treasury) == {"^IRX", "^FVX", "^TNX", "^TYX"}
    for symbol, level in [("^IRX", 4.3), ("^FVX", 4.4), ("^TNX", 4.6), ("^TYX", 4.8)]:
        assert abs(treasury[symbol] - level) < 0.5


def test_option_spots_are_the_bar_closes_and_spx_smiles_follow_the_vix(run: Path) -> None:
    for day in ["20250131", "20250203"]:
        truth = json.loads((run / "truth" / f"opra-pillar-{day}.truth.json").read_text())
        bars = closes(run / f"xnas-itch-{day}.ohlcv-1m.csv")
        assert {"SPX", "SPY", "QQQ"} <= truth["underlyings"].keys()
        for name, u in truth["underlyings"].items():
            assert u["bar"] == {"dataset": "xnas-itch", "symbol": name, "ts_event_offset_s": -60}
            for ts_recv, spot in zip(u["ts_recv"], u["spot"], strict=True):
                start = dt.datetime.fromisoformat(ts_recv[:19]) - dt.timedelta(minutes=1)
                assert bars[name][start.strftime("%Y-%m-%dT%H:%M:%S.000000000Z")] == spot
        vix = [bars["VIX"][t] for t in sorted(bars["VIX"])]
        following = [root for root, entry in truth["roots"].items() if entry["base_vol_from"] == "VIX"]
        assert {"SPXW", "SPY"} <= set(following)
        for root in following:
            assert truth["roots"][root]["base_vol_by_minute"] == [v / 100 for v in vix]
        assert "base_vol_by_minute" not in truth["roots"]["QQQ"]


def test_options_do_not_depend_on_the_sets_or_the_history(run: Path, tmp_path: Path) -> None:
    (alone,) = generate(tmp_path, 1, 20_000, FRIDAY)
    assert alone.read_bytes() == (run / alone.name).read_bytes()
    assert not bar_files(tmp_path) and not (tmp_path / "truth" / "market.truth.json").exists()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    def run(folder: str, seed: int) -> dict[str, bytes]:
        out = tmp_path / folder
        generate(out, 1, 100, FRIDAY, sets=("bars",), history_days=2, seed=seed)
        files = [*bar_files(out), out / "truth" / "market.truth.json"]
        return {p.name: p.read_bytes() for p in files}

    first = run("a", 7)
    assert run("b", 7) == first
    other = run("c", 8)
    assert other.keys() == first.keys()
    assert all(other[name] != first[name] for name in first)


def test_gzip_bars_hold_the_plain_content(tmp_path: Path) -> None:
    import gzip

    generate(tmp_path / "plain", 1, 100, FRIDAY, sets=("bars",))
    generate(tmp_path / "gz", 1, 100, FRIDAY, sets=("bars",), gzip=True)
    plain = bar_files(tmp_path / "plain")
    for path in plain:
        packed = tmp_path / "gz" / (path.name + ".gz")
        assert gzip.decompress(packed.read_bytes()) == path.read_bytes()


def test_three_hundred_history_days_are_cheap(history: tuple[Path, float]) -> None:
    out, seconds = history
    daily = [p for p in bar_files(out) if p.name.startswith("xnas-itch") and p.name.endswith("1d.csv")]
    assert len(daily) == 301
    assert [p for p in bar_files(out) if p.name.endswith("1m.csv")] == [
        out / "coinbase-20250127.ohlcv-1m.csv",
        out / "xnas-itch-20250127.ohlcv-1m.csv",
    ]
    crypto = [p for p in bar_files(out) if p.name.startswith("coinbase") and p.name.endswith("1d.csv")]
    first = name_date(NAME.fullmatch(daily[0].name)[2])
    assert len(crypto) == (D(2025, 1, 27) - first).days + 1  # every calendar day
    assert seconds < 15, f"300 history days took {seconds:.1f} s"


def daily_returns(out: Path, symbols: list[str]) -> dict[str, np.ndarray]:
    """Close-to-close log returns over the trading days, crypto's on the same trading days."""
    found: dict[str, list[float]] = defaultdict(list)
    for path in bar_files(out):
        _, day, size = NAME.fullmatch(path.name).groups()
        if size != "1d" or not is_trading_day(name_date(day)):
            continue
        for r in read_bars(path):
            if r["symbol"] in symbols:
                found[r["symbol"]].append(math.log(float(r["close"])))
    return {s: np.diff(np.array(v)) for s, v in found.items()}


def beta_and_se(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    xc, yc = x - x.mean(), y - y.mean()
    beta = xc @ yc / (xc @ xc)
    resid = yc - beta * xc
    return float(beta), float(math.sqrt(resid @ resid / (x.size - 2) / (xc @ xc)))


def corr_and_se(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    r = float(np.corrcoef(x, y)[0, 1])
    return r, (1 - r * r) / math.sqrt(x.size - 3)


def test_daily_beta_and_correlations_match_the_truth(history: tuple[Path, float]) -> None:
    out, _ = history
    truth = json.loads((out / "truth" / "market.truth.json").read_text())
    assert truth["trading_days"] == 301
    returns = daily_returns(out, ["SPX", "SPY", "QQQ", "BTC-USD", "ETH-USD", "VIX"])
    assert all(r.size == 300 for r in returns.values())
    beta, se = beta_and_se(returns["SPX"], returns["QQQ"])  # the 60-day beta's estimator, over 300 days
    assert truth["pairs"]["QQQ~SPX"]["beta_1d"] == pytest.approx(1.2)
    assert abs(beta - truth["pairs"]["QQQ~SPX"]["beta_1d"]) < 4 * se, (beta, se)
    for coin in ["BTC-USD", "ETH-USD"]:
        expected = truth["pairs"][f"{coin}~SPY"]["corr_1d"]
        assert 0.15 < expected < 0.35  # weakly correlated with the market
        r, se = corr_and_se(returns["SPY"], returns[coin])
        assert abs(r - expected) < 4 * se, (coin, r, expected, se)
    vix, _ = corr_and_se(returns["SPX"], returns["VIX"])
    assert vix < -0.6 and truth["pairs"]["VIX~SPX"]["corr_1d"] == pytest.approx(-0.75, abs=0.01)


def test_minute_beta_and_correlations_match_the_truth(run: Path) -> None:
    truth = json.loads((run / "truth" / "market.truth.json").read_text())
    returns: dict[str, list[float]] = defaultdict(list)
    for day in ["20250131", "20250203"]:
        xnas = closes(run / f"xnas-itch-{day}.ohlcv-1m.csv")
        coins = closes(run / f"coinbase-{day}.ohlcv-1m.csv")
        stamps = sorted(xnas["SPX"])
        for symbol, series in [("SPX", xnas["SPX"]), ("SPY", xnas["SPY"]), ("QQQ", xnas["QQQ"])] + [
            (c, coins[c]) for c in ("BTC-USD", "ETH-USD")
        ]:
            returns[symbol] += list(np.diff(np.log([series[t] for t in stamps])))
    r = {s: np.array(v) for s, v in returns.items()}
    beta, se = beta_and_se(r["SPX"], r["QQQ"])
    assert abs(beta - truth["pairs"]["QQQ~SPX"]["beta_1m"]) < 4 * se, (beta, se)
    for coin in ["BTC-USD", "ETH-USD"]:
        corr, se = corr_and_se(r["SPY"], r[coin])
        assert abs(corr - truth["pairs"][f"{coin}~SPY"]["corr_1m"]) < 4 * se, (coin, corr, se)


def test_vix_log_changes_move_against_spx_within_the_day(run: Path) -> None:
    xnas = closes(run / "xnas-itch-20250131.ohlcv-1m.csv")
    stamps = sorted(xnas["SPX"])
    spx = np.diff(np.log([xnas["SPX"][t] for t in stamps]))
    vix = np.diff(np.log([xnas["VIX"][t] for t in stamps]))
    corr, se = corr_and_se(spx, vix)
    truth = json.loads((run / "truth" / "market.truth.json").read_text())["instruments"]["VIX"]
    assert corr < 0 and abs(corr - truth["corr_1m_with_spx"]) < 4 * se


def test_ou_recursions() -> None:
    rng = np.random.default_rng(1)
    eta, weights = rng.normal(0, 0.01, 50), rng.uniform(0, 0.01, 50)
    phi = np.exp(-5.0 * weights / 252)
    forward = ou_forward(0.3, eta, weights, 5.0)
    assert forward[0] == 0.3
    assert np.allclose(forward[1:], phi * forward[:-1] + eta, rtol=0, atol=1e-12)
    backward = ou_backward(-0.2, eta, weights, 5.0)
    assert backward[-1] == -0.2
    assert np.allclose(backward[:-1], phi * backward[1:] - eta, rtol=0, atol=1e-12)


def test_yields_revert_to_their_long_run_level() -> None:
    curve = build_curve()
    theta, kappa, sigma = curve.theta, curve.kappa, curve.sigma
    rng = np.random.default_rng(3)
    n_paths, n_days, dt_years = 4000, 504, 1 / 252
    phi, sd = ou_coefficients(kappa, sigma, dt_years)
    y = np.tile(theta + 2.0, (n_paths, 1))  # two points above the long-run level
    for _ in range(n_days):
        y = ou_step(y, theta, phi, sd, rng.standard_normal(y.shape) @ curve.chol.T)
    years = n_days * dt_years
    mean = theta + 2.0 * np.exp(-kappa * years)
    stationary_sd = sigma * np.sqrt((1 - np.exp(-2 * kappa * years)) / (2 * kappa))
    assert np.all(np.abs(y.mean(axis=0) - mean) < 4 * stationary_sd / math.sqrt(n_paths))
    assert np.all(y.mean(axis=0) < theta + 2.0 - 0.3)  # moved toward theta
    changes = np.corrcoef(np.diff(y[:50], axis=0).T)
    assert changes[2, 3] > 0.8  # ^TNX and ^TYX move together


def test_yield_history_is_plausible(history: tuple[Path, float]) -> None:
    out, _ = history
    series: dict[str, list[float]] = defaultdict(list)
    for path in bar_files(out):
        if path.name.startswith("treasury"):
            for r in read_bars(path):
                series[r["symbol"]].append(float(r["close"]))
                assert r["volume"] == "0"
    assert {s: len(v) for s, v in series.items()} == {"^FVX": 301, "^IRX": 301, "^TNX": 301, "^TYX": 301}
    truth = json.loads((out / "truth" / "market.truth.json").read_text())["yields"]
    for symbol, values in series.items():
        assert 0.5 < min(values) and max(values) < 9
        changes = np.diff(values)
        assert np.std(changes) * math.sqrt(252) == pytest.approx(truth[symbol]["sigma"], rel=0.25)
    tnx, tyx = np.diff(series["^TNX"]), np.diff(series["^TYX"])
    assert np.corrcoef(tnx, tyx)[0, 1] > 0.85


def test_instruments_are_exported_as_seed_data() -> None:
    rows = seed_rows()
    symbols = [r["symbol"] for r in rows]
    assert len(symbols) == len(set(symbols))
    wanted = "SPY QQQ IWM DIA AAPL MSFT AMZN TSLA NVDA JPM XOM META GOOGL NFLX SPX NDX RUT VIX".split()
    wanted += ["BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD", "^IRX", "^FVX", "^TNX", "^TYX"]
    assert set(wanted) <= set(symbols)
    classes = {r["symbol"]: (r["asset_class"], r["session"], r["dataset"]) for r in rows}
    assert classes["SPY"] == ("etf", "regular", "xnas-itch") and classes["AAPL"] == ("equity", "regular", "xnas-itch")
    assert classes["SPX"] == ("index", "regular", "xnas-itch") and classes["BTC-USD"] == ("crypto", "24x7", "coinbase")
    assert classes["^TNX"] == ("yield", "daily", "treasury")
    assert all(r["currency"] == "USD" and int(r["instrument_id"]) > 0 for r in rows)
    assert {u.name for u in UNDERLYINGS} <= set(symbols)  # every option underlying is a bar instrument (F too)


def test_cli_writes_the_chosen_sets(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    assert (
        main(
            [
                "generate",
                "--out",
                str(out),
                "--days",
                "1",
                "--start",
                "2025-01-31",
                "--sets",
                "bars",
                "--history-days",
                "1",
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == [
        "coinbase-20250130.ohlcv-1d.csv",
        "coinbase-20250131.ohlcv-1d.csv",
        "coinbase-20250131.ohlcv-1m.csv",
        "treasury-20250130.ohlcv-1d.csv",
        "treasury-20250131.ohlcv-1d.csv",
        "xnas-itch-20250130.ohlcv-1d.csv",
        "xnas-itch-20250131.ohlcv-1d.csv",
        "xnas-itch-20250131.ohlcv-1m.csv",
    ]
    assert main(["generate", "--out", str(tmp_path / "bad"), "--sets", "options,trades"]) == 2
