"""Whole-file checks before a file goes to Spark: type, emptiness, header, gzip integrity.

A file that fails is rejected as a whole (moved to failed/) with the message returned here;
the other files of the batch still load. Pure functions over local files.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections import defaultdict, deque
from pathlib import Path
from typing import IO, Iterator

from optlake import cbbo

_CHUNK = 4 * 1024 * 1024
_HEAD_BYTES = 64 * 1024


def check_file(path: Path, name: str | None = None) -> str | None:
    """Why the file cannot be loaded, or None when it can. ``name`` is the original file name."""
    name = name or path.name
    reason = cbbo.unsupported_reason(name)
    if reason:
        return reason
    size = path.stat().st_size
    if size == 0:
        return "empty file (0 bytes)"
    if cbbo.suffix_of(name) == ".csv.gz":
        gz_reason = gzip_problem(path)
        if gz_reason:
            return gz_reason
    with open_text_source(path, name) as stream:
        head = stream.read(_HEAD_BYTES)
    return head_problem(head)


def head_problem(head: bytes) -> str | None:
    """Problems visible in the first bytes of the (decompressed) file."""
    if not head.strip():
        return "empty file (no header line)"
    if b"\x00" in head:
        return "binary content: not a CSV text file"
    first, _, rest = head.partition(b"\n")
    try:
        header = first.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return "binary content: not a CSV text file (header is not UTF-8)"
    if header != cbbo.HEADER:
        return header_mismatch(header)
    if not rest.strip():
        return "header only: the file has no data rows"
    return None


def header_mismatch(header: str) -> str:
    """A message that says how a header differs from the CBBO one."""
    found = header.split(",")
    expected = list(cbbo.COLUMNS)
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if not missing and not extra:
        detail = "columns are in a different order"
    else:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
        if extra:
            parts.append("unexpected " + ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else ""))
        detail = "; ".join(parts)
    shown = header if len(header) <= 200 else header[:200] + "..."
    return f"wrong header ({detail}): expected '{cbbo.HEADER}', found '{shown}'"


def gzip_problem(path: Path) -> str | None:
    """Decompress the whole file once; say why it is not a complete gzip stream, else None."""
    with open(path, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            return "not gzip data although the name ends in .gz"
        raw.seek(0)
        decomp = zlib.decompressobj(wbits=31)
        try:
            while chunk := raw.read(_CHUNK):
                data = chunk
                while data:
                    decomp.decompress(data)
                    if not decomp.eof:
                        break
                    data = decomp.unused_data  # next member of a multi-member file
                    if data:
                        decomp = zlib.decompressobj(wbits=31)
        except zlib.error as exc:
            return f"corrupt gzip data: {exc}"
    if not decomp.eof:
        return "truncated gzip file: the compressed stream ends before its end marker"
    return None


def open_text_source(path: Path, name: str | None = None) -> IO[bytes]:
    """Open a local CSV or CSV.GZ as a binary stream of the decompressed bytes."""
    if cbbo.suffix_of(name or path.name) == ".csv.gz":
        return gzip.open(path, "rb")
    return io.open(path, "rb")


def iter_lines(path: Path, name: str | None = None) -> Iterator[str]:
    """The file's lines without line endings, decoded leniently."""
    with open_text_source(path, name) as stream:
        for raw in stream:
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def locate_lines(path: Path, wanted: list[str], name: str | None = None) -> list[int | None]:
    """1-based line numbers of ``wanted`` lines, in order; equal lines get successive numbers.

    Used only for files that had malformed rows, so the extra read costs nothing on clean files.
    """
    positions: dict[str, deque[int]] = defaultdict(deque)
    remaining = set(wanted)
    if remaining:
        for number, line in enumerate(iter_lines(path, name), start=1):
            if line in remaining:
                positions[line].append(number)
    return [positions[line].popleft() if positions[line] else None for line in wanted]
