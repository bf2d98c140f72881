"""Which time references to ask about in one conversation: the question families.

Each family enumerates its targets (a reference's parameters plus the ``Scope`` that
anchoring.py says it means).  Under the paper preset the enumeration follows the dev
split's choice of items (e.g. ordinal sessions 1..S-3); otherwise it covers everything the
conversation offers.  Gold turns are not computed here but by the generator, from the
scope, through DuckDB.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from convmem.timeutil import part_of_day
from dataset_gen import anchoring as an
from dataset_gen.anchoring import Anchoring, Timeline
from dataset_gen.scope import GoldQueries, Scope

PAPER_FAMILIES = (
    "session",
    "rel_session",
    "dates",
    "rel_day",
    "day_span",
    "date_span",
    "session_span",
    "month",
    "rel_month",
    "earlier_today",
    "last_named_day",
)
OWN_FAMILIES = ("session_speaker", "session_edge", "nth_on_day", "year_date", "before_last", "week")
TIME_FAMILIES = PAPER_FAMILIES + OWN_FAMILIES
CONTENT_FAMILY = "content_time"
ALL_FAMILIES = (*TIME_FAMILIES, CONTENT_FAMILY)


@dataclass(frozen=True)
class Target:
    family: str
    params: dict[str, Any] = field(hash=False)
    scope: Scope


Enumerator = Callable[[Timeline, Anchoring, GoldQueries, random.Random], list[Target]]


def _session(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    last = tl.count - 3 if a.paper_selection else tl.count
    return [Target("session", {"n": n}, an.session_scope(n)) for n in range(1, last + 1)]


def _rel_session(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    out = []
    for k in range(tl.count, 0, -1):
        index = an.rel_session_index(tl, k)
        out.append(Target("rel_session", {"k": k, "session": index}, an.session_scope(index)))
    return out


def _dates(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    if a.dates_per_session:
        return [
            Target("dates", {"day": s.day, "session": s.index}, an.session_scope(s.index))
            for s in tl.sessions
        ]
    return [Target("dates", {"day": d}, an.day_scope(d)) for d in q.distinct("day")]


def _rel_day(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    if a.elapsed_days:
        ks = sorted({an.elapsed_days(tl, s) for s in tl.sessions}, reverse=True)
    else:
        ks = sorted({(tl.today - d).days for d in q.distinct("day")}, reverse=True)
    return [Target("rel_day", {"k": k}, an.rel_day_scope(tl, a, k)) for k in ks if k >= 0]


def _day_span(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    spans = (3, 7) if a.paper_selection else (2, 3, 5, 7, 10, 14)
    return [Target("day_span", {"n": n}, an.day_span_scope(tl, a, n)) for n in spans]


def _widths(a: Anchoring, tl: Timeline, rng: random.Random) -> list[tuple[int, int]]:
    """Session index windows: the paper's (a, a+2) for a <= S-6, else varied widths."""
    if a.paper_selection:
        return [(i, i + 2) for i in range(1, tl.count - 5)]
    out = []
    for i in range(1, tl.count):
        width = rng.choice((2, 3, 4))
        out.append((i, min(i + width - 1, tl.count)))
    return out


