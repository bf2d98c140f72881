"""The service's writer: write requests waiting together, checked one by one and
committed in one ingest.

``Appender`` holds one conversation's new turns within a batch, checked against what is
stored and against the batch's earlier requests, so a bad request fails alone and takes
nothing while the others of its batch are committed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from convmem.errors import ConversationConflictError, ConvmemError, InputFormatError
from convmem.types import Conversation, Turn

if TYPE_CHECKING:
    from service.memory import MemoryService, NewTurn

MAX_BATCH = 256  # write requests committed together at most


@dataclass
class WriteRequest:
    conversation_id: str
    items: tuple[NewTurn, ...]
    done: threading.Event = field(default_factory=threading.Event)
    result: dict[str, Any] | None = None
    error: BaseException | None = None


class Appender:
    """The new turns of one conversation within one batch of writes, checked against what
    is stored and against the batch's earlier requests."""

    def __init__(self, service: MemoryService, conversation_id: str) -> None:
        self.service = service
        self.conversation_id = conversation_id
        self.fresh: list[Turn] = []
        self.known: Conversation | None = None
        self.existing: dict[str, tuple[int, str, str, datetime]] = {}
        self.last: Turn | None = None
        self.next_order = 0
        self.next_id = 0

    @classmethod
    def load(cls, service: MemoryService, conversation_id: str) -> Appender:
        state = cls(service, conversation_id)
        store = service.store
        state.known = store.conversation(conversation_id)
        state.existing = store.tables.existing_turns(conversation_id)
        sessions = store.sessions(conversation_id)
        state.last = store.turns(conversation_id, sessions[-1].index)[-1] if sessions else None
        state.next_order = max((order for order, *_ in state.existing.values()), default=-1) + 1
        state.next_id = max((int(i) for i in state.existing if i.isdigit()), default=-1) + 1
        return state

    def conversation(self) -> Conversation:
        known = self.known
        speakers = tuple(dict.fromkeys([*(known.speakers if known else ()), *(t.speaker for t in self.fresh)]))
        return Conversation(self.conversation_id, speakers, known.source if known else "api", tuple(self.fresh))

    def append(self, items: Sequence[NewTurn]) -> dict[str, Any]:
        """Check a request whole, then take its turns (nothing is taken if any is bad)."""
        saved = (len(self.fresh), dict(self.existing), self.last, self.next_order, self.next_id)
        try:
            return self._append(items)
        except ConvmemError:
            count, self.existing, self.last, self.next_order, self.next_id = saved
            del self.fresh[count:]
            raise

    def _append(self, items: Sequence[NewTurn]) -> dict[str, Any]:
        conversation_id, clock = self.conversation_id, self.service.clock
        added, skipped, stored_ids = 0, 0, []
        seen: set[str] = set()
        for number, item in enumerate(items):
            where = f"turns[{number}]"
            if not item.text.strip():
                raise InputFormatError("request", where, "empty text; give the turn some text")
            if not item.speaker.strip():
                raise InputFormatError("request", where, "missing speaker")
            turn_id = item.turn_id
            if turn_id is None:
                while str(self.next_id) in self.existing:
                    self.next_id += 1
                turn_id = str(self.next_id)
            if turn_id in seen:
                raise InputFormatError("request", where, f"duplicate turn id {turn_id!r}")
            seen.add(turn_id)
            if turn_id in self.existing:
                _, speaker, text, spoken_at = self.existing[turn_id]
                same_time = item.timestamp is None or item.timestamp == spoken_at
                if (speaker, text) != (item.speaker.strip(), item.text.strip()) or not same_time:
                    raise ConversationConflictError(
                        f"conversation {conversation_id!r}: turn {turn_id!r} differs from the"
                        " stored one; send it under a new turn id"
                    )
                skipped += 1
                stored_ids.append(turn_id)
                continue
            last = self.last
            moment = item.timestamp or clock()
            if last is not None and moment < last.spoken_at:
                if item.timestamp is not None:
                    raise InputFormatError(
                        "request", where,
                        f"time goes backwards ({moment.isoformat()} is before the last turn,"
                        f" {last.spoken_at.isoformat()}); fix the timestamp",
                    )
                moment = last.spoken_at
            session_index, index_in_session = _place(item, moment, last, self.service.settings.session_gap_minutes)
            turn = Turn(conversation_id, turn_id, self.next_order, session_index, index_in_session,
                        item.speaker.strip(), item.text.strip(), moment)
            self.next_order += 1
            self.fresh.append(turn)
            self.existing[turn_id] = (turn.order, turn.speaker, turn.text, turn.spoken_at)
            self.last = turn
            added += 1
            stored_ids.append(turn_id)
        return {"conversation": conversation_id, "added": added, "skipped": skipped, "turn_ids": stored_ids}


def _place(item: NewTurn, moment: datetime, last: Turn | None, gap_minutes: float) -> tuple[int, int]:
    """The new turn's session and position in it: an explicit session number, or a new
    session after a gap longer than ``session_gap_minutes``."""
    if last is None:
        return (item.session or 1), 0
    if item.session is not None:
        if item.session == last.session_index:
            return last.session_index, last.index_in_session + 1
        if item.session < last.session_index:
            raise InputFormatError(
                "request", "session",
                f"session {item.session} is before the last session ({last.session_index})",
            )
        return last.session_index + 1, 0
    if moment - last.spoken_at > timedelta(minutes=gap_minutes):
        return last.session_index + 1, 0
    return last.session_index, last.index_in_session + 1

