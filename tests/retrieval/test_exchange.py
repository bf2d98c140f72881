"""Exchange-aware ranking: a reply ranks with the question it answers; a speaker the
question attributes its topic to comes first; content fusion scales both sides."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from convmem.retrieval.base import Query
from convmem.retrieval.content import ContentSearch
from convmem.retrieval.exchange import OFF, ExchangeWeights, attributed_speakers
from convmem.retrieval.executor import PlanExecutor
from convmem.retrieval.plan import Plan, Select, SemanticRank
from convmem.storage.memory import MemoryStore
from convmem.types import Conversation, Turn

START = datetime(2023, 5, 8, 18, 0)
TEXTS = [
    ("Caroline", "Hey Melanie, good to see you again!"),
    ("Melanie", "Hi! I have been busy with the kids and the garden."),
    ("Caroline", "What inspired your painting of the lake?"),
    ("Melanie", "A quiet sunrise we watched on a camping trip, it stayed with me."),
    ("Caroline", "That sounds so peaceful, lovely."),
    ("Melanie", "It was. Anyway, how is the adoption process going?"),
    ("Caroline", "Slowly, but the agency called me back yesterday."),
    ("Melanie", "My dogs would love a camping trip too."),
]


@pytest.fixture
def chat(store: MemoryStore) -> MemoryStore:
    turns = tuple(
        Turn("c", str(i), i, 1, i, speaker, text, START + timedelta(minutes=i))
        for i, (speaker, text) in enumerate(TEXTS)
    )
    store.ingest([Conversation("c", ("Caroline", "Melanie"), "test", turns)])
    return store


def _ranked(store: MemoryStore, weights: ExchangeWeights, text: str, prefer: frozenset[str] = frozenset()) -> list[str]:
    executor = PlanExecutor(store, store.embedder, weights)
    plan = Plan("c", (Select("session_index", "=", 1), SemanticRank(text, 3, 0.4, ("inspired", "painting"))))
    return executor.run(plan, prefer=prefer).turn_ids


def test_the_reply_to_an_echoed_question_is_kept(chat: MemoryStore) -> None:
    question = "What inspired Melanie's painting on May 8th?"
    alone = _ranked(chat, OFF, question)
    assert alone[0] == "2" and "3" not in alone  # scored alone, the asking turn stands by itself
    with_exchange = _ranked(chat, ExchangeWeights(), question)
    assert with_exchange[:2] == ["2", "3"]


def test_an_attributed_speaker_ranks_first(chat: MemoryStore) -> None:
    executor = PlanExecutor(chat, chat.embedder, ExchangeWeights(0.0, 0.0, 0.5))
    plan = Plan("c", (Select("session_index", "=", 1), SemanticRank("camping trip", 8, None, ("camping", "trip"))))
    plain = executor.run(plan).turn_ids
    preferred = executor.run(plan, prefer=frozenset({"Melanie"})).turn_ids
    assert {"3", "7"} <= set(plain[:2])
    melanie = {str(i) for i, (s, _) in enumerate(TEXTS) if s == "Melanie"}
    assert set(preferred[:4]) == melanie


@pytest.mark.parametrize(
    ("text", "asker", "expected"),
    [
        ("What did Audrey buy last week?", None, {"Audrey"}),
        ("Where is Jeff's painting?", None, {"Jeff"}),
        ("What did Jeff and Audrey talk about?", None, set()),
        ("How are my dogs doing?", "Audrey", {"Audrey"}),
        ("How are your dogs doing?", "Audrey", {"Jeff"}),
        ("How are my dogs doing?", None, set()),
        ("What is the capital of France?", "Jeff", set()),
    ],
)
def test_attributed_speakers(text: str, asker: str | None, expected: set[str]) -> None:
    assert attributed_speakers(text, ("Jeff", "Audrey"), asker) == expected


def test_content_search_adds_the_reply_of_a_matching_question(chat: MemoryStore) -> None:
    query = Query("c", "What inspired the painting of the lake?", START + timedelta(days=1))
    exchange = ContentSearch(chat, chat.embedder, k=3, vector_weight=0.0, adapt=0.0).retrieve(query).turn_ids
    alone = ContentSearch(chat, chat.embedder, k=3, vector_weight=0.0, weights=OFF, adapt=0.0).retrieve(query).turn_ids
    assert exchange[0] == "2" and exchange[1] == "3"
    assert alone[0] == "2" and alone.index("3") > 1 if "3" in alone else True


def test_fusion_weight_one_is_the_vector_ranking(chat: MemoryStore) -> None:
    from convmem.retrieval.baselines import SemanticRetriever, mask_names

    query = Query("c", "kids and the garden", START + timedelta(days=1))
    fused = ContentSearch(chat, chat.embedder, k=5, vector_weight=1.0, weights=OFF, adapt=0.0).retrieve(query).turn_ids
    vector = SemanticRetriever(chat, chat.embedder, 5).ranked(
        Query("c", mask_names(query.text, ("Caroline", "Melanie")), query.asked_at), 5
    )
    assert fused == [turn_id for turn_id, _ in vector]


def test_a_turn_whose_event_time_is_the_asked_day_is_ranked_too(store: MemoryStore) -> None:
    from datetime import date

    saturday, thursday = datetime(2023, 5, 20, 10, 0), datetime(2023, 5, 25, 14, 0)
    turns = (
        Turn("e", "0", 0, 1, 0, "Mel", "Lazy day, just reading.", saturday),
        Turn("e", "1", 1, 1, 1, "Car", "Enjoy the book!", saturday + timedelta(minutes=1)),
        Turn("e", "2", 2, 2, 0, "Mel", "I ran a charity race last Saturday!", thursday),
        Turn("e", "3", 3, 2, 1, "Car", "Wow, for which cause?", thursday + timedelta(minutes=1)),
    )
    store.ingest([Conversation("e", ("Mel", "Car"), "test", turns)])
    plan = Plan("e", (Select("day", "=", date(2023, 5, 20)), SemanticRank("charity race", 3, 0.3, ("charity", "race"))))
    found = PlanExecutor(store, store.embedder).run(plan)
    assert found.turn_ids[0] == "2" and any("event time" in note for note in found.notes)
    assert "2" not in PlanExecutor(store, store.embedder, OFF).run(plan).turn_ids


def test_agent_v1_is_the_first_ranking_under_its_own_name(chat: MemoryStore, settings) -> None:
    from agent.registry import build_retrievers, parse_retriever_list

    names = parse_retriever_list("agent, agent-v1")
    new, old = build_retrievers(names, chat, settings)
    assert (new.name, old.name) == ("agent", "agent-v1")
    assert new.exchange and not old.exchange and old.rank.relative_cutoff == 0.4
    query = Query("c", "What inspired Melanie's painting on May 8th?", START + timedelta(days=1))
    assert "3" in new.retrieve(query).turn_ids
