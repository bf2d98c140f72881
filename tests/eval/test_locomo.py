"""The LoCoMo runner: evidence normalisation, categories, the asked-at convention, recall@k."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import cli
from convmem.config import Settings
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from eval.locomo import CATEGORY_LABELS, locomo_items, normalise_evidence, read_qa, run_locomo

SESSION_1 = [
    ("Ana", "I signed up for a pottery class downtown."),
    ("Ben", "Pottery sounds relaxing, what will you make first?"),
    ("Ana", "A blue bowl for my grandmother."),
]
SESSION_2 = [
    ("Ben", "We hiked up the volcano trail yesterday."),
    ("Ana", "Did you see the crater lake?"),
    ("Ben", "Yes, the lake was green and cold."),
]
QA: list[dict[str, Any]] = [
    {"question": "What did Ana make in pottery class?", "answer": "A blue bowl", "evidence": ["D1:3"], "category": 4},
    {"question": "Where did Ben hike?", "answer": "volcano trail", "evidence": ["D:2:1"], "category": 2},
    {"question": "What colour was the lake?", "answer": "green", "evidence": ["D2:03"], "category": 1},
    {"question": "What are Ana and Ben into?", "answer": "pottery and hiking", "evidence": ["D1:1; D2:1"], "category": 3},
    {"question": "What did Ben paint?", "adversarial_answer": "a bowl", "evidence": ["D1:3", "D7:7"], "category": 5},
    {"question": "Nothing to find here", "answer": "x", "evidence": ["nonsense"], "category": 4},
]


def locomo_conversation(qa: list[dict[str, Any]] = QA) -> dict[str, Any]:
    body: dict[str, Any] = {"speaker_a": "Ana", "speaker_b": "Ben"}
    for s, (stamp, turns) in enumerate((("1:56 pm on 8 May, 2023", SESSION_1),
                                        ("10:00 am on 20 May, 2023", SESSION_2)), start=1):
        body[f"session_{s}_date_time"] = stamp
        body[f"session_{s}"] = [{"speaker": sp, "dia_id": f"D{s}:{t}", "text": text}
                                for t, (sp, text) in enumerate(turns, start=1)]
    return {"conversation": body, "qa": qa}


def write_locomo(root: Path, combined: bool = False) -> Path:
    """One conversation per file (``7.json``), or the combined list (``locomo10.json``)."""
    root.mkdir(parents=True, exist_ok=True)
    if combined:
        (root / "locomo10.json").write_text(json.dumps([{"sample_id": "conv-7", **locomo_conversation()}]))
    else:
        (root / "7.json").write_text(json.dumps(locomo_conversation()))
    return root


@pytest.mark.parametrize(("raw", "ids", "bad"), [
    ("D1:3", ["D1:3"], []),
    ("D:11:26", ["D11:26"], []),
    ("D30:05", ["D30:5"], []),
    ("D8:6; D9:17", ["D8:6", "D9:17"], []),
    ("d2 : 4", ["D2:4"], []),
    ("session 3", [], ["session 3"]),
])
def test_evidence_strings_are_normalised(raw: str, ids: list[str], bad: list[str]) -> None:
    assert normalise_evidence(raw) == (ids, bad)


def test_categories_carry_the_datasets_own_labels() -> None:
    assert CATEGORY_LABELS == {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}


def test_items_match_evidence_and_are_asked_after_the_evidence_session(tmp_path: Path, store: MemoryStore) -> None:
    data = write_locomo(tmp_path / "locomo")
    store.ingest(load_paths([data], "locomo"))
    items, audit = locomo_items(read_qa([data]), store)
    by_question = {i.question: i for i in items}
    assert by_question["Where did Ben hike?"].relevant == {"D2:1"}
    assert by_question["What colour was the lake?"].relevant == {"D2:3"}
    assert by_question["What are Ana and Ben into?"].relevant == {"D1:1", "D2:1"}
    assert by_question["What did Ben paint?"].relevant == {"D1:3"}
    assert by_question["Nothing to find here"].relevant == frozenset()
    assert by_question["What colour was the lake?"].type == "multi-hop/category-1"
    sessions = store.sessions("7")
    first = by_question["What did Ana make in pottery class?"].query.asked_at
    assert first == sessions[0].end + timedelta(minutes=1)
    assert by_question["What are Ana and Ben into?"].query.asked_at == sessions[1].end + timedelta(minutes=1)
    assert audit["evidence_strings"] == 7
    assert audit["matched_as_written"] == 2
    assert audit["normalised"] == 3
    assert audit["unmatched"] == 2  # "D7:7" names no turn, "nonsense" is no id
    assert audit["questions_without_matched_evidence"] == 1


def test_a_qa_items_own_asked_at_wins(tmp_path: Path, store: MemoryStore) -> None:
    qa = [{**QA[0], "asked_at": "2024-01-02T03:04:05"}]
    root = tmp_path / "locomo"
    root.mkdir()
    (root / "7.json").write_text(json.dumps(locomo_conversation(qa)))
    store.ingest(load_paths([root], "locomo"))
    items, _ = locomo_items(read_qa([root]), store)
    assert items[0].query.asked_at == datetime(2024, 1, 2, 3, 4, 5)


@pytest.mark.parametrize("combined", [False, True])
def test_run_writes_recall_at_k_per_category(tmp_path: Path, settings: Settings, combined: bool) -> None:
    data = write_locomo(tmp_path / "locomo", combined)
    out = tmp_path / "out"
    results = run_locomo(data, out, ["semantic@20", "bm25@20", "hybrid@20", "agent"], settings)
    saved = json.loads((out / "results.json").read_text())
    assert saved["dataset"] == "locomo"
    assert list(saved["retrievers"]) == ["semantic@20", "bm25@20", "hybrid@20", "agent"]
    for block in saved["retrievers"].values():
        assert set(block["latency_ms"]) == {"p50", "p95"}
        assert list(block["categories"]) == ["multi-hop", "temporal", "open-domain", "single-hop", "adversarial"]
        for category, row in block["recall_at_k"].items():
            assert set(row) == {"5", "10", "20"}, category
            assert row["5"] <= row["10"] <= row["20"] <= 1.0
    # six turns in all: every baseline's top 20 holds every evidence turn
    assert saved["retrievers"]["semantic@20"]["recall_at_k"]["single-hop"]["20"] == 1.0
    assert saved["skipped"] == {"single-hop/category-4": 1}
    assert saved["answers"]["status"] == "not run"
    assert "when a question is asked" in (out / "report.md").read_text().lower()
    html = (out / "report.html").read_text()
    assert 'id="table-recall-at-k"' in html and 'id="plot-recall-at-10"' in html
    assert "Answer quality was not run" in html
    assert results["config"]["anchoring"].startswith("each question is asked one minute after")
    # the store is reused: a second run ingests nothing new and measures the same
    again = run_locomo(data, out, ["bm25@20"], settings)
    assert again["retrievers"]["bm25@20"]["recall_at_k"] == saved["retrievers"]["bm25@20"]["recall_at_k"]


def test_cli_eval_locomo(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_locomo(tmp_path / "locomo")
    out = tmp_path / "out"
    try:
        cli.main(["eval", "locomo", str(data), "--out", str(out), "--retriever", "bm25@20,agent"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    stdout = capsys.readouterr().out
    assert code == 0
    assert "single-hop" in stdout and "report.html" in stdout
    assert (out / "report.html").exists() and (out / "store" / "memory.duckdb").exists()
