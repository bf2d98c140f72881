"""MemoryStore: one directory holding the DuckDB tables and the Chroma index, kept in step.

DuckDB is the source of truth.  Ingest validates everything and computes every vector
before it writes anything; then it journals the vector ids in DuckDB, writes the vectors,
and commits the turns (clearing the journal) in one DuckDB transaction.  A failure
removes the vectors again; a killed process leaves journalled ids that the next open
removes.  So the two sides never disagree for longer than a crash, and ``doctor``
rebuilds the vector side from DuckDB if anything else made them drift.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from convmem.embed.base import Embedder, ProgressFn
from convmem.errors import (
    ConversationConflictError,
    EmbeddingError,
    StoreCorruptError,
    StoreMissingError,
)
from convmem.eventtime import EventTime
from convmem.storage.tables import TurnTables, stats_of
from convmem.storage.vectors import COLLECTION, VectorIndex
from convmem.types import Conversation, Session, StoreStats, Turn, split_vector_id, vector_id

DUCKDB_FILE = "memory.duckdb"
CHROMA_DIR = "chroma"


@dataclass
class IngestReport:
    conversations: list[str] = field(default_factory=list)
    added_turns: int = 0
    skipped_turns: int = 0


@dataclass
class DoctorReport:
    turns: int
    vectors: int
    missing_vectors: int  # turns in DuckDB without a vector
    orphan_vectors: int  # vectors without a turn
    repaired: bool

    @property
    def healthy(self) -> bool:
        return self.missing_vectors == 0 and self.orphan_vectors == 0


class MemoryStore:
    def __init__(
        self, root: Path | str, embedder: Embedder, create: bool = True, chroma_url: str = ""
    ) -> None:
        self.root = Path(root)
        self.embedder = embedder
        db_path = self.root / DUCKDB_FILE
        if not db_path.exists():
            if not create:
                raise StoreMissingError(
                    f"no convmem store at {self.root}; run `convmem ingest PATH --store {self.root}` first"
                )
            self.root.mkdir(parents=True, exist_ok=True)
        self.tables = TurnTables(db_path)
        self._check_embedder()
        try:
            self.vectors = VectorIndex(
                self.root / CHROMA_DIR, embedder, url=chroma_url, collection=self._collection(chroma_url)
            )
        except Exception as exc:
            self.tables.close()
            where = chroma_url or self.root / CHROMA_DIR
            raise StoreCorruptError(
                f"cannot open the vector index at {where} ({exc}); "
                "start the Chroma server, or run `convmem doctor` to rebuild it"
            ) from exc
        self.revision = 0
        self._recover()

    # ---- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        self.tables.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_embedder(self) -> None:
        recorded = self.tables.get_meta("embedder")
        if recorded is None:
            self.tables.set_meta("embedder", self.embedder.name)
        elif recorded != self.embedder.name:
            self.tables.close()
            raise EmbeddingError(
                f"store {self.root} was built with embedder {recorded!r}, not {self.embedder.name!r};"
                f" set CONVMEM_EMBEDDER to match or use another --store"
            )

    def _collection(self, chroma_url: str) -> str:
        """A Chroma server may hold many stores: each gets its own collection, named by an id
        kept in the store's DuckDB file (embedded Chroma keeps the one "turns" collection)."""
        if not chroma_url:
            return COLLECTION
        uid = self.tables.get_meta("store_uid")
        if uid is None:
            uid = uuid.uuid4().hex
            self.tables.set_meta("store_uid", uid)
        return f"{COLLECTION}-{uid}"

    def _recover(self) -> None:
        """Remove vectors journalled by an ingest that never committed."""
        pending = self.tables.pending_vector_ids()
        if not pending:
            return
        committed = {vector_id(c, t) for c, t in self.tables.all_vector_rows()}
        self.vectors.delete([v for v in pending if v not in committed])
        self.tables.clear_pending()

    # ---- reads ------------------------------------------------------------------------
    def stats(self) -> StoreStats:
        return stats_of(self.tables, self.vectors.count())

    def conversation_ids(self) -> list[str]:
        return self.tables.conversation_ids()

    def conversation(self, conversation_id: str) -> Conversation | None:
        return self.tables.conversation(conversation_id)

    def sessions(self, conversation_id: str) -> list[Session]:
        return self.tables.sessions(conversation_id)

    def turns(self, conversation_id: str, session_index: int | None = None) -> list[Turn]:
        return self.tables.turns(conversation_id, session_index)

    def turn_times(
        self, conversation_id: str, turn_ids: Sequence[str] | None = None
    ) -> dict[str, list[EventTime]]:
        """Event times (the days a turn's words refer to, ``convmem.eventtime``) by turn id,
        for ``turn_ids`` or the whole conversation; turns that name no time are absent."""
        return self.tables.turn_times(conversation_id, turn_ids)

    # ---- ingest -----------------------------------------------------------------------
    def ingest(
        self,
        conversations: Sequence[Conversation],
        progress: ProgressFn | None = None,
        now: datetime | None = None,
    ) -> IngestReport:
        """Add conversations (or new turns of known ones) atomically and idempotently."""
        report = IngestReport()
        new_turns: list[Turn] = []
        touched: list[Conversation] = []
        for conv in conversations:
            fresh = self._new_turns_of(conv)
            report.conversations.append(conv.conversation_id)
            report.added_turns += len(fresh)
            report.skipped_turns += len(conv.turns) - len(fresh)
            if fresh or self.conversation(conv.conversation_id) is None:
                touched.append(conv)
            new_turns.extend(fresh)
        if not touched:
            return report
        vectors = self.embedder.embed([t.text for t in new_turns], progress=progress)
        ids = [t.vector_id for t in new_turns]
        self.tables.journal_pending(ids)
        try:
            self.vectors.upsert(new_turns, vectors)
            self.tables.write_turns(touched, new_turns, ids, now or datetime.now())
        except BaseException:
            self.vectors.delete(ids)
            self.tables.clear_pending(ids)
            raise
        self.revision += 1
        return report

    def _new_turns_of(self, conv: Conversation) -> list[Turn]:
        existing = self.tables.existing_turns(conv.conversation_id)
        if not existing:
            return list(conv.turns)
        used_orders = {order for order, *_ in existing.values()}
        fresh = []
        for turn in conv.turns:
            known = existing.get(turn.turn_id)
            if known is None:
                if turn.order in used_orders:
                    raise ConversationConflictError(
                        f"conversation {conv.conversation_id!r}: turn {turn.turn_id!r} would take"
                        f" position {turn.order} held by another turn; ingest it under a new"
                        " conversation id or `convmem forget` the old one first"
                    )
                fresh.append(turn)
                continue
            _, speaker, text, spoken_at = known
            if (speaker, text, spoken_at) != (turn.speaker, turn.text, turn.spoken_at):
                raise ConversationConflictError(
                    f"conversation {conv.conversation_id!r}: turn {turn.turn_id!r} differs from the"
                    " stored one; ingest it under a new conversation id or `convmem forget` the"
                    " old one first"
                )
        return fresh

    def forget(self, conversation_id: str) -> int:
        """Delete a conversation from both sides; returns the number of turns removed."""
        ids = [vector_id(conversation_id, t.turn_id) for t in self.turns(conversation_id)]
        self.tables.journal_pending(ids)
        self.tables.delete_conversation(conversation_id)
        self.vectors.delete(ids)
        self.tables.clear_pending(ids)
        self.revision += 1
        return len(ids)

    # ---- consistency ------------------------------------------------------------------
    def doctor(self, repair: bool = True, progress: ProgressFn | None = None) -> DoctorReport:
        rows = self.tables.all_vector_rows()
        wanted = {vector_id(c, t) for c, t in rows}
        have = self.vectors.all_ids()
        missing = sorted(wanted - have)
        orphans = sorted(have - wanted)
        repaired = False
        if repair and (missing or orphans):
            if orphans:
                self.vectors.delete(orphans)
            by_conversation: dict[str, list[str]] = {}
            for vid in missing:
                conv, turn_id = split_vector_id(vid)
                by_conversation.setdefault(conv, []).append(turn_id)
            for conv, turn_ids in by_conversation.items():
                turns = self.tables.turns_by_ids(conv, turn_ids)
                self.vectors.upsert(turns, self.embedder.embed([t.text for t in turns], progress))
            repaired = True
            self.revision += 1
        return DoctorReport(len(wanted), len(have), len(missing), len(orphans), repaired)
