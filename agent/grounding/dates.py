"""How dates and periods are written, and the whole days they stand for.

The building blocks of the calendar rules (``calendar.py``): month and weekday names, the
spellings of a date, and the functions that resolve a date, a month, a week, a season or a
part of a day relative to the moment of asking.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from agent.grounding.types import ConversationFacts, DaySpan, Window
from convmem.timeutil import MONTHS, month_shift

PARTS = {"morning": "morning", "afternoon": "afternoon", "evening": "evening", "night": "night"}
PART_HOURS = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 21), "night": (21, 29)}

MON = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
DAY_NUMBER = r"(?:[12]\d|3[01]|0?[1-9])(?:th)?"
YEAR_NUMBER = r"(?:19|20)\d\d"
WEEKDAY_NAME = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
# a day of a month: "june 9th", "june the 9th", "9th of june", "the 9th of june, 2023"; a
# weekday just before it only names the same day ("saturday, july 8th").
DATE_TEXT = (
    rf"(?:(?:{WEEKDAY_NAME}\s+)?(?:{MON}\s+(?:the\s+)?{DAY_NUMBER}(?:\s+{YEAR_NUMBER})?\b(?!\s*(?:days?|weeks?|months?|years?|sessions?)\b)"
    rf"|(?:the\s+)?{DAY_NUMBER}\s+(?:of\s+)?{MON}\b(?:\s+{YEAR_NUMBER})?)"
    rf"|{YEAR_NUMBER}-\d\d-\d\d)"
)
MONTH_YEAR = rf"(?:{MON}\s+{YEAR_NUMBER})"
# Modal "may" and verb "march" count as months only in a clear frame.
MONTH_FRAMED = rf"(?:(?<=\bin )|(?<=\bduring )|(?<=\bof )|(?<=\bsince )|(?<=\bfrom )|(?<=\bthrough ))(?:{MON})\b"
MONTH_PLAIN = r"(?:january|february|april|june|july|august|september|october|november|december)\b"
POINT = rf"(?:{DATE_TEXT}|{MONTH_YEAR}|{MONTH_PLAIN}|may\b|march\b)"
CONNECT = r"(?:and|to|through|thru|until|till|up to|-)"

SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


def count_of(value: str) -> int:
    return 1 if value in ("a", "an") else int(value)


def day_of_month(token: str) -> int:
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
    year = next((int(w) for w in words if re.fullmatch(YEAR_NUMBER, w)), None)
    days = [w for w in words if re.fullmatch(DAY_NUMBER, w) and not re.fullmatch(YEAR_NUMBER, w)]
    if month is None:
        if default_month is None or not days:
            return None
        month = default_month
    if days:
        day_number = day_of_month(days[0])
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


def month_span(first: date) -> DaySpan:
    return DaySpan(first, month_shift(first, 1) - timedelta(days=1))


def week_span(monday: date) -> DaySpan:
    return DaySpan(monday, monday + timedelta(days=6))


def season_span(m: re.Match[str], today: date) -> DaySpan | None:
    """A season as three calendar months (spring March-May, ..., winter December-February):
    the latest one begun by today ("last summer": the one before it, if it is under way)."""
    which = m.group("which")
    if which is None and m.group("y") is None:
        return None  # "summer plans": no time reference without a frame
    first = date(today.year, SEASONS[m.group("season")], 1)
    if m.group("y"):
        first = first.replace(year=int(m.group("y")))
        if first.month == 12:
            first = first.replace(year=first.year - 1)  # winter 2024: December 2023 - February 2024
    else:
        while first > today:
            first = first.replace(year=first.year - 1)
        if which == "last" and month_shift(first, 3) > today:
            first = first.replace(year=first.year - 1)
    return DaySpan(first, month_shift(first, 3) - timedelta(days=1))


def latest_day_of_month(day_number: int, today: date) -> DaySpan | None:
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


def week_containing(day: DaySpan | None) -> DaySpan | None:
    return None if day is None else week_span(day.start - timedelta(days=day.start.weekday()))


def part_window(day: date, part: str, until: datetime | None) -> Window:
    low, high = PART_HOURS[part]
    start = datetime.combine(day, time()) + timedelta(hours=low)
    end = datetime.combine(day, time()) + timedelta(hours=high)
    if until is not None:
        end = min(end, until)
    return Window(start, end)


def shift_day(day: date, months: int) -> date:
    first = month_shift(day, months)
    last = month_shift(first, 1) - timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


# ---- numeric dates ------------------------------------------------------------------------
# "17/08/2023", "8/17/23", "17.08.2023", "2023/08/17", "17-08-2023", "17/08": python-dateutil
# reads them (it knows which numbers can be a month, and refuses 31/02); the day/month order
# of an ambiguous one ("05/06/2023") is ``Settings.date_order``.  They are spelled out as the
# grammar's own dates ("17th august 2023"), so every rule around a date applies to them.
NUMERIC_DATE = re.compile(
    r"(?<![\d/.\-])(?:(?P<y>(?:19|20)\d\d)[/.\-](?P<ym>\d{1,2})[/.\-](?P<yd>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?:(?P=sep)(?P<c>(?:19|20)?\d\d))?)(?![\d/\-]|\.\d)"
)
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")


def spell_numeric_dates(text: str, order: str = "MDY") -> str:
    """Numeric dates in ``text`` written as "17th august 2023" (or "17th august" without a
    year); anything that is not a valid date is left as it was."""
    return NUMERIC_DATE.sub(lambda m: _spelled(m, order) or m.group(0), text)


def _spelled(m: re.Match[str], order: str) -> str | None:
    from dateutil import parser

    if m.group("y"):
        raw, dayfirst, yearfirst = f"{m.group('y')}-{m.group('ym')}-{m.group('yd')}", False, True
    elif m.group("sep") in "-." and not m.group("c"):
        return None  # "3-5" is a range of numbers, "10.30" a time of day: not dates
    else:
        year = m.group("c")
        raw = f"{m.group('a')}/{m.group('b')}" + (f"/{year}" if year else "/2000")
        dayfirst, yearfirst = order == "DMY", False
    try:
        parsed = parser.parse(raw, dayfirst=dayfirst, yearfirst=yearfirst)
    except (ValueError, OverflowError):
        return None
    has_year = bool(m.group("y") or m.group("c"))
    spelled = f"{parsed.day}th {MONTH_NAMES[parsed.month - 1]}"
    return f"{spelled} {parsed.year}" if has_year else spelled
