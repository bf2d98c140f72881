"""Content fusion with per-question weights, and a date as a soft constraint."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from agent.grounding import ConversationFacts, ground
from agent.planners.rules import about_the_talk, event_days
from convmem.retrieval.base import Query
from convmem.retrieval.content import ContentSearch, DateWindow
from convmem.retrieval.exchange import OFF
from convmem.retrieval.fusion import separation, side_weights
from convmem.storage.memory import MemoryStore
from convmem.types import Conversation, Turn

SATURDAY, THURSDAY = datetime(2023, 5, 20, 10, 0), datetime(2023, 5, 25, 14, 0)


def test_a_side_whose_candidates_look_alike_separates_nothing() -> None:
    flat = dict.fromkeys("abcdef", 0.8)
    assert separation(flat, 1, 6) == pytest.approx(0.0)
    standout = {"a": 1.0, "b": 0.1, "c": 0.1, "d": 0.0}
    assert separation(standout, 1, 4) == pytest.approx(1.0 - 1.2 / 4)
    assert separation({"a": 1.0}, 1, 10) == pytest.approx(0.9)  # the pool is padded with zeros
    assert separation({}, 1, 10) == 0.0


def test_side_weights_follow_the_separations() -> None:
    assert side_weights([0.6, 0.2], [0.5, 0.5], 1.0) == pytest.approx([0.75, 0.25])
    assert side_weights([0.6, 0.2], [0.5, 0.5], 0.0) == [0.5, 0.5]
    assert side_weights([0.6, 0.2], [0.5, 0.5], 0.5) == pytest.approx([0.625, 0.375])
    assert side_weights([0.0, 0.0], [0.3, 0.7], 1.0) == [0.3, 0.7]
    with pytest.raises(ValueError):
        side_weights([0.1], [0.5, 0.5], 1.0)


@pytest.mark.parametrize(
    ("question", "talk"),
    [
        ("What did we talk about on 20 May?", True),
        ("What did Melanie say about the race on 20 May?", True),
        ("In our chat on 20 May, what did Melanie do?", True),
        ("What came up in the session of 20 May?", True),
        ("What did Melanie do on 20 May?", False),
        ("Where did Jon go on 3 June 2023?", False),
    ],
)
def test_about_the_talk(question: str, talk: bool) -> None:
    assert about_the_talk(question) is talk


def test_event_days_only_for_a_short_span_in_an_event_question() -> None:
    facts = ConversationFacts(datetime(2023, 8, 1, 12), ("Melanie", "Caroline"), ())

    def days(text: str) -> tuple[date, date] | None:
        return event_days(ground(text, facts), text, facts.speakers)

    assert days("What did Melanie do on 20 May 2023?") == (date(2023, 5, 20), date(2023, 5, 20))
    assert days("Where did Melanie go between 20 May and 22 May 2023?") == (date(2023, 5, 20), date(2023, 5, 22))
    assert days("What did Melanie do in May 2023?") is None  # a month: longer than a week
    assert days("What did we discuss on 20 May 2023?") is None  # when it was said: a filter
    assert days("What did Melanie do?") is None
    assert days("What was the topic on 20 May 2023?") is None  # about no one: when it was said
    assert days("I forget: what was the topic on 20 May 2023?") is None
    assert days("Where did you go on 20 May 2023?") == (date(2023, 5, 20), date(2023, 5, 20))


@pytest.fixture
def race(store: MemoryStore) -> MemoryStore:
    turns = (
        Turn("e", "0", 0, 1, 0, "Mel", "Lazy day, just reading a book on the porch.", SATURDAY),
        Turn("e", "1", 1, 1, 1, "Car", "Enjoy the book!", SATURDAY + timedelta(minutes=1)),
        Turn("e", "2", 2, 2, 0, "Mel", "I ran a charity race last Saturday!", THURSDAY),
        Turn("e", "3", 3, 2, 1, "Car", "Wow, a race for which cause?", THURSDAY + timedelta(minutes=1)),
        Turn("e", "4", 4, 3, 0, "Mel", "Another race is planned for the autumn.", THURSDAY + timedelta(days=40)),
    )
    store.ingest([Conversation("e", ("Mel", "Car"), "test", turns)])
    return store


def test_a_soft_date_ranks_turns_said_then_or_about_then_first_and_drops_none(race: MemoryStore) -> None:
    query = Query("e", "what did mel do with the race", THURSDAY + timedelta(days=50))
    search = ContentSearch(race, race.embedder, k=10, weights=OFF)
    plain = search.retrieve(query).turn_ids
    soft = search.retrieve(query, near=DateWindow(date(2023, 5, 20), date(2023, 5, 20)))
    first = set(soft.turn_ids[:3])
    assert {"0", "2"} <= first  # said on the day; said later about the day ("last Saturday")
    assert "4" in soft.turn_ids and "4" in plain  # a turn elsewhere still competes on content
    assert soft.turn_ids.index("4") > soft.turn_ids.index("2")
    assert any("soft constraint" in note for note in soft.notes)


def test_the_agent_ranks_by_an_event_date_but_filters_by_a_said_date(race: MemoryStore, settings) -> None:
    from agent.retrieval import TimeAwareRetriever

    retriever = TimeAwareRetriever(race, settings)
    asked = THURSDAY + timedelta(days=50)
    event = retriever.retrieve(Query("e", "What did Mel do on 20 May 2023?", asked))
    assert event.route == "content" and "2" in event.turn_ids[:3] and "4" in event.turn_ids
    said = retriever.retrieve(Query("e", "What did we talk about on 20 May 2023?", asked))
    assert said.route == "time" and set(said.turn_ids) == {"0", "1"}
    retriever.soft_dates = False
    assert "2" not in retriever.retrieve(Query("e", "What did Mel do on 20 May 2023?", asked)).turn_ids


def test_conversation_scaled_cosines_keep_the_vector_order(race: MemoryStore) -> None:
    query = Query("e", "a charity race", THURSDAY + timedelta(days=50))
    pool = ContentSearch(race, race.embedder, k=5, vector_weight=1.0, weights=OFF, adapt=0.0)
    scaled = ContentSearch(race, race.embedder, k=5, vector_weight=1.0, weights=OFF, adapt=0.0,
                           vector_scale="conversation")
    ranked = scaled.fused(query)
    above_median = [t for t, s in ranked if s > 0]
    assert above_median == pool.retrieve(query).turn_ids[: len(above_median)]
    assert all(0.0 <= s <= 1.0 for _, s in ranked) and ranked[0][1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ContentSearch(race, race.embedder, vector_scale="everything")
