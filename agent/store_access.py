"""How a chat reaches its store, and what it does with a line it could not store.

DuckDB lets one process open a store read-write.  A chat that serves the store to other
processes (``convmem chat``'s default) holds it for its whole life: ``HeldStore``.  A
chat that does not serve it (``--no-serve``, or serving failed) opens it for each line
it handles and closes it after: ``StoreOnDemand``, so ``convmem stats`` or ``ingest`` in
another terminal open the store between the chat's turns.  Closing also drops the
process's Chroma clients: Chroma takes no lock of its own, and a client kept open would
answer from its in-memory index, blind to what another process wrote meanwhile (the
DuckDB lock is what keeps two processes out of the vector files at once).

When the store stays busy past the bounded wait, the user's line is not lost: the chat
keeps it (``Unsaid``) and stores it before the next line; one still unstored when the
chat ends goes to ``chat_unsaved.jsonl`` in the store, which the next chat on that
store writes first (``UnsavedJournal``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from convmem.errors import StoreBusyError
from convmem.storage.memory import MemoryStore
from convmem.storage.vectors import VectorIndex

UNSAVED_FILE = "chat_unsaved.jsonl"
T = TypeVar("T")
POLL_S = (0.02, 0.5)  # first and longest pause between tries while the store is busy


class StoreAccess(Protocol):
    releases: bool

    def open(self) -> contextlib.AbstractContextManager[MemoryStore]: ...


class HeldStore:
    """The store, open for the chat's whole life."""

    releases = False

    def __init__(self, memory: MemoryStore) -> None:
        self.memory = memory

    @contextlib.contextmanager
    def open(self) -> Iterator[MemoryStore]:
        yield self.memory


class StoreOnDemand:
    """The store opened for one line's reads and writes and closed after, waiting up to
    ``wait_s`` while another process holds it."""

    releases = True

    def __init__(self, opener: Callable[[], MemoryStore], wait_s: float,
                 on_wait: Callable[[str], None] | None = None,
                 on_notes: Callable[[list[str]], None] | None = None) -> None:
        """``on_notes`` hears the first open's notes (how the store opened: read-only...)."""
        self.opener = opener
        self.wait_s = wait_s
        self.on_wait = on_wait
        self.on_notes = on_notes
        self.opens = 0

    @contextlib.contextmanager
    def open(self) -> Iterator[MemoryStore]:
        memory = open_when_free(self.opener, self.wait_s, self.on_wait)
        if self.opens == 0 and self.on_notes is not None and memory.notes:
            self.on_notes(list(memory.notes))
        self.opens += 1
        try:
            yield memory
        finally:
            memory.close()
            VectorIndex.forget_open_clients()


def open_when_free(opener: Callable[[], T], wait_s: float,
                   on_wait: Callable[[str], None] | None = None) -> T:
    """``opener()``, tried again while the store is busy, for at most ``wait_s`` seconds;
    ``on_wait`` hears once what it is waiting for."""
    deadline = time.monotonic() + wait_s
    pause, told = POLL_S[0], False
    while True:
        try:
            return opener()
        except StoreBusyError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreBusyError(f"waited {wait_s:g} s: {exc.message}") from None
            if on_wait is not None and not told:
                on_wait(exc.message)
                told = True
            time.sleep(min(pause, left))
            pause = min(pause * 2, POLL_S[1])


@dataclass(frozen=True)
class Unsaid:
    """A line the user said that is not stored yet, with the time it was said."""

    conversation_id: str
    session_index: int
    speaker: str
    text: str
    role: str
    spoken_at: datetime

    def as_json(self) -> str:
        return json.dumps({
            "conversation": self.conversation_id, "session": self.session_index, "speaker": self.speaker,
            "text": self.text, "role": self.role, "timestamp": self.spoken_at.isoformat(),
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Unsaid:
        row = json.loads(line)
        return cls(str(row["conversation"]), int(row["session"]), str(row["speaker"]), str(row["text"]),
                   str(row["role"]), datetime.fromisoformat(row["timestamp"]))


class UnsavedJournal:
    """Lines a chat could not store before it ended, kept in the store directory (a plain
    file: writing it needs no lock) until a later chat on the store writes them."""

    def __init__(self, store: Path) -> None:
        self.path = Path(store) / UNSAVED_FILE
        self._unreadable: list[str] = []  # e.g. half a line left by a crash: kept, not lost

    def add(self, lines: list[Unsaid]) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.writelines(line.as_json() + "\n" for line in lines)

    def take(self, conversation_id: str) -> list[Unsaid]:
        """The lines of ``conversation_id``, removed from the file (the others stay)."""
        lines = self.read()
        if not lines and not self.path.exists():
            return []
        mine = [line for line in lines if line.conversation_id == conversation_id]
        others = [line.as_json() for line in lines if line.conversation_id != conversation_id]
        if mine:
            self._unreadable += others
            self.clear()
        return mine

    def read(self) -> list[Unsaid]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        found, self._unreadable = [], []
        for line in text.splitlines():
            try:
                found.append(Unsaid.from_json(line))
            except (ValueError, KeyError, TypeError):
                self._unreadable.append(line)
        return found

    def clear(self) -> None:
        """Remove what ``read`` returned (lines it could not read stay in the file)."""
        if self._unreadable:
            self.path.write_text("".join(line + "\n" for line in self._unreadable), encoding="utf-8")
        else:
            self.path.unlink(missing_ok=True)
