"""The TemporalMemoryDataset runner end to end on a checkout the test writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from convmem.config import Settings
from convmem.embed.hashing import HashEmbedder
from convmem.errors import ConfigError, InputFormatError, NotFoundError
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from eval.tmd import run_tmd, tmd_items
from tests.eval.tmd_layout import DIALOGUE, EXPECTED_BM25, LAST_SESSION_START, write_tmd

METRIC_KEYS = {"n", "recall", "precision", "f1", "f2"}


def test_items_are_anchored_at_the_last_session_with_dialogue_context(
    tmp_path: Path, store: MemoryStore
) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    store.ingest(load_paths([dataset / "ConversationData"]))
    items = tmd_items(dataset, store)
    assert [i.type for i in items] == ["time/session", "time/session", "ambiguous/session",
                                       "time_content/all", "time_content/all"]
    assert {i.query.asked_at for i in items} == {LAST_SESSION_START}
    assert {i.query.conversation_id for i in items} == {"7"}
    ambiguous = items[2]
    assert ambiguous.category == "ambiguous"
    assert ambiguous.query.text == DIALOGUE[-1]["text"]
    assert ambiguous.query.speaker == "Ana"
    assert ambiguous.query.context == tuple(DialogueTurn(t["speaker"], t["text"]) for t in DIALOGUE[:-1])
    assert ambiguous.relevant == frozenset({"4", "5", "6", "7"})
    assert items[0].query.context == () and items[0].query.speaker is None
    assert items[4].relevant == frozenset()
    assert [i.type for i in tmd_items(dataset, store, limit=1)].count("time/session") == 1


def test_run_writes_results_in_the_agreed_shape_with_hand_computed_values(
    tmp_path: Path, settings: Settings
) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    out = tmp_path / "out"
    returned = run_tmd(dataset, out, ["bm25@4", "semantic@2"], settings)
    results = json.loads((out / "results.json").read_text())
    assert results == json.loads(json.dumps(returned))
    assert results["dataset"] == "tmd"
    assert list(results["retrievers"]) == ["bm25@4", "semantic@2"]
    for block in results["retrievers"].values():
        assert set(block) >= {"categories", "types", "latency_ms"}
        assert list(block["categories"]) == ["time", "ambiguous", "time_content"]
        assert list(block["types"]) == ["time/session", "ambiguous/session", "time_content/all"]
        for scores in [*block["categories"].values(), *block["types"].values()]:
            assert set(scores) == METRIC_KEYS
            assert all(0.0 <= scores[k] <= 1.0 for k in METRIC_KEYS - {"n"})
        assert set(block["latency_ms"]) == {"p50", "p95"}
        assert 0 <= block["latency_ms"]["p50"] <= block["latency_ms"]["p95"]
    bm25 = results["retrievers"]["bm25@4"]
    for type_name, expected in EXPECTED_BM25.items():
        assert bm25["types"][type_name] == pytest.approx(expected), type_name
    assert bm25["categories"]["time"] == pytest.approx(EXPECTED_BM25["time/session"])
    assert bm25["categories"]["time_content"]["n"] == 1
    assert results["skipped"] == {"time_content/all": 1}
    assert results["config"]["embedder"] == "hash-256"
    assert results["config"]["llm"] == "none" and results["config"]["planner"] == settings.planner
    assert "last session" in results["config"]["anchoring"]
    worst = results["failures"]["bm25@4"]
    assert worst[0]["question"] == "Tell me what we talked about in our 1st discussion."
    assert worst[0]["retrieved"] == [] and worst[0]["expected"] == ["0", "1", "2", "3"]
    report = (out / "report.md").read_text()
    assert "quoted from Alonso et al. 2024, arXiv 2406.00057" in report
    assert "| bm25@4 | time | 2 | 12.50 | 50.00 | 20.00 |" in report
    assert (out / "store" / "memory.duckdb").exists()


def test_the_store_is_reused_on_a_second_run(tmp_path: Path, settings: Settings) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    out = tmp_path / "out"
    first = run_tmd(dataset, out, ["bm25@4"], settings)
    second = run_tmd(dataset, out, ["bm25@4"], settings)
    assert first["retrievers"]["bm25@4"]["types"] == second["retrievers"]["bm25@4"]["types"]
    with MemoryStore(out / "store", HashEmbedder(256), create=False) as store:  # settings' "hash"
        assert store.stats().turns == 8


def test_unavailable_agent_fails_before_any_ingest(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "agent.retrieval", None)
    dataset = write_tmd(tmp_path / "tmd")
    with pytest.raises(ConfigError, match="'agent' is not available"):
        run_tmd(dataset, tmp_path / "out", ["agent", "bm25@4"], settings)
    assert not (tmp_path / "out").exists()


def test_bad_checkouts_are_named(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(InputFormatError, match="ConversationData"):
        run_tmd(tmp_path, tmp_path / "out", ["bm25@4"], settings)
    dataset = write_tmd(tmp_path / "tmd")
    broken = dataset / "TestData" / "time_qs" / "test_month.json"
    broken.write_text('{"file_indexes": [7], "file_7": [{"questions": [3], "relevant_docs": [1]}]}')
    with pytest.raises(InputFormatError, match=r"test_month.json: file_7\[0\]\.questions\[0\]"):
        run_tmd(dataset, tmp_path / "out", ["bm25@4"], settings)


def test_questions_about_a_missing_log_are_an_error(tmp_path: Path, settings: Settings) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    extra = dataset / "TestData" / "time_qs" / "test_month.json"
    extra.write_text(json.dumps({"file_indexes": [9], "file_9": [{"questions": ["In May?"], "relevant_docs": [1]}]}))
    with pytest.raises(NotFoundError, match="conversation '9'"):
        run_tmd(dataset, tmp_path / "out", ["bm25@4"], settings)
