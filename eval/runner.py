"""One evaluation loop for every question source.

An item source (``eval.tmd``, ``eval.questions``) turns its files into ``EvalItem``s;
``evaluate`` asks every retriever every item, times each call, scores it with the
metrics registry and aggregates per type and per category into the ``results.json``
shape that reports and other tools read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convmem.config import Settings
from convmem.retrieval.base import Query, Retrieval, Retriever
from eval.distribution import quantiles
from eval.metrics import ScoredItem, aggregate, latency_summary, score_item

if TYPE_CHECKING:
    from eval.gate import GateSpec

ProgressFn = Callable[[int, int], None]  # (done, total)
# Sees every answer as it is scored: (retriever name, item, retrieval, latency in ms).
Observer = Callable[[str, "EvalItem", Retrieval, float], None]
FAILURES_KEPT = 10


@dataclass(frozen=True)
class EvalItem:
    id: str
    category: str  # time | ambiguous | time_content | content
    type: str  # "<category>/<subtype>"
    query: Query
    relevant: frozenset[str]

    @property
    def question(self) -> str:
        return self.query.text


def id_sort_key(turn_id: str) -> tuple[int, int, str]:
    """Numeric ids in numeric order, then the rest alphabetically."""
    return (0, int(turn_id), "") if turn_id.isdigit() else (1, 0, turn_id)


def evaluate(
    items: Sequence[EvalItem],
    retrievers: Sequence[Retriever],
    progress: ProgressFn | None = None,
    category_order: Sequence[str] = (),
    failures_kept: int = FAILURES_KEPT,
    observe: Observer | None = None,
) -> dict[str, Any]:
    """Ask every retriever every item; returns ``{"retrievers", "skipped", "failures"}``.

    Items without relevant turns are not asked; they are counted per type in
    ``skipped``.  Before timing, each retriever answers one untimed question per
    conversation, so model loading and lazy index builds stay out of the latencies.
    Each retriever's block also counts its routes per type (``routes``) and keeps the
    latency distribution (``latency_quantiles_ms``) for the reports' plots.
    """
    asked = [item for item in items if item.relevant]
    skipped: dict[str, int] = {}
    for item in items:
        if not item.relevant:
            skipped[item.type] = skipped.get(item.type, 0) + 1
    total = len(asked) * len(retrievers)
    done = 0
    results: dict[str, Any] = {}
    failures: dict[str, list[dict[str, Any]]] = {}
    for retriever in retrievers:
        _warm_up(retriever, asked)
        scored: list[ScoredItem] = []
        latencies: list[float] = []
        worst: list[tuple[float, float, int, dict[str, Any]]] = []
        routes: dict[str, dict[str, int]] = {}
        for position, item in enumerate(asked):
            started = time.perf_counter()
            retrieval = retriever.retrieve(item.query)
            latencies.append((time.perf_counter() - started) * 1000.0)
            counts = routes.setdefault(item.type, {})
            counts[retrieval.route or "baseline"] = counts.get(retrieval.route or "baseline", 0) + 1
            if observe:
                observe(retriever.name, item, retrieval, latencies[-1])
            scores = score_item(retrieval.turn_ids, item.relevant)
            scored.append(ScoredItem(item.category, item.type, scores))
            worst.append((scores["f2"], scores["recall"], position, _failure(item, retrieval.turn_ids, scores)))
            done += 1
            if progress:
                progress(done, total)
        worst.sort(key=lambda entry: entry[:3])
        categories, types = aggregate(scored)
        results[retriever.name] = {
            "categories": _ordered(categories, category_order, lambda key: key),
            "types": _ordered(types, category_order, lambda key: key.split("/", 1)[0]),
            "latency_ms": latency_summary(latencies),
            "latency_quantiles_ms": quantiles(latencies),
            "routes": _ordered(routes, category_order, lambda key: key.split("/", 1)[0]),
        }
        failures[retriever.name] = [entry[3] for entry in worst[:failures_kept]]
    return {"retrievers": results, "skipped": skipped, "failures": failures}


def _warm_up(retriever: Retriever, items: Sequence[EvalItem]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.query.conversation_id not in seen:
            seen.add(item.query.conversation_id)
            retriever.retrieve(item.query)


def _failure(item: EvalItem, retrieved: Sequence[str], scores: dict[str, float]) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": item.type,
        "question": item.question,
        "expected": sorted(item.relevant, key=id_sort_key),
        "retrieved": list(retrieved),
        **{name: round(value, 4) for name, value in scores.items()},
    }


def _ordered(
    table: dict[str, Any], order: Sequence[str], category_of: Callable[[str], str]
) -> dict[str, Any]:
    """Keys sorted by their category's place in ``order`` (unknown ones last), stable."""
    rank = {name: i for i, name in enumerate(order)}
    keys = sorted(table, key=lambda key: rank.get(category_of(key), len(rank)))
    return {key: table[key] for key in keys}


def run_config(
    retrievers: Sequence[str],
    embedder: str,
    settings: Settings,
    llm: Any,
    questions: int,
    limit: int | None,
    **extra: Any,
) -> dict[str, Any]:
    """The ``config`` block of ``results.json``: what ran and how the numbers were made."""
    backend = getattr(llm, "backend", None)
    llm_name = f"{getattr(backend, 'name', settings.llm_backend)}:{getattr(backend, 'model', settings.llm_model)}"
    return {
        "retrievers": list(retrievers),
        "embedder": embedder,
        "planner": settings.planner,
        "disambiguator": settings.disambiguator,
        "retrieval_k": settings.retrieval_k,
        "llm": llm_name if llm is not None else "none",
        **extra,
        "limit_per_type": limit,
        "questions": questions,
        "averaging": "per-question metrics averaged per type; a category is the unweighted"
        " mean of its types; n counts the category's questions",
        "latency": "wall time of one retrieve() call; each retriever first answers one"
        " untimed question per conversation",
    }


def write_outputs(
    out_dir: Path, results: dict[str, Any], report_md: str, gate: GateSpec | None = None
) -> tuple[Path, Path]:
    """Write ``results.json``, ``report.md`` and the self-contained ``report.html`` (each
    through a temp file and a rename).  With ``gate``, the results gain a ``comparison``
    with an earlier run and both reports its delta columns."""
    from eval.gate import compare, delta_markdown
    from eval.html import render_html

    if gate is not None:
        results["comparison"] = compare(results, gate)
        report_md = report_md.rstrip("\n") + "\n\n" + delta_markdown(results["comparison"])
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / "results.json", out_dir / "report.md", out_dir / "report.html")
    bodies = (json.dumps(results, indent=2, ensure_ascii=False) + "\n", report_md, render_html(results))
    for path, body in zip(paths, bodies, strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
    return paths[0], paths[1]
