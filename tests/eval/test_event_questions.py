"""Event questions from temporal questions: the gold date named, the evidence kept."""

from __future__ import annotations

from datetime import datetime, timedelta

from convmem.retrieval.base import Query
from convmem.storage.memory import MemoryStore
from convmem.types import Conversation, Turn
from eval.event_questions import date_phrase, event_questions
from eval.runner import EvalItem

SAID = datetime(2023, 5, 25, 14, 0)


def _item(index: int, question: str) -> EvalItem:
    query = Query("c", question, SAID + timedelta(days=1))
    return EvalItem(f"locomo/c/{index}", "temporal", "temporal/category-2", query, frozenset({"D1:1"}))


def test_temporal_questions_become_event_questions(store: MemoryStore) -> None:
    turns = (Turn("c", "D1:1", 0, 1, 0, "Melanie", "I ran a charity race last Sunday!", SAID),
             Turn("c", "D1:2", 1, 1, 1, "Caroline Smith", "Wow!", SAID + timedelta(minutes=1)))
    store.ingest([Conversation("c", ("Melanie", "Caroline Smith"), "test", turns)])
    items = [_item(0, "When did Melanie run a charity race?"), _item(1, "How long has Caroline painted?"),
             _item(2, "When did the race take place?"), _item(3, "When did Caroline paint a sunset?"),
             _item(4, "When did Caroline go to the lake?")]
    answers = {"locomo/c/0": "The sunday before 25 May 2023", "locomo/c/1": "4 years",
               "locomo/c/2": "21 May 2023", "locomo/c/3": "The week before 25 May 2023", "locomo/c/4": "May 2023"}
    made, stats = event_questions(store, items, answers)
    assert [i.question for i in made] == [
        "What did Melanie do on 21 May 2023?",
        "What did Caroline do between 15 May and 21 May 2023?",
    ]
    assert all(i.relevant == frozenset({"D1:1"}) and i.category == "event" for i in made)
    assert made[0].query.asked_at == items[0].query.asked_at
    assert (stats.temporal, stats.no_date, stats.no_speaker) == (5, 2, 1)
    again, _ = event_questions(store, items, answers)
    assert [i.question for i in again] == [i.question for i in made]


def test_date_phrase() -> None:
    from datetime import date

    assert date_phrase(date(2023, 5, 21), date(2023, 5, 21)) == "on 21 May 2023"
    assert date_phrase(date(2022, 12, 26), date(2023, 1, 1)) == "between 26 December 2022 and 1 January 2023"
