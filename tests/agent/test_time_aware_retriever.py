"""The agent's retriever end to end on a real store: routing, context carrying, the LLM
planner with the scripted fake, and falling back to the rules when the LLM fails."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from agent.retrieval import TimeAwareRetriever
from convmem.config import Settings
from convmem.errors import LLMUnavailableError, NotFoundError
from convmem.llm.client import LLMClient
from convmem.llm.fake import FakeChatModel
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from tests.fixtures import tmd_log, write_json

# Sessions on Fri 5, Mon 8, Thu 11 and Sun 14 May 2023 at 09:00, four turns each.
ASKED = datetime(2023, 5, 14, 9, 0)


@pytest.fixture
def memory(store: MemoryStore, tmp_path: Path) -> MemoryStore:
    store.ingest(load_file(write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))))
    return store


def retriever(memory: MemoryStore, planner: str = "rules", llm: LLMClient | None = None) -> TimeAwareRetriever:
    settings = Settings.from_env({}, store=memory.root, embedder="hash", planner=planner)
    return TimeAwareRetriever(memory, settings, llm=llm)


def ask(r: TimeAwareRetriever, text: str, context: tuple[DialogueTurn, ...] = (), **extra) -> list[str]:
    return r.retrieve(Query("c", text, ASKED, context, **extra)).turn_ids


def test_time_questions_return_whole_sessions(memory: MemoryStore) -> None:
    r = retriever(memory)
    assert ask(r, "What did we talk about in our second session?") == ["4", "5", "6", "7"]
    assert ask(r, "what did we discuss on May 11th?") == ["8", "9", "10", "11"]
    assert ask(r, "What did we discuss 2 sessions ago?") == ["8", "9", "10", "11"]
    assert ask(r, "what did we talk about 6 days ago") == ["4", "5", "6", "7"]
    assert ask(r, "what did we chat about last Monday") == ["4", "5", "6", "7"]
    assert ask(r, "what did Ben say in session 1") == ["1", "3"]


def test_the_session_in_progress_is_not_last_time(memory: MemoryStore) -> None:
    r = retriever(memory)
    assert ask(r, "what did we talk about last time") == ["12", "13", "14", "15"]
    assert ask(r, "what did we talk about last time", current_session=4) == ["8", "9", "10", "11"]


def test_time_and_content_ranks_inside_the_filter(memory: MemoryStore) -> None:
    found = retriever(memory).retrieve(Query("c", "Which bicycle photo came up in our second session?", ASKED))
    assert found.route == "time_content"
    assert found.turn_ids[0] == "5" and set(found.turn_ids) <= {"4", "5", "6", "7"}


def test_content_only_questions_search_the_whole_conversation(memory: MemoryStore) -> None:
    found = retriever(memory).retrieve(Query("c", "red bicycle photo", ASKED))
    assert found.route == "content" and found.turn_ids[0] == "5"


def test_follow_up_inherits_the_time_anchor_of_the_dialogue(memory: MemoryStore) -> None:
    context = (
        DialogueTurn("Ana", "I see in my calendar that we talked 9 days ago."),
        DialogueTurn("Ben", "Yes! We did talk then."),
    )
    found = retriever(memory).retrieve(Query("c", "Can you summarize what we discussed?", ASKED, context))
    assert found.turn_ids == ["0", "1", "2", "3"]
    assert "9 days ago" in found.rewritten_query


def test_llm_planner_plan_is_validated_and_run(memory: MemoryStore) -> None:
    fake = FakeChatModel().enqueue(
        {"operations": [{"op": "select", "column": "weekday", "operator": "=", "value": "Thursday"}]}
    )
    r = retriever(memory, planner="llm", llm=LLMClient(fake))
    found = r.retrieve(Query("c", "what did we talk about midweek?", ASKED))
    assert found.turn_ids == ["8", "9", "10", "11"]
    assert "planner: llm" in found.notes
    assert "Question: what did we talk about midweek?" in fake.requests[0].messages[-1].content


@pytest.mark.parametrize(
    "reply",
    [
        {"operations": [{"op": "select", "column": "text", "operator": "=", "value": "x"}]},
        "not json at all",
    ],
)
def test_bad_llm_plans_fall_back_to_the_rules(memory: MemoryStore, reply: object) -> None:
    fake = FakeChatModel().enqueue(reply)
    r = retriever(memory, planner="llm", llm=LLMClient(fake, max_retries=0))
    found = r.retrieve(Query("c", "what did we talk about in our first session", ASKED))
    assert found.turn_ids == ["0", "1", "2", "3"]
    assert any("used the rules" in note for note in found.notes)


def test_unreachable_llm_falls_back_to_the_rules(memory: MemoryStore) -> None:
    fake = FakeChatModel().fail_next(LLMUnavailableError("down"), times=5)
    r = retriever(memory, planner="auto", llm=LLMClient(fake, max_retries=1, backoff_s=0))
    # auto: the rules see no time expression but the question looks time-related
    found = r.retrieve(Query("c", "what did we talk about at the time?", ASKED))
    assert any("used the rules" in note for note in found.notes)
    assert found.route == "content"


def test_auto_keeps_the_rules_when_they_understand(memory: MemoryStore) -> None:
    fake = FakeChatModel()
    r = retriever(memory, planner="auto", llm=LLMClient(fake))
    found = r.retrieve(Query("c", "what did we talk about yesterday", ASKED))
    assert fake.calls == 0
    assert found.route == "time"
    assert "nearest sessions" in found.note  # Saturday had none: Thursday's and Sunday's


def test_an_empty_time_window_offers_the_nearest_sessions(memory: MemoryStore) -> None:
    r = retriever(memory)
    found = r.retrieve(Query("c", "what did we discuss on May 9th?", ASKED))
    assert found.turn_ids == [str(i) for i in range(4, 12)]  # Mon 8 and Thu 11 May
    assert found.note.startswith("no turns in may 9th; nearest sessions: session 2 on Mon 08 May 2023 (before)")
    assert "session 3 on Thu 11 May 2023 (after)" in found.note
    # a window with turns says nothing of the kind
    assert r.retrieve(Query("c", "what did we discuss on May 8th?", ASKED)).note == ""
    # before the first session there is only an after
    early = r.retrieve(Query("c", "what did we talk about on 1 May 2023?", ASKED))
    assert early.turn_ids == ["0", "1", "2", "3"]
    assert "(before)" not in early.note


def test_fuzzy_times_and_numeric_dates(memory: MemoryStore) -> None:
    r = retriever(memory)
    assert ask(r, "what did we discuss around the 9th of May?") == [str(i) for i in range(4, 12)]
    assert ask(r, "what did we talk about in early May 2023") == [str(i) for i in range(0, 8)]
    assert ask(r, "what did we talk about mid-May") == [str(i) for i in range(8, 16)]
    for spelling in ("05/11/2023", "5/11/23", "2023-05-11", "May 11", "11 May 2023", "the 11th of May", "2023/05/11"):
        assert ask(r, f"what did we discuss on {spelling}?") == ["8", "9", "10", "11"], spelling
    settings = Settings.from_env({"CONVMEM_DATE_ORDER": "DMY"}, store=memory.root, embedder="hash", planner="rules")
    day_first = TimeAwareRetriever(memory, settings)
    for spelling in ("11/05/2023", "11.05.2023", "11/5"):
        assert ask(day_first, f"what did we discuss on {spelling}?") == ["8", "9", "10", "11"], spelling


def test_unknown_conversation(memory: MemoryStore) -> None:
    with pytest.raises(NotFoundError, match="ingest it first"):
        retriever(memory).retrieve(Query("nope", "hi", ASKED))
