"""The retriever's conversation facts, kept and grown as turns are added, stay what a
fresh read of the conversation gives."""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.grounding.topic import Vocabulary
from agent.retrieval import TimeAwareRetriever
from convmem.config import Settings
from convmem.retrieval.base import Query
from convmem.storage.memory import MemoryStore
from convmem.types import Conversation, Turn

START = datetime(2024, 3, 1, 9, 0)
WORDS = ["pottery wheel", "the lake hike", "thanks, see you", "a red kayak", "pottery again", "hello"]


def _turn(cid: str, order: int, session: int, index: int, speaker: str) -> Turn:
    return Turn(cid, f"t{order}", order, session, index, speaker, WORDS[order % len(WORDS)],
                START + timedelta(days=session, minutes=index))


def _facts(retriever: TimeAwareRetriever, cid: str) -> tuple[object, ...]:
    facts = retriever.facts(Query(cid, "what did we say?", START + timedelta(days=30)))
    return facts.speakers, facts.sessions, facts.vocabulary


def test_kept_facts_grow_like_a_fresh_read(store: MemoryStore, settings: Settings) -> None:
    store.ingest([Conversation("a", ("Ana",), "test", tuple(_turn("a", i, 1 + i // 3, i % 3, "Ana") for i in range(6))),
                  Conversation("b", ("Ana",), "test", (_turn("b", 0, 1, 0, "Ana"),))])
    kept = TimeAwareRetriever(store, settings)
    before_b = _facts(kept, "b")
    order = 6
    for session, speaker in ((2, "Ana"), (3, "Ben"), (3, "Ben"), (5, "Ana")):
        index = len(store.turns("a", session))
        store.ingest([Conversation("a", ("Ana", "Ben"), "test", (_turn("a", order, session, index, speaker),))])
        order += 1
        fresh = TimeAwareRetriever(store, settings)
        assert _facts(kept, "a") == _facts(fresh, "a")
        assert _facts(kept, "a")[2] == Vocabulary.of((t.session_index, t.text) for t in store.turns("a"))
    assert _facts(kept, "b") == before_b
    store.forget("a")
    store.ingest([Conversation("a", ("Cy",), "test", (_turn("a", 1, 1, 0, "Cy"),))])
    assert _facts(kept, "a") == _facts(TimeAwareRetriever(store, settings), "a")
