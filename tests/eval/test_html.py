"""report.html: self-contained, with the tables and charts its readers look for."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from convmem.config import Settings
from eval.html import render_html
from eval.plots import bar_chart, line_chart, log_ticks, nice_ticks, share_chart
from eval.tmd import run_tmd
from tests.eval.tmd_layout import write_tmd

RETRIEVERS = ["agent", "semantic@2", "semantic@4", "bm25@4"]


class _Elements(HTMLParser):
    """Ids, svg titles and an open-tag stack, to check the markup is well formed."""

    VOID: ClassVar[set[str]] = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.mismatched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id" and v)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id" and v)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.mismatched.append(tag)
        else:
            self.stack.pop()


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def tmd_results(tmp_path: Path, settings: Settings) -> tuple[dict[str, Any], Path]:
    out = tmp_path / "out"
    results = run_tmd(write_tmd(tmp_path / "tmd"), out, RETRIEVERS, settings)
    return results, out


def test_every_eval_writes_a_self_contained_html_report(tmd_results: tuple[dict[str, Any], Path]) -> None:
    _results, out = tmd_results
    html = (out / "report.html").read_text()
    assert html == render_html(json.loads((out / "results.json").read_text()))
    elements = parse(html)
    assert elements.mismatched == [] and elements.stack == []
    assert {"script", "link", "iframe", "img"}.isdisjoint(elements.tags)
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")
    assert {
        "table-config", "table-categories", "table-paper", "table-latency", "table-routes-agent",
        "plot-recall-by-type", "plot-f2-by-type", "plot-latency", "plot-recall-vs-k", "plot-routes-agent",
        "table-failures-semantic-2",
    } <= elements.ids


def test_the_paper_figures_are_marked_as_quoted(tmd_results: tuple[dict[str, Any], Path]) -> None:
    _, out = tmd_results
    html = (out / "report.html").read_text()
    assert "Alonso et al. 2024, arXiv 2406.00057" in html
    assert html.count('<tr class="quoted">') == 4
    assert "93.95" in html and "quoted from the paper" in html


def test_results_record_routes_and_the_latency_distribution(tmd_results: tuple[dict[str, Any], Path]) -> None:
    results, _ = tmd_results
    agent = results["retrievers"]["agent"]
    assert agent["routes"]["time/session"] == {"time": 2}
    assert sum(sum(c.values()) for c in agent["routes"].values()) == sum(
        int(t["n"]) for t in agent["types"].values()
    )
    assert results["retrievers"]["bm25@4"]["routes"] == {
        "time/session": {"baseline": 2}, "ambiguous/session": {"baseline": 1}, "time_content/all": {"baseline": 1},
    }
    quantiles = agent["latency_quantiles_ms"]
    assert len(quantiles) == 21 and quantiles == sorted(quantiles)
    assert set(agent["latency_ms"]) == {"p50", "p95"}


def test_recall_against_k_needs_two_semantic_runs(tmp_path: Path, settings: Settings) -> None:
    results = run_tmd(write_tmd(tmp_path / "tmd"), tmp_path / "out", ["semantic@2", "bm25@4"], settings)
    ids = parse(render_html(results)).ids
    assert "plot-recall-vs-k" not in ids and "plot-routes-agent" not in ids and "plot-recall-by-type" in ids


def test_chart_text_is_escaped_and_values_are_in_tooltips() -> None:
    svg = bar_chart("c", "A <b> & c", ["t<1>"], {"r&d": [0.5]})
    assert "<b>" not in svg and "A &lt;b&gt; &amp; c" in svg and "r&amp;d · t&lt;1&gt;: 50.0%" in svg
    assert parse(svg).mismatched == []
    line = line_chart("l", "L", {"s": [(1.0, 2.0), (10.0, 20.0)]}, log_x=True, log_y=True)
    assert line.count("<circle") == 2 and "<polyline" in line
    shares = share_chart("s", "S", ["a"], {"a": {"time": 3, "content": 1}}, ("time", "content"))
    assert "a: time 3/4" in shares and "a: content 1/4" in shares


def test_axis_ticks_are_round_numbers() -> None:
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0.0, 37.0) == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert log_ticks(0.05, 400.0) == [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    assert log_ticks(3.0, 40.0) == [2.0, 5.0, 10.0, 20.0, 50.0]
