"""Whole-file checks before a file is parsed: type, emptiness, header, gzip integrity, content hash.

A file that fails is rejected as a whole (moved to failed/) with the message returned here; the
other files of the load still load. The header says which dataset (spec) a file holds. The SHA-256
of the decompressed content is computed in the same pass, so the same day delivered under two
names (or as .csv and .csv.gz) is recognised. Pure functions over local files.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from optlake.bronze.spec import DatasetSpec
from optlake.bronze.specs import SPECS, spec_for_header, spec_for_name

_CHUNK = 4 * 1024 * 1024
_HEAD_BYTES = 64 * 1024

#: Supported file suffixes, longest first.
SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv.gz", ".csv")
#: Recognised but unsupported suffixes, with the reason given to the user.
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv.zst": "zstd-compressed CSV is not supported yet; decompress it first (zstd -d FILE)",
    ".csv.bz2": "bzip2-compressed CSV is not supported; recompress it with gzip",
    ".zip": "zip archives are not supported; extract the CSV files into the landing folder",
}


@dataclass(frozen=True)
class FileCheck:
    """The outcome of the whole-file checks: a problem, or the dataset and the content hash."""

    problem: str | None
    spec: DatasetSpec | None = None
    sha256: str | None = None


def suffix_of(name: str) -> str | None:
    """The supported suffix of a file name (``.csv`` or ``.csv.gz``), else None."""
    lower = name.lower()
    return next((s for s in SUPPORTED_SUFFIXES if lower.endswith(s)), None)


def unsupported_reason(name: str) -> str | None:
    """Why a file cannot be loaded because of its type, or None when its type is supported."""
    if suffix_of(name):
        return None
    lower = name.lower()
    for suffix, reason in UNSUPPORTED_SUFFIXES.items():
        if lower.endswith(suffix):
            return reason
    return "not a CSV file (expected a .csv or .csv.gz name)"


def check_file(path: Path, name: str | None = None) -> FileCheck:
    """Check a local file (``name`` is its original name); returns the problem, or its spec and hash."""
    name = name or path.name
    reason = unsupported_reason(name)
    if reason:
        return FileCheck(reason)
    if path.stat().st_size == 0:
        return FileCheck("empty file (0 bytes)")
    sha256 = None
    if suffix_of(name) == ".csv.gz":
        gz_reason, sha256 = scan_gzip(path)
        if gz_reason:
            return FileCheck(gz_reason)
    with open_text_source(path, name) as stream:
        head = stream.read(_HEAD_BYTES)
    problem = head_problem(head, name)
    if problem:
        return FileCheck(problem)
    return FileCheck(None, dataset_of(name, header_of(head)), sha256 or content_sha256(path, name))


def dataset_of(name: str, header: str) -> DatasetSpec | None:
    """The dataset of a file: the one its name belongs to, when its header is that dataset's;
    for a name that matches no dataset's pattern, the one whose header it has."""
    by_name = spec_for_name(name)
    if by_name is not None:
        return by_name if header == by_name.header else None
    return spec_for_header(header)


def header_of(head: bytes) -> str:
    return head.partition(b"\n")[0].decode("utf-8", errors="replace").rstrip("\r")


def head_problem(head: bytes, name: str = "") -> str | None:
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
    if dataset_of(name, header) is None:
        return header_mismatch(header, spec_for_name(name) or SPECS[0])
    if not rest.strip():
        return "header only: the file has no data rows"
    return None


def header_mismatch(header: str, spec: DatasetSpec) -> str:
    """A message that says how a header differs from the dataset's one."""
    found = header.split(",")
    expected = list(spec.column_names)
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
    return f"wrong header ({detail}): expected '{spec.header}', found '{shown}'"


def gzip_problem(path: Path) -> str | None:
    """Decompress the whole file once; say why it is not a complete gzip stream, else None."""
    return scan_gzip(path)[0]


def scan_gzip(path: Path) -> tuple[str | None, str | None]:
    """Decompress the whole file once: (why it is not a complete gzip stream, or None; SHA-256
    of the decompressed content when it is)."""
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            return "not gzip data although the name ends in .gz", None
        raw.seek(0)
        decomp = zlib.decompressobj(wbits=31)
        try:
            while chunk := raw.read(_CHUNK):
                data = chunk
                while data:
                    digest.update(decomp.decompress(data))
                    if not decomp.eof:
                        break
                    data = decomp.unused_data  # next member of a multi-member file
                    if data:
                        decomp = zlib.decompressobj(wbits=31)
        except zlib.error as exc:
            return f"corrupt gzip data: {exc}", None
    if not decomp.eof:
        return "truncated gzip file: the compressed stream ends before its end marker", None
    return None, digest.hexdigest()


def content_sha256(path: Path, name: str | None = None) -> str:
    """SHA-256 (hex) of the decompressed content: equal for a .csv and its .csv.gz."""
    digest = hashlib.sha256()
    with open_text_source(path, name) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def open_text_source(path: Path, name: str | None = None) -> IO[bytes]:
    """Open a local CSV or CSV.GZ as a binary stream of the decompressed bytes."""
    if suffix_of(name or path.name) == ".csv.gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_lines(path: Path, name: str | None = None) -> Iterator[str]:
    """The file's lines without line endings (LF or CRLF), decoded leniently."""
    with open_text_source(path, name) as stream:
        for raw in stream:
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def locate_lines(path: Path, wanted: list[str], name: str | None = None) -> list[int | None]:
    """1-based line numbers in the file of ``wanted`` data lines, in order of the file.

    Line 1 is the header and is never a data line, so a line repeating the header further down is
    found where it is. Blank lines count (they are lines of the file) but are never wanted. Equal
    lines get successive numbers. Used only for files that had bad lines.
    """
    positions: dict[str, deque[int]] = defaultdict(deque)
    remaining = set(wanted)
    if remaining:
        for number, line in enumerate(iter_lines(path, name), start=1):
            if number > 1 and line in remaining:
                positions[line].append(number)
    return [positions[line].popleft() if positions[line] else None for line in wanted]
