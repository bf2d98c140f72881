"""Calendar expressions: dates, spans, months, years, days, weeks, parts of the day.

Conventions (relative to ``asked_at``; "today" is its date):
- A date or month named without a year is its most recent occurrence on or before today.
- "N days ago" means the sessions that began N whole days (24-hour periods) before the
  moment of asking; when none did, the calendar day today - N.  "yesterday" is the
  calendar day before today; "today" is the whole of today; "earlier today" is today up to the moment of asking; "this morning"
  (afternoon, evening) is that part of today up to the moment of asking.
- "the last/past N days" and "the last/past week" are the sessions begun less than N
  (7 for a week) whole days, 24-hour periods, before asking, taken whole, plus the rest of
  today's; "the last/past N months" is a rolling window of whole days.
- "last week" / "N weeks ago" are calendar weeks (Monday to Sunday) before this one;
  "this week" is Monday of this week through today.
- "last month" / "N months ago" are calendar months; "this month" is the current month.
- "last Friday" (or "on Friday", "this past Friday") is the most recent Friday before
  today; "on Fridays" filters every Friday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from agent.grounding.dates import (
    CONNECT,
    DATE_TEXT,
    DAY_NUMBER,
    MONTH_FRAMED,
    MONTH_PLAIN,
    MONTH_YEAR,
    POINT,
    WEEKDAY_NAME,
    YEAR_NUMBER,
    count_of,
    day_of_month,
    latest_day_of_month,
    month_span,
    parse_point,
    part_window,
    season_span,
    shift_day,
    week_containing,
    week_span,
)
from agent.grounding.scanner import Scanner, rx
from agent.grounding.types import ConversationFacts, DaySpan, Window
from convmem.timeutil import WEEKDAYS, month_shift

SPAN = rx(
    rf"\b(?:(?P<pre>between|from)\s+)?(?P<a>{POINT})\s+{CONNECT}\s+(?:the\s+)?"
    rf"(?P<b>{POINT}|{DAY_NUMBER}\b)"
)
SINCE = rx(rf"\b(?P<kind>since|after|before)\s+(?P<a>{DATE_TEXT}|{MONTH_YEAR}|{MONTH_PLAIN})")
# "the week of May 8th": the calendar week (Monday to Sunday) that holds the date.
WEEK_OF = rx(
    rf"\b(?:the\s+)?week\s+(?:of|starting|beginning|including|containing|around|that\s+(?:had|included))\s+"
    rf"(?:the\s+)?(?P<a>{DATE_TEXT})"
)
# "the day after March 3rd", "the day before June 9th": one day beside a date.
DAY_BESIDE = rx(rf"\b(?:the\s+)?day\s+(?P<kind>after|before)\s+(?:the\s+)?(?P<a>{DATE_TEXT})")
# "Monday last week", "on Friday of this week", "last week on Tuesday".
DAY_OF_WEEK = rx(
    rf"\b(?:on\s+)?(?P<day>{WEEKDAY_NAME})\s+(?:of\s+)?(?P<which>last|this|previous|past)\s+week\b"
    rf"|\b(?P<which2>last|this|previous|past)\s+week\s+on\s+(?P<day2>{WEEKDAY_NAME})\b"
)
WEEKS_AGO_TODAY = rx(r"\b(?P<n>\d+|a|an)\s+weeks?\s+ago\s+today\b")
SEASON = rx(r"\b(?:(?P<which>last|this|past|the)\s+)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?(?P<y>(?:19|20)\d\d))?\b")
DATE = rx(rf"\b{DATE_TEXT}")
MONTH = rx(rf"\b(?:{MONTH_YEAR}|{MONTH_FRAMED}|{MONTH_PLAIN})")
ISO_MONTH = rx(rf"\b(?P<y>{YEAR_NUMBER})-(?P<m>\d\d)\b(?!-)")
YEAR = rx(rf"\b(?:in|during|of|from)\s+(?P<y>{YEAR_NUMBER})\b")
REL_YEAR = rx(r"\b(?P<which>last|this|(?P<n>\d+) years?)\s*(?:year|ago)\b")
ROLLING = rx(
    # "this previous week" is the last seven days; "the previous week" the calendar week
    r"\b(?:(?:in|over|during|within|for)\s+)?(?:(?:the|this)\s+(?:last|past)|this\s+previous|the\s+previous(?=\s+\d))\s+"
    r"(?:(?P<n>\d+)\s+)?(?P<unit>days?|weeks?|months?)\b"
)
PAST_N = rx(r"\b(?:in|over|during|within)\s+(?:the\s+)?(?:last|past)\s+(?P<n>\d+)\s+(?P<unit>days?|weeks?|months?)\b")
AGO = rx(r"\b(?P<n>\d+|a|an)\s+(?P<unit>days?|weeks?|months?)\s+(?:ago|back|earlier)\b")
DAY_BEFORE_YESTERDAY = rx(r"\b(?:the\s+)?day\s+before\s+yesterday\b")
WEEK_BEFORE_LAST = rx(r"\b(?:the\s+)?(?P<unit>week|month)\s+before\s+last\b")
# "the week before this one" is last week.
WEEK_BEFORE_THIS = rx(
    r"\b(?:the\s+)?(?P<unit>week|month)\s+before\s+(?:this|the\s+current)(?:\s+(?:1|week|month))?\b"
)
PART_TODAY = rx(
    r"\b(?:(?P<early>earlier)\s+(?:this|today's|todays|in\s+the)\s+|(?:this|today's|todays)\s+)"
    r"(?P<part>morning|afternoon|evening)\b"
    r"|\btonight\b|\blast\s+night\b"
)
YESTERDAY_PART = rx(r"\byesterday\s+(?:in\s+the\s+)?(?P<part>morning|afternoon|evening|night)\b")
EARLIER_TODAY = rx(r"\b(?:earlier|before)\s+today\b|\bearlier\s+on\b")
TODAY = rx(r"\btoday\b|\bthis\s+day\b")
YESTERDAY = rx(r"\byesterday\b")
THIS_LAST = rx(r"\b(?P<which>last|this|past|previous|prior)\s+(?P<unit>week|month|weekend)\b")
NAMED_DAY = rx(
    r"\b(?:(?P<which>last|this\s+past|this|past|on|(?:the\s+)?(?:most\s+recent|previous|last|latest))\s+)?(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?P<plural>s)?\b"
    # "on Tuesday mornings": every Tuesday, as "on Tuesdays"
    r"(?P<every>(?=\s+(?:morning|afternoon|evening|night)s\b))?"
)
WEEKEND = rx(r"\b(?:over|on|during|at)\s+the\s+weekend\b")
HOURS = rx(r"\b(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?:last|past)\s+(?:(?P<n>\d+)\s+)?hours?\b")
# "on the 3rd": the latest 3rd of a month on or before today.
BARE_DAY = rx(
    r"\bon\s+the\s+(?P<d>(?:[12]\d|3[01]|[1-9])th)\b"
    r"(?!\s+(?:of\b|time|times|week|month|day|session|chat|conversation|discussion|talk|call|meeting))"
)
# A part of a day already named: "last Tuesday evening", "the morning of June 3rd".
PART_NEXT = rx(r"(?<=·)\s+(?:in\s+the\s+)?(?P<part>morning|afternoon|evening|night)s?\b")
PART_OF = rx(r"\b(?:(?:on|in|during)\s+)?the\s+(?P<part>morning|afternoon|evening|night)\s+of\b(?=\s+·)")
PART_ANY = rx(r"\b(?:in\s+the|at|during\s+the)\s+(?P<part>mornings?|afternoons?|evenings?|night)\b")


@dataclass
class CalendarFindings:
    spans: list[DaySpan] = field(default_factory=list)  # union
    windows: list[Window] = field(default_factory=list)  # all apply
    weekdays: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    days_ago: int | None = None


def scan_calendar(scanner: Scanner, facts: ConversationFacts) -> CalendarFindings:
    """Find calendar constraints in priority order."""
    today, now = facts.today, facts.asked_at
    spans: list[DaySpan] = []
    windows: list[Window] = []
    weekdays: list[str] = []
    parts: list[str] = []
    monday = today - timedelta(days=today.weekday())

    def span(m: re.Match[str]) -> DaySpan | None:
        a = parse_point(m.group("a"), facts)
        if a is None:
            return None
        connector = m.group(0)[m.end("a") - m.start(0) : m.start("b") - m.start(0)]
        if " and " in f" {connector} " and m.group("pre") != "between":
            return None
        b = parse_point(m.group("b"), facts, default_month=a.start.month)
        if b is None:
            return None
        if b.end < a.start and not re.search(YEAR_NUMBER, m.group("b")):
            b = DaySpan(b.start.replace(year=b.start.year + 1), b.end.replace(year=b.end.year + 1))
        return DaySpan(a.start, b.end)

    def beside(m: re.Match[str]) -> DaySpan | None:
        point = parse_point(m.group("a"), facts)
        if point is None:
            return None
        day = point.start + timedelta(days=1) if m.group("kind") == "after" else point.start - timedelta(days=1)
        return DaySpan(day, day)

    def day_of_week(m: re.Match[str]) -> DaySpan:
        which, day = m.group("which") or m.group("which2"), m.group("day") or m.group("day2")
        week = monday if which == "this" else monday - timedelta(days=7)
        found = week + timedelta(days=WEEKDAYS.index(day))
        return DaySpan(found, found)

    spans += scanner.scan(DAY_BESIDE, beside)
    spans += scanner.scan(DAY_OF_WEEK, day_of_week)
    spans += scanner.scan(WEEKS_AGO_TODAY, lambda m: DaySpan(*[today - timedelta(weeks=count_of(m.group("n")))] * 2))
    spans += scanner.scan(SPAN, span)

    def since(m: re.Match[str]) -> DaySpan | None:
        point = parse_point(m.group("a"), facts)
        if point is None:
            return None
        if m.group("kind") == "before":
            return DaySpan(date(1900, 1, 1), point.start - timedelta(days=1))
        start = point.start if m.group("kind") == "since" else point.end + timedelta(days=1)
        return DaySpan(start, today)

    spans += scanner.scan(SINCE, since)
    spans += scanner.scan(WEEK_OF, lambda m: week_containing(parse_point(m.group("a"), facts)))
    spans += scanner.scan(DATE, lambda m: parse_point(m.group(0), facts))
    spans += scanner.scan(ISO_MONTH, lambda m: month_span(date(int(m.group("y")), int(m.group("m")), 1))
                          if 1 <= int(m.group("m")) <= 12 else None)
    spans += scanner.scan(MONTH, lambda m: parse_point(m.group(0), facts))

    def rolling(m: re.Match[str]) -> DaySpan | Window:
        n = int(m.group("n") or 1)
        unit = m.group("unit").rstrip("s")
        if unit == "month":
            return DaySpan(shift_day(today, -n), today)
        # The sessions begun less than N whole days (24-hour periods) before asking, as
        # for "N days ago"; today's sessions count in full.
        days = n * (7 if unit == "week" else 1)
        return Window(now - timedelta(days=days), datetime.combine(today + timedelta(days=1), time()), True)

    for found in [*scanner.scan(ROLLING, rolling), *scanner.scan(PAST_N, rolling)]:
        (spans if isinstance(found, DaySpan) else windows).append(found)

    def ago(m: re.Match[str]) -> DaySpan | int | None:
        n, unit = count_of(m.group("n")), m.group("unit").rstrip("s")
        if unit == "day":
            # Computed here so that N days before asking beyond the calendar raises in the scan.
            return n if now - timedelta(days=n + 1) <= now else None
        if unit == "week":
            return week_span(monday - timedelta(days=7 * n))
        return month_span(month_shift(today, -n))

    days_ago = None
    for found in scanner.scan(AGO, ago):
        if isinstance(found, int):
            days_ago = found
        else:
            spans.append(found)
    spans += scanner.scan(DAY_BEFORE_YESTERDAY, lambda m: DaySpan(today - timedelta(days=2), today - timedelta(days=2)))
    spans += scanner.scan(
        WEEK_BEFORE_THIS,
        lambda m: week_span(monday - timedelta(days=7)) if m.group("unit") == "week"
        else month_span(month_shift(today, -1)),
    )
    spans += scanner.scan(
        WEEK_BEFORE_LAST,
        lambda m: week_span(monday - timedelta(days=14)) if m.group("unit") == "week"
        else month_span(month_shift(today, -2)),
    )

    def part_today(m: re.Match[str]) -> Window:
        text = m.group(0)
        if "last night" in text:
            start = datetime.combine(today - timedelta(days=1), time(17))
            return Window(start, min(datetime.combine(today, time(5)), now))
        part = "night" if "tonight" in text else m.group("part")
        return part_window(today, part, now)

    windows += scanner.scan(PART_TODAY, part_today)
    windows += scanner.scan(YESTERDAY_PART, lambda m: part_window(today - timedelta(days=1), m.group("part"), None))
    windows += scanner.scan(EARLIER_TODAY, lambda m: Window(datetime.combine(today, time()), now))
    spans += scanner.scan(TODAY, lambda m: DaySpan(today, today))
    spans += scanner.scan(YESTERDAY, lambda m: DaySpan(today - timedelta(days=1), today - timedelta(days=1)))

    def this_last(m: re.Match[str]) -> DaySpan:
        which, unit = m.group("which"), m.group("unit")
        if unit == "week":
            return DaySpan(monday, today) if which == "this" else week_span(monday - timedelta(days=7))
        if unit == "weekend":
            saturday = monday - timedelta(days=2) if which != "this" or today.weekday() < 5 else monday + timedelta(days=5)
            return DaySpan(saturday, saturday + timedelta(days=1))
        if which == "this":
            return DaySpan(date(today.year, today.month, 1), today)
        return month_span(month_shift(today, -1))

    spans += scanner.scan(THIS_LAST, this_last)

    def year(m: re.Match[str]) -> DaySpan:
        y = int(m.group("y"))
        return DaySpan(date(y, 1, 1), date(y, 12, 31))

    spans += scanner.scan(SEASON, lambda m: season_span(m, today))
    spans += scanner.scan(YEAR, year)

    def rel_year(m: re.Match[str]) -> DaySpan:
        n = 0 if m.group("which") == "this" else int(m.group("n") or 1)
        return DaySpan(date(today.year - n, 1, 1), date(today.year - n, 12, 31))

    spans += scanner.scan(REL_YEAR, rel_year)

    def named_day(m: re.Match[str]) -> DaySpan | str | None:
        target = WEEKDAYS.index(m.group("day"))
        if m.group("plural") or m.group("every") is not None or m.group("which") is None:
            weekdays.append(m.group("day").capitalize())
            return "weekday"
        back = (today.weekday() - target) % 7 or 7
        return DaySpan(today - timedelta(days=back), today - timedelta(days=back))

    spans += [s for s in scanner.scan(NAMED_DAY, named_day) if isinstance(s, DaySpan)]
    spans += scanner.scan(BARE_DAY, lambda m: latest_day_of_month(day_of_month(m.group("d")), today))
    spans += scanner.scan(
        WEEKEND, lambda m: DaySpan(monday + timedelta(days=5), today) if today.weekday() >= 5
        else DaySpan(monday - timedelta(days=2), monday - timedelta(days=1)),
    )
    windows += scanner.scan(HOURS, lambda m: Window(now - timedelta(hours=int(m.group("n") or 1)), now))

    def part_any(m: re.Match[str]) -> str:
        part = m.group("part").rstrip("s")
        parts.append(part)
        return part

    scanner.scan(PART_NEXT, part_any)
    scanner.scan(PART_OF, part_any)
    scanner.scan(PART_ANY, part_any)
    return CalendarFindings(spans, windows, weekdays, parts, days_ago)

