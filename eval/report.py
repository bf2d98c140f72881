"""Markdown reports and summary rows from a ``results.json`` dict.

Metrics are stored as fractions (0-1) and shown here as percentages, the unit the
paper uses, so our rows and the quoted ones read side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics import METRICS

PAPER_SOURCE = "Alonso et al. 2024, arXiv 2406.00057"
# Published recall / F2 in percent, quoted from the paper: category -> (recall, F2).
PAPER_FIGURES: tuple[tuple[str, dict[str, tuple[float, float]]], ...] = (
    ("semantic, k=10", {"time": (2.01, 2.32), "time_content": (15.43, 5.62)}),
    ("semantic + metadata, k=30", {"time": (7.47, 7.55), "time_content": (56.40, 8.43)}),
    (
        "chain-of-table + semantic, OpenHermes-Mistral-7B",
        {"time": (93.95, 87.67), "time_content": (65.30, 22.69)},
    ),
    ("chain-of-table + semantic, GPT-3.5", {"time": (90.47, 78.34), "time_content": (90.17, 32.19)}),
)
PAPER_CATEGORIES = ("time", "time_content")
LABELS = {"recall": "recall", "precision": "precision", "f1": "F1", "f2": "F2"}
SHORT_LABELS = {**LABELS, "precision": "prec"}  # for narrow terminal tables


def pct(value: float) -> str:
    return f"{100.0 * value:.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _metric_header(labels: dict[str, str] = LABELS) -> list[str]:
    return [labels.get(name, name) for name in METRICS]


def _metric_cells(scores: dict[str, Any]) -> list[str]:
    return [pct(scores[name]) if name in scores else "" for name in METRICS]


def summary_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``: one row per retriever and category, metrics in percent, p50 latency."""
    header = ["retriever", "category", "n", *_metric_header(SHORT_LABELS), "p50 ms"]
    rows = []
    for name, block in results["retrievers"].items():
        for category, scores in block["categories"].items():
            rows.append(
                [name, category, str(int(scores["n"])), *_metric_cells(scores),
                 f"{block['latency_ms']['p50']:.2f}"]
            )
    return header, rows


def render_report(results: dict[str, Any], with_paper: bool = False) -> str:
    config = results.get("config", {})
    lines = [f"# Retrieval evaluation: {results['dataset']}", ""]
    for key in ("dataset_path", "questions_path", "store", "embedder", "anchoring", "limit_per_type", "questions"):
        if config.get(key) is not None:
            lines.append(f"- {key.replace('_', ' ')}: {config[key]}")
    lines += [
        "- metrics in percent; per-question scores averaged per type; a category is the"
        " unweighted mean of its types, n counts its questions",
        "",
        "## Categories",
        "",
    ]
    _, rows = summary_rows(results)
    lines += _table(["retriever", "category", "n", *_metric_header()], [row[:-1] for row in rows])
    if with_paper:
        lines += ["", f"## Beside the published figures (quoted from {PAPER_SOURCE})", ""]
        lines += _paper_table(results)
    lines += ["", "## Types", ""]
    for name, block in results["retrievers"].items():
        lines += [f"### {name}", ""]
        type_rows = [
            [type_name, str(int(scores["n"])), *_metric_cells(scores)]
            for type_name, scores in block["types"].items()
        ]
        lines += _table(["type", "n", *_metric_header()], type_rows)
        lines.append("")
    lines += ["## Latency (ms per question)", ""]
    lines += _table(
        ["retriever", "p50", "p95"],
        [
            [name, f"{b['latency_ms']['p50']:.2f}", f"{b['latency_ms']['p95']:.2f}"]
            for name, b in results["retrievers"].items()
        ],
    )
    skipped = results.get("skipped") or {}
    if skipped:
        lines += ["", "Skipped (no relevant turns): " + ", ".join(f"{t} {n}" for t, n in skipped.items())]
    return "\n".join(lines) + "\n"


def paper_rows(results: dict[str, Any], quoted: str) -> tuple[list[str], list[list[str]], list[bool]]:
    """The header and rows that set this run beside the paper's figures, and which rows are
    quoted (their source column reads ``quoted``)."""
    header = ["system", "source"]
    for category in PAPER_CATEGORIES:
        header += [f"{category} recall", f"{category} F2"]
    rows: list[list[str]] = []
    for system, figures in PAPER_FIGURES:
        row = [system, quoted]
        for category in PAPER_CATEGORIES:
            recall, f2 = figures[category]
            row += [f"{recall:.2f}", f"{f2:.2f}"]
        rows.append(row)
    for name, block in results["retrievers"].items():
        row = [name, "this run"]
        for category in PAPER_CATEGORIES:
            scores = block["categories"].get(category)
            row += [pct(scores["recall"]), pct(scores["f2"])] if scores else ["", ""]
        rows.append(row)
    return header, rows, [i < len(PAPER_FIGURES) for i in range(len(rows))]


def _paper_table(results: dict[str, Any]) -> list[str]:
    header, rows, _ = paper_rows(results, "paper (quoted)")
    return _table(header, rows)
