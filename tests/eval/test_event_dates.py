"""Gold answers of LoCoMo temporal questions read as dates, and the resolved event date."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from convmem.storage.memory import MemoryStore
from convmem.types import Conversation, Turn
from eval.event_dates import event_date_block, parse_gold_date
from eval.runner import EvalItem

ASKED = date(2023, 12, 1)


@pytest.mark.parametrize(
    ("answer", "start", "end"),
    [
        ("7 May 2023", date(2023, 5, 7), date(2023, 5, 7)),
        ("2022", date(2022, 1, 1), date(2022, 12, 31)),
        ("June 2023", date(2023, 6, 1), date(2023, 6, 30)),
        ("The sunday before 25 May 2023", date(2023, 5, 21), date(2023, 5, 21)),
        ("The week before 9 June 2023", date(2023, 5, 29), date(2023, 6, 4)),
        ("two weekends before 17 July 2023", date(2023, 7, 8), date(2023, 7, 9)),
        ("The weekend before 17 July 2023", date(2023, 7, 15), date(2023, 7, 16)),
        ("The week of 23 August 2023", date(2023, 8, 21), date(2023, 8, 27)),
        ("The day before 8 May 2023", date(2023, 5, 7), date(2023, 5, 7)),
        ("The Friday after 15 July 2023", date(2023, 7, 21), date(2023, 7, 21)),
        ("The week after 9 June 2023", date(2023, 6, 12), date(2023, 6, 18)),
        ("The weekend of 8 July 2023", date(2023, 7, 8), date(2023, 7, 9)),
        ("early June 2023", date(2023, 6, 1), date(2023, 6, 10)),
        ("mid-May, 2023", date(2023, 5, 11), date(2023, 5, 20)),
        ("the end of February 2024", date(2024, 2, 21), date(2024, 2, 29)),
        ("The last week of June 2023", date(2023, 6, 24), date(2023, 6, 30)),
    ],
)
def test_gold_answers_parse_as_spans(answer: str, start: date, end: date) -> None:
    gold = parse_gold_date(answer, ASKED)
    assert gold is not None and (gold.start, gold.end) == (start, end)


@pytest.mark.parametrize("answer", ["4 years", "Since 2016", "A few years ago", "her mother", ""])
def test_durations_and_other_answers_are_not_dates(answer: str) -> None:
    assert parse_gold_date(answer, ASKED) is None


def test_the_first_ranked_turn_answers_with_its_event_time(store: MemoryStore) -> None:
    said = datetime(2023, 5, 25, 14, 0)
    turns = (
        Turn("c", "D1:1", 0, 1, 0, "Mel", "I ran a charity race last Saturday!", said),
        Turn("c", "D1:2", 1, 1, 1, "Car", "Great, I joined a new group today.", said),
        Turn("c", "D1:3", 2, 1, 2, "Mel", "Nice work.", said),
    )
    store.ingest([Conversation("c", ("Mel", "Car"), "test", turns)])
    items = [
        EvalItem("a", "temporal", "temporal/category-2", _query("When did Mel run a race?"), frozenset({"D1:1"})),
        EvalItem("b", "temporal", "temporal/category-2", _query("When did Car join?"), frozenset({"D1:2"})),
        EvalItem("c", "temporal", "temporal/category-2", _query("When did Mel say nice?"), frozenset({"D1:3"})),
    ]
    answers = {"a": "The saturday before 25 May 2023", "b": "25 May 2023", "c": "May 2023"}
    ranked = {"a": ["D1:1"], "b": ["D1:2"], "c": ["D1:1"]}  # c: the wrong turn ranks first
    block = event_date_block(store, items, answers, ranked)
    assert block["parsed"] == 3 and block["equal"] == pytest.approx(2 / 3)
    assert block["within"] == pytest.approx(1.0)  # 20 May lies inside May 2023
    assert block["by_conversation"]["c"]["parsed"] == 3


def _query(text: str):
    from convmem.retrieval.base import Query

    return Query("c", text, datetime(2023, 5, 26, 9, 0))
