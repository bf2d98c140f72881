"""What a time reference means: every convention of the question generator, in one place.

A question is asked at a moment (``asked_at``).  Two named presets fix how references are
anchored to that moment:

``calendar`` (the default): asked just after the last session (one minute after its last
turn); only turns spoken before ``asked_at`` exist; days are calendar days.

``paper``: the anchoring of the TemporalMemoryDataset (Alonso et al. 2024), established by
matching generated questions to the dev split (see docs/dataset_gen.md).  Questions are
asked as the log's last session begins; that session is the one *in progress* and is
visible in full: it is "the last discussion" (1 session ago), part of "today", "this
month" and "the last N days", but not of "earlier today".  Day distances are whole
24-hour periods of elapsed time from each session's start, not calendar days.

Per family (``S`` = number of visible sessions, ``A`` = asked_at, ``D`` = A's date):

- ``session`` n: session n.
- ``rel_session`` k ("k sessions ago"; k=1 "last time", k=2 "the session before last"):
  session S+1-k.  ``before_last`` ("the time before last") is k=2.
- ``dates`` d: every turn dated d (calendar); paper: one question per session, named by
  its date, whose gold is that session only.
- ``year_date`` d (with the year): every turn dated d, in both presets.
- ``nth_on_day`` (d, n): the n-th session that starts on d.
- ``rel_day`` k: calendar: turns dated D-k (k=0 "today", 1 "yesterday"); paper: the
  sessions that started k whole 24-hour periods before A (floor((A - start) / 24h) = k;
  a session is never split).
- ``day_span`` n ("the last n days", a week = 7): calendar: turns dated D-(n-1) .. D;
  paper: the sessions that started less than n·24h before A.
- ``date_span`` (d1, d2): every turn dated d1 .. d2 inclusive.
- ``session_span`` (a, b): sessions a .. b.
- ``month`` m: turns in the latest month m not after A (its year is implied).
- ``rel_month`` k: turns in the calendar month k months before A's month (0 "this month").
- ``earlier_today``: turns dated D spoken before A (the session in progress excluded).
- ``last_named_day`` w: turns on the latest date before D whose weekday is w (1..7 days back).
- ``week`` (k weeks ago / the week of d): the ISO (Monday-first) calendar week.
- ``session_speaker`` (n, s): speaker s's turns in session n.
- ``session_edge`` (n, start|end): the first / last ``EDGE_TURNS`` turns of session n.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from convmem.errors import NotFoundError
from dataset_gen.scope import GoldQueries, Scope, Visibility

EDGE_TURNS = 5  # the grammar's "at the beginning / end of" (agent.grounding.sessions)
ASK_AFTER_END = timedelta(minutes=1)


@dataclass(frozen=True)
class Anchoring:
    name: str
    ask_at_last_session_start: bool  # else just after the last session
    present_session_visible: bool  # the session in progress at asked_at counts in full
    elapsed_days: bool  # day distances in whole 24h periods (else calendar days)
    dates_per_session: bool  # one `dates` question per session (else per calendar day)
    paper_selection: bool  # ask about the same items the paper's dev split asks about


CALENDAR = Anchoring("calendar", False, False, False, False, False)
PAPER = Anchoring("paper", True, True, True, True, True)
PRESETS = {a.name: a for a in (CALENDAR, PAPER)}


@dataclass(frozen=True)
class SessionSpan:
    index: int
    start: datetime
    end: datetime
    turns: int

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class Timeline:
    """A conversation as seen at the moment of asking."""

    conversation_id: str
    speakers: tuple[str, ...]
    asked_at: datetime
    present_session: int  # 0 when no session is in progress
    sessions: tuple[SessionSpan, ...]  # visible sessions, in order

    @property
    def count(self) -> int:
        return len(self.sessions)

    @property
    def today(self) -> date:
        return self.asked_at.date()

    def session(self, index: int) -> SessionSpan:
        return self.sessions[index - 1]

    @property
    def visibility(self) -> Visibility:
        return Visibility(self.asked_at, self.present_session)


def resolve_asked_at(
    con: duckdb.DuckDBPyConnection, conversation_id: str, anchoring: Anchoring
) -> datetime:
    row = con.execute(
        "SELECT max(started_at), max(ended_at) FROM sessions WHERE conversation_id = ?"
        " AND session_index = (SELECT max(session_index) FROM sessions WHERE conversation_id = ?)",
        [conversation_id, conversation_id],
    ).fetchone()
    if row is None or row[0] is None:
        raise NotFoundError(f"no conversation {conversation_id!r} in the store")
    return row[0] if anchoring.ask_at_last_session_start else row[1] + ASK_AFTER_END


def load_timeline(
    con: duckdb.DuckDBPyConnection,
    conversation_id: str,
    anchoring: Anchoring,
    asked_at: datetime | None = None,
) -> Timeline:
    speakers = con.execute(
        "SELECT speakers FROM conversations WHERE conversation_id = ?", [conversation_id]
    ).fetchone()
    if speakers is None:
        raise NotFoundError(f"no conversation {conversation_id!r} in the store")
    moment = asked_at or resolve_asked_at(con, conversation_id, anchoring)
    present = 0
    if anchoring.present_session_visible:
        row = con.execute(
            "SELECT max(session_index) FROM sessions WHERE conversation_id = ?"
            " AND started_at <= ? AND ended_at >= ?",
            [conversation_id, moment, moment],
        ).fetchone()
        present = int(row[0]) if row and row[0] is not None else 0
    rows = con.execute(
        "SELECT session_index, min(spoken_at), max(spoken_at), count(*) FROM turns"
        " WHERE conversation_id = ? AND (spoken_at < ? OR session_index = ?)"
        " GROUP BY session_index ORDER BY session_index",
        [conversation_id, moment, present],
    ).fetchall()
    sessions = tuple(SessionSpan(int(r[0]), r[1], r[2], int(r[3])) for r in rows)
    return Timeline(conversation_id, tuple(speakers[0]), moment, present, sessions)


# ---- references to scopes --------------------------------------------------------------
def session_scope(n: int) -> Scope:
    return Scope(sessions=(n,))


def rel_session_index(tl: Timeline, k: int) -> int:
    return tl.count + 1 - k


def day_scope(day: date) -> Scope:
    return Scope(day_from=day, day_to=day)


def nth_session_on_day(tl: Timeline, day: date, nth: int) -> int | None:
    on_day = [s.index for s in tl.sessions if s.day == day]
    return on_day[nth - 1] if 0 < nth <= len(on_day) else None


def elapsed_days(tl: Timeline, session: SessionSpan) -> int:
    """Whole 24-hour periods from a session's start to the moment of asking (0 for the
    session in progress)."""
    return max(0, (tl.asked_at - session.start) // timedelta(days=1))


def rel_day_scope(tl: Timeline, anchoring: Anchoring, k: int) -> Scope:
    if not anchoring.elapsed_days:
        return day_scope(tl.today - timedelta(days=k))
    return Scope(sessions=tuple(s.index for s in tl.sessions if elapsed_days(tl, s) == k))


def day_span_scope(tl: Timeline, anchoring: Anchoring, n: int) -> Scope:
    if anchoring.elapsed_days:
        return Scope(sessions=tuple(s.index for s in tl.sessions if elapsed_days(tl, s) < n))
    return Scope(day_from=tl.today - timedelta(days=n - 1))


def date_span_scope(first: date, last: date) -> Scope:
    return Scope(day_from=first, day_to=last)


def session_span_scope(first: int, last: int) -> Scope:
    return Scope(sessions=tuple(range(first, last + 1)))


def month_year(tl: Timeline, month: int) -> int:
    """The year of the latest month ``month`` not after the moment of asking."""
    return tl.today.year if month <= tl.today.month else tl.today.year - 1


def month_scope(year: int, month: int) -> Scope:
    return Scope(year=year, month=month)


def months_back(tl: Timeline, k: int) -> tuple[int, int]:
    index = tl.today.year * 12 + tl.today.month - 1 - k
    return index // 12, index % 12 + 1


def earlier_today_scope(tl: Timeline) -> Scope:
    return Scope(day_from=tl.today, day_to=tl.today, before=tl.asked_at)


def last_named_day(tl: Timeline, weekday: int) -> date:
    """The latest date before today with this weekday (0 = Monday), 1..7 days back."""
    back = (tl.today.weekday() - weekday) % 7 or 7
    return tl.today - timedelta(days=back)


def iso_week_back(tl: Timeline, k: int) -> tuple[int, int]:
    year, week, _ = (tl.today - timedelta(weeks=k)).isocalendar()
    return year, week


def week_scope(iso: tuple[int, int]) -> Scope:
    return Scope(iso_week=iso)


def edge_scope(n: int, edge: str) -> Scope:
    if edge == "start":
        return Scope(sessions=(n,), first_n=EDGE_TURNS)
    return Scope(sessions=(n,), last_n=EDGE_TURNS)


def queries(con: duckdb.DuckDBPyConnection, tl: Timeline) -> GoldQueries:
    return GoldQueries(con, tl.conversation_id, tl.visibility)
