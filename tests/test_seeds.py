"""The seeds derived from Python reference data are up to date, and say what the Python says."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys

from optlake.generator.instruments import INSTRUMENTS
from optlake.settings import PROJECT_DIR


def test_derived_seeds_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "write_seeds.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_instruments_seed_lists_every_instrument_once() -> None:
    with (PROJECT_DIR / "seeds" / "instruments.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["symbol"] for r in rows] == [i.symbol for i in INSTRUMENTS]
    assert {r["asset_class"] for r in rows} == {"equity", "etf", "index", "crypto", "yield"}
    assert {"SPY", "SPX", "VIX", "BTC-USD", "^IRX", "^TNX"} <= {r["symbol"] for r in rows}


def test_trading_calendar_seed_has_early_closes_and_no_holidays() -> None:
    with (PROJECT_DIR / "seeds" / "trading_calendar.csv").open() as f:
        rows = {r["trade_date"]: r for r in csv.DictReader(f)}
    assert rows["2025-11-28"]["session_close_utc"] == "2025-11-28 18:00:00"
    assert rows["2025-11-28"]["is_early_close"] == "true"
    assert rows["2025-07-02"]["session_open_utc"] == "2025-07-02 13:30:00"
    assert "2025-12-25" not in rows and "2025-01-01" not in rows and "2025-01-04" not in rows
    assert len([d for d in rows if d.startswith("2025-")]) == 251  # 2025 has 251 NYSE trading days by rule
    assert min(rows) == "2015-01-02" and max(rows) <= dt.date(2035, 12, 31).isoformat()


def test_option_roots_seed_agrees_with_the_generator() -> None:
    from optlake.generator.catalogue import ROOTS

    with (PROJECT_DIR / "seeds" / "option_roots.csv").open() as f:
        rows = {r["root"]: r for r in csv.DictReader(f)}
    for root in ROOTS:
        listed = rows.get(root.symbol, {"underlying": root.symbol, "settlement": "PM"})
        assert (listed["underlying"], listed["settlement"]) == (root.underlying, root.settlement), root.symbol
