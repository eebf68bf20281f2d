"""The flows' pure parts: batches of whole days, the maintenance day, artifact keys, the Markdown."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.artifacts import (
    BatchOutcome,
    SymbolOutcome,
    backfill_markdown,
    cell,
    daily_markdown,
    load_totals,
    signals_section,
    steps_section,
    symbols_markdown,
    table,
)
from flows.daily import chosen_steps, dbt_steps
from flows.plans import Batch, artifact_key, by_day, key_column, maintenance_due, plan_batches, weekday_number
from optlake.bronze.landing import LandingFile
from optlake.bronze.report import FileResult, LoadReport

FEB3, FEB4, FEB5 = dt.date(2025, 2, 3), dt.date(2025, 2, 4), dt.date(2025, 2, 5)
NAMES = [
    "xnas-itch-20250204.ohlcv-1m.csv",
    "opra-pillar-20250203.cbbo-1m.csv",
    "opra-pillar-20250204.cbbo-1m.csv",
    "xnas-itch-20250203.ohlcv-1m.csv",
    "opra-pillar-20250205.cbbo-1m.csv",
    "notes.csv",
]


def test_files_group_by_the_day_in_their_name_undated_last():
    groups = by_day(NAMES)
    assert list(groups) == [FEB3, FEB4, FEB5, None]
    assert groups[FEB3] == ["opra-pillar-20250203.cbbo-1m.csv", "xnas-itch-20250203.ohlcv-1m.csv"]
    assert groups[None] == ["notes.csv"]


def test_one_batch_per_day():
    batches = plan_batches(NAMES, "day")
    assert [b.label for b in batches] == ["2025-02-03", "2025-02-04", "2025-02-05", "undated"]
    assert batches[1] == Batch("2025-02-04", ("opra-pillar-20250204.cbbo-1m.csv", "xnas-itch-20250204.ohlcv-1m.csv"))
    assert sorted(n for b in batches for n in b.names) == sorted(NAMES)


def test_batches_of_files_pack_whole_days_and_never_split_one():
    batches = plan_batches(NAMES, "files", max_files=3)
    assert [(b.label, len(b.names)) for b in batches] == [
        ("2025-02-03", 2),
        ("2025-02-04..2025-02-05", 3),
        ("undated", 1),
    ]
    # a day with more files than the batch size stays whole
    assert [len(b.names) for b in plan_batches(NAMES, "files", max_files=1)] == [2, 2, 1, 1]
    assert [b.label for b in plan_batches(NAMES, "files", max_files=100)] == ["2025-02-03..2025-02-05", "undated"]


def test_batch_plan_mistakes():
    assert plan_batches([], "day") == []
    with pytest.raises(ValueError, match="batch mode must be one of day, files"):
        plan_batches(NAMES, "week")
    with pytest.raises(ValueError, match="at least 1"):
        plan_batches(NAMES, "files", max_files=0)


def test_maintenance_runs_on_the_configured_weekday_or_when_forced():
    sunday, monday = dt.date(2025, 2, 2), dt.date(2025, 2, 3)
    assert maintenance_due(sunday) and not maintenance_due(monday)
    assert maintenance_due(monday, "Monday") and maintenance_due(monday, "mon") and maintenance_due(monday, 0)
    assert maintenance_due(monday, "sunday", force=True)
    assert weekday_number("SUN") == 6
    with pytest.raises(ValueError, match="unknown weekday 'someday'"):
        weekday_number("someday")
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        weekday_number(7)


def test_artifact_keys_are_lowercase_letters_digits_and_dashes():
    assert artifact_key("optlake-symbol", "trading_db", "^TNX") == "optlake-symbol-trading-db-tnx"
    assert artifact_key("optlake-symbol", "t", "BTC-USD") == "optlake-symbol-t-btc-usd"
    with pytest.raises(ValueError):
        artifact_key("--", "_")


def test_key_column_of_a_gold_table():
    assert key_column(["trade_date", "SYMBOL", "signal"]) == "symbol"
    assert key_column(["underlying", "signal"]) == "underlying"
    with pytest.raises(ValueError, match="neither a symbol nor an underlying"):
        key_column(["signal"])


def test_daily_steps_split_the_market_data_out_of_silver():
    steps = dbt_steps()
    assert [name for name, _ in steps] == ["silver", "market_data", "analytics", "strategies"]
    assert steps[0][1] == ("run", "--select", "tag:silver", "--exclude", "tag:bars")
    assert steps[1][1] == ("run", "--select", "tag:bars")
    assert chosen_steps(["test", "load"]) == ["load", "test"]
    with pytest.raises(ValueError, match="unknown step\\(s\\) gold; the daily flow's steps: load, silver"):
        chosen_steps(["gold"])


def result(name: str, status: str, loaded: int = 0, quarantined: int = 0, error: str | None = None) -> FileResult:
    return FileResult(
        LandingFile(name, f"/landing/{name}", 100, ""),
        FEB3,
        status,
        rows_read=loaded + quarantined,
        rows_loaded=loaded,
        rows_quarantined=quarantined,
        error=error,
    )


def report(*results: FileResult) -> LoadReport:
    r = LoadReport.start()
    r.results = list(results)
    return r


REPORT = report(
    result("opra-pillar-20250203.cbbo-1m.csv", "loaded", 1000, 2),
    result("xnas-itch-20250203.ohlcv-1m.csv", "loaded", 500),
    result("bad-20250203.csv", "rejected", error="wrong header | expected ts_recv"),
)


def test_load_totals():
    totals = load_totals([REPORT, report(result("b.csv", "duplicate"))])
    assert totals.files == {"loaded": 2, "rejected": 1, "duplicate": 1}
    assert (totals.rows_read, totals.rows_loaded, totals.rows_quarantined, totals.files_rejected) == (1502, 1500, 2, 1)


def test_markdown_table_cells_and_alignment():
    assert cell(1234567) == "1,234,567" and cell(2.25) == "2.2" and cell(None) == "" and cell("a|b") == "a\\|b"
    assert cell(True) == "yes" and cell(FEB3) == "2025-02-03"
    assert table(["step", "seconds"], [["load", 1.0]]) == "| step | seconds |\n|---|---:|\n| load | 1.0 |"
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        table(["a", "b", "c"], [[1, 2]])


def test_signals_steps_and_the_daily_markdown():
    signals = {"gold_laymanspystrategy": {"BUY_CALL": 3, "HOLD": 7}, "gold_vixadaptivestrategy": {"HOLD": 5, "BUY": 1}}
    section = signals_section(signals, [FEB3])
    assert "| strategy | BUY | BUY_CALL | HOLD | total |" in section
    assert "| gold_laymanspystrategy | 0 | 3 | 7 | 10 |" in section
    assert "| gold_vixadaptivestrategy | 1 | 0 | 5 | 6 |" in section
    assert "No new trading day" in signals_section({}, [])
    assert steps_section({"load": 1.04, "silver": 2.0}).endswith("| silver | 2.0 |\n| total | 3.0 |")

    md = daily_markdown(FEB3, [REPORT], signals, [FEB3], {"load": 1.0}, None, ["**Failed at step silver:** boom"])
    assert md.startswith("# optlake daily 2025-02-03\n\n**Failed at step silver:** boom\n\n## Bronze load")
    assert "| files | loaded | rejected | rows read | rows loaded | rows quarantined |" in md
    assert "| count | 2 | 1 | 1,502 | 1,500 | 2 |" in md
    assert "| bad-20250203.csv | 2025-02-03 | rejected | 0 | 0 | wrong header \\| expected ts_recv |" in md
    assert md.endswith("## Weekly maintenance\n\nNot run.\n")
    assert "No file to load." in daily_markdown(FEB3, [], {}, [], {}, "| table |", [])


def test_backfill_and_symbols_markdown():
    outcomes = [BatchOutcome("2025-02-03", 3, "Completed", 2, REPORT), BatchOutcome("2025-02-04", 1, "Failed", 3, None)]
    md = backfill_markdown("/landing", outcomes, {"load": 3.0}, "Not run: batch(es) 2025-02-04 failed.")
    assert "| 2025-02-03 | 3 | Completed | 2 | 2 | 1 | 1,500 | 2 |" in md
    assert "| 2025-02-04 | 1 | Failed | 3 | 0 | 0 | 0 | 0 |" in md
    assert "## dbt build\n\nNot run: batch(es) 2025-02-04 failed." in md

    symbols = [
        SymbolOutcome("AAPL", "Completed", 1, ("gold_vixadaptivestrategy",), {"HOLD": 70, "BUY": 2}, 4.26),
        SymbolOutcome("MSFT", "Failed", 3, (), {}, 0.0, "dbt run failed"),
    ]
    md = symbols_markdown("optlake analyze symbols", symbols)
    assert "Strategies: gold_vixadaptivestrategy." in md
    assert "| AAPL | Completed | 1 | 2 | 70 | 72 | 4.3 |  |" in md
    assert "| MSFT | Failed | 3 | 0 | 0 | 0 | 0.0 | dbt run failed |" in md
