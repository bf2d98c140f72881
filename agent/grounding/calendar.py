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

from agent.grounding.scanner import Scanner, rx
from agent.grounding.types import ConversationFacts, DaySpan, Window
from convmem.timeutil import month_shift

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PARTS = {"morning": "morning", "afternoon": "afternoon", "evening": "evening", "night": "night"}
PART_HOURS = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 21), "night": (21, 29)}

_MON = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:th)?"
_YEAR = r"(?:19|20)\d\d"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
# a day of a month: "june 9th", "june the 9th", "9th of june", "the 9th of june, 2023"; a
# weekday just before it only names the same day ("saturday, july 8th").
_DATE = (
    rf"(?:(?:{_WEEKDAY}\s+)?(?:{_MON}\s+(?:the\s+)?{_DAY}(?:\s+{_YEAR})?\b(?!\s*(?:days?|weeks?|months?|years?|sessions?)\b)"
    rf"|(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MON}\b(?:\s+{_YEAR})?)"
    rf"|{_YEAR}-\d\d-\d\d)"
)
_MONTH_YEAR = rf"(?:{_MON}\s+{_YEAR})"
# Modal "may" and verb "march" count as months only in a clear frame.
_MONTH_FRAMED = rf"(?:(?<=\bin )|(?<=\bduring )|(?<=\bof )|(?<=\bsince )|(?<=\bfrom )|(?<=\bthrough ))(?:{_MON})\b"
_MONTH_PLAIN = r"(?:january|february|april|june|july|august|september|october|november|december)\b"
_POINT = rf"(?:{_DATE}|{_MONTH_YEAR}|{_MONTH_PLAIN}|may\b|march\b)"
_CONNECT = r"(?:and|to|through|thru|until|till|up to|-)"

SPAN = rx(
    rf"\b(?:(?P<pre>between|from)\s+)?(?P<a>{_POINT})\s+{_CONNECT}\s+(?:the\s+)?"
    rf"(?P<b>{_POINT}|{_DAY}\b)"
)
SINCE = rx(rf"\b(?P<kind>since|after|before)\s+(?P<a>{_DATE}|{_MONTH_YEAR}|{_MONTH_PLAIN})")
# "the week of May 8th": the calendar week (Monday to Sunday) that holds the date.
WEEK_OF = rx(
    rf"\b(?:the\s+)?week\s+(?:of|starting|beginning|including|containing|around|that\s+(?:had|included))\s+"
    rf"(?:the\s+)?(?P<a>{_DATE})"
)
DATE = rx(rf"\b{_DATE}")
MONTH = rx(rf"\b(?:{_MONTH_YEAR}|{_MONTH_FRAMED}|{_MONTH_PLAIN})")
ISO_MONTH = rx(rf"\b(?P<y>{_YEAR})-(?P<m>\d\d)\b(?!-)")
YEAR = rx(rf"\b(?:in|during|of|from)\s+(?P<y>{_YEAR})\b")
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
)
WEEKEND = rx(r"\b(?:over|on|during|at)\s+the\s+weekend\b")
HOURS = rx(r"\b(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?:last|past)\s+(?:(?P<n>\d+)\s+)?hours?\b")
# "on the 3rd": the latest 3rd of a month on or before today.
BARE_DAY = rx(
    r"\bon\s+the\s+(?P<d>(?:[12]\d|3[01]|[1-9])th)\b"
    r"(?!\s+(?:of\b|time|times|week|month|day|session|chat|conversation|discussion|talk|call|meeting))"
)
# A part of a day already named: "last Tuesday evening", "the morning of June 3rd".
PART_NEXT = rx(r"(?<=·)\s+(?:in\s+the\s+)?(?P<part>morning|afternoon|evening|night)\b")
PART_OF = rx(r"\b(?:(?:on|in|during)\s+)?the\s+(?P<part>morning|afternoon|evening|night)\s+of\b(?=\s+·)")
PART_ANY = rx(r"\b(?:in\s+the|at|during\s+the)\s+(?P<part>mornings?|afternoons?|evenings?|night)\b")


