"""A headless Chromium (Debian's chromium-headless-shell, `make browser-deps`) driven by its command
line: the DOM after the page's scripts ran, a PNG screenshot, and the PNG decoded (zlib + numpy)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

BROWSERS = ("chromium-headless-shell", "chromium")


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _run(url: str, *args: str, size: tuple[int, int], budget_ms: int, timeout: float) -> subprocess.CompletedProcess:
    exe = browser()
    if exe is None:
        raise RuntimeError("no headless Chromium: run `make browser-deps` (scripts/install-browser-deps.sh)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [
            exe,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-extensions",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            f"--virtual-time-budget={budget_ms}",
            *args,
            url,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(url: str, *, size=(1280, 2000), budget_ms: int = 15_000, timeout: float = 90) -> str:
    """The serialised DOM once the page's scripts ran for ``budget_ms`` of virtual time."""
    return _run(url, "--dump-dom", size=size, budget_ms=budget_ms, timeout=timeout).stdout


def screenshot(url: str, out: Path, *, size=(1280, 2000), budget_ms: int = 15_000, timeout: float = 90) -> Path:
    _run(url, f"--screenshot={out}", size=size, budget_ms=budget_ms, timeout=timeout)
    assert out.is_file() and out.stat().st_size > 0, f"no screenshot written to {out}"
    return out


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(path: Path) -> np.ndarray:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as an (height, width, channels) array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(bytes(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:  # Sub: a running sum per channel
            row = (np.cumsum(line.reshape(width, bpp).astype(np.int64), axis=0) % 256).astype(np.uint8).ravel()
        elif kind == 2:  # Up
            row = line + prev
        else:  # Average (3) and Paeth (4) depend on the byte to the left: byte by byte
            cur, up, src = bytearray(stride), prev.tobytes(), line.tobytes()
            for x in range(stride):
                left = cur[x - bpp] if x >= bpp else 0
                if kind == 3:
                    cur[x] = (src[x] + ((left + up[x]) >> 1)) & 0xFF
                else:
                    upleft = up[x - bpp] if x >= bpp else 0
                    cur[x] = (src[x] + _paeth(left, up[x], upleft)) & 0xFF
            row = np.frombuffer(bytes(cur), dtype=np.uint8)
        out[y] = row
        prev = row
    return out.reshape(height, width, bpp)[:, :, :3]


def ink(image: np.ndarray) -> tuple[float, int]:
    """(share of pixels that are not white, number of distinct colours) of an RGB image."""
    flat = image.reshape(-1, 3).astype(np.uint32)
    packed = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    return float(np.mean(packed != 0xFFFFFF)), int(np.unique(packed).size)


class _Elements(HTMLParser):
    """Every element: tag, attributes, its ancestors' ids and its ancestors' classes."""

    VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, frozenset[str]]] = []
        self.elements: list[Element] = []

    def _add(self, tag, attrs) -> dict[str, str]:
        attributes = {k: v or "" for k, v in attrs}
        ids = frozenset(i for _, i, _ in self.stack if i)
        above = frozenset(c for _, _, cs in self.stack for c in cs)
        self.elements.append(Element(tag, attributes, ids, above))
        return attributes

    def handle_starttag(self, tag, attrs):
        attributes = self._add(tag, attrs)
        if tag not in self.VOID:
            self.stack.append((tag, attributes.get("id", ""), frozenset(attributes.get("class", "").split())))

    def handle_startendtag(self, tag, attrs):
        self._add(tag, attrs)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, str]
    ancestor_ids: frozenset[str]
    ancestor_classes: frozenset[str]

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


def elements(dom: str, inside: str | None = None) -> list[Element]:
    """The elements of a serialised DOM; only those inside the element of id ``inside`` when given."""
    parser = _Elements()
    parser.feed(dom)
    return [e for e in parser.elements if inside is None or inside in e.ancestor_ids]


def plotly_marks(dom_elements: list[Element]) -> int:
    """Drawn data marks of plotly figures: trace paths with a shape (lines, bars) and heatmap images."""
    drawn = 0
    for e in dom_elements:
        if e.tag == "path" and "trace" in e.ancestor_classes and len(e.attrs.get("d", "")) > 8:
            drawn += 1
        elif (
            e.tag == "image"
            and "hm" in e.ancestor_classes
            and (e.attrs.get("href") or e.attrs.get("xlink:href", "")).startswith("data:image")
        ):
            drawn += 1
    return drawn
