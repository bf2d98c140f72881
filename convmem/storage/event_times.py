"""The ``turn_times`` table: event times of turns (``convmem.eventtime``), written with them.

One row per time expression of a turn: ``(conversation_id, turn_id, start, end,
expression, kind)``, ``start``/``end`` whole days (``end`` included).  Rows are written in
the same transaction as their turns, so a re-ingest that adds no turn adds no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pyarrow as pa

from convmem.eventtime import EventTime, resolve_event_times
from convmem.types import Turn

COLUMNS = ("conversation_id", "turn_id", "position", "start", "end", "expression", "kind")


def create_turn_times(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE turn_times (
            conversation_id VARCHAR NOT NULL,
            turn_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            start DATE NOT NULL,
            "end" DATE NOT NULL,
            expression VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            PRIMARY KEY (conversation_id, turn_id, position)
        )"""
    )


def _rows(turns: Sequence[Turn]) -> dict[str, list[object]]:
    columns: dict[str, list[object]] = {c: [] for c in COLUMNS}
    for turn in turns:
        for position, event in enumerate(resolve_event_times(turn.text, turn.spoken_at)):
            for name, value in zip(
                COLUMNS,
                (turn.conversation_id, turn.turn_id, position, event.start, event.end, event.expression, event.kind),
                strict=True,
            ):
                columns[name].append(value)
    return columns


def insert_turn_times(con: duckdb.DuckDBPyConnection, turns: Sequence[Turn]) -> int:
    """Resolve and insert the event times of ``turns`` (inside the caller's transaction)."""
    columns = _rows(turns)
    if not columns["turn_id"]:
        return 0
    table = pa.table({
        **{k: columns[k] for k in ("conversation_id", "turn_id", "expression", "kind")},
        "position": pa.array(columns["position"], pa.int32()),
        "start": pa.array(columns["start"], pa.date32()),
        "end": pa.array(columns["end"], pa.date32()),
    })
    con.register("_new_turn_times", table)
    try:
        con.execute(
            'INSERT OR IGNORE INTO turn_times SELECT conversation_id, turn_id, position, start, "end",'
            " expression, kind FROM _new_turn_times"
        )
    finally:
        con.unregister("_new_turn_times")
    return len(columns["turn_id"])


def fill_turn_times(con: duckdb.DuckDBPyConnection) -> None:
    """Event times for every stored turn (the migration that adds the table)."""
    from convmem.storage.tables import TURN_COLUMNS, row_to_turn

    rows = con.execute(f"SELECT {TURN_COLUMNS} FROM turns").fetchall()
    insert_turn_times(con, [row_to_turn(r) for r in rows])


def read_turn_times(
    con: duckdb.DuckDBPyConnection, conversation_id: str, turn_ids: Sequence[str] | None = None
) -> dict[str, list[EventTime]]:
    """Turn id -> its event times in the order they are said; turns without any are absent."""
    sql = 'SELECT turn_id, start, "end", expression, kind FROM turn_times WHERE conversation_id = ?'
    params: list[object] = [conversation_id]
    if turn_ids is not None:
        sql += " AND turn_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(turn_ids))
    cursor = con.cursor()
    try:
        rows = cursor.execute(sql + " ORDER BY turn_id, position", params).fetchall()
    finally:
        cursor.close()
    found: dict[str, list[EventTime]] = {}
    for turn_id, start, end, expression, kind in rows:
        found.setdefault(turn_id, []).append(EventTime(_day(start), _day(end), expression, kind))
    return found


def _day(value: object) -> date:
    assert isinstance(value, date)
    return value
