"""The store as the CLI reads it, through a running server: the few ``MemoryStore``
methods that ``sessions``, ``show``, ``forget``, ``doctor``, ``demo`` and ``stats`` use,
answered by the server that owns the store, so each command has one code path whichever
way it reaches the store.  What a server cannot do for a client (a repair, which needs
the store alone) is a one-line error saying to stop the server first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from convmem.config import Settings
from convmem.embed.base import ProgressFn
from convmem.errors import ConvmemError, NotFoundError
from convmem.eventtime import EventTime
from convmem.storage.memory import DoctorReport, IngestReport, MemoryStore
from convmem.timeutil import parse_iso
from convmem.types import Conversation, Session, Turn
from service.client import ServiceClient, reach_store, running_server


class ServerHoldsStoreError(ConvmemError):
    code = "server_holds_store"
    exit_code = 3


def reach(settings: Settings, opener: Callable[[], MemoryStore],
          on_wait: Callable[[str], None] | None = None) -> RemoteStore | MemoryStore:
    """The store of ``settings`` through the server that holds it, else ``opener()``,
    waiting up to ``store_wait_s`` while another process holds it (``reach_store``)."""
    client, memory = reach_store(settings.store, settings.api_key, opener, settings.store_wait_s, on_wait)
    if client is not None:
        return RemoteStore(client, str(settings.store))
    assert memory is not None
    return memory


def refuse_if_served(settings: Settings, command: str) -> None:
    """For commands that need the store to themselves and cannot go through a server."""
    client = running_server(settings.store, settings.api_key)
    if client is not None:
        client.close()
        raise ServerHoldsStoreError(
            f"the convmem server at {client.url} holds {settings.store}, and `convmem {command}` needs"
            " the store to itself; stop that server (or end the chat serving it) first"
        )


@dataclass(frozen=True)
class RemoteStats:
    numbers: dict[str, int]

    def as_dict(self) -> dict[str, int]:
        return dict(self.numbers)


def _turn(row: dict[str, Any]) -> Turn:
    return Turn(row["conversation"], row["turn_id"], int(row["order"]), int(row["session"]),
                int(row["index_in_session"]), row["speaker"], row["text"], parse_iso(row["timestamp"]), row["role"])


class RemoteStore:
    """A running server's store, read and written through its HTTP API."""

    read_only = False
    notes: list[str] = []  # noqa: RUF012 - never written: how a server's store opened is its own

    def __init__(self, client: ServiceClient, store: str) -> None:
        self.client = client
        self.root = store

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def stats(self) -> RemoteStats:
        return RemoteStats(self.client.stats())

    def conversation_ids(self) -> list[str]:
        return self.client.conversations()

    def conversation(self, conversation_id: str) -> str | None:
        return conversation_id if conversation_id in self.conversation_ids() else None

    def sessions(self, conversation_id: str) -> list[Session]:
        try:
            rows = self.client.sessions(conversation_id)
        except NotFoundError:
            return []
        return [Session(conversation_id, int(r["index"]), parse_iso(r["start"]), parse_iso(r["end"]), int(r["turns"]))
                for r in rows]

    def turns(self, conversation_id: str, session_index: int | None = None) -> list[Turn]:
        try:
            return [_turn(r) for r in self.client.turns(conversation_id, session=session_index)]
        except NotFoundError:
            return []

    def turn_times(self, conversation_id: str, turn_ids: Sequence[str] | None = None) -> dict[str, list[EventTime]]:
        found = self.client.event_times(conversation_id, list(turn_ids or []))
        return {turn_id: [EventTime(date.fromisoformat(e["start"]), date.fromisoformat(e["end"]), e["expression"],
                                    e["kind"]) for e in events]
                for turn_id, events in found.items()}

    def ingest(self, conversations: Sequence[Conversation], progress: ProgressFn | None = None) -> IngestReport:
        result = self.client.import_conversations(conversations)
        return IngestReport(list(result["conversations"]), int(result["added"]), int(result["skipped"]))

    def forget(self, conversation_id: str) -> int:
        return int(self.client.forget(conversation_id)["removed"])

    def doctor(self, repair: bool = True, progress: ProgressFn | None = None) -> DoctorReport:
        """The server's check; with ``repair``, an error when there is anything to repair."""
        body = self.client.doctor()
        report = DoctorReport(int(body["turns"]), int(body["vectors"]), int(body["missing_vectors"]),
                              int(body["orphan_vectors"]), repaired=False)
        if repair and not report.healthy:
            raise ServerHoldsStoreError(
                f"the store is out of step ({report.missing_vectors} turns without a vector,"
                f" {report.orphan_vectors} vectors without a turn) and the convmem server at"
                f" {self.client.url} holds it; stop that server (or end the chat), then run"
                " `convmem doctor` to repair"
            )
        return report
