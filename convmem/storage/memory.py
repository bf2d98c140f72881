"""MemoryStore: one directory holding the DuckDB tables and the Chroma index, kept in step.

DuckDB is the source of truth.  Ingest validates everything before it writes anything;
then it journals the vector ids in DuckDB, computes and writes the vectors in batches of
``INGEST_BATCH`` turns (so memory stays bounded however large the input), and commits the
turns (clearing the journal) in one DuckDB transaction.  A failure removes the vectors
again; a killed process leaves journalled ids that the next open removes.  So the two
sides never disagree for longer than a crash, and ``doctor`` rebuilds the vector side
from DuckDB if anything else made them drift, or if it is missing or cannot be opened
(the damaged copy is moved aside, never deleted).

A store whose files cannot be written opens read-only (with a note in ``notes``): reads
work, writes raise ``StoreReadOnlyError``.  A full disk during a write is
``StoreFullError``: nothing was stored, and the same call succeeds once there is space.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from convmem.embed.base import Embedder, ProgressFn
from convmem.errors import (
    ConversationConflictError,
    ConvmemError,
    EmbeddingError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreMissingError,
    StoreReadOnlyError,
)
from convmem.eventtime import EventTime
from convmem.storage.guards import check_text, disk_full, offset, one_line
from convmem.storage.tables import TurnTables, stats_of
from convmem.storage.vectors import COLLECTION, VectorIndex
from convmem.types import Conversation, Session, StoreStats, Turn, split_vector_id, vector_id

DUCKDB_FILE = "memory.duckdb"
CHROMA_DIR = "chroma"
INGEST_BATCH = 2048  # turns embedded and written to the vector side at a time


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
        self,
        root: Path | str,
        embedder: Embedder,
        create: bool = True,
        repair: bool = False,
        chroma_url: str = "",
    ) -> None:
        """``repair``: a vector side that is missing or cannot be opened is moved aside and
        started afresh (``doctor`` then rebuilds it from DuckDB) instead of an error.
        ``chroma_url``: the vector side lives on a Chroma server instead of in ``root``."""
        self.chroma_url = chroma_url
        self.root = Path(root)
        self.embedder = embedder
        self.notes: list[str] = []  # what the user should know about how the store opened
        self.read_only = False
        self._scratch: Path | None = None
        self._vectors_stale = False
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(
                f"store path {self.root} is a file, not a directory; point --store at a"
                " directory (a missing one is created)"
            )
        db_path = self.root / DUCKDB_FILE
        if not db_path.exists():
            if not create:
                raise StoreMissingError(
                    f"no convmem store at {self.root}; run `convmem ingest PATH --store {self.root}` first"
                )
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the store directory {self.root} ({exc.strerror});"
                    " point --store at a writable directory"
                ) from None
        self.tables = self._open_tables(db_path)
        self._check_embedder()
        self.revision = 0  # moves on every write; ``revision_of`` on writes to one conversation
        self._repairs = 0
        try:
            self.vectors = self._open_vectors(repair)
            if not self.read_only:
                self._recover_or_rebuild(repair)
        except BaseException:
            self.tables.close()
            raise

    def _open_tables(self, db_path: Path) -> TurnTables:
        try:
            return TurnTables(db_path)
        except StoreReadOnlyError as exc:
            tables = TurnTables(db_path, read_only=True)
            self.read_only = True
            self.notes.append(
                f"note: {exc.message}: opened read-only; questions work, ingest, forget and"
                " repairs do not"
            )
            return tables

    def _open_vectors(self, repair: bool) -> VectorIndex:
        path = self.root / CHROMA_DIR
        if self.chroma_url:
            return self._server_vectors()
        if self.read_only:
            return self._read_only_vectors(path)
        if not path.exists() and self.tables.stats()[2] > 0:
            if not repair:
                raise StoreCorruptError(
                    f"the vector index {path} is missing but DuckDB holds turns;"
                    " run `convmem doctor` to rebuild it from DuckDB"
                )
            self.notes.append(f"the vector index {path} was missing: rebuilding it from DuckDB")
        try:
            return self._new_index(path)
        except Exception as exc:
            cause = one_line(exc)
            if disk_full(exc, self.root):
                raise StoreFullError(
                    f"the disk holding {self.root} is full, so its vector index cannot open;"
                    " free some space and try again"
                ) from exc
            if not repair:
                raise StoreCorruptError(
                    f"cannot open the vector index in {path} ({cause}); run `convmem doctor`"
                    " to move it aside and rebuild it from DuckDB"
                ) from exc
        aside = self._move_aside(path)
        self.notes.append(
            f"the vector index could not be opened ({cause}): moved it to {aside},"
            " rebuilding it from DuckDB"
        )
        return self._new_index(path)

    def _move_aside(self, path: Path) -> Path:
        VectorIndex.forget_open_clients()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.broken-{stamp}")
        number = 1
        while aside.exists():
            number += 1
            aside = path.with_name(f"{path.name}.broken-{stamp}-{number}")
        path.rename(aside)
        return aside

    def _read_only_vectors(self, path: Path) -> VectorIndex:
        """Chroma writes to its files even to read, so a read-only store reads a copy."""
        self._scratch = Path(tempfile.mkdtemp(prefix="convmem-readonly-"))
        copy = self._scratch / CHROMA_DIR
        if path.exists():
            shutil.copytree(path, copy)
        try:
            return VectorIndex(copy, self.embedder)
        except Exception as exc:
            raise StoreCorruptError(
                f"cannot open the vector index in {path} ({one_line(exc)}); make the store"
                " writable and run `convmem doctor`"
            ) from exc

    def _reopen_vectors(self) -> None:
        """A fresh Chroma client on the same files, after a write that failed half-way."""
        VectorIndex.forget_open_clients()
        try:
            self.vectors = self._new_index(self.root / CHROMA_DIR)
        except Exception as exc:
            VectorIndex.forget_open_clients()  # not the half-started one, next time
            raise StoreFullError(
                f"the disk holding {self.root} is still full; free some space and try again"
            ) if disk_full(exc, self.root) else StoreCorruptError(
                f"cannot reopen the vector index ({one_line(exc)}); run `convmem doctor`"
            ) from exc
        self._vectors_stale = False

    # ---- lifecycle --------------------------------------------------------------------
    def close(self) -> None:
        self.tables.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    @contextlib.contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """The store's write boundary: read-only and full-disk failures as one-line errors."""
        if self.read_only:
            raise StoreReadOnlyError(
                f"store {self.root} is open read-only, so it cannot {what}; make its files"
                " writable (or copy the store elsewhere) and try again"
            )
        if self._vectors_stale:
            self._reopen_vectors()
        try:
            yield
        except ConvmemError:
            raise
        except Exception as exc:
            if disk_full(exc, self.root):
                self._vectors_stale = True  # Chroma's in-process state is not to be trusted
                with contextlib.suppress(ConvmemError):
                    self._reopen_vectors()
                raise StoreFullError(
                    f"the disk holding {self.root} is full, so it cannot {what}; nothing was"
                    " stored: free some space and try again"
                ) from exc
            raise

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_embedder(self) -> None:
        recorded = self.tables.get_meta("embedder")
        if recorded is None:
            if not self.read_only:
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

    def _new_index(self, path: Path) -> VectorIndex:
        return VectorIndex(path, self.embedder, url=self.chroma_url, collection=self._collection(self.chroma_url))

    def _server_vectors(self) -> VectorIndex:
        try:
            return self._new_index(self.root / CHROMA_DIR)
        except Exception as exc:
            raise StoreCorruptError(
                f"cannot open the vector index at {self.chroma_url} ({one_line(exc)});"
                " start the Chroma server, or run `convmem doctor` to rebuild it"
            ) from exc

    def _recover_or_rebuild(self, repair: bool) -> None:
        try:
            self._recover()
        except Exception as exc:  # e.g. index files left half-written by a full disk
            if disk_full(exc, self.root):
                raise StoreFullError(
                    f"the disk holding {self.root} is full; free some space and try again"
                ) from exc
            if not repair or self.chroma_url:
                raise StoreCorruptError(
                    f"the vector index in {self.chroma_url or self.root / CHROMA_DIR} is damaged"
                    f" ({one_line(exc)}); run `convmem doctor` to move it aside and rebuild it from DuckDB"
                ) from exc
            aside = self._move_aside(self.root / CHROMA_DIR)
            self.notes.append(
                f"the vector index was damaged ({one_line(exc)}): moved it to {aside},"
                " rebuilding it from DuckDB"
            )
            self.vectors = self._new_index(self.root / CHROMA_DIR)
            self.tables.clear_pending()

    def _recover(self) -> None:
        """Remove vectors journalled by an ingest that never committed."""
        pending = self.tables.pending_vector_ids()
        if not pending:
            return
        committed = {vector_id(c, t) for c, t in self.tables.all_vector_rows()}
        self.vectors.delete([v for v in pending if v not in committed])
        self.tables.clear_pending()

    # ---- reads ------------------------------------------------------------------------
    def revision_of(self, conversation_id: str) -> tuple[int, int]:
        """Changes whenever the conversation's turns (or the vector index) change, and not
        on writes to other conversations: what caches of one conversation key on."""
        return self._repairs, self.tables.revision(conversation_id)

    def epoch_of(self, conversation_id: str) -> tuple[int, int]:
        """Changes when stored turns or vectors of the conversation may have changed or gone
        (not when turns are added): what caches of per-turn data key on."""
        return self._repairs, self.tables.epoch(conversation_id)

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
        for turn in new_turns:
            check_text(turn)
        ids = [t.vector_id for t in new_turns]
        with self._writing("store new turns"):
            self.tables.journal_pending(ids)
            try:
                for start in range(0, len(new_turns), INGEST_BATCH):
                    batch = new_turns[start : start + INGEST_BATCH]
                    vectors = self.embedder.embed(
                        [t.text for t in batch], progress=offset(progress, start, len(new_turns))
                    )
                    self.vectors.upsert(batch, vectors)
                self.tables.write_turns(touched, new_turns, ids, now or datetime.now())
            except BaseException:
                # Best effort (a full disk may refuse this too): the journal lets the next
                # open remove whatever vectors are left.
                with contextlib.suppress(Exception):
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
        with self._writing("forget a conversation"):
            self.tables.journal_pending(ids)
            self.tables.delete_conversation(conversation_id)
            self.vectors.delete(ids)
            self.tables.clear_pending(ids)
        self.tables.memo.dropped(conversation_id)  # again: a read may have cached its vectors meanwhile
        self.revision += 1
        return len(ids)

    # ---- consistency ------------------------------------------------------------------
    def doctor(self, repair: bool = True, progress: ProgressFn | None = None) -> DoctorReport:
        rows = self.tables.all_vector_rows()
        wanted = {vector_id(c, t) for c, t in rows}
        try:
            have = self.vectors.all_ids()
        except Exception as exc:  # opened, but its files are damaged
            if not repair or self.read_only or self.chroma_url:
                raise StoreCorruptError(
                    f"cannot read the vector index in {self.chroma_url or self.root / CHROMA_DIR} ({one_line(exc)});"
                    " run `convmem doctor` on a writable store to rebuild it"
                ) from exc
            aside = self._move_aside(self.root / CHROMA_DIR)
            self.notes.append(f"the vector index could not be read: moved it to {aside}, rebuilt it")
            self.vectors = self._new_index(self.root / CHROMA_DIR)
            have = set()
        missing = sorted(wanted - have)
        orphans = sorted(have - wanted)
        repaired = False
        if repair and (missing or orphans):
            with self._writing("repair the vector index"):
                self._rebuild(missing, orphans, progress)
            repaired = True
            self.revision += 1
            self._repairs += 1
        return DoctorReport(len(wanted), len(have), len(missing), len(orphans), repaired)

    def _rebuild(self, missing: list[str], orphans: list[str], progress: ProgressFn | None) -> None:
        """Delete orphan vectors and embed the missing ones, a batch at a time."""
        if orphans:
            self.vectors.delete(orphans)
        by_conversation: dict[str, list[str]] = {}
        for vid in missing:
            conv, turn_id = split_vector_id(vid)
            by_conversation.setdefault(conv, []).append(turn_id)
        done = 0
        for conv, turn_ids in by_conversation.items():
            for start in range(0, len(turn_ids), INGEST_BATCH):
                turns = self.tables.turns_by_ids(conv, turn_ids[start : start + INGEST_BATCH])
                vectors = self.embedder.embed(
                    [t.text for t in turns], offset(progress, done, len(missing))
                )
                self.vectors.upsert(turns, vectors)
                done += len(turns)

