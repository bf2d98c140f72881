"""What every answerer takes and gives back."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from convmem.retrieval.when import ResolvedWhen
from convmem.types import Turn

TextSink = Callable[[str], None]  # receives the answer as it is written (deltas)
NOTHING_FOUND = "Memory holds nothing relevant to that."
EXTRACTIVE_OPENING = "From memory ("
UNAVAILABLE_OPENING = "(The LLM was unavailable"

_CITATION = re.compile(r"\bt:([A-Za-z0-9][A-Za-z0-9_.:\-]*)")
_CITATION_GROUP = re.compile(r"\[([^\[\]]*\bt:[^\[\]]*)\]")


@dataclass(frozen=True)
class EventDate:
    """The day a turn says something happened ("I ran a race last Saturday" said on
    Thursday 25 May: Saturday 20 May), as the event-time table resolved it."""

    day: date
    expression: str = ""  # the words that gave it, e.g. "last Saturday"


@dataclass(frozen=True)
class Evidence:
    """The question and the turns retrieved for it, best first.

    ``route`` is how retrieval read the question: ``time`` (a whole session or day, no
    topic: answered as a recap of its topics), ``time_content`` or ``content`` (answered
    with the best-matching sentence first); empty when unknown (answered as content).
    ``event_dates`` maps turn ids to the day the turn talks about, when known; without
    one a "when" answer gives the day the turn was said, and says so.  ``when`` is the
    answer to a "when" question as ``convmem.retrieval.when`` chose it (the turn and its
    resolved date); a "when" answer leads with it.  ``background``
    holds the texts of the whole conversation, so that how rare a word is can be judged
    against everything said, not only against the retrieved turns."""

    question: str  # self-contained (after disambiguation)
    asked_at: datetime
    turns: tuple[Turn, ...]
    request: str = ""  # as the user wrote it
    route: str = ""
    event_dates: Mapping[str, EventDate] = field(default_factory=dict)
    background: tuple[str, ...] = ()
    when: ResolvedWhen | None = None


@dataclass(frozen=True)
class Answer:
    text: str
    method: str  # extractive | llm
    cited: tuple[str, ...] = ()  # turn ids the text cites, first citation first
    notes: tuple[str, ...] = ()


class Answerer(Protocol):
    name: str

    def answer(self, evidence: Evidence, on_text: TextSink | None = None) -> Answer: ...


def citations(text: str, known: Collection[str]) -> tuple[str, ...]:
    """Turn ids cited as ``[t:12]`` or ``[t:12, t:13]`` that are among ``known``, in order;
    an id the evidence does not hold is no citation."""
    found: list[str] = []
    for group in _CITATION_GROUP.findall(text):
        found.extend(i.rstrip(".-:") for i in _CITATION.findall(group))
    return tuple(i for i in dict.fromkeys(found) if i in known)


def repeats_memory(text: str) -> bool:
    """Whether a stored turn is an earlier extractive answer (the chat stores its answers):
    it only quotes other turns, so quoting it again adds nothing."""
    return text.startswith((EXTRACTIVE_OPENING, UNAVAILABLE_OPENING)) or text == NOTHING_FOUND
