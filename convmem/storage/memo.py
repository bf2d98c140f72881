"""One conversation's rows kept in memory until that conversation is written.

A long-lived process (``convmem serve``) answers many reads of the same conversations, and
each read would otherwise query DuckDB for the conversation, its sessions and its turns
several times.  ``ConversationMemo`` keeps them per conversation under a *per-conversation*
revision, so a write to one conversation leaves every other conversation's rows (and the
indexes built from them, which key on the same revision) as they are.  A write that only
appends turns after the last one extends the kept turns in place of dropping them.  Writes
add turns and never change a stored one, so only a conversation's deletion moves its
*epoch*, which tells caches of per-turn data (vectors) to start over.

Only this process writes the store (DuckDB allows one writer), so rows kept here can only
go stale through the writes that report themselves with ``written``/``dropped``.  A reader
takes the revision before it queries and keeps what it read only while that revision is
still current, so a read that overlaps a commit is never kept under the later revision.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from convmem.eventtime import EventTime
from convmem.types import Conversation, Session, Turn

T = TypeVar("T")


@dataclass(frozen=True)
class Kept(Generic[T]):
    revision: int
    value: T


@dataclass(frozen=True)
class TurnRows:
    """A conversation's turns in order, by id, and (once asked for) their event times."""

    turns: tuple[Turn, ...]
    by_id: dict[str, Turn]
    times: dict[str, list[EventTime]] | None = None

    @classmethod
    def of(cls, turns: Sequence[Turn], times: dict[str, list[EventTime]] | None = None) -> TurnRows:
        return cls(tuple(turns), {t.turn_id: t for t in turns}, times)


class ConversationMemo:
    """``capacity``: conversations kept at most (those last read or written), so a store
    far larger than memory keeps only its busy conversations."""

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._counter = 0
        self._revisions: dict[str, int] = {}
        self._epochs: dict[str, int] = {}
        self.conversations: dict[str, Kept[Conversation | None]] = {}
        self.sessions: dict[str, Kept[tuple[Session, ...]]] = {}
        self.turns: dict[str, Kept[TurnRows]] = {}

    def revision(self, conversation_id: str) -> int:
        """Changes whenever the conversation's rows change (and only then)."""
        return self._revisions.get(conversation_id, 0)

    def epoch(self, conversation_id: str) -> int:
        """Changes when stored turns of the conversation may have changed or gone (not on appends)."""
        return self._epochs.get(conversation_id, 0)

    def get(self, table: dict[str, Kept[T]], conversation_id: str, read: Callable[[], T]) -> T:
        revision = self.revision(conversation_id)
        kept = table.get(conversation_id)
        if kept is not None and kept.revision == revision:
            return kept.value
        value = read()
        self.keep(table, conversation_id, revision, value)
        return value

    def keep(self, table: dict[str, Kept[T]], conversation_id: str, revision: int, value: T) -> None:
        with self._lock:
            if self.revision(conversation_id) == revision:
                table.pop(conversation_id, None)
                table[conversation_id] = Kept(revision, value)
                while len(table) > self.capacity:
                    del table[next(iter(table))]

    def written(self, conversation_id: str, new_turns: Sequence[Turn],
                times: Callable[[list[str]], dict[str, list[EventTime]]], row_changed: bool = True) -> None:
        """After a committed write of ``new_turns`` (in order) to the conversation;
        ``row_changed``: its conversation row (speakers) changed too."""
        with self._lock:
            self._counter += 1
            revision, before = self._counter, self.revision(conversation_id)
            self._revisions[conversation_id] = revision
            conversation = self.conversations.pop(conversation_id, None)
            if conversation is not None and conversation.revision == before and not row_changed:
                self.conversations[conversation_id] = Kept(revision, conversation.value)
            sessions = self.sessions.pop(conversation_id, None)
            if sessions is not None and sessions.revision == before:
                grown = grown_sessions(sessions.value, new_turns)
                if grown is not None:
                    self.sessions[conversation_id] = Kept(revision, grown)
                    # (re-inserted, so at most as many as before: still within capacity)
            kept = self.turns.pop(conversation_id, None)
            if kept is None or kept.revision != before:
                return  # nothing current to extend: the next read queries
            rows = kept.value
            last = rows.turns[-1] if rows.turns else None
            if last is not None and not all(
                t.order > last.order and t.session_index >= last.session_index and t.turn_id not in rows.by_id
                for t in new_turns
            ):
                return  # placed among the kept turns: the next read queries
        extra = times([t.turn_id for t in new_turns]) if rows.times is not None and new_turns else {}
        merged = None if rows.times is None else {**rows.times, **extra}
        self.keep(self.turns, conversation_id, revision, TurnRows.of([*rows.turns, *new_turns], merged))

    def dropped(self, conversation_id: str) -> None:
        """After the conversation was deleted (or changed in a way that is not an append)."""
        with self._lock:
            self._counter += 1
            self._revisions[conversation_id] = self._epochs[conversation_id] = self._counter
            for table in (self.conversations, self.sessions, self.turns):
                table.pop(conversation_id, None)


def grown_sessions(sessions: tuple[Session, ...], new_turns: Sequence[Turn]) -> tuple[Session, ...] | None:
    """The sessions once ``new_turns`` (in order) are added after the last stored turn, as
    the sessions table sums them up (first and last time, turn count); ``None`` when a new
    turn falls in an earlier session than the last."""
    grown = list(sessions)
    for turn in new_turns:
        last = grown[-1] if grown else None
        if last is not None and turn.session_index < last.index:
            return None
        if last is not None and turn.session_index == last.index:
            grown[-1] = Session(last.conversation_id, last.index, min(last.start, turn.spoken_at),
                                max(last.end, turn.spoken_at), last.turn_count + 1)
        else:
            grown.append(Session(turn.conversation_id, turn.session_index, turn.spoken_at, turn.spoken_at, 1))
    return tuple(grown)
