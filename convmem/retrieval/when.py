"""When did it happen: the event time a ranked list of turns answers with.

Of the first ``WHEN_DEPTH`` ranked turns, the first that says a time ("last Saturday")
answers with the day its words resolve to (``turn_times``); when none does, the first
turn answers with the day it was said.  ``WHEN_DEPTH`` (3) was chosen on LoCoMo
conversation 26 and checked on 30 (docs/retrieval.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from convmem.eventtime import EventTime
from convmem.storage.memory import MemoryStore

WHEN_DEPTH = 3
WHEN_QUESTION = r"^\s*(?:when|what (?:date|day|year|month|time)|which (?:day|year|month)|how long ago)\b"


@dataclass(frozen=True)
class ResolvedWhen:
    turn_id: str
    event: EventTime
    from_words: bool  # the turn's words said the time (else: the day it was said)

    def describe(self) -> str:
        said = f"{self.event.expression!r} in turn {self.turn_id}" if self.from_words else f"said in turn {self.turn_id}"
        return f"{self.event.describe()} ({said})"


def resolved_when(
    store: MemoryStore, conversation_id: str, turn_ids: Sequence[str], depth: int = WHEN_DEPTH
) -> ResolvedWhen | None:
    """The event time of the first of the first ``depth`` turns that names one, else the
    day the first turn was said; ``None`` for an empty list."""
    if not turn_ids:
        return None
    head = list(turn_ids[:depth])
    times = store.turn_times(conversation_id, head)
    for turn_id in head:
        if times.get(turn_id):
            return ResolvedWhen(turn_id, times[turn_id][0], True)
    turns = store.tables.turns_by_ids(conversation_id, head[:1])
    if not turns:
        return None
    day: date = turns[0].spoken_at.date()
    return ResolvedWhen(turns[0].turn_id, EventTime(day, day, "", "said"), False)
