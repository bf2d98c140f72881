"""Set-based retrieval metrics and their aggregation.

Each metric compares the set of retrieved turn ids with the set of relevant ones for one
question; questions are then averaged per type, and a category is the unweighted mean of
its types (as Alonso et al. 2024 average over their question types).  New metrics join
the registry with ``register_metric`` and appear in every report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MetricFn = Callable[[frozenset[str], frozenset[str]], float]


def recall(retrieved: frozenset[str], relevant: frozenset[str]) -> float:
    """Share of the relevant turns that were retrieved (0 when nothing is relevant)."""
    return len(retrieved & relevant) / len(relevant) if relevant else 0.0


def precision(retrieved: frozenset[str], relevant: frozenset[str]) -> float:
    """Share of the retrieved turns that are relevant; an empty retrieval scores 0."""
    return len(retrieved & relevant) / len(retrieved) if retrieved else 0.0


def f_beta(p: float, r: float, beta: float) -> float:
    """(1 + b^2) P R / (b^2 P + R); 0 when both are 0.  F2 is 5PR / (4P + R)."""
    denominator = beta * beta * p + r
    return (1 + beta * beta) * p * r / denominator if denominator > 0 else 0.0


def f1(retrieved: frozenset[str], relevant: frozenset[str]) -> float:
    return f_beta(precision(retrieved, relevant), recall(retrieved, relevant), 1.0)


def f2(retrieved: frozenset[str], relevant: frozenset[str]) -> float:
    """Recall-weighted F: a memory that misses turns is worse than one that adds a few."""
    return f_beta(precision(retrieved, relevant), recall(retrieved, relevant), 2.0)


METRICS: dict[str, MetricFn] = {"recall": recall, "precision": precision, "f1": f1, "f2": f2}


def register_metric(name: str, fn: MetricFn) -> None:
    if name in METRICS or name == "n":
        raise ValueError(f"metric {name!r} is already defined")
    METRICS[name] = fn


def score_item(retrieved: Iterable[str], relevant: Iterable[str]) -> dict[str, float]:
    got, wanted = frozenset(retrieved), frozenset(relevant)
    return {name: fn(got, wanted) for name, fn in METRICS.items()}


@dataclass(frozen=True)
class ScoredItem:
    category: str
    type: str  # "<category>/<subtype>"
    scores: Mapping[str, float]


def mean_scores(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    return {name: float(np.mean([r[name] for r in rows])) if rows else 0.0 for name in METRICS}


def aggregate(items: Sequence[ScoredItem]) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per type: question means.  Per category: the unweighted mean of its types' means,
    with ``n`` the number of questions in the category.  Returns ``(categories, types)``,
    each keyed in first-seen order."""
    by_type: dict[str, list[ScoredItem]] = {}
    for item in items:
        by_type.setdefault(item.type, []).append(item)
    types: dict[str, dict[str, float]] = {}
    category_types: dict[str, list[str]] = {}
    for type_name, members in by_type.items():
        types[type_name] = {"n": len(members), **mean_scores([m.scores for m in members])}
        category_types.setdefault(members[0].category, []).append(type_name)
    categories: dict[str, dict[str, float]] = {}
    for category, names in category_types.items():
        categories[category] = {
            "n": sum(int(types[t]["n"]) for t in names),
            **mean_scores([types[t] for t in names]),
        }
    return categories, types


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile (linear interpolation); zeros when nothing ran."""
    if not latencies_ms:
        return {"p50": 0.0, "p95": 0.0}
    values = np.asarray(latencies_ms, dtype=np.float64)
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}
