"""Fuzzy times: a date named roughly, and the parts of a month.

Windows (documented in docs/retrieval.md):
- "around / roughly / approximately / circa / near / close to / on about <date>": the date
  and ``AROUND_DAYS`` days either side ("around the 4th of July": 1-7 July).
- "early / the beginning of / the start of <month>": days 1-10; "mid / the middle of":
  days 11-20; "late / the end of": day 21 to the month's last (a month in thirds).
- "recently", "lately", "the other day": the most recent session begun before asking.
- "N minutes / hours ago" ("a few minutes ago"): from twice that long before asking up to
  the moment of asking.

These run before the calendar rules, so the date or month inside is read only once.
"""

from __future__ import annotations

import re
from datetime import timedelta

from agent.grounding.dates import DATE_TEXT, MON, YEAR_NUMBER, parse_point
from agent.grounding.scanner import Scanner, rx
from agent.grounding.types import ConversationFacts, DaySpan, SessionPick, Window

AROUND_DAYS = 3
AROUND = rx(
    r"\b(?:(?:some\s*time\s+|sometime\s+|somewhere\s+)?(?:around|roughly|approximately|circa|near|close\s+to)"
    rf"|(?:on|from|at)\s+about|round\s+about)\s+(?:the\s+)?(?P<a>{DATE_TEXT})"
)
PART_OF_MONTH = rx(
    r"\b(?P<part>early|mid|late|(?:the\s+)?(?:beginning|start|middle|end)\s+of)\s+(?:the\s+month\s+of\s+)?"
    rf"(?P<m>{MON})\b(?:\s+(?P<y>{YEAR_NUMBER}))?"
)
MINUTES_AGO = rx(r"\b(?P<n>\d+|a|an)\s+(?P<unit>minutes?|mins?|hours?|hrs?)\s+(?:ago|back)\b")
RECENTLY = rx(r"\b(?:recently|lately|(?:the\s+)?other\s+day)\b")
THIRDS = {"early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mid": (11, 20),
          "middle": (11, 20), "late": (21, 31), "end": (21, 31)}


def scan_fuzzy(
    scanner: Scanner, facts: ConversationFacts
) -> tuple[list[DaySpan], list[Window], SessionPick | None]:
    def around(m: re.Match[str]) -> DaySpan | None:
        point = parse_point(m.group("a"), facts)
        if point is None or point.start != point.end:
            return None
        return DaySpan(point.start - timedelta(days=AROUND_DAYS), point.end + timedelta(days=AROUND_DAYS))

    def part_of_month(m: re.Match[str]) -> DaySpan | None:
        month = parse_point(" ".join(filter(None, (m.group("m"), m.group("y")))), facts)
        if month is None:
            return None
        first, last = THIRDS[m.group("part").split()[-2] if " of" in m.group("part") else m.group("part")]
        start = month.start + timedelta(days=first - 1)
        return DaySpan(start, min(month.start + timedelta(days=last - 1), month.end))

    def minutes_ago(m: re.Match[str]) -> Window | None:
        n = 1 if m.group("n") in ("a", "an") else int(m.group("n"))
        try:
            span = timedelta(hours=2 * n) if m.group("unit").startswith("h") else timedelta(minutes=2 * n)
            return Window(facts.asked_at - span, facts.asked_at)
        except OverflowError:
            return None  # further back than the calendar goes: not a time reference

    spans = scanner.scan(AROUND, around) + scanner.scan(PART_OF_MONTH, part_of_month)
    windows = scanner.scan(MINUTES_AGO, minutes_ago)
    recent = scanner.scan(RECENTLY, lambda m: SessionPick(-1, 1, from_now=True))
    return spans, windows, recent[0] if recent else None
