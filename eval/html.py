"""``report.html``: one self-contained page per evaluation, tables and inline SVG charts.

The page carries everything it shows (styles inline, charts as SVG, no script), so it
opens offline from a CI artifact.  It is rendered from the ``results.json`` dict alone, so
an old run's results can be re-rendered and two runs always render the same way.
Sections appear when the results hold their data: the paper's figures for TMD, recall at
k and answer quality for LoCoMo, deltas when a baseline was given.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from eval.distribution import quantile_levels
from eval.htmlkit import page, table
from eval.locomo_report import answers_html, locomo_html
from eval.plots import bar_chart, line_chart, number, percent, share_chart
from eval.report import PAPER_SOURCE, paper_rows, pct, summary_rows

ROUTE_ORDER = ("time", "time_content", "content", "baseline")
CONFIG_KEYS = (
    "dataset_path", "questions_path", "store", "embedder", "retrievers", "planner", "disambiguator",
    "retrieval_k", "llm", "anchoring", "limit_per_type", "questions", "averaging", "latency",
)
def render_html(results: dict[str, Any]) -> str:
    """The whole report page for one ``results.json`` dict."""
    dataset = results.get("dataset", "?")
    if dataset == "recaps":
        from eval.recaps_report import recaps_html

        return recaps_html(results)
    body: list[str] = [_config_section(results)]
    if results.get("comparison"):
        body.append(_comparison_section(results["comparison"]))
    header, rows = summary_rows(results)
    body += ["<h2>Categories</h2>",
             '<p class="note">Metrics in percent; per-question scores averaged per type, a category'
             " is the unweighted mean of its types; n counts its questions.</p>",
             table(header, rows, "table-categories")]
    if dataset == "tmd":
        body.append(_paper_section(results))
    body += locomo_html(results)
    body.append(_charts_section(results))
    body += answers_html(results)
    body.append(_types_section(results))
    body.append(_latency_section(results))
    body.append(_failures_section(results))
    return page(f"Retrieval evaluation: {dataset}", body)


def _config_section(results: dict[str, Any]) -> str:
    config = results.get("config", {})
    rows = [[key.replace("_", " "), _plain(config[key])] for key in CONFIG_KEYS if config.get(key) is not None]
    rows += [[k.replace("_", " "), _plain(v)] for k, v in config.items() if k not in CONFIG_KEYS]
    return "<h2>What ran</h2>\n" + table(["setting", "value"], rows, "table-config")


def _plain(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _paper_section(results: dict[str, Any]) -> str:
    header, rows, quoted = paper_rows(results, "quoted from the paper")
    classes = ["quoted" if q else "" for q in quoted]
    return "\n".join([
        "<h2>Beside the published figures</h2>",
        f'<p class="note">Rows marked "quoted from the paper" are the published figures of'
        f" {escape(PAPER_SOURCE)} (recall and F2 in percent), copied as printed; they were not"
        " re-measured here. The other rows are this run on the same categories.</p>",
        table(header, rows, "table-paper", classes),
    ])


def _charts_section(results: dict[str, Any]) -> str:
    retrievers = results["retrievers"]
    types = list(dict.fromkeys(t for block in retrievers.values() for t in block.get("types", {})))
    parts = ["<h2>Charts</h2>"]
    for metric, label in (("recall", "Recall"), ("f2", "F2")):
        series = {
            name: [block["types"].get(t, {}).get(metric) for t in types] for name, block in retrievers.items()
        }
        parts.append(bar_chart(f"plot-{metric}-by-type", f"{label} per question type", types, series, label))
    curves = {
        name: list(zip(block["latency_quantiles_ms"], quantile_levels(len(block["latency_quantiles_ms"])), strict=True))
        for name, block in retrievers.items()
        if block.get("latency_quantiles_ms")
    }
    if curves:
        positive = all(x > 0 for pts in curves.values() for x, _ in pts)
        parts.append(line_chart(
            "plot-latency", "Latency distribution (share of questions answered within x ms)", curves,
            "ms per retrieve() call" + (" (log scale)" if positive else ""), "share of questions",
            log_x=positive, y_fmt=percent, y_range=(0.0, 1.0), points=False,
        ))
    parts += _recall_vs_k(retrievers)
    parts += _routes(retrievers)
    return "\n".join(parts)


def _recall_vs_k(retrievers: dict[str, Any]) -> list[str]:
    """Recall per category against K for the semantic@K retrievers, when several K ran."""
    family = sorted(
        (int(name.split("@", 1)[1]), block) for name, block in retrievers.items()
        if name.startswith("semantic@") and name.split("@", 1)[1].isdigit()
    )
    if len(family) < 2:
        return []
    categories = list(dict.fromkeys(c for _, block in family for c in block["categories"]))
    series = {
        category: [(float(k), block["categories"][category]["recall"]) for k, block in family
                   if category in block["categories"]]
        for category in categories
    }
    return [line_chart("plot-recall-vs-k", "Recall against k (semantic@K)", series, "k (turns retrieved)",
                       "recall", y_fmt=percent, y_range=(0.0, 1.0))]


def _routes(retrievers: dict[str, Any]) -> list[str]:
    """Where the router sent each question type, for retrievers that route (the agent)."""
    parts = []
    for name, block in retrievers.items():
        routes = block.get("routes") or {}
        if not routes or all(set(c) <= {"baseline"} for c in routes.values()):
            continue
        parts.append(share_chart(f"plot-routes-{_slug(name)}", f"{name}: route chosen per question type",
                                 list(routes), routes, ROUTE_ORDER))
        rows = [[t, *[str(counts.get(r, 0)) for r in ROUTE_ORDER]] for t, counts in routes.items()]
        parts.append(table(["type", *ROUTE_ORDER], rows, f"table-routes-{_slug(name)}"))
    return parts


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _types_section(results: dict[str, Any]) -> str:
    parts = ["<h2>Types</h2>"]
    for name, block in results["retrievers"].items():
        rows = [
            [t, str(int(s["n"])), pct(s["recall"]), pct(s["precision"]), pct(s["f1"]), pct(s["f2"])]
            for t, s in block["types"].items()
        ]
        parts += [f"<h3>{escape(name)}</h3>",
                  table(["type", "n", "recall", "precision", "F1", "F2"], rows, f"table-types-{_slug(name)}")]
    skipped = results.get("skipped") or {}
    if skipped:
        parts.append('<p class="note">Skipped (no relevant turns): '
                     + escape(", ".join(f"{t} {n}" for t, n in skipped.items())) + "</p>")
    return "\n".join(parts)


def _latency_section(results: dict[str, Any]) -> str:
    rows = []
    for name, block in results["retrievers"].items():
        q = block.get("latency_quantiles_ms") or []
        rows.append([name, f"{block['latency_ms']['p50']:.2f}", f"{block['latency_ms']['p95']:.2f}",
                     number(q[-1]) if q else ""])
    return "<h2>Latency (ms per question)</h2>\n" + table(["retriever", "p50", "p95", "max"], rows, "table-latency")


def _failures_section(results: dict[str, Any]) -> str:
    failures = results.get("failures") or {}
    parts = ["<h2>Failures</h2>",
             '<p class="note">The worst-scored questions per retriever (lowest F2, then recall):'
             " the question, the turns it needed and the turns the retriever returned.</p>"]
    for name, items in failures.items():
        if not items:
            continue
        rows = [
            [f["type"], f["question"], " ".join(f["expected"]), " ".join(f["retrieved"]) or "(nothing)",
             pct(f.get("recall", 0.0)), pct(f.get("f2", 0.0))]
            for f in items
        ]
        parts += [f"<h3>{escape(name)}</h3>",
                  table(["type", "question", "expected turns", "retrieved turns", "recall", "F2"], rows,
                        f"table-failures-{_slug(name)}")]
    return "\n".join(parts)


def _comparison_section(comparison: dict[str, Any]) -> str:
    metrics = list(dict.fromkeys(m for cats in comparison["deltas"].values() for row in cats.values() for m in row))
    header = ["retriever", "category"]
    for metric in metrics:
        header += [f"{metric} baseline", metric, f"Δ {metric}"]
    rows = []
    for name, categories in comparison["deltas"].items():
        for category, row in categories.items():
            cells = [name, category]
            for metric in metrics:
                e = row.get(metric)
                cells += [pct(e["baseline"]), pct(e["current"]), f"{100 * e['delta']:+.2f}"] if e else ["", "", ""]
            rows.append(cells)
    verdict = "pass" if comparison["passed"] else "fail"
    return "\n".join([
        f"<h2>Against the baseline</h2><p class=\"note\">Baseline: <code>{escape(comparison['baseline'])}</code>;"
        f" gate: {escape(comparison['metric'])} may not drop by more than {comparison['tolerance']:g}"
        " per retriever and category. Values in percent.</p>",
        f'<p id="gate-verdict" class="verdict {verdict}">{"PASSED" if comparison["passed"] else "FAILED"}:'
        f" {escape(comparison['message'])}</p>",
        table(header, rows, "table-deltas"),
    ])
