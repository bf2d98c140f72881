"""Domain types shared by every layer.

Plain frozen dataclasses: no ORM, no LangChain or Chroma types.  Timestamps are naive
``datetime`` values in the conversation's own local time (what the speakers saw on
their clocks); epoch seconds are computed by treating that local time as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# What a turn is in memory.  Ingested conversations are all ``SAID``; a chat also stores
# the user's questions to the memory and the memory's own answers, which are kept but are
# never evidence for another answer unless a question is about the chat itself.
SAID = "said"
QUESTION = "question"  # a line asking the memory something
ANSWER = "answer"  # the memory's reply (an answer or an acknowledgement)
ROLES = (SAID, QUESTION, ANSWER)


def evidence_roles(include_chat: bool = False) -> tuple[str, ...]:
    """The roles retrieval may return: what was said, plus the chat's own turns when asked."""
    return ROLES if include_chat else (SAID,)


def epoch_seconds(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Turn:
    conversation_id: str
    turn_id: str  # exactly as the source numbered it
    order: int  # 0-based position in the whole conversation
    session_index: int  # 1-based, chronological
    index_in_session: int  # 0-based
    speaker: str
    text: str
    spoken_at: datetime
    role: str = SAID  # one of ROLES

    @property
    def vector_id(self) -> str:
        return vector_id(self.conversation_id, self.turn_id)


def vector_id(conversation_id: str, turn_id: str) -> str:
    """Stable id of a turn's vector. Conversation ids never contain '#'."""
    return f"{conversation_id}#{turn_id}"


def split_vector_id(vid: str) -> tuple[str, str]:
    conversation_id, _, turn_id = vid.partition("#")
    return conversation_id, turn_id


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    speakers: tuple[str, ...]
    source: str
    turns: tuple[Turn, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Session:
    conversation_id: str
    index: int
    start: datetime
    end: datetime
    turn_count: int

    @property
    def weekday(self) -> str:
        return self.start.strftime("%A")


@dataclass(frozen=True)
class DialogueTurn:
    """A turn of the recent dialogue a question is asked in (not necessarily stored)."""

    speaker: str
    text: str


@dataclass(frozen=True)
class Question:
    """One evaluation item in the project's question format (one JSON object per line)."""

    id: str
    conversation_id: str
    asked_at: datetime
    question: str
    category: str  # time | time_content | content
    subtype: str
    relevant_turn_ids: tuple[str, ...]
    context: tuple[DialogueTurn, ...] = ()
    ambiguous: bool = False


@dataclass(frozen=True)
class StoreStats:
    conversations: int
    sessions: int
    turns: int
    vectors: int

    def as_dict(self) -> dict[str, int]:
        return {
            "conversations": self.conversations,
            "sessions": self.sessions,
            "turns": self.turns,
            "vectors": self.vectors,
        }
