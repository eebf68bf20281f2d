"""Streaming ingest, pure parts: message parsing and validation, lateness, batch classification, the generator,
the bridge's resume positions and the CLI's clear errors (no Spark)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from optlake.settings import PROJECT_DIR
from optlake.streaming.bridge import Batch, file_name, landed_positions, to_text
from optlake.streaming.generator import generate_messages, to_jsonl
from optlake.streaming.messages import Message, Rejected, format_ts, late_reason, load_instruments, parse_line, parse_ts
from optlake.streaming.windows import classify, split_lines, watermark

INSTRUMENTS = load_instruments(PROJECT_DIR / "seeds" / "instruments.csv")


def test_timestamps_keep_nanoseconds() -> None:
    ns = parse_ts("2025-01-28T14:31:05.123456789Z")
    assert format_ts(ns) == "2025-01-28T14:31:05.123456789Z"
    assert parse_ts(ns) == ns and parse_ts("2025-01-28T14:31:05Z") == ns - 123456789


def test_trade_quote_and_bar_parse_with_seed_ids_and_trade_date() -> None:
    trade = parse_line(
        '{"type":"trade","symbol":"AAPL","ts_event":"2025-01-29T01:00:00Z","price":1.5,"size":3}', INSTRUMENTS
    )
    assert isinstance(trade, Message) and trade.values == {"price": Decimal("1.5"), "size": 3}
    assert trade.instrument_id == 1297476316 and trade.trade_date == dt.date(2025, 1, 28)  # New York date
    btc = parse_line(
        '{"type":"trade","symbol":"BTC-USD","ts_event":"2025-01-29T01:00:00Z","price":"9","size":1}', INSTRUMENTS
    )
    assert btc.trade_date == dt.date(2025, 1, 29)  # 24x7: UTC date
    bar = parse_line(
        '{"type":"bar","symbol":"SPY","ts_event":"2025-01-28T14:31:00Z","open":2,"high":3,"low":1,"close":2,"volume":9}',
        INSTRUMENTS,
    )
    assert bar.event_time_ns == parse_ts("2025-01-28T14:32:00Z")  # a bar's event time: its minute's end
    quote = parse_line(
        '{"type":"quote","symbol":"X","ts_event":1,"bid_px":1,"ask_px":2,"bid_sz":1,"ask_sz":1,"instrument_id":5}', {}
    )
    assert quote.instrument_id == 5 and quote.publisher_id is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{nope", "malformed JSON: Expecting property name enclosed in double quotes"),
        ("[1]", "not a JSON object: list"),
        ('{"type":"tick"}', "unknown message type 'tick' (expected trade, quote or bar)"),
        ('{"type":"trade","symbol":"A","price":1}', "trade missing field(s): ts_event, size"),
        (
            '{"type":"trade","symbol":"A","ts_event":"2025-01-28 14:31","price":1,"size":1}',
            "ts_event '2025-01-28 14:31'",
        ),
        ('{"type":"trade","symbol":"A","ts_event":1,"price":"x","size":1}', "price 'x' is not a decimal"),
        ('{"type":"trade","symbol":"A","ts_event":1,"price":1,"size":-1}', "size -1 is not a non-negative integer"),
        ('{"type":"trade","symbol":"A","ts_event":1,"price":0,"size":1}', "trade price 0 is not positive"),
        ('{"type":"quote","symbol":"A","ts_event":1,"bid_px":3,"ask_px":2,"bid_sz":1,"ask_sz":1}', "quote bid 3 above"),
        (
            '{"type":"bar","symbol":"A","ts_event":1,"open":1,"high":1,"low":2,"close":1,"volume":1}',
            "bar high below low",
        ),
        ('{"type":"bar","symbol":"A","ts_event":5,"open":1,"high":1,"low":1,"close":1,"volume":1}', "bar ts_event"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(line: str, reason: str) -> None:
    parsed = parse_line(line, INSTRUMENTS)
    assert isinstance(parsed, Rejected) and parsed.reason.startswith(reason), parsed


def test_watermark_lateness_and_reconciled_counts() -> None:
    lines = split_lines(
        "f.jsonl",
        '{"type":"trade","symbol":"A","ts_event":"2025-01-28T14:31:40Z","price":1,"size":1}\n\n'
        '{"type":"trade","symbol":"A","ts_event":"2025-01-28T14:31:20Z","price":1,"size":1}\nbad\n',
    )
    assert [line.line_number for line in lines] == [1, 3, 4]  # blank lines carry no message
    wm = watermark(parse_ts("2025-01-28T14:32:00Z"), 30 * 10**9)
    result = classify(lines, {}, wm)
    assert result.counts() == {"read": 3, "trade": 1, "quote": 0, "bar": 0, "quarantined": 2, "late": 1}
    assert result.quarantined[0][1].reason == (
        "late: event time 2025-01-28T14:31:20.000000000Z before watermark 2025-01-28T14:31:30.000000000Z"
    )
    assert late_reason(result.accepted[0][1], None) is None and classify(lines, {}, None).counts()["late"] == 0


def test_generator_is_a_pure_function_of_its_arguments() -> None:
    a = generate_messages(("AAPL", "SPY"), 3, 1, bar_symbols=("SPY",), shuffle_seconds=5)
    assert a == generate_messages(("AAPL", "SPY"), 3, 1, bar_symbols=("SPY",), shuffle_seconds=5)
    assert a != generate_messages(("AAPL", "SPY"), 3, 2, bar_symbols=("SPY",), shuffle_seconds=5)
    assert {m["type"] for m in a} == {"trade", "quote", "bar"}
    assert all(isinstance(parse_line(line, INSTRUMENTS), Message) for line in to_jsonl(a).splitlines())


def test_bridge_resumes_after_the_positions_in_landed_names() -> None:
    names = [
        file_name("kinesis", "market", Batch("shardId-000000000001", 10, 42, [])),
        file_name("kinesis", "market", Batch("shardId-000000000001", 43, 50, [])),
        file_name("kafka", "market", Batch("0", 0, 99, [])),
        ".kinesis-market-shardId-000000000002-1-2.jsonl.tmp",
    ]
    assert landed_positions(names, "kinesis", "market") == {"shardId-000000000001": 50}
    assert landed_positions(names, "kafka", "market") == {"0": 99}
    assert to_text([b'{"a":\n1}', b"x"]) == '{"a": 1}\nx\n'


def test_cli_mistakes_are_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from optlake.cli import main

    assert main(["stream", str(tmp_path / "nowhere"), "--once"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["stream", str(tmp_path), "--watermark", "soon"])
    assert exc.value.code == 2
    assert "expected a number of seconds, got 'soon'" in capsys.readouterr().err
    assert main(["stream", str(tmp_path), "--name", "bad name!"]) == 2
