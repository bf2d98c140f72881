"""report.html in a real browser: headless Chromium renders it, and the rendered DOM and a
screenshot show the tables and charts are really there (not just in the source text)."""

from __future__ import annotations

import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convmem.config import Settings
from eval.tmd import run_tmd
from tests.eval.tmd_layout import write_tmd

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1200, 3000
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (`make browser` installs it)"),
]


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )


class _Rendered(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}  # id -> tag
        self.svg_titles: list[str] = []
        self.rows = 0
        self._in_title = False
        self._svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids[str(found["id"])] = tag
        self._svg_depth += tag == "svg"
        self.rows += tag == "tr"
        self._in_title = tag == "title" and self._svg_depth > 0 and str(found.get("id", "")).endswith("-title")

    def handle_endtag(self, tag: str) -> None:
        self._svg_depth -= tag == "svg"
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.svg_titles.append(data)


def read_png(path: Path) -> np.ndarray:
    """Pixels (height, width, channels) of an 8-bit RGB or RGBA PNG, without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    prior = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:
            row = (np.cumsum(line.reshape(width, bpp).astype(np.int64), axis=0) % 256).astype(np.uint8).ravel()
        elif kind == 2:
            row = line + prior
        else:
            row = _sequential(int(kind), line.tolist(), prior.tolist(), bpp)
        out[y] = row
        prior = out[y]
    return out.reshape(height, width, bpp)


def _sequential(kind: int, line: list[int], prior: list[int], bpp: int) -> np.ndarray:
    """Average (3) and Paeth (4) filters, which depend on the byte just decoded."""
    row = [0] * len(line)
    for i, value in enumerate(line):
        left = row[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 3:
            row[i] = (value + (left + up) // 2) & 255
            continue
        corner = prior[i - bpp] if i >= bpp else 0
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        guess = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
        row[i] = (value + guess) & 255
    return np.array(row, dtype=np.uint8)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    settings = Settings.from_env({}, store=root / "store", embedder="hash")
    out = root / "out"
    run_tmd(write_tmd(root / "tmd"), out, ["agent", "semantic@2", "semantic@4", "bm25@4"], settings)
    return out / "report.html"


def test_the_rendered_dom_holds_the_tables_and_charts(report: Path, tmp_path: Path) -> None:
    done = chromium(["--dump-dom", report.as_uri()], tmp_path / "profile")
    dom = _Rendered()
    dom.feed(done.stdout)
    charts = {k for k, tag in dom.ids.items() if tag == "svg"}
    assert {"plot-recall-by-type", "plot-f2-by-type", "plot-latency", "plot-recall-vs-k",
            "plot-routes-agent"} <= charts
    assert {"table-categories", "table-paper", "table-latency", "table-failures-bm25-4"} <= {
        k for k, tag in dom.ids.items() if tag == "table"
    }
    assert "Recall per question type" in dom.svg_titles and "Recall against k (semantic@K)" in dom.svg_titles
    assert dom.rows > 40


def test_the_screenshot_shows_a_drawn_page(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    chromium([f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", report.as_uri()], tmp_path / "profile")
    assert shot.stat().st_size > 20_000
    pixels = read_png(shot)[:, :, :3]
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    grey = pixels.astype(np.float64).mean(axis=2)
    assert grey.std() > 10.0, "the page is (nearly) blank"
    assert (grey < 200).mean() > 0.01, "almost nothing is drawn"
    colours = {tuple(int(c) for c in p) for p in pixels[::7, ::7].reshape(-1, 3)}
    bar_blue: Any = (0x1F, 0x77, 0xB4)  # the first series' colour: the charts were painted
    assert bar_blue in colours and len(colours) > 20
