"""Disambiguation: what the context reading carries (time, speaker, topic) and when it
carries nothing; which disambiguator a setting builds; and, on the shared dev data, the
TemporalMemoryDataset ambiguous questions through the whole agent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from agent.disambiguate import (
    ContextDisambiguator,
    LLMDisambiguator,
    anchor_key,
    build_disambiguator,
)
from agent.grounding import ConversationFacts, ground
from agent.pipeline import Agent
from convmem.config import Settings
from convmem.embed.hashing import HashEmbedder
from convmem.llm.client import LLMClient
from convmem.llm.fake import FakeChatModel
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from eval.metrics import precision, recall
from eval.tmd import last_session_anchor, read_test_file
from tests.conftest import shared_path

FACTS = ConversationFacts(datetime(2023, 5, 14, 9, 0), ("Ana Lopez", "Ben"), asker="Ana Lopez")
CONTEXT = ContextDisambiguator()


def rewrite(request: str, *turns: tuple[str, str]):
    return CONTEXT.rewrite(request, tuple(DialogueTurn(s, t) for s, t in turns), FACTS)


def test_time_is_carried_into_a_vague_follow_up() -> None:
    result = rewrite("Yes, please do.", ("Ana Lopez", "What did we talk about 9 days ago?"), ("Ben", "Sure."))
    assert result.method == "context" and result.question == "Yes, please do. [9 days ago]"
    assert result.resolved.grounding.days_ago == 9 and result.carried == ("time: 9 days ago",)
    assert result.search_text == "Yes, please do."


def test_the_askers_own_anchor_wins_over_a_later_one_by_the_other_speaker() -> None:
    result = rewrite(
        "Can you summarize it?",
        ("Ana Lopez", "I see we talked in our second session."),
        ("Ben", "Yes, and again yesterday."),
    )
    pick = result.resolved.grounding.session_pick
    assert pick is not None and pick.position == 2
    assert result.resolved.carried_from == "I see we talked in our second session."


def test_then_and_that_conversation_point_back_even_with_a_subject() -> None:
    result = rewrite("What did we say about pottery then?", ("Ana Lopez", "We met last Monday."))
    assert result.resolved.grounding.day_spans and "last monday" in result.question.lower()
    result = rewrite("Was pottery part of that conversation?", ("Ana Lopez", "We met last Monday."))
    assert result.resolved.grounding.day_spans


def test_a_question_with_its_own_subject_keeps_its_own_time() -> None:
    result = rewrite("What is the name of the puppy my sister adopted?", ("Ana Lopez", "I began pottery on Tuesday."))
    assert result.method == "none" and not result.resolved.grounding.has_time
    assert result.question == "What is the name of the puppy my sister adopted?"


def test_she_becomes_the_speaker_named_before() -> None:
    result = rewrite("What else did she say?", ("Ana Lopez", "What did Ben say about the kiln?"))
    # "else" asks for more of the same: the topic carries with the speaker
    assert result.search_text == "What else did Ben say about kiln" and "speaker: Ben" in result.carried
    assert "topic: kiln" in result.carried
    assert result.resolved.grounding.speakers == ["Ben"]


def test_she_stays_when_nobody_was_named() -> None:
    result = rewrite("What did she say?", ("Ana Lopez", "Tell me about the kiln."))
    assert result.search_text == "What did she say?"


def test_it_becomes_the_topic_of_the_earlier_turn() -> None:
    result = rewrite("When did Ben first mention it?", ("Ana Lopez", "Tell me about the pottery kiln."))
    assert result.search_text == "When did Ben first mention pottery kiln?"
    assert "topic: pottery kiln" in result.carried


def test_about_that_day_is_a_time_not_a_topic() -> None:
    result = rewrite("What did we say about that day?", ("Ana Lopez", "The pottery kiln broke last Friday."))
    assert not any(c.startswith("topic") for c in result.carried)
    assert result.resolved.grounding.day_spans


def test_filler_is_no_topic() -> None:
    result = rewrite("What did we say about it?", ("Ben", "I always enjoy it quite a bit."))
    assert not any(c.startswith("topic") for c in result.carried)


def test_build_disambiguator_by_setting() -> None:
    llm = LLMClient(FakeChatModel())
    assert build_disambiguator("context", llm).name == "context"
    assert build_disambiguator("auto", None).name == "context"
    assert build_disambiguator("llm", None).name == "context"
    assert build_disambiguator("auto", llm).name == "auto"
    chosen = build_disambiguator("llm", llm)
    assert isinstance(chosen, LLMDisambiguator) and not chosen.checked


def test_rewrite_request_is_bounded_json() -> None:
    fake = FakeChatModel().enqueue({"question": "What did Ben say 9 days ago?"})
    result = LLMDisambiguator(LLMClient(fake), checked=True).rewrite(
        "What did he say?", (DialogueTurn("Ana Lopez", "Ben talked 9 days ago."),), FACTS
    )
    request = fake.requests[0]
    assert request.purpose == "rewrite" and request.max_tokens == 120
    assert request.json_schema["properties"]["question"]["maxLength"] == 300
    assert result.method == "llm" and result.search_text == "What did Ben say 9 days ago?"


def test_anchor_key_compares_readings_not_words() -> None:
    a = ground("what did we talk about 9 days ago", FACTS)
    b = ground("the chat from nine days ago", FACTS)
    assert anchor_key(a) == anchor_key(b) != anchor_key(ground("3 days ago", FACTS))


@pytest.mark.shared_data
def test_tmd_ambiguous_dev_questions_through_the_agent(tmp_path: Path) -> None:
    """Logs 26 and 28, asked at the start of each log's last session, context reading."""
    data = shared_path("tmd")
    store = MemoryStore(tmp_path / "store", HashEmbedder(256))
    logs = [data / "ConversationData" / f"{n}.json" for n in (26, 28)]
    store.ingest(load_paths(logs, "auto", 20, 130))
    settings = Settings.from_env({}, store=tmp_path / "store", embedder="hash", disambiguator="context")
    agent = Agent(store, settings)
    anchor = last_session_anchor(store)
    recalls, precisions = [], []
    for path in sorted((data / "TestData" / "ambiguous_time_qs").glob("*.json")):
        for item in read_test_file(path, "ambiguous", path.stem, anchor):
            found = frozenset(agent.ask(item.query).retrieval.turn_ids)
            recalls.append(recall(found, item.relevant))
            precisions.append(precision(found, item.relevant))
    store.close()
    mean_recall, mean_precision = sum(recalls) / len(recalls), sum(precisions) / len(precisions)
    print(f"{len(recalls)} questions: recall {mean_recall:.4f}, precision {mean_precision:.4f}")
    assert len(recalls) > 1000
    assert mean_recall >= 0.98 and mean_precision >= 0.97


def test_a_follow_up_on_the_last_answer_carries_its_topic_speaker_and_time() -> None:
    asked = ("Ana Lopez", "what did Ben say about pottery in May?")
    for request in ("can you summarize it?", "Tell me more.", "what else?", "Ok, can you recap that for me?"):
        result = rewrite(request, asked, ("Ben", "He said the wheel was hard at first."))
        g = result.resolved.grounding
        assert "pottery" in result.search_text, request
        assert g.speakers == ["Ben"] and g.day_spans, request
    # a request that names its own subject keeps it
    result = rewrite("what did Ana say about the garden?", asked)
    assert "pottery" not in result.search_text and ground(result.search_text, FACTS).speakers == ["Ana Lopez"]


def test_a_weekday_of_the_requests_own_is_not_laid_on_an_earlier_date() -> None:
    result = rewrite("What did we talk about on a Tuesday morning?", ("Ana Lopez", "What did we talk about on May 9th?"))
    g = result.resolved.grounding
    assert g.weekdays == ["Tuesday"] and not g.day_spans and result.resolved.carried_from is None