def _int(value: str) -> int:
    return 1 if value in ("a", "an") else int(value)


def _day_of_month(token: str) -> int:
    return int(re.sub(r"th$", "", token))


def parse_point(text: str, facts: ConversationFacts, default_month: int | None = None) -> DaySpan | None:
    """A date, a month (with or without year) or a bare day number, as whole days."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text)
    if iso:
        try:
            day = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
        return DaySpan(day, day)
    words = text.replace(",", " ").split()
    month = next((MONTHS[w] for w in words if w in MONTHS), None)
    year = next((int(w) for w in words if re.fullmatch(_YEAR, w)), None)
    days = [w for w in words if re.fullmatch(_DAY, w) and not re.fullmatch(_YEAR, w)]
    if month is None:
        if default_month is None or not days:
            return None
        month = default_month
    if days:
        day_number = _day_of_month(days[0])
        return _resolve_date(month, day_number, year, facts)
    year = year or _recent_year_for_month(month, facts.today)
    start = date(year, month, 1)
    return DaySpan(start, month_shift(start, 1) - timedelta(days=1))


def _resolve_date(month: int, day_number: int, year: int | None, facts: ConversationFacts) -> DaySpan | None:
    try:
        if year is None:
            candidate = date(facts.today.year, month, day_number)
            if candidate > facts.today:
                candidate = date(facts.today.year - 1, month, day_number)
        else:
            candidate = date(year, month, day_number)
    except ValueError:
        return None
    return DaySpan(candidate, candidate)


def _recent_year_for_month(month: int, today: date) -> int:
    return today.year if month <= today.month else today.year - 1


def _month_span(first: date) -> DaySpan:
    return DaySpan(first, month_shift(first, 1) - timedelta(days=1))


def _week_span(monday: date) -> DaySpan:
    return DaySpan(monday, monday + timedelta(days=6))


def _latest_day_of_month(day_number: int, today: date) -> DaySpan | None:
    first = today.replace(day=1)
    for back in range(12):
        month = month_shift(first, -back)
        try:
            day = month.replace(day=day_number)
        except ValueError:
            continue
        if day <= today:
            return DaySpan(day, day)
    return None


def _week_containing(day: DaySpan | None) -> DaySpan | None:
    return None if day is None else _week_span(day.start - timedelta(days=day.start.weekday()))


def _part_window(day: date, part: str, until: datetime | None) -> Window:
    low, high = PART_HOURS[part]
    start = datetime.combine(day, time()) + timedelta(hours=low)
    end = datetime.combine(day, time()) + timedelta(hours=high)
    if until is not None:
        end = min(end, until)
    return Window(start, end)


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
        if b.end < a.start and not re.search(_YEAR, m.group("b")):
            b = DaySpan(b.start.replace(year=b.start.year + 1), b.end.replace(year=b.end.year + 1))
        return DaySpan(a.start, b.end)

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
    spans += scanner.scan(WEEK_OF, lambda m: _week_containing(parse_point(m.group("a"), facts)))
    spans += scanner.scan(DATE, lambda m: parse_point(m.group(0), facts))
    spans += scanner.scan(ISO_MONTH, lambda m: _month_span(date(int(m.group("y")), int(m.group("m")), 1))
                          if 1 <= int(m.group("m")) <= 12 else None)
    spans += scanner.scan(MONTH, lambda m: parse_point(m.group(0), facts))

    def rolling(m: re.Match[str]) -> DaySpan | Window:
        n = int(m.group("n") or 1)
        unit = m.group("unit").rstrip("s")
        if unit == "month":
            return DaySpan(_shift_day(today, -n), today)
        # The sessions begun less than N whole days (24-hour periods) before asking, as
        # for "N days ago"; today's sessions count in full.
        days = n * (7 if unit == "week" else 1)
        return Window(now - timedelta(days=days), datetime.combine(today + timedelta(days=1), time()), True)

    for found in [*scanner.scan(ROLLING, rolling), *scanner.scan(PAST_N, rolling)]:
        (spans if isinstance(found, DaySpan) else windows).append(found)

    def ago(m: re.Match[str]) -> DaySpan | int:
        n, unit = _int(m.group("n")), m.group("unit").rstrip("s")
        if unit == "day":
            return n
        if unit == "week":
            return _week_span(monday - timedelta(days=7 * n))
        return _month_span(month_shift(today, -n))

    days_ago = None
    for found in scanner.scan(AGO, ago):
        if isinstance(found, int):
            days_ago = found
        else:
            spans.append(found)
    spans += scanner.scan(DAY_BEFORE_YESTERDAY, lambda m: DaySpan(today - timedelta(days=2), today - timedelta(days=2)))
    spans += scanner.scan(
        WEEK_BEFORE_THIS,
        lambda m: _week_span(monday - timedelta(days=7)) if m.group("unit") == "week"
        else _month_span(month_shift(today, -1)),
    )
    spans += scanner.scan(
        WEEK_BEFORE_LAST,
        lambda m: _week_span(monday - timedelta(days=14)) if m.group("unit") == "week"
        else _month_span(month_shift(today, -2)),
    )

    def part_today(m: re.Match[str]) -> Window:
        text = m.group(0)
        if "last night" in text:
            start = datetime.combine(today - timedelta(days=1), time(17))
            return Window(start, min(datetime.combine(today, time(5)), now))
        part = "night" if "tonight" in text else m.group("part")
        return _part_window(today, part, now)

    windows += scanner.scan(PART_TODAY, part_today)
    windows += scanner.scan(YESTERDAY_PART, lambda m: _part_window(today - timedelta(days=1), m.group("part"), None))
    windows += scanner.scan(EARLIER_TODAY, lambda m: Window(datetime.combine(today, time()), now))
    spans += scanner.scan(TODAY, lambda m: DaySpan(today, today))
    spans += scanner.scan(YESTERDAY, lambda m: DaySpan(today - timedelta(days=1), today - timedelta(days=1)))

    def this_last(m: re.Match[str]) -> DaySpan:
        which, unit = m.group("which"), m.group("unit")
        if unit == "week":
            return DaySpan(monday, today) if which == "this" else _week_span(monday - timedelta(days=7))
        if unit == "weekend":
            saturday = monday - timedelta(days=2) if which != "this" or today.weekday() < 5 else monday + timedelta(days=5)
            return DaySpan(saturday, saturday + timedelta(days=1))
        if which == "this":
            return DaySpan(date(today.year, today.month, 1), today)
        return _month_span(month_shift(today, -1))

    spans += scanner.scan(THIS_LAST, this_last)

    def year(m: re.Match[str]) -> DaySpan:
        y = int(m.group("y"))
        return DaySpan(date(y, 1, 1), date(y, 12, 31))

    spans += scanner.scan(YEAR, year)

    def rel_year(m: re.Match[str]) -> DaySpan:
        n = 0 if m.group("which") == "this" else int(m.group("n") or 1)
        return DaySpan(date(today.year - n, 1, 1), date(today.year - n, 12, 31))

    spans += scanner.scan(REL_YEAR, rel_year)

    def named_day(m: re.Match[str]) -> DaySpan | str | None:
        target = WEEKDAYS.index(m.group("day"))
        if m.group("plural") or m.group("which") is None:
            weekdays.append(m.group("day").capitalize())
            return "weekday"
        back = (today.weekday() - target) % 7 or 7
        return DaySpan(today - timedelta(days=back), today - timedelta(days=back))

    spans += [s for s in scanner.scan(NAMED_DAY, named_day) if isinstance(s, DaySpan)]
    spans += scanner.scan(BARE_DAY, lambda m: _latest_day_of_month(_day_of_month(m.group("d")), today))
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


def _shift_day(day: date, months: int) -> date:
    first = month_shift(day, months)
    last = month_shift(first, 1) - timedelta(days=1)
    return first.replace(day=min(day.day, last.day))
