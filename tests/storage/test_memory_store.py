from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from convmem.embed.hashing import HashEmbedder
from convmem.errors import ConversationConflictError, EmbeddingError, StoreMissingError
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from convmem.storage.tables import TurnTables
from tests.fixtures import jsonl_lines, tmd_log, write_json, write_jsonl


def _log(tmp_path: Path, name: str = "5", sessions: int = 3):
    return load_file(write_json(tmp_path / f"{name}.json", tmd_log(sessions=sessions)))


def test_ingest_fills_both_sides_with_time_columns(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(_log(tmp_path))
    assert store.stats().as_dict() == {"conversations": 1, "sessions": 3, "turns": 12, "vectors": 12}
    sessions = store.sessions("5")
    assert [(s.index, s.turn_count) for s in sessions] == [(1, 4), (2, 4), (3, 4)]
    assert sessions[0].weekday == "Friday"
    row = store.tables.con.execute(
        "SELECT day, weekday, hour, part_of_day, iso_week, month, month_name, year, epoch"
        " FROM turns_t WHERE conversation_id = '5' AND turn_id = '4'"
    ).fetchone()
    assert row is not None
    assert str(row[0]) == "2023-05-08" and row[1] == "Monday" and row[2] == 9
    assert row[3] == "morning" and row[4] == 19 and row[5] == 5 and row[6] == "May" and row[7] == 2023
    assert row[8] == 1683536400


def test_vectors_carry_filterable_metadata(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(_log(tmp_path))
    query = store.embedder.embed(["Session 2 turn 2 about topic 22."])[0]
    hits = store.vectors.search(query, 3, where={"session_index": 2})
    assert hits[0].vector_id == "5#6"
    assert {h.vector_id for h in hits} <= {"5#4", "5#5", "5#6", "5#7"}
    got = store.vectors.collection.get(ids=["5#5"], include=["metadatas"])
    meta = got["metadatas"][0]
    assert meta["conversation_id"] == "5" and meta["session_index"] == 2 and meta["order"] == 5
    assert meta["ts"] == 1683536460 and meta["speaker"] == "Ben"


def test_reingest_changes_nothing(store: MemoryStore, tmp_path: Path) -> None:
    convs = _log(tmp_path)
    store.ingest(convs)
    before = store.stats()
    report = store.ingest(convs)
    assert report.added_turns == 0 and report.skipped_turns == 12
    assert store.stats() == before


def test_longer_export_appends_only_new_turns(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(_log(tmp_path, sessions=2))
    report = store.ingest(_log(tmp_path, sessions=3))
    assert report.added_turns == 4
    assert store.stats().turns == 12 and store.stats().vectors == 12 and store.stats().sessions == 3


def test_changed_turn_is_a_conflict_and_writes_nothing(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(_log(tmp_path))
    data = tmd_log()
    data["session_1"][0]["text"] = "rewritten history"
    data["session_4"] = []
    changed = load_file(write_json(tmp_path / "5.json", data))
    with pytest.raises(ConversationConflictError, match="differs from the stored one"):
        store.ingest(changed)
    assert store.stats().turns == 12


def test_failure_before_commit_leaves_neither_side_written(
    store: MemoryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest(_log(tmp_path, "first"))

    def boom() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.tables, "before_commit", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        store.ingest(_log(tmp_path, "second"))
    stats = store.stats()
    assert (stats.conversations, stats.turns, stats.vectors) == (1, 12, 12)
    assert store.tables.pending_vector_ids() == []
    assert store.doctor(repair=False).healthy


def test_killed_process_is_recovered_on_next_open(tmp_path: Path) -> None:
    """A process killed after writing vectors but before committing turns."""
    root = tmp_path / "store"
    source = write_json(tmp_path / "8.json", tmd_log())
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from convmem.embed.hashing import HashEmbedder
        from convmem.storage.loaders import load_file
        from convmem.storage.memory import MemoryStore
        store = MemoryStore(Path({str(root)!r}), HashEmbedder(64))
        store.tables.before_commit = lambda: os._exit(9)
        store.ingest(load_file(Path({str(source)!r})))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 9, result.stderr
    raw = TurnTables(root / "memory.duckdb")
    assert raw.stats()[2] == 0 and len(raw.pending_vector_ids()) == 12
    raw.close()
    with MemoryStore(root, HashEmbedder(64)) as store:
        assert store.stats().as_dict() == {"conversations": 0, "sessions": 0, "turns": 0, "vectors": 0}
        assert store.tables.pending_vector_ids() == []
        store.ingest(load_file(source))
        assert store.stats().vectors == 12


def test_doctor_rebuilds_the_vector_side(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(_log(tmp_path))
    store.vectors.delete(["5#0", "5#7"])
    store.vectors.collection.upsert(
        ids=["ghost#1"], embeddings=[[0.1] * 64], metadatas=[{"conversation_id": "ghost"}]
    )
    report = store.doctor(repair=False)
    assert (report.missing_vectors, report.orphan_vectors, report.repaired) == (2, 1, False)
    report = store.doctor()
    assert report.repaired
    assert store.doctor(repair=False).healthy
    assert store.vectors.count() == 12


def test_forget_removes_both_sides(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(_log(tmp_path, "a") + load_file(write_jsonl(tmp_path / "b.jsonl", jsonl_lines("b"))))
    assert store.forget("a") == 12
    assert store.stats().as_dict() == {"conversations": 1, "sessions": 2, "turns": 5, "vectors": 5}


def test_missing_store_and_wrong_embedder(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError, match="convmem ingest"):
        MemoryStore(tmp_path / "none", HashEmbedder(64), create=False)
    MemoryStore(tmp_path / "s", HashEmbedder(64)).close()
    with pytest.raises(EmbeddingError, match="built with embedder 'hash-64'"):
        MemoryStore(tmp_path / "s", HashEmbedder(32))
