"""Whole-file checks: every kind of bad file gets its own clear message. No Spark."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from optlake.bronze.file_checks import check_file, locate_lines
from optlake.bronze.specs import cbbo

ROW = "2025-01-28T14:31:00.000000000Z,,193,30,1,N,,0,200,1.000000000,1.100000000,1,1,0,0,SPX   250221C01000000"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_good_plain_and_gzip_files_pass(tmp_path: Path, fixture_csv: Path) -> None:
    assert check_file(fixture_csv).problem is None
    gz = write(tmp_path, "opra-pillar-20250128.cbbo-1m.csv.gz", gzip.compress(fixture_csv.read_bytes()))
    assert check_file(gz).problem is None


def test_crlf_line_endings_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"{cbbo.HEADER}\r\n{ROW}\r\n".encode())
    assert check_file(path).problem is None


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.csv", b"", "empty file (0 bytes)"),
        ("blank.csv", b"\n\n", "empty file (no header line)"),
        ("header-only.csv", (cbbo.HEADER + "\n").encode(), "header only: the file has no data rows"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content: not a CSV text file"),
        ("latin.csv", b"ts_recv\xff\xfe,x\n1,2\n", "binary content: not a CSV text file (header is not UTF-8)"),
        ("notes.txt", b"hello\n", "not a CSV file (expected a .csv or .csv.gz name)"),
        ("day.csv.zst", b"\x28\xb5\x2f\xfd", "zstd-compressed CSV is not supported yet"),
        ("fake.csv.gz", b"plain text\n", "not gzip data although the name ends in .gz"),
    ],
)
def test_bad_files_are_rejected_with_a_clear_message(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    reason = check_file(write(tmp_path, name, data)).problem
    assert reason is not None and reason.startswith(expected), reason


def test_wrong_header_says_what_differs(tmp_path: Path) -> None:
    renamed = cbbo.HEADER.replace("bid_px_00", "bid_px")
    reason = check_file(write(tmp_path, "a.csv", f"{renamed}\n{ROW}\n".encode())).problem
    assert reason.startswith("wrong header (missing bid_px_00; unexpected bid_px)")
    swapped = cbbo.HEADER.replace("ts_recv,ts_event", "ts_event,ts_recv")
    reason = check_file(write(tmp_path, "b.csv", f"{swapped}\n{ROW}\n".encode())).problem
    assert reason.startswith("wrong header (columns are in a different order)")


def test_truncated_and_corrupt_gzip(tmp_path: Path, fixture_csv: Path) -> None:
    full = gzip.compress(fixture_csv.read_bytes() * 50)
    truncated = write(tmp_path, "t.csv.gz", full[: len(full) // 2])
    assert check_file(truncated).problem == "truncated gzip file: the compressed stream ends before its end marker"
    corrupt = bytearray(full)
    corrupt[len(full) // 2 : len(full) // 2 + 16] = b"\xff" * 16
    reason = check_file(write(tmp_path, "c.csv.gz", bytes(corrupt))).problem
    assert reason is not None and reason.startswith("corrupt gzip data")


def test_multi_member_gzip_is_complete(tmp_path: Path, fixture_csv: Path) -> None:
    data = fixture_csv.read_bytes()
    head, tail = data[:300], data[300:]
    path = write(tmp_path, "m.csv.gz", gzip.compress(head) + gzip.compress(tail))
    assert check_file(path).problem is None


def test_locate_lines_numbers_duplicates_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv.gz", gzip.compress(b"h\nx\ny\nx\nz\n"))
    assert locate_lines(path, ["x", "z", "x", "missing"]) == [2, 5, 4, None]
