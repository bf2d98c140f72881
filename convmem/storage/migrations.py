"""Ordered, named schema migrations for the DuckDB side of a store.

Each migration runs once, in order, inside a transaction, and is recorded in
``schema_migrations``.  Add new ones at the end; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def _initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute(
        """
        CREATE TABLE conversations (
            conversation_id VARCHAR PRIMARY KEY,
            speakers VARCHAR[] NOT NULL,
            source VARCHAR NOT NULL,
            ingested_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE turns (
            conversation_id VARCHAR NOT NULL,
            turn_id VARCHAR NOT NULL,
            turn_order INTEGER NOT NULL,
            session_index INTEGER NOT NULL,
            index_in_session INTEGER NOT NULL,
            speaker VARCHAR NOT NULL,
            text VARCHAR NOT NULL,
            spoken_at TIMESTAMP NOT NULL,
            PRIMARY KEY (conversation_id, turn_id),
            UNIQUE (conversation_id, turn_order)
        )"""
    )
    con.execute(
        """
        CREATE TABLE sessions (
            conversation_id VARCHAR NOT NULL,
            session_index INTEGER NOT NULL,
            started_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP NOT NULL,
            turn_count INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, session_index)
        )"""
    )
    # Vector ids written to Chroma whose DuckDB rows are not committed yet: the journal
    # that lets a store opened after a crash remove vectors without turns.
    con.execute("CREATE TABLE pending_vectors (vector_id VARCHAR PRIMARY KEY)")


_TIME_VIEW_SELECT = """
        SELECT
            t.conversation_id, t.turn_id, t.turn_order, t.session_index, t.index_in_session,
            t.speaker, t.text, t.spoken_at,
            CAST(t.spoken_at AS DATE) AS day,
            dayname(t.spoken_at) AS weekday,
            isodow(t.spoken_at) AS weekday_num,
            hour(t.spoken_at) AS hour,
            CASE
                WHEN hour(t.spoken_at) BETWEEN 5 AND 11 THEN 'morning'
                WHEN hour(t.spoken_at) BETWEEN 12 AND 16 THEN 'afternoon'
                WHEN hour(t.spoken_at) BETWEEN 17 AND 20 THEN 'evening'
                ELSE 'night'
            END AS part_of_day,
            weekofyear(t.spoken_at) AS iso_week,
            isoyear(t.spoken_at) AS iso_year,
            month(t.spoken_at) AS month,
            monthname(t.spoken_at) AS month_name,
            year(t.spoken_at) AS year,
            CAST(epoch(t.spoken_at) AS BIGINT) AS epoch
        FROM turns t
"""


def _time_view(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE VIEW turns_t AS " + _TIME_VIEW_SELECT)


def _session_start_in_view(con: duckdb.DuckDBPyConnection) -> None:
    """Add each turn's session start, so plans can select whole sessions by when they began."""
    con.execute(
        "CREATE OR REPLACE VIEW turns_t AS SELECT v.*, s.started_at AS session_start"
        " FROM (" + _TIME_VIEW_SELECT + ") v LEFT JOIN sessions s"
        " ON s.conversation_id = v.conversation_id AND s.session_index = v.session_index"
    )


def _turn_roles(con: duckdb.DuckDBPyConnection) -> None:
    """Mark each turn's role: ingested turns stay 'said'; a chat adds 'question' / 'answer'."""
    con.execute("ALTER TABLE turns ADD COLUMN role VARCHAR DEFAULT 'said'")
def _turn_times(con: duckdb.DuckDBPyConnection) -> None:
    """Event times: the days each turn's words refer to (convmem.eventtime), filled for
    the turns already stored; ingest fills them for new turns."""
    from convmem.storage.event_times import create_turn_times, fill_turn_times

    create_turn_times(con)
    fill_turn_times(con)


def _refill_turn_times(con: duckdb.DuckDBPyConnection) -> None:
    """Event times again, for the forms the resolver has learnt since (abbreviated weekdays,
    "back", "before last", holidays, misspelt time words)."""
    from convmem.storage.event_times import fill_turn_times

    con.execute("DELETE FROM turn_times")
    fill_turn_times(con)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial_tables", _initial),
    Migration(2, "turns_time_view", _time_view),
    Migration(3, "session_start_in_time_view", _session_start_in_view),
    Migration(4, "turn_roles", _turn_roles),
    Migration(5, "turn_event_times", _turn_times),
    Migration(6, "turn_event_times_refilled", _refill_turn_times),
)


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
    return int(row[0]) if row else 0


def migrate(
    con: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[str]:
    """Apply every migration newer than the store's version; return the names applied."""
    applied: list[str] = []
    version = current_version(con)
    for migration in migrations:
        if migration.version <= version:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            migration.apply(con)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.name)
    return applied
