"""The runner for the project's own question format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from convmem.config import Settings
from convmem.embed.hashing import HashEmbedder
from convmem.errors import NotFoundError, StoreMissingError
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from eval.questions import question_items, run_questions
from tests.eval.tmd_layout import DIALOGUE, EXPECTED_BM25, LAST_SESSION_START, write_tmd


def question(qid: str, text: str, category: str, relevant: list[str], **extra: Any) -> dict[str, Any]:
    return {"id": qid, "conversation_id": "7", "asked_at": LAST_SESSION_START.isoformat(),
            "question": text, "category": category, "subtype": extra.pop("subtype", "session"),
            "relevant_turn_ids": relevant, "context": extra.pop("context", []), **extra}


QUESTIONS = [
    question("q1", "What did we discuss in our first session?", "time", ["0", "1", "2", "3"]),
    question("q2", DIALOGUE[-1]["text"], "time", ["4", "5", "6", "7"], ambiguous=True, context=DIALOGUE[:-1]),
    question("q3", "What did Ana say about the pottery class?", "time_content", ["0"], subtype="all"),
    question("q4", "Who made a blue bowl?", "content", ["2"], subtype="object"),
    question("q5", "Nothing to find here", "content", [], subtype="object"),
]


def write_questions(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def ingested(tmp_path: Path, settings: Settings) -> Settings:
    dataset = write_tmd(tmp_path / "tmd")
    with MemoryStore(settings.store, HashEmbedder(256)) as store:  # what embedder="hash" builds
        store.ingest(load_paths([dataset / "ConversationData"]))
    return settings


def test_items_put_every_ambiguous_question_in_its_own_category(tmp_path: Path) -> None:
    items = question_items(write_questions(tmp_path / "q.jsonl", QUESTIONS))
    assert [(i.category, i.type) for i in items] == [
        ("time", "time/session"), ("ambiguous", "ambiguous/session"),
        ("time_content", "time_content/all"), ("content", "content/object"), ("content", "content/object"),
    ]
    assert items[1].query.context[0].text == DIALOGUE[0]["text"]
    assert items[0].query.asked_at == LAST_SESSION_START
    assert len(question_items(tmp_path / "q.jsonl", limit=1)) == 4


def test_run_scores_each_category(tmp_path: Path, ingested: Settings) -> None:
    source = write_questions(tmp_path / "q.jsonl", QUESTIONS)
    results = run_questions(source, tmp_path / "out", ["bm25@4"], ingested)
    assert results["dataset"] == "questions"
    assert json.loads((tmp_path / "out" / "results.json").read_text())["dataset"] == "questions"
    block = results["retrievers"]["bm25@4"]
    assert list(block["categories"]) == ["time", "ambiguous", "time_content", "content"]
    # "first" -> turn 1 only
    assert block["categories"]["time"] == pytest.approx(
        {"n": 1, "recall": 0.25, "precision": 1.0, "f1": 0.4, "f2": 1.25 / 4.25}
    )
    assert block["types"]["ambiguous/session"] == pytest.approx(EXPECTED_BM25["ambiguous/session"])
    assert block["types"]["time_content/all"] == pytest.approx(EXPECTED_BM25["time_content/all"])
    # "blue" and "bowl" -> turn 2 first, then turn 3 ("bowl")
    assert block["types"]["content/object"] == pytest.approx(
        {"n": 1, "recall": 1.0, "precision": 0.5, "f1": 2 / 3, "f2": 2.5 / 3}
    )
    assert results["skipped"] == {"content/object": 1}
    assert "# Retrieval evaluation: questions" in (tmp_path / "out" / "report.md").read_text()


def test_a_conversation_missing_from_the_store_is_named(tmp_path: Path, ingested: Settings) -> None:
    rows = [*QUESTIONS, {**QUESTIONS[0], "id": "q9", "conversation_id": "99"}]
    source = write_questions(tmp_path / "q.jsonl", rows)
    with pytest.raises(NotFoundError, match=r"conversation '99' .* ingest it first") as info:
        run_questions(source, tmp_path / "out", ["bm25@4"], ingested)
    assert "\n" not in info.value.message


def test_a_missing_store_says_how_to_make_one(tmp_path: Path, settings: Settings) -> None:
    source = write_questions(tmp_path / "q.jsonl", QUESTIONS)
    with pytest.raises(StoreMissingError, match="convmem ingest"):
        run_questions(source, tmp_path / "out", ["bm25@4"], settings)
