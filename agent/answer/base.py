"""What every answerer takes and gives back."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from convmem.types import Turn

TextSink = Callable[[str], None]  # receives the answer as it is written (deltas)
NOTHING_FOUND = "Memory holds nothing relevant to that."
EXTRACTIVE_OPENING = "From memory ("
UNAVAILABLE_OPENING = "(The LLM was unavailable"

_CITATION = re.compile(r"\bt:([A-Za-z0-9][A-Za-z0-9_.\-]*)")
_CITATION_GROUP = re.compile(r"\[([^\[\]]*\bt:[^\[\]]*)\]")


@dataclass(frozen=True)
class Evidence:
    """The question and the turns retrieved for it, best first."""

    question: str  # self-contained (after disambiguation)
    asked_at: datetime
    turns: tuple[Turn, ...]
    request: str = ""  # as the user wrote it


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
        found.extend(i.rstrip(".-") for i in _CITATION.findall(group))
    return tuple(i for i in dict.fromkeys(found) if i in known)


def repeats_memory(text: str) -> bool:
    """Whether a stored turn is an earlier extractive answer (the chat stores its answers):
    it only quotes other turns, so quoting it again adds nothing."""
    return text.startswith((EXTRACTIVE_OPENING, UNAVAILABLE_OPENING)) or text == NOTHING_FOUND
