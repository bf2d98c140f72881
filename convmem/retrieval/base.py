"""The retriever port shared by baselines, the agent and evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from convmem.types import DialogueTurn, evidence_roles


@dataclass(frozen=True)
class Query:
    """A question asked of one conversation's memory at a moment in time."""

    conversation_id: str
    text: str
    asked_at: datetime
    context: tuple[DialogueTurn, ...] = ()  # the recent dialogue before the question
    speaker: str | None = None  # who asks ("I", "me" refer to them)
    current_session: int | None = None  # the session being held now (not "last time")
    include_chat: bool = False  # a question about the chat itself: its questions and answers count
    exclude_turn_ids: frozenset[str] = frozenset()  # never evidence (the stored question itself)

    @property
    def roles(self) -> tuple[str, ...]:
        """The turn roles that may be evidence (``convmem.types.evidence_roles``)."""
        return evidence_roles(self.include_chat)


@dataclass
class Retrieval:
    """What a retriever found, in the order it ranks them, with how it got there."""

    turn_ids: list[str]
    scores: list[float] = field(default_factory=list)
    route: str = ""  # time | time_content | content | baseline
    rewritten_query: str = ""
    plan: Any = None  # convmem.retrieval.plan.Plan when a plan ran
    sql: str = ""
    params: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # for the user: what to know about the result (e.g. an empty time window, and the nearest
    # sessions returned in its place)
    note: str = ""


class Retriever(Protocol):
    name: str

    def retrieve(self, query: Query) -> Retrieval: ...
