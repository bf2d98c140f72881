"""Gold turn sets as DuckDB queries over the ``turns_t`` view.

A ``Scope`` is a typed filter (sessions, calendar days, a window of timestamps, month,
ISO week, speaker, position in the session, a phrase).  ``GoldQueries`` turns it into one
parameterised SQL statement: clause texts are fixed strings and every value is bound, so
nothing a template or a model produced is ever spliced into SQL.

Only turns *visible* at the moment of asking take part: turns spoken before ``asked_at``,
plus, under the paper's anchoring, the whole session in progress at ``asked_at``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import duckdb


@dataclass(frozen=True)
class Visibility:
    asked_at: datetime
    present_session: int = 0  # 0: no session counts as in progress


@dataclass(frozen=True)
class Scope:
    sessions: tuple[int, ...] = ()
    day_from: date | None = None  # inclusive
    day_to: date | None = None  # inclusive
    after: datetime | None = None  # exclusive lower bound on spoken_at
    until: datetime | None = None  # inclusive upper bound
    before: datetime | None = None  # exclusive upper bound
    year: int | None = None
    month: int | None = None
    iso_week: tuple[int, int] | None = None  # (iso_year, week)
    speaker: str | None = None
    first_n: int | None = None  # the first n turns of each session
    last_n: int | None = None  # the last n (visible) turns of each session
    phrase: str | None = None  # whole words, case-insensitive
    exclude_sessions: tuple[int, ...] = field(default=())

    def with_(self, **changes: Any) -> Scope:
        return replace(self, **changes)


def phrase_pattern(phrase: str) -> str:
    """An RE2 pattern matching the phrase as whole words, any case, any spacing."""
    words = [re.escape(w) for w in phrase.lower().split()]
    return r"\b" + r"\s+".join(words) + r"\b"


def _clauses(scope: Scope) -> tuple[list[str], list[Any]]:
    sql: list[str] = []
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        sql.append(clause)
        params.extend(values)

    if scope.sessions:
        add("list_contains(?::INTEGER[], session_index)", list(scope.sessions))
    if scope.exclude_sessions:
        add("NOT list_contains(?::INTEGER[], session_index)", list(scope.exclude_sessions))
    if scope.day_from is not None:
        add("day >= ?", scope.day_from)
    if scope.day_to is not None:
        add("day <= ?", scope.day_to)
    if scope.after is not None:
        add("spoken_at > ?", scope.after)
    if scope.until is not None:
        add("spoken_at <= ?", scope.until)
    if scope.before is not None:
        add("spoken_at < ?", scope.before)
    if scope.year is not None:
        add("year = ?", scope.year)
    if scope.month is not None:
        add("month = ?", scope.month)
    if scope.iso_week is not None:
        add("iso_year = ? AND iso_week = ?", *scope.iso_week)
    if scope.speaker is not None:
        add("speaker = ?", scope.speaker)
    if scope.first_n is not None:
        add("index_in_session < ?", scope.first_n)
    if scope.last_n is not None:
        add("index_in_session >= session_turns - ?", scope.last_n)
    if scope.phrase is not None:
        add("regexp_matches(lower(text), ?)", phrase_pattern(scope.phrase))
    return sql, params


_VISIBLE = (
    "CREATE TEMP TABLE {name} AS SELECT *, count(*) OVER (PARTITION BY session_index) AS session_turns"
    " FROM turns_t WHERE conversation_id = ? AND (spoken_at < ? OR session_index = ?)"
)
_names = itertools.count()


class GoldQueries:
    """Read-only queries for one conversation at one moment of asking.

    The visible turns are copied once into a temporary table (dropped by ``close``), so
    each of the hundreds of gold queries per conversation is a plain filter over it."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, conversation_id: str, visibility: Visibility
    ):
        self.con = con
        self.conversation_id = conversation_id
        self.visibility = visibility
        self.table = f"dataset_gen_visible_{next(_names)}"
        v = visibility
        con.execute(
            _VISIBLE.format(name=self.table), [conversation_id, v.asked_at, v.present_session]
        )

    def close(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {self.table}")

    def __enter__(self) -> GoldQueries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _select(self, columns: str, scope: Scope) -> list[tuple[Any, ...]]:
        where, values = _clauses(scope)
        sql = f"SELECT {columns} FROM {self.table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.con.execute(sql + " ORDER BY turn_order", values).fetchall()

    def turn_ids(self, scope: Scope) -> tuple[str, ...]:
        """The gold: ids of the visible turns in scope, in conversation order."""
        return tuple(str(r[0]) for r in self._select("turn_id", scope))

    def rows(self, scope: Scope, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """Selected columns of the visible turns in scope (columns are checked names)."""
        allowed = {
            "turn_id",
            "turn_order",
            "session_index",
            "index_in_session",
            "speaker",
            "text",
            "spoken_at",
            "day",
            "weekday",
            "month",
            "year",
            "iso_year",
            "iso_week",
        }
        bad = [c for c in columns if c not in allowed]
        if bad:
            raise ValueError(f"unknown column(s) {bad}")
        return self._select(", ".join(columns), scope)

    def distinct(self, column: str) -> list[Any]:
        if column not in ("day", "weekday", "speaker"):
            raise ValueError(f"unknown column {column!r}")
        return [
            r[0]
            for r in self.con.execute(
                f"SELECT DISTINCT {column} FROM {self.table} ORDER BY 1"
            ).fetchall()
        ]

    def month_keys(self) -> list[tuple[int, int]]:
        """(year, month) pairs that have visible turns, in order."""
        rows = self.con.execute(f"SELECT DISTINCT year, month FROM {self.table} ORDER BY 1, 2")
        return [(int(y), int(m)) for y, m in rows.fetchall()]
