"""Event questions built from LoCoMo temporal questions: a date named as when something
happened.

"When did Melanie run a charity race?" with the gold answer "The sunday before 25 May
2023" becomes "What did Melanie do on 21 May 2023?", with the same evidence turns: the
question names the event's date, while the evidence turn was said on another day ("last
Saturday", said on 25 May).  A retriever that treats the date as when the turn was said
drops that evidence.  Only gold answers that parse to a day or a span of at most a week
(``eval.event_dates.parse_gold_date``) and questions that name a speaker are used; the
rest are counted.  Deterministic: the same data gives the same questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from convmem.storage.memory import MemoryStore
from eval.event_dates import parse_gold_date
from eval.runner import EvalItem

MAX_SPAN_DAYS = 7
CATEGORY = "event"


@dataclass
class EventQuestionStats:
    temporal: int = 0  # temporal questions with an answer and evidence
    no_date: int = 0  # the gold answer is no date, or a span longer than a week
    no_speaker: int = 0  # the question names no speaker


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def date_phrase(start: date, end: date) -> str:
    """How the question names the days: "on 21 May 2023", "between 20 May and 21 May 2023"."""
    if start == end:
        return f"on {_day(start)}"
    first = f"{start.day} {start:%B}" if start.year == end.year else _day(start)
    return f"between {first} and {_day(end)}"


def event_questions(
    store: MemoryStore,
    items: Sequence[EvalItem],
    answers: dict[str, str | None],
    category: str = "temporal",
) -> tuple[list[EvalItem], EventQuestionStats]:
    """One event question per usable temporal item (``items`` from ``eval.locomo.locomo_items``,
    ``answers`` by item id), asked at the same moment, with the same evidence."""
    stats = EventQuestionStats()
    made: list[EvalItem] = []
    speakers: dict[str, tuple[str, ...]] = {}
    for item in items:
        answer = answers.get(item.id)
        if item.category != category or not answer or not item.relevant:
            continue
        stats.temporal += 1
        gold = parse_gold_date(answer, item.query.asked_at.date())
        if gold is None or (gold.end - gold.start).days >= MAX_SPAN_DAYS:
            stats.no_date += 1
            continue
        conversation_id = item.query.conversation_id
        if conversation_id not in speakers:
            conversation = store.conversation(conversation_id)
            speakers[conversation_id] = conversation.speakers if conversation is not None else ()
        named = [
            (match.start(), first) for first in (s.split()[0] for s in speakers[conversation_id] if s.split())
            for match in re.finditer(rf"\b{re.escape(first)}\b", item.question)
        ]
        if not named:
            stats.no_speaker += 1
            continue
        name = min(named)[1]
        text = f"What did {name} do {date_phrase(gold.start, gold.end)}?"
        made.append(replace(item, id=f"event/{item.id}", category=CATEGORY, type=CATEGORY,
                            query=replace(item.query, text=text)))
    return made, stats
