"""The DuckDB side of a store: conversations, sessions and turns."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from convmem.errors import StoreBusyError, StoreCorruptError, StoreError, StoreReadOnlyError
from convmem.eventtime import EventTime
from convmem.storage.event_times import insert_turn_times, read_turn_times
from convmem.storage.memo import ConversationMemo, TurnRows
from convmem.storage.migrations import migrate
from convmem.types import SAID, Conversation, Session, StoreStats, Turn

TURN_COLUMNS = (
    "conversation_id, turn_id, turn_order, session_index, index_in_session, speaker, text, spoken_at, role"
)


def role_filter(
    conversation_id: str, roles: Sequence[str], exclude: Iterable[str] = ()
) -> tuple[str, list[Any]]:
    """A condition keeping one conversation's turns of ``roles`` but not those in ``exclude``,
    and its parameters: how retrieval leaves out the chat's own questions and answers."""
    marks = ", ".join("?" for _ in roles)
    sql = f"SELECT turn_id FROM turns WHERE conversation_id = ? AND role IN ({marks})"
    params: list[Any] = [conversation_id, *roles]
    left_out = sorted(exclude)
    if left_out:
        sql += " AND turn_id NOT IN (SELECT unnest(?::VARCHAR[]))"
        params.append(left_out)
    return f"turn_id IN ({sql})", params


def row_to_turn(row: Sequence[Any]) -> Turn:
    return Turn(
        conversation_id=row[0],
        turn_id=row[1],
        order=int(row[2]),
        session_index=int(row[3]),
        index_in_session=int(row[4]),
        speaker=row[5],
        text=row[6],
        spoken_at=row[7],
        role=row[8] if len(row) > 8 else SAID,
    )


def open_error(path: Path | str, exc: BaseException) -> StoreError:
    """What DuckDB's refusal to open a file means, in one line that says what to do."""
    cause = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    lowered = cause.lower()
    if "lock" in lowered:
        holder = re.search(r"\(PID (\d+)\)", cause)
        who = f"process {holder.group(1)}" if holder else "another process"
        return StoreBusyError(
            f"{path} is in use by {who}; close the other convmem command or point --store"
            " at another directory"
        )
    if "read-only" in lowered or "permission denied" in lowered or "readonly" in lowered:
        return StoreReadOnlyError(f"{path} cannot be written ({cause})")
    if "not a valid duckdb database" in lowered or "corrupt" in lowered:
        return StoreCorruptError(
            f"cannot open {path}: it is not a readable DuckDB database (damaged, or another kind"
            " of file); restore it from a backup or point --store at another directory"
        )
    return StoreError(f"cannot open {path} ({cause}); point --store at another directory")