def _date_span(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    if a.paper_selection:
        windows = [(i, i + 2) for i in range(1, tl.count - 4)]
    else:
        windows = _widths(a, tl, rng)
    out = []
    for first, last in windows:
        d1, d2 = tl.session(first).day, tl.session(last).day
        if d1 < d2:
            out.append(Target("date_span", {"first": d1, "last": d2}, an.date_span_scope(d1, d2)))
    return out


def _session_span(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    return [
        Target("session_span", {"first": i, "last": j}, an.session_span_scope(i, j))
        for i, j in _widths(a, tl, rng)
    ]


def _month(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    return [
        Target("month", {"month": m, "year": y}, an.month_scope(y, m))
        for y, m in q.month_keys()
        if an.month_year(tl, m) == y
    ]


def _rel_month(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    now = tl.today.year * 12 + tl.today.month
    out = []
    for y, m in q.month_keys():
        k = now - (y * 12 + m)
        if k >= 0:
            out.append(Target("rel_month", {"k": k}, an.month_scope(y, m)))
    return sorted(out, key=lambda t: -t.params["k"])


def _earlier_today(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    scope = an.earlier_today_scope(tl)
    hours = {part_of_day(r[0].hour) for r in q.rows(scope, ["spoken_at"])}
    now = part_of_day(tl.asked_at.hour)
    part = now if hours == {now} else None
    return [Target("earlier_today", {"part": part}, scope)]


def _last_named_day(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    week_days = [d for d in q.distinct("day") if 1 <= (tl.today - d).days <= 7]
    if a.paper_selection:
        week_days = week_days[-1:]
    out = []
    for day in week_days:
        weekday = day.weekday()
        assert an.last_named_day(tl, weekday) == day
        out.append(Target("last_named_day", {"weekday": weekday, "day": day}, an.day_scope(day)))
    return out


def _session_speaker(
    tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random
) -> list[Target]:
    out = []
    for s in tl.sessions:
        for speaker in tl.speakers:
            scope = an.session_scope(s.index).with_(speaker=speaker)
            out.append(Target("session_speaker", {"n": s.index, "speaker": speaker}, scope))
    return out


def _session_edge(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    out = []
    for s in tl.sessions:
        if s.turns > 2 * an.EDGE_TURNS:
            for edge in ("start", "end"):
                out.append(
                    Target(
                        "session_edge", {"n": s.index, "edge": edge}, an.edge_scope(s.index, edge)
                    )
                )
    return out


def _nth_on_day(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    by_day: dict[date, list[int]] = {}
    for s in tl.sessions:
        by_day.setdefault(s.day, []).append(s.index)
    out = []
    for day, indices in by_day.items():
        if len(indices) > 1:
            for nth, index in enumerate(indices, start=1):
                assert an.nth_session_on_day(tl, day, nth) == index
                params = {"day": day, "nth": nth, "of": len(indices), "session": index}
                out.append(Target("nth_on_day", params, an.session_scope(index)))
    return out


def _year_date(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    return [Target("year_date", {"day": d}, an.day_scope(d)) for d in q.distinct("day")]


def _before_last(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    if tl.count < 2:
        return []
    index = an.rel_session_index(tl, 2)
    return [Target("before_last", {"k": 2, "session": index}, an.session_scope(index))]


def _week(tl: Timeline, a: Anchoring, q: GoldQueries, rng: random.Random) -> list[Target]:
    out = []
    recent = {an.iso_week_back(tl, k): k for k in range(0, 9)}
    first_day: dict[tuple[int, int], date] = {}
    for day in q.distinct("day"):
        iso = day.isocalendar()
        first_day.setdefault((iso[0], iso[1]), day)
    for iso, day in first_day.items():
        if iso in recent:
            out.append(Target("week", {"k": recent[iso]}, an.week_scope(iso)))
        out.append(Target("week", {"of": day}, an.week_scope(iso)))
    return out


ENUMERATORS: dict[str, Enumerator] = {
    "session": _session,
    "rel_session": _rel_session,
    "dates": _dates,
    "rel_day": _rel_day,
    "day_span": _day_span,
    "date_span": _date_span,
    "session_span": _session_span,
    "month": _month,
    "rel_month": _rel_month,
    "earlier_today": _earlier_today,
    "last_named_day": _last_named_day,
    "session_speaker": _session_speaker,
    "session_edge": _session_edge,
    "nth_on_day": _nth_on_day,
    "year_date": _year_date,
    "before_last": _before_last,
    "week": _week,
}


def time_targets(
    family: str, tl: Timeline, anchoring: Anchoring, q: GoldQueries, rng: random.Random
) -> list[Target]:
    if tl.count == 0:
        return []
    return ENUMERATORS[family](tl, anchoring, q, rng)
