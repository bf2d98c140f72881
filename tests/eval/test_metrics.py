"""Metrics on cases worked out by hand."""

from __future__ import annotations

import pytest

from eval import metrics
from eval.metrics import (
    ScoredItem,
    aggregate,
    f_beta,
    latency_summary,
    precision,
    recall,
    register_metric,
    score_item,
)


def fs(*ids: str) -> frozenset[str]:
    return frozenset(ids)


def test_recall_precision_and_f_scores_by_hand() -> None:
    got = score_item(["1", "2", "3", "9"], ["1", "2", "5", "6", "7", "8"])
    # 2 of 6 relevant found; 2 of 4 retrieved relevant
    assert got["recall"] == pytest.approx(1 / 3)
    assert got["precision"] == pytest.approx(0.5)
    assert got["f1"] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))  # 0.4
    assert got["f1"] == pytest.approx(0.4)
    assert got["f2"] == pytest.approx(5 * 0.5 * (1 / 3) / (4 * 0.5 + 1 / 3))  # 5PR / (4P + R)
    assert got["f2"] == pytest.approx(5 / 14)


def test_duplicates_count_once_and_order_does_not_matter() -> None:
    assert score_item(["2", "1", "1"], ["1", "2"]) == {"recall": 1.0, "precision": 1.0, "f1": 1.0, "f2": 1.0}


def test_empty_retrieval_and_empty_relevance() -> None:
    assert precision(fs(), fs("1")) == 0.0 and recall(fs(), fs("1")) == 0.0
    assert score_item([], ["1"])["f2"] == 0.0
    assert recall(fs("1"), fs()) == 0.0
    assert f_beta(0.0, 0.0, 2.0) == 0.0


def test_f2_weights_recall_over_precision() -> None:
    high_recall = f_beta(0.25, 1.0, 2.0)
    high_precision = f_beta(1.0, 0.25, 2.0)
    assert high_recall == pytest.approx(5 * 0.25 / (4 * 0.25 + 1))  # 0.625
    assert high_precision == pytest.approx(1.25 / 4.25)
    assert high_recall > high_precision


def test_categories_are_unweighted_means_of_their_types() -> None:
    def item(category: str, type_name: str, r: float) -> ScoredItem:
        return ScoredItem(category, type_name, {"recall": r, "precision": r, "f1": r, "f2": r})

    items = [item("time", "time/a", 1.0), item("time", "time/a", 0.0), item("time", "time/a", 0.5),
             item("time", "time/b", 1.0), item("content", "content/x", 0.2)]
    categories, types = aggregate(items)
    assert types["time/a"] == {"n": 3, "recall": 0.5, "precision": 0.5, "f1": 0.5, "f2": 0.5}
    assert types["time/b"]["n"] == 1 and types["time/b"]["recall"] == 1.0
    # (0.5 + 1.0) / 2, not (1 + 0 + 0.5 + 1) / 4
    assert categories["time"]["recall"] == pytest.approx(0.75)
    assert categories["time"]["n"] == 4
    assert list(categories) == ["time", "content"]
    assert categories["content"] == {"n": 1, "recall": 0.2, "precision": 0.2, "f1": 0.2, "f2": 0.2}


def test_latency_percentiles() -> None:
    summary = latency_summary([float(v) for v in range(1, 101)])
    assert summary["p50"] == pytest.approx(50.5)
    assert summary["p95"] == pytest.approx(95.05)
    assert latency_summary([]) == {"p50": 0.0, "p95": 0.0}


def test_registered_metrics_join_every_score(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "METRICS", dict(metrics.METRICS))
    register_metric("hit", lambda got, wanted: float(bool(got & wanted)))
    assert score_item(["1"], ["1", "2"])["hit"] == 1.0
    categories, _ = aggregate([ScoredItem("c", "c/t", score_item(["3"], ["1"]))])
    assert categories["c"]["hit"] == 0.0
    with pytest.raises(ValueError):
        register_metric("recall", recall)
