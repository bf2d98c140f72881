"""MemoryService: the one process that owns a store, shared by many callers at once.

DuckDB allows one read-write process, so this process is the single writer: every write
request joins one queue, and one writer thread commits whatever is waiting in one ingest
(``lock`` keeps the other writes, import and forget, out of its way).  Reads take no lock:
each thread queries DuckDB through its own cursor and sees committed turns only, so a read
never sees half of an ingest (vectors written before their turns commit are never
returned: every result is looked up in DuckDB, the source of truth).  The HTTP app, the
MCP tools and the benchmark all call this class.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.pipeline import Agent
from agent.registry import build_retriever
from convmem.config import Settings
from convmem.errors import (
    ConvmemError,
    InputFormatError,
    NotFoundError,
    StoreError,
)
from convmem.retrieval.base import Query
from convmem.storage.loaders.build import check_conversation_id
from convmem.storage.loaders.jsonl import load_jsonl
from convmem.storage.memory import MemoryStore
from convmem.timeutil import parse_iso
from convmem.types import Conversation, DialogueTurn, Session, Turn, epoch_seconds
from service.writer import MAX_BATCH, Appender, WriteRequest

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class NewTurn:
    """One turn as a client sends it; ``turn_id`` makes a retried request harmless."""

    speaker: str
    text: str
    timestamp: datetime | None = None
    turn_id: str | None = None
    session: int | None = None  # start or continue this session number (default: by time gap)


def turn_json(turn: Turn) -> dict[str, Any]:
    """A turn as the API returns it and as export writes it (one JSONL line)."""
    return {
        "conversation": turn.conversation_id,
        "turn_id": turn.turn_id,
        "session": turn.session_index,
        "index_in_session": turn.index_in_session,
        "order": turn.order,
        "speaker": turn.speaker,
        "text": turn.text,
        "timestamp": turn.spoken_at.isoformat(),
        "role": turn.role,
    }


def session_json(session: Session) -> dict[str, Any]:
    return {
        "index": session.index, "start": session.start.isoformat(), "end": session.end.isoformat(),
        "weekday": session.weekday, "turns": session.turn_count,
    }


class MemoryService:
    def __init__(self, store: MemoryStore, settings: Settings, llm: Any = None, clock: Clock = datetime.now) -> None:
        self.store = store
        self.settings = settings
        self.llm = llm
        self.clock = clock
        self.lock = threading.RLock()
        self.agent = Agent(store, settings, llm)
        self._writes: queue.Queue[WriteRequest] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._writer_guard = threading.Lock()
        self._retrievers: dict[str, Any] = {}

    def close(self) -> None:
        with self.lock:
            self.store.close()

    # ---- reads ------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "ok", "store": str(self.store.root), **self.store.stats().as_dict()}

    def stats(self) -> dict[str, int]:
        return self.store.stats().as_dict()

    def conversation_ids(self) -> list[str]:
        return self.store.conversation_ids()

    def require(self, conversation_id: str) -> None:
        if self.store.conversation(conversation_id) is None:
            raise NotFoundError(f"no conversation {conversation_id!r} in the store")

    def sessions(self, conversation_id: str) -> list[dict[str, Any]]:
        self.require(conversation_id)
        return [session_json(s) for s in self.store.sessions(conversation_id)]

    def turns(
        self, conversation_id: str, session: int | None = None,
        since: datetime | None = None, until: datetime | None = None,
    ) -> list[dict[str, Any]]:
        self.require(conversation_id)
        found = self.store.turns(conversation_id, session)
        return [
            turn_json(t) for t in found
            if (since is None or t.spoken_at >= since) and (until is None or t.spoken_at <= until)
        ]

    def retrieve(
        self, conversation_id: str, question: str, asked_at: datetime | None = None,
        retriever: str = "agent", context: Sequence[DialogueTurn] = (),
    ) -> dict[str, Any]:
        self.require(conversation_id)
        found = self._retriever(retriever).retrieve(
            Query(conversation_id, question, asked_at or self.clock(), tuple(context))
        )
        turns = {t.turn_id: t for t in self.store.tables.turns_by_ids(conversation_id, found.turn_ids)}
        return {
            "turn_ids": found.turn_ids, "scores": found.scores, "route": found.route,
            "rewritten_query": found.rewritten_query,
            "plan": found.plan.to_dict() if found.plan is not None else None,
            "sql": found.sql, "params": [str(p) for p in found.params],
            "turns": [turn_json(turns[i]) for i in found.turn_ids if i in turns],
        }

    def _retriever(self, name: str) -> Any:
        """One retriever per name for the service's life: their per-conversation indexes
        (BM25, vectors read from Chroma) are reused until a write changes the store."""
        if name not in self._retrievers:
            if name == "agent":
                self._retrievers[name] = self.agent.retriever
            else:
                self._retrievers[name] = build_retriever(name, self.store, self.settings, llm=self.llm)
        return self._retrievers[name]

    def search(
        self, conversation_id: str, question: str, k: int = 10, after: datetime | None = None,
        before: datetime | None = None, session: int | None = None,
    ) -> list[dict[str, Any]]:
        """Vector search inside explicit bounds (after <= time < before, one session)."""
        clauses: list[dict[str, Any]] = [{"conversation_id": conversation_id}]
        if after is not None:
            clauses.append({"ts": {"$gte": epoch_seconds(after)}})
        if before is not None:
            clauses.append({"ts": {"$lt": epoch_seconds(before)}})
        if session is not None:
            clauses.append({"session_index": session})
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
        vector = self.store.embedder.embed([question])[0]
        self.require(conversation_id)
        hits = self.store.vectors.search(vector, k, where)
        ids = [h.vector_id.partition("#")[2] for h in hits]
        turns = {t.turn_id: t for t in self.store.tables.turns_by_ids(conversation_id, ids)}
        return [{**turn_json(turns[i]), "score": round(h.score, 4)} for i, h in zip(ids, hits, strict=True) if i in turns]

    def recall(
        self, conversation_id: str, query: str, asked_at: datetime | None = None, after: datetime | None = None,
        before: datetime | None = None, session: int | None = None, k: int = 10,
    ) -> dict[str, Any]:
        """The agent's retrieval (which grounds "last week", "two sessions ago"... against
        ``asked_at``), kept inside the explicit bounds when any are given; if fewer than
        ``k`` of its turns fall inside them, a vector search inside the bounds fills up."""
        found = self.retrieve(conversation_id, query, asked_at)
        bounded = after is not None or before is not None or session is not None

        def inside(turn: dict[str, Any]) -> bool:
            moment = parse_iso(turn["timestamp"])
            return ((after is None or moment >= after) and (before is None or moment < before)
                    and (session is None or turn["session"] == session))

        turns = [t for t in found["turns"] if inside(t)] if bounded else found["turns"]
        if bounded and len(turns) < k:
            have = {t["turn_id"] for t in turns}
            extra = self.search(conversation_id, query, k, after, before, session)
            turns += [t for t in extra if t["turn_id"] not in have][: k - len(turns)]
        return {"route": found["route"], "plan": found["plan"], "turns": turns}

    def ask(
        self, conversation_id: str, question: str, asked_at: datetime | None = None,
        context: Sequence[DialogueTurn] = (), on_text: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        self.require(conversation_id)
        result = self.agent.ask(
            Query(conversation_id, question, asked_at or self.clock(), tuple(context)), on_text=on_text
        )
        body = result.as_dict()
        if result.llm_error is not None:
            body["llm_error"] = result.llm_error.message
        return body

    def export(self, conversation_id: str) -> Iterator[str]:
        """Every turn as one JSONL line (ids, session, timestamps), in conversation order."""
        self.require(conversation_id)
        turns = self.store.turns(conversation_id)
        for turn in turns:
            yield json.dumps(turn_json(turn), ensure_ascii=False) + "\n"

    # ---- writes -----------------------------------------------------------------------
    def add_turns(self, conversation_id: str, items: Sequence[NewTurn], timeout_s: float = 300.0) -> dict[str, Any]:
        """Append turns; a turn id already stored with the same content is skipped.

        The request joins the writer's queue and returns once its turns are committed to
        both stores: the writer takes every request waiting at that moment and writes
        them in one ingest (one vector upsert, one DuckDB transaction), so many clients
        writing at once cost little more than one."""
        check_conversation_id("request", "conversation", conversation_id)
        request = WriteRequest(conversation_id, tuple(items))
        self._writes.put(request)
        self._ensure_writer()
        if not request.done.wait(timeout_s):
            raise StoreError("the writer did not answer in time; retry with the same turn ids")
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _ensure_writer(self) -> None:
        with self._writer_guard:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._write_loop, name="convmem-writer", daemon=True)
                self._writer.start()

    def _write_loop(self) -> None:
        while True:
            try:
                first = self._writes.get(timeout=5.0)
            except queue.Empty:
                with self._writer_guard:
                    if self._writes.empty():
                        self._writer = None
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._writes.get_nowait())
                except queue.Empty:
                    break
            self._write_batch(batch)

    def _write_batch(self, batch: list[WriteRequest]) -> None:
        with self.lock:
            states: dict[str, Appender] = {}
            accepted: list[WriteRequest] = []
            for request in batch:
                state = states.get(request.conversation_id)
                if state is None:
                    state = states[request.conversation_id] = Appender.load(self, request.conversation_id)
                try:
                    request.result = state.append(request.items)
                    accepted.append(request)
                except ConvmemError as exc:
                    request.error = exc
                    request.done.set()
            conversations = [s.conversation() for s in states.values() if s.fresh]
            try:
                if conversations:
                    self.store.ingest(conversations, now=self.clock())
            except BaseException as exc:
                failure = exc if isinstance(exc, ConvmemError) else StoreError(f"write failed ({exc}); retry")
                for request in accepted:
                    request.result, request.error = None, failure
                    request.done.set()
                if not isinstance(exc, Exception):
                    raise
                return
        for request in accepted:
            request.done.set()

    def import_lines(self, lines: Iterable[str], allowed: Callable[[str], bool] = lambda _: True) -> dict[str, Any]:
        """Import an export (or any JSONL transcript with explicit ids); ``allowed`` is
        checked for every conversation in it before anything is written."""
        conversations = load_jsonl(Path("import"), lines, self.settings.session_gap_minutes)
        return self.import_conversations(conversations, allowed)

    def import_conversations(
        self, conversations: Sequence[Conversation], allowed: Callable[[str], bool] = lambda _: True
    ) -> dict[str, Any]:
        for conv in conversations:
            if not allowed(conv.conversation_id):
                raise PermissionError(conv.conversation_id)
        with self.lock:
            report = self.store.ingest(conversations, now=self.clock())
            stats = self.store.stats().as_dict()
        return {
            "conversations": report.conversations, "added": report.added_turns,
            "skipped": report.skipped_turns, "stats": stats,
        }

    def forget(self, conversation_id: str) -> dict[str, Any]:
        with self.lock:
            self.require(conversation_id)
            removed = self.store.forget(conversation_id)
        return {"conversation": conversation_id, "removed": removed}


def parse_moment(value: str | None, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise InputFormatError("request", name, str(exc)) from None
