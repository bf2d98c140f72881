"""Rows kept per conversation: always what DuckDB holds, and a write to one conversation
leaves the other conversations' rows and indexes as they were."""

from __future__ import annotations

from datetime import datetime, timedelta

from convmem.retrieval.bm25 import BM25Search
from convmem.retrieval.vector_cache import VectorCache
from convmem.storage.memory import MemoryStore
from convmem.storage.tables import TurnTables
from convmem.types import Conversation, Turn, vector_id

START = datetime(2024, 3, 1, 9, 0)


def _conversation(cid: str, turns: list[tuple[str, int, int, str, str, datetime]]) -> Conversation:
    speakers = tuple(dict.fromkeys(t[3] for t in turns))
    return Conversation(cid, speakers, "test", tuple(
        Turn(cid, tid, order, session, index, speaker, text, moment)
        for order, (tid, session, index, speaker, text, moment) in enumerate(turns)
    ))


def _turns(n: int, session: int = 1, first: int = 0, speaker: str = "Ana", at: datetime = START):
    return [(str(first + i), session, i, speaker, f"{speaker} talks about the kiln on March {first + i + 1}",
             at + timedelta(minutes=i)) for i in range(n)]


def _queried(tables: TurnTables, cid: str) -> tuple[object, ...]:
    """What DuckDB itself says, bypassing the kept rows."""
    from convmem.storage.event_times import read_turn_times

    return tables._conversation(cid), tables._sessions(cid), tuple(tables._turns(cid)), read_turn_times(tables.con, cid)


def _kept(tables: TurnTables, cid: str) -> tuple[object, ...]:
    return tables.conversation(cid), tuple(tables.sessions(cid)), tuple(tables.turns(cid)), tables.turn_times(cid)


def _add(store: MemoryStore, cid: str, turns: list[Turn], speakers: tuple[str, ...]) -> None:
    store.ingest([Conversation(cid, speakers, "test", tuple(turns))])


def test_kept_rows_follow_every_kind_of_write(store: MemoryStore) -> None:
    store.ingest([_conversation("a", _turns(4)), _conversation("b", _turns(3))])
    tables = store.tables
    for cid in ("a", "b"):
        assert _kept(tables, cid) == _queried(tables, cid)
    later = START + timedelta(days=2)
    # appended in the last session, then in a new session by a new speaker
    _add(store, "a", [Turn("a", "4", 4, 1, 4, "Ana", "the kiln again on March 5", START + timedelta(minutes=9))],
         ("Ana",))
    assert _kept(tables, "a") == _queried(tables, "a")
    _add(store, "a", [Turn("a", "5", 5, 2, 0, "Ben", "a new session on March 6", later)], ("Ana", "Ben"))
    assert _kept(tables, "a") == _queried(tables, "a")
    assert tables.conversation("a") is not None and set(tables.conversation("a").speakers) == {"Ana", "Ben"}
    # a turn placed among the stored ones (an earlier free position)
    _add(store, "b", [Turn("b", "x", 10, 1, 9, "Ana", "late", START + timedelta(minutes=30))], ("Ana",))
    _add(store, "b", [Turn("b", "y", 5, 1, 5, "Ana", "between", START + timedelta(minutes=20))], ("Ana",))
    assert _kept(tables, "b") == _queried(tables, "b")
    assert [t.turn_id for t in tables.turns_by_ids("b", ["x", "y", "0", "nope"])] == ["0", "y", "x"]
    assert tables.turn_ids("a") == [t.turn_id for t in tables._turns("a")]
    store.forget("a")
    assert _kept(tables, "a") == _queried(tables, "a") == (None, (), (), {})


def test_a_write_to_one_conversation_keeps_the_others_indexes(store: MemoryStore) -> None:
    store.ingest([_conversation("a", _turns(4)), _conversation("b", _turns(3))])
    search, vectors = BM25Search(store), VectorCache(store)
    index_b = search.index("b")
    ids_b = [vector_id("b", t.turn_id) for t in store.turns("b")]
    kept_b = vectors.get(ids_b)
    revision_b, epoch_a = store.revision_of("b"), store.epoch_of("a")
    _add(store, "a", [Turn("a", "4", 4, 1, 4, "Ana", "pottery wheel", START + timedelta(minutes=9))], ("Ana",))
    assert store.revision_of("b") == revision_b and store.epoch_of("a") == epoch_a
    assert search.index("b") is index_b
    assert [h.turn_id for h in search.search("a", "pottery wheel", 3)] == ["4"]
    assert all(v in vectors._vectors for v in ids_b)  # nothing of b was dropped
    assert (vectors.get(ids_b) == kept_b).all()
    ids_a = [vector_id("a", t.turn_id) for t in store.turns("a")]
    assert vectors.get(ids_a).shape[0] == 5 and (abs(vectors.get(ids_a)).sum(axis=1) > 0).all()
    store.forget("a")
    assert store.epoch_of("a") != epoch_a and store.revision_of("b") == revision_b
    # the same turn ids again, other words: their old vectors are not served
    store.ingest([_conversation("a", [(tid, 1, i, "Ben", f"other words {i}", at)
                                       for tid, _, i, _, _, at in _turns(5)])])
    fresh = store.vectors.embeddings(ids_a)
    assert (vectors.get(ids_a) == [fresh[v] for v in ids_a]).all()
    assert (vectors.get(ids_b) == kept_b).all()


def test_only_the_last_conversations_used_are_kept(store: MemoryStore) -> None:
    store.tables.memo.capacity = 2
    store.ingest([_conversation(cid, _turns(2)) for cid in "abc"])
    for cid in "abcab":
        assert _kept(store.tables, cid) == _queried(store.tables, cid)
        assert len(store.tables.memo.turns) <= 2 and cid in store.tables.memo.turns
