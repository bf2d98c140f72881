"""The agent end to end on a real store: disambiguate -> plan -> retrieve -> answer, with the
scripted fake behind the real LLM client, and what happens when the LLM fails."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from agent.answer.base import NOTHING_FOUND, UNAVAILABLE_OPENING
from agent.pipeline import Agent
from convmem.config import Settings
from convmem.errors import LLMModelNotFoundError, LLMUnavailableError, NotFoundError
from convmem.llm.client import LLMClient
from convmem.llm.fake import FakeChatModel
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from tests.fixtures import tmd_log, write_json

# Sessions on Fri 5, Mon 8, Thu 11 and Sun 14 May 2023 at 09:00, four turns each.
ASKED = datetime(2023, 5, 14, 9, 0)
NINE_DAYS = (
    DialogueTurn("Ana", "I see in my calendar that we talked 9 days ago."),
    DialogueTurn("Ben", "Yes! We did talk then."),
)
FOLLOW_UP = "Can you summarize what we discussed?"
CITED_LINE = re.compile(r"^- \d\d:\d\d \w+: “.*” \[t:\w+\]$")


@pytest.fixture
def memory(store: MemoryStore, tmp_path: Path) -> MemoryStore:
    store.ingest(load_file(write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))))
    return store


def agent(memory: MemoryStore, llm: LLMClient | None = None, **overrides: str) -> Agent:
    settings = Settings.from_env({}, store=memory.root, embedder="hash", **overrides)
    return Agent(memory, settings, llm)


def client(fake: FakeChatModel) -> LLMClient:
    return LLMClient(fake, max_retries=0, backoff_s=0)


def test_extractive_default_answers_a_follow_up_from_the_right_session(memory: MemoryStore) -> None:
    result = agent(memory).ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"))
    assert result.turn_ids == ["0", "1", "2", "3"]
    assert result.rewrite.method == "context" and "9 days ago" in result.rewrite.question
    lines = result.text.splitlines()
    assert lines[0].startswith("From memory (4 turns in 1 session)")
    assert lines[1] == "Session 1, Friday 2023-05-05:"
    assert all(CITED_LINE.match(line) for line in lines[2:]) and len(lines) == 6
    assert set(result.answer.cited) == {"0", "1", "2", "3"}


def test_trace_records_every_step(memory: MemoryStore) -> None:
    result = agent(memory).ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"))
    trace = result.trace
    assert [s.name for s in trace.steps] == ["disambiguate", "plan", "retrieve", "answer"]
    assert all(s.latency_ms > 0 for s in trace.steps)
    assert trace.tokens == 0 and trace.llm_calls == 0
    assert trace.get("disambiguate").input["request"] == FOLLOW_UP
    assert trace.get("plan").output["planner"] == "rules"
    assert trace.get("plan").output["chain"][0].startswith("f_select(session_start")
    assert "WITH s0 AS" in trace.get("retrieve").output["sql"]
    assert trace.get("retrieve").output["turn_ids"] == ["0", "1", "2", "3"]
    assert trace.get("answer").output["method"] == "extractive"
    as_dict = trace.as_dict()
    assert [s["name"] for s in as_dict["steps"]] == ["disambiguate", "plan", "retrieve", "answer"]


def test_llm_rewrite_plan_and_streamed_answer_through_the_client(memory: MemoryStore) -> None:
    fake = FakeChatModel().enqueue(
        {"question": "What did we discuss 9 days ago?"},
        "We went over topics 10 to 13 [t:0] [t:3], and nothing else [t:999].",
    )
    llm = client(fake)
    deltas: list[str] = []
    result = agent(memory, llm, planner="rules").ask(
        Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"), on_text=deltas.append
    )
    assert result.rewrite.method == "llm" and result.rewrite.question == "What did we discuss 9 days ago?"
    assert result.turn_ids == ["0", "1", "2", "3"]
    assert len(deltas) > 1 and "".join(deltas) == result.text
    assert result.answer.method == "llm" and result.answer.cited == ("0", "3")  # 999 was not shown
    assert [r.purpose for r in fake.requests] == ["rewrite", "answer"]
    rewrite_step, answer_step = result.trace.get("disambiguate"), result.trace.get("answer")
    assert [c.purpose for c in rewrite_step.llm] == ["rewrite"] and rewrite_step.tokens > 0
    assert [c.purpose for c in answer_step.llm] == ["answer"] and answer_step.tokens > 0
    assert result.trace.tokens == llm.total_usage().total_tokens
    assert result.llm_error is None


def test_llm_planner_shows_in_the_plan_step(memory: MemoryStore) -> None:
    fake = FakeChatModel().enqueue(
        {"operations": [{"op": "select", "column": "weekday", "operator": "=", "value": "Thursday"}]},
        "Thursday's session [t:8].",
    )
    result = agent(memory, client(fake), planner="llm").ask(Query("c", "what did we talk about midweek?", ASKED))
    step = result.trace.get("plan")
    assert step.output["planner"] == "llm" and step.output["chain"] == ["f_select(weekday = 'Thursday')"]
    assert [c.purpose for c in step.llm] == ["plan"]
    assert result.turn_ids == ["8", "9", "10", "11"]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"question": "   "}, "empty"),
        ({"question": "What did we discuss? " * 12}, "characters"),
        ({"question": "What did we discuss?"}, "drops the time"),
        ({"question": "What did we discuss 3 days ago?"}, "another time"),
        ("no JSON here", "llm failed"),
    ],
)
def test_auto_refuses_nonsense_rewrites_and_reads_the_context(
    memory: MemoryStore, reply: object, reason: str
) -> None:
    fake = FakeChatModel().enqueue(reply, "Topics 10 to 13 [t:0].")
    result = agent(memory, client(fake), planner="rules").ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"))
    assert result.rewrite.method == "context"
    assert any(reason in note for note in result.rewrite.notes), result.rewrite.notes
    assert result.turn_ids == ["0", "1", "2", "3"]
    assert result.answer.method == "llm"  # a bad rewrite is no reason to skip the answer


def test_llm_choice_accepts_any_non_empty_rewrite(memory: MemoryStore) -> None:
    fake = FakeChatModel().enqueue({"question": "What did we discuss?"}, "Everything [t:0].")
    result = agent(memory, client(fake), planner="rules", disambiguator="llm").ask(
        Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana")
    )
    assert result.rewrite.method == "llm"  # unchecked: the time is lost, as asked for


def test_no_context_means_no_rewrite_call(memory: MemoryStore) -> None:
    fake = FakeChatModel().enqueue("Session 2 [t:4].")
    result = agent(memory, client(fake), planner="rules").ask(
        Query("c", "What did we talk about in our second session?", ASKED)
    )
    assert [r.purpose for r in fake.requests] == ["answer"]
    assert result.rewrite.method == "none" and result.turn_ids == ["4", "5", "6", "7"]


def test_unreachable_llm_answers_extractively_and_says_so_once(memory: MemoryStore) -> None:
    fake = FakeChatModel().fail_next(LLMUnavailableError("cannot reach the LLM at http://x"), times=5)
    shown: list[str] = []
    result = agent(memory, client(fake), planner="rules").ask(
        Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"), on_text=shown.append
    )
    assert isinstance(result.llm_error, LLMUnavailableError)
    assert fake.calls == 1  # the rewrite failed; the answer did not try the same server again
    first, *rest = result.text.splitlines()
    assert first.startswith(UNAVAILABLE_OPENING) and "cannot reach the LLM" in first
    assert rest[0].startswith("From memory (4 turns") and result.turn_ids == ["0", "1", "2", "3"]
    assert "".join(shown) == result.text
    assert sum(UNAVAILABLE_OPENING in line for line in result.text.splitlines()) == 1
    assert result.answer.method == "extractive"


def _model_gone(request: object) -> str:
    raise LLMModelNotFoundError("model 'm' is not served here")


def test_answer_failure_after_a_good_rewrite_falls_back(memory: MemoryStore) -> None:
    fake = FakeChatModel().enqueue({"question": "What did we discuss 9 days ago?"}, _model_gone)
    result = agent(memory, client(fake), planner="rules").ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"))
    assert isinstance(result.llm_error, LLMModelNotFoundError)
    assert result.text.startswith(UNAVAILABLE_OPENING) and "[t:0]" in result.text
    assert result.trace.get("answer").llm[0].failures == 1


def test_excluded_turns_are_not_evidence(memory: MemoryStore) -> None:
    result = agent(memory).ask(
        Query("c", "What did we talk about in our second session?", ASKED), exclude_turn_ids={"4", "5"}
    )
    assert result.turn_ids == ["6", "7"]


def test_nothing_found_is_said_plainly(memory: MemoryStore) -> None:
    result = agent(memory).ask(Query("c", "what did we talk about on Tuesdays", ASKED))
    assert result.turn_ids == [] and result.text == "No turns match that time.\n" + NOTHING_FOUND


def test_an_empty_day_is_answered_from_the_nearest_sessions(memory: MemoryStore) -> None:
    result = agent(memory).ask(Query("c", "what did we talk about yesterday", ASKED))
    assert result.text.startswith("No turns in yesterday; nearest sessions: session 3 on")
    assert result.turn_ids and result.trace.as_dict()["steps"][2]["output"]["note"] == result.retrieval.note


def test_unknown_conversation_is_an_error(memory: MemoryStore) -> None:
    with pytest.raises(NotFoundError, match="no conversation 'nope'"):
        agent(memory).ask(Query("nope", "hi", ASKED))


def test_json_shape(memory: MemoryStore) -> None:
    data = agent(memory).ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana")).as_dict()
    assert set(data) == {"answer", "rewritten_query", "plan", "turn_ids", "latency_ms"}
    assert data["plan"]["operations"][0]["column"] == "session_start"