class TurnTables:
    """Owns one DuckDB database connection.

    One DuckDB connection object is not thread-safe, so ``con`` is the opening thread's
    connection there and, in any other thread, that thread's own cursor on the same
    database (DuckDB's way to query concurrently: each sees committed data only).  A
    service answering reads from many threads therefore needs no lock around them.

    A conversation's rows, once read, are kept in ``memo`` until a write here changes
    that conversation (``convmem.storage.memo``)."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.read_only = read_only
        try:
            self._con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise open_error(path, exc) from exc
        self._owner = threading.get_ident()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self.memo = ConversationMemo()
        if not read_only:
            migrate(self._con)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if threading.get_ident() == self._owner:
            return self._con
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._cursors_lock:
                cursor = self._con.cursor()
                self._cursors.append(cursor)
            self._local.cursor = cursor
        return cursor

    def close(self) -> None:
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
        self._con.close()

    # ---- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM store_meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [key, value]
        )

    # ---- reads ------------------------------------------------------------------------
    def stats(self) -> tuple[int, int, int]:
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM sessions),"
            " (SELECT count(*) FROM turns)"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    def conversation_ids(self) -> list[str]:
        rows = self.con.execute(
            "SELECT conversation_id FROM conversations ORDER BY conversation_id"
        ).fetchall()
        return [r[0] for r in rows]

    def revision(self, conversation_id: str) -> int:
        """Changes whenever the conversation's rows change (``ConversationMemo.revision``)."""
        return self.memo.revision(conversation_id)

    def epoch(self, conversation_id: str) -> int:
        """Changes when stored turns of the conversation may be gone (``ConversationMemo.epoch``)."""
        return self.memo.epoch(conversation_id)

    def conversation(self, conversation_id: str) -> Conversation | None:
        return self.memo.get(self.memo.conversations, conversation_id, lambda: self._conversation(conversation_id))

    def _conversation(self, conversation_id: str) -> Conversation | None:
        row = self.con.execute(
            "SELECT conversation_id, speakers, source FROM conversations WHERE conversation_id = ?",
            [conversation_id],
        ).fetchone()
        if row is None:
            return None
        return Conversation(row[0], tuple(row[1]), row[2])

    def sessions(self, conversation_id: str) -> list[Session]:
        kept: tuple[Session, ...] = self.memo.get(self.memo.sessions, conversation_id,
                                                  lambda: self._sessions(conversation_id))
        return list(kept)

    def _sessions(self, conversation_id: str) -> tuple[Session, ...]:
        rows = self.con.execute(
            "SELECT conversation_id, session_index, started_at, ended_at, turn_count FROM sessions"
            " WHERE conversation_id = ? ORDER BY session_index",
            [conversation_id],
        ).fetchall()
        return tuple(Session(r[0], int(r[1]), r[2], r[3], int(r[4])) for r in rows)

    def _rows(self, conversation_id: str) -> TurnRows:
        return self.memo.get(self.memo.turns, conversation_id, lambda: TurnRows.of(self._turns(conversation_id)))

    def _turns(self, conversation_id: str) -> list[Turn]:
        rows = self.con.execute(
            f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY turn_order", [conversation_id]
        ).fetchall()
        return [row_to_turn(r) for r in rows]

    def turns(self, conversation_id: str, session_index: int | None = None) -> list[Turn]:
        turns = self._rows(conversation_id).turns
        if session_index is None:
            return list(turns)
        return [t for t in turns if t.session_index == session_index]

    def turn_ids(
        self, conversation_id: str, roles: Sequence[str] | None = None, exclude: Iterable[str] = ()
    ) -> list[str]:
        """The conversation's turn ids in time order (only those of ``roles`` when given,
        without ``exclude``; see ``role_filter``)."""
        turns = self._rows(conversation_id).turns
        if roles is None:
            return [t.turn_id for t in turns]
        kept, left_out = set(roles), set(exclude)
        return [t.turn_id for t in turns if t.role in kept and t.turn_id not in left_out]

    def turns_by_ids(self, conversation_id: str, turn_ids: Iterable[str]) -> list[Turn]:
        """The stored turns among ``turn_ids``, in conversation order (unknown ids are left out)."""
        by_id = self._rows(conversation_id).by_id
        found = [by_id[i] for i in set(turn_ids) if i in by_id]
        return sorted(found, key=lambda t: t.order)

    def all_vector_rows(self) -> list[tuple[str, str]]:
        rows = self.con.execute("SELECT conversation_id, turn_id FROM turns").fetchall()
        return [(r[0], r[1]) for r in rows]

    def existing_turns(self, conversation_id: str) -> dict[str, tuple[int, str, str, datetime]]:
        turns = self._rows(conversation_id).turns
        return {t.turn_id: (t.order, t.speaker, t.text, t.spoken_at) for t in turns}

    def turn_times(
        self, conversation_id: str, turn_ids: Sequence[str] | None = None
    ) -> dict[str, list[EventTime]]:
        revision = self.memo.revision(conversation_id)
        rows = self._rows(conversation_id)
        times = rows.times
        if times is None:
            times = read_turn_times(self.con, conversation_id)
            self.memo.keep(self.memo.turns, conversation_id, revision, TurnRows(rows.turns, rows.by_id, times))
        if turn_ids is None:
            return {k: list(v) for k, v in times.items()}
        return {i: list(times[i]) for i in dict.fromkeys(turn_ids) if i in times}

    def pending_vector_ids(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT vector_id FROM pending_vectors").fetchall()]

    # ---- writes -----------------------------------------------------------------------
    def journal_pending(self, vector_ids: Sequence[str]) -> None:
        """Record (committed) the vector ids about to be written to Chroma."""
        if vector_ids:
            self.con.execute(
                "INSERT OR IGNORE INTO pending_vectors SELECT unnest(?::VARCHAR[])",
                [list(vector_ids)],
            )

    def clear_pending(self, vector_ids: Sequence[str] | None = None) -> None:
        if vector_ids is None:
            self.con.execute("DELETE FROM pending_vectors")
        elif vector_ids:
            self.con.execute(
                "DELETE FROM pending_vectors WHERE vector_id IN (SELECT unnest(?::VARCHAR[]))",
                [list(vector_ids)],
            )

    def write_turns(
        self,
        conversations: Sequence[Conversation],
        new_turns: Sequence[Turn],
        vector_ids: Sequence[str],
        ingested_at: datetime,
    ) -> None:
        """Insert conversations and turns, refresh their sessions, and clear the journal,
        all in one transaction (a conversation row that already names every speaker is left
        as it is)."""
        con = self.con
        rows = [c for c in conversations if self._row_changes(c)]
        con.execute("BEGIN TRANSACTION")
        try:
            for conv in rows:
                con.execute(
                    "INSERT INTO conversations VALUES (?, ?, ?, ?) ON CONFLICT (conversation_id)"
                    " DO UPDATE SET speakers = list_distinct(list_concat(conversations.speakers,"
                    " excluded.speakers))",
                    [conv.conversation_id, list(conv.speakers), conv.source, ingested_at],
                )
            if new_turns:
                self._insert_turns(new_turns)
                insert_turn_times(con, new_turns)
            self._refresh_sessions([c.conversation_id for c in conversations])
            self.clear_pending(vector_ids)
            self.before_commit()
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        by_conversation: dict[str, list[Turn]] = {c.conversation_id: [] for c in conversations}
        for turn in new_turns:
            by_conversation.setdefault(turn.conversation_id, []).append(turn)
        changed = {c.conversation_id for c in rows}
        for conversation_id, turns in by_conversation.items():
            self.memo.written(conversation_id, sorted(turns, key=lambda t: t.order), self._times_of(conversation_id),
                              row_changed=conversation_id in changed)

    def _row_changes(self, conv: Conversation) -> bool:
        known = self.conversation(conv.conversation_id)
        return known is None or not set(conv.speakers) <= set(known.speakers)

    def _times_of(self, conversation_id: str) -> Callable[[list[str]], dict[str, list[EventTime]]]:
        return lambda ids: read_turn_times(self.con, conversation_id, ids)

    def before_commit(self) -> None:
        """Hook for fault-injection tests; does nothing."""

    def _insert_turns(self, turns: Sequence[Turn]) -> None:
        columns: dict[str, list[Any]] = {
            "conversation_id": [t.conversation_id for t in turns],
            "turn_id": [t.turn_id for t in turns],
            "turn_order": [t.order for t in turns],
            "session_index": [t.session_index for t in turns],
            "index_in_session": [t.index_in_session for t in turns],
            "speaker": [t.speaker for t in turns],
            "text": [t.text for t in turns],
            "spoken_at": [t.spoken_at for t in turns],
            "role": [t.role for t in turns],
        }
        table = pa.table(columns)
        self.con.register("_new_turns", table)
        try:
            self.con.execute(
                f"INSERT INTO turns ({TURN_COLUMNS}) SELECT {TURN_COLUMNS} FROM _new_turns"
                " ORDER BY conversation_id, turn_order"
            )
        finally:
            self.con.unregister("_new_turns")

    def _refresh_sessions(self, conversation_ids: Sequence[str]) -> None:
        if not conversation_ids:
            return
        ids = list(conversation_ids)
        self.con.execute("DELETE FROM sessions WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
        self.con.execute(
            "INSERT INTO sessions SELECT conversation_id, session_index, min(spoken_at),"
            " max(spoken_at), count(*)::INTEGER FROM turns WHERE conversation_id IN"
            " (SELECT unnest(?::VARCHAR[])) GROUP BY conversation_id, session_index",
            [ids],
        )

    def delete_conversation(self, conversation_id: str) -> None:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            for table in ("turn_times", "turns", "sessions", "conversations"):
                con.execute(f"DELETE FROM {table} WHERE conversation_id = ?", [conversation_id])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            self.memo.dropped(conversation_id)


def stats_of(tables: TurnTables, vectors: int) -> StoreStats:
    conversations, sessions, turns = tables.stats()
    return StoreStats(conversations, sessions, turns, vectors)
