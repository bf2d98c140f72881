"""Event time: the dates a turn's own words refer to, resolved against when it was said.

"I ran a charity race last Saturday", said on Thursday 25 May 2023, happened on Saturday
20 May.  Questions ask when things *happened*, so a store that knows only when they were
*said* answers with the wrong date.  This resolver reads the common spoken forms
deterministically (no LLM, a few microseconds a turn) and returns whole-day spans:

| words | span |
|---|---|
| today, tonight, this morning | the day said |
| yesterday, last night / the day before yesterday / N days ago | that day |
| tomorrow / the day after tomorrow | that day |
| last Saturday, on Saturday, this past Saturday, last Sat, last Tues | the latest Saturday before the day said |
| next Saturday, this Saturday | the first Saturday after it (this Saturday: on or after) |
| last weekend, over the weekend, this past weekend | the latest Saturday–Sunday ending before the day said |
| this weekend / next weekend | the Saturday–Sunday of this / next week |
| two weekends ago, N weekends ago | that many weekends back |
| last week, N weeks ago, a couple of weeks ago | calendar weeks (Monday–Sunday) back |
| this week / next week | this / next calendar week |
| a few days / weeks ago, the other day | 2–5 days / 2–4 weeks back (kind ``approx``) |
| N days / weeks / months back | as "ago" |
| the weekend / week / month / year before last | two of them back |
| Christmas (Eve), New Year's (Eve), Thanksgiving, Halloween, Valentine's, Easter, Independence Day | the latest on or before the day said (next / this coming: the first after) |
| last month, N months ago, this month, next month | calendar months |
| last year, N years ago, this year, next year | calendar years |
| in May, May 2022, last May | the month: the latest May not after the month said, unless a year is given |
| last summer, this spring | three months (Dec–Feb is winter), the latest begun (last: the one before) |
| May 8, 8th of May, 2023-05-08, May 8th 2023 | that day (no year: the latest on or before the day said) |
| in 2022 | that year |

Casing does not matter, and a misspelt long time word ("yesterdy", "tommorow", "wensday":
one slip, two in words of eight letters or more, the first two letters kept) reads as the
word; the expression keeps the turn's own spelling.
A turn said on a Sunday night that mentions "last Saturday" means the day before; at a
month end "next month" is the month after that one; at a year end "next year" the year
after.  Each hit has ``kind`` (day, weekend, week, month, season, year, approx).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.easter import easter

from convmem.timeutil import MONTHS, WEEKDAYS

NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "couple of": 2, "a couple": 2,
}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}

_NUM = r"(?P<n>\d{1,2}|a couple of|couple of|a couple|one|two|three|four|five|six|seven|eight|nine|ten|an|a)"
_MON_FULL = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_MON = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
_DAYNUM = r"(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_WD = r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
# abbreviations only after "last", "next", "this", "past" ("last Tues", "this Fri")
_WD_SHORT = r"(?P<wd>mon|tues?|wed|weds|thu|thur|thurs|fri|sat|sun)\b\.?"
_AGO = r"(?:ago|back)"

# (pattern, handler name), tried in order; a later pattern never matches inside an earlier hit.
_HOLIDAY = (
    r"(?P<hol>christmas eve|christmas|xmas|new year'?s eve|new year'?s(?: day)?|thanksgiving|halloween"
    r"|valentine'?s(?: day)?|easter|independence day)\b"
)
_RULES: tuple[tuple[str, str], ...] = (
    (r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b", "iso"),
    (rf"\b(?P<mon>{_MON})\.?\s+(?:the\s+)?{_DAYNUM}\b(?:,?\s+{_YEAR})?(?!\s*(?:days?|weeks?|months?|years?|hours?|minutes?|am|pm|k|%))", "month_day"),
    (rf"\b(?:the\s+)?{_DAYNUM}\s+(?:of\s+)?(?P<mon>{_MON})\b(?:,?\s+{_YEAR})?", "month_day"),
    (r"\bthe day before yesterday\b", "before_yesterday"),
    (r"\bthe day after tomorrow\b", "after_tomorrow"),
    (r"\b(?:yesterday|last night)\b", "yesterday"),
    (r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", "today"),
    (r"\btomorrow\b", "tomorrow"),
    (r"\bthe (?P<unit>weekend|week|month|year) before last\b", "before_last"),
    (rf"\b(?P<mod>last|next|this coming|this past)?\s*{_HOLIDAY}", "holiday"),
    (rf"\b{_NUM}\s+days?\s+{_AGO}\b", "days_ago"),
    (rf"\b(?:a few|few|several) days {_AGO}\b|\bthe other day\b", "few_days"),
    (rf"\b{_NUM}\s+weekends?\s+{_AGO}\b", "weekends_ago"),
    (r"\b(?:last|past|this past|over the|the other) weekend\b", "last_weekend"),
    (r"\bthis weekend\b", "this_weekend"),
    (r"\bnext weekend\b", "next_weekend"),
    (rf"\b(?:last|this past|past|on|this last)\s+{_WD}\b", "last_weekday"),
    (rf"\b(?:last|this past|past|this last)\s+{_WD_SHORT}", "last_weekday"),
    (rf"\bnext\s+{_WD}\b", "next_weekday"),
    (rf"\bnext\s+{_WD_SHORT}", "next_weekday"),
    (rf"\bthis(?: coming)?\s+{_WD}\b", "this_weekday"),
    (rf"\b{_NUM}\s+weeks?\s+{_AGO}\b", "weeks_ago"),
    (rf"\b(?:a few|few|several) weeks {_AGO}\b", "few_weeks"),
    (r"\b(?:last|past|previous) week\b|\bthe week before\b", "last_week"),
    (r"\bthis week\b", "this_week"),
    (r"\bnext week\b", "next_week"),
    (rf"\b{_NUM}\s+months?\s+{_AGO}\b", "months_ago"),
    (r"\b(?:last|past|previous) month\b", "last_month"),
    (r"\bthis month\b", "this_month"),
    (r"\bnext month\b", "next_month"),
    (rf"\b{_NUM}\s+years?\s+{_AGO}\b", "years_ago"),
    (r"\b(?:last|past|previous) year\b", "last_year"),
    (r"\bthis year\b", "this_year"),
    (r"\bnext year\b", "next_year"),
    (r"\b(?P<which>last|this|next)\s+(?P<season>spring|summer|autumn|fall|winter)\b", "season"),
    (rf"\b(?P<last>last\s+)?(?P<mon>{_MON_FULL})(?:,?\s+{_YEAR})?\b", "month"),
    (rf"\b(?:in|since|during|of)\s+{_YEAR}\b", "year"),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), h) for p, h in _RULES)
# Every rule needs one of these; most turns have none and are skipped after one search.
_TRIGGER = re.compile(
    r"\d|yesterday|today|tonight|tomorrow|\bago\b|week|month|year|morning|afternoon|evening"
    r"|night|spring|summer|autumn|\bfall\b|winter|day\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun)|christmas|xmas|eve\b|thanksgiving|halloween|valentine|easter",
    re.IGNORECASE,
)
# "may" and "march" are months only with a year or in a clear frame.
_MODAL_MONTH = re.compile(r"^(?:may|march)$", re.IGNORECASE)
_MONTH_FRAME = re.compile(r"(?:\b(?:in|during|of|since|from|until|early|late|mid|last|next|this)\s+|-)$", re.IGNORECASE)


# Time words long enough that one slip of the keyboard ("yesterdy", "tommorow", "wensday")
# still names only them; shorter ones ("march", "sunday") have real-word neighbours.
_FUZZY_WORDS = ("yesterday", "tomorrow", "weekend", "tuesday", "wednesday", "thursday", "saturday",
                "january", "february", "september", "october", "november", "december")


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, swaps)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


_BY_START: dict[str, tuple[str, ...]] = {}
for _target in _FUZZY_WORDS:
    _BY_START[_target[:2]] = (*_BY_START.get(_target[:2], ()), _target)
# a slip rarely hits the first two letters; only words that start like a time word are compared
_MAY_BE_TIME_WORD = re.compile(rf"\b(?:{'|'.join(_BY_START)})[a-z]{{4,}}", re.IGNORECASE)


def _correct(word: str) -> str:
    lower = word.lower()
    base, plural = (lower[:-1], "s") if lower.endswith("s") and len(lower) > 7 else (lower, "")
    if base in _FUZZY_WORDS:
        return word
    for target in _BY_START.get(base[:2], ()):
        if abs(len(base) - len(target)) > 2:
            continue
        allowed = 2 if len(target) >= 8 else 1
        if _edits(base, target) <= allowed:
            return target + plural
    return word


def _fix_typos(text: str) -> tuple[str, list[int]]:
    """``text`` with misspelt time words corrected, and for each character of the result
    the offset of the character of ``text`` it comes from."""
    if not any(_correct(m.group(0)) != m.group(0) for m in _MAY_BE_TIME_WORD.finditer(text)):
        return text, list(range(len(text) + 1))
    out: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _MAY_BE_TIME_WORD.finditer(text):
        fixed = _correct(m.group(0))
        if fixed == m.group(0):
            continue
        out.append(text[last: m.start()])
        origin.extend(range(last, m.start()))
        out.append(fixed)
        origin.extend([m.start()] * (len(fixed) - 1) + [m.end() - 1])
        last = m.end()
    out.append(text[last:])
    origin.extend(range(last, len(text)))
    origin.append(len(text))
    return "".join(out), origin


@dataclass(frozen=True)
class EventTime:
    """A span of whole days a turn refers to (``end`` included)."""

    start: date
    end: date
    expression: str
    kind: str

    def describe(self) -> str:
        if self.start == self.end:
            return f"{self.start:%a %d %b %Y}"
        return f"{self.start:%a %d %b %Y} - {self.end:%a %d %b %Y}"


def _count(match: re.Match[str]) -> int:
    raw = match.group("n").lower()
    return int(raw) if raw.isdigit() else NUMBERS.get(raw, 1)


def _month_span(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def _shift_month(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _week(day: date, weeks: int) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday()) + timedelta(weeks=weeks)
    return monday, monday + timedelta(days=6)


def _weekend_before(day: date) -> date:
    """The Saturday of the latest weekend that ends before ``day``."""
    sunday = day - timedelta(days=(day.weekday() + 1) % 7 or 7)
    return sunday - timedelta(days=1)


def _resolve(handler: str, m: re.Match[str], said: date) -> tuple[date, date, str] | None:
    day = timedelta(days=1)
    if handler == "iso":
        try:
            d = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            return None
        return d, d, "day"
    if handler == "month_day":
        month = MONTHS[m.group("mon").lower()]
        if _MODAL_MONTH.match(m.group("mon")) and not m.group("y") and not re.search(r"\d(?:st|nd|rd|th)\b", m.group(0)):
            return None
        try:
            if m.group("y"):
                d = date(int(m.group("y")), month, int(m.group("d")))
            else:
                d = date(said.year, month, int(m.group("d")))
                if d > said:
                    d = date(said.year - 1, month, int(m.group("d")))
        except ValueError:
            return None
        return d, d, "day"
    simple = {
        "before_yesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1, "after_tomorrow": 2,
    }
    if handler in simple:
        d = said + simple[handler] * day
        return d, d, "day"
    if handler == "before_last":
        unit = m.group("unit").lower()
        if unit == "weekend":
            saturday = _weekend_before(said) - timedelta(weeks=1)
            return saturday, saturday + day, "weekend"
        if unit == "week":
            return (*_week(said, -2), "week")
        if unit == "month":
            return (*_month_span(*_shift_month(said, -2)), "month")
        return date(said.year - 2, 1, 1), date(said.year - 2, 12, 31), "year"
    if handler == "holiday":
        d = _holiday(m.group("hol").lower(), said, (m.group("mod") or "").lower())
        return d, d, "day"
    if handler == "days_ago":
        d = said - _count(m) * day
        return d, d, "day"
    if handler == "few_days":
        return said - 5 * day, said - 2 * day, "approx"
    if handler in ("last_weekend", "weekends_ago"):
        saturday = _weekend_before(said) - timedelta(weeks=(_count(m) - 1) if handler == "weekends_ago" else 0)
        return saturday, saturday + day, "weekend"
    if handler in ("this_weekend", "next_weekend"):
        saturday = said - timedelta(days=said.weekday()) + 5 * day
        if handler == "next_weekend":
            saturday += timedelta(weeks=1)
        return saturday, saturday + day, "weekend"
    if handler in ("last_weekday", "next_weekday", "this_weekday"):
        target = next(i for i, name in enumerate(WEEKDAYS) if name.startswith(m.group("wd").lower()[:3]))
        if handler == "last_weekday":
            d = said - timedelta(days=(said.weekday() - target) % 7 or 7)
        elif handler == "next_weekday":
            d = said + timedelta(days=(target - said.weekday()) % 7 or 7)
        else:
            d = said + timedelta(days=(target - said.weekday()) % 7)
        return d, d, "day"
    if handler == "weeks_ago":
        return (*_week(said, -_count(m)), "week")
    if handler == "few_weeks":
        return said - timedelta(weeks=4), said - timedelta(weeks=2), "approx"
    weeks = {"last_week": -1, "this_week": 0, "next_week": 1}
    if handler in weeks:
        return (*_week(said, weeks[handler]), "week")
    months = {"last_month": -1, "this_month": 0, "next_month": 1}
    if handler in months or handler == "months_ago":
        shift = -_count(m) if handler == "months_ago" else months[handler]
        return (*_month_span(*_shift_month(said, shift)), "month")
    years = {"last_year": -1, "this_year": 0, "next_year": 1}
    if handler in years or handler == "years_ago":
        y = said.year + (-_count(m) if handler == "years_ago" else years[handler])
        return date(y, 1, 1), date(y, 12, 31), "year"
    if handler == "year":
        y = int(m.group("y"))
        return date(y, 1, 1), date(y, 12, 31), "year"
    if handler == "season":
        first = SEASONS[m.group("season").lower()]
        year = said.year - (1 if first == 12 and said.month < 12 else 0)
        start = date(year, first, 1)
        if start > said:
            start = date(year - 1, first, 1)
        which = m.group("which").lower()
        if which == "last" and _season_end(start) >= said:
            start = date(start.year - 1, first, 1)
        elif which == "next":
            start = date(start.year + 1, first, 1)
        return start, _season_end(start), "season"
    if handler == "month":
        name = m.group("mon")
        if _MODAL_MONTH.match(name) and not m.group("y"):
            before = m.string[: m.start("mon")]
            if not _MONTH_FRAME.search(before):
                return None
        month = MONTHS[name.lower()]
        if m.group("y"):
            year = int(m.group("y"))
        else:
            year = said.year if month <= said.month else said.year - 1
            if m.group("last") and month == said.month:
                year -= 1
        return (*_month_span(year, month), "month")
    return None


def _holiday_in(name: str, year: int) -> date:
    if name.startswith(("christmas eve",)):
        return date(year, 12, 24)
    if name.startswith(("christmas", "xmas")):
        return date(year, 12, 25)
    if name.startswith("new year") and name.endswith("eve"):
        return date(year, 12, 31)
    if name.startswith("new year"):
        return date(year, 1, 1)
    if name == "thanksgiving":  # the fourth Thursday of November (United States)
        first = date(year, 11, 1)
        return first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    if name == "halloween":
        return date(year, 10, 31)
    if name.startswith("valentine"):
        return date(year, 2, 14)
    if name == "easter":
        return easter(year)
    return date(year, 7, 4)  # independence day


def _holiday(name: str, said: date, modifier: str) -> date:
    """The latest such day on or before the day said ("over Christmas", "last Easter"), or
    the first after it for "next" / "this coming"."""
    if modifier in ("next", "this coming"):
        d = _holiday_in(name, said.year)
        return d if d > said else _holiday_in(name, said.year + 1)
    d = _holiday_in(name, said.year)
    return d if d <= said else _holiday_in(name, said.year - 1)


def _season_end(start: date) -> date:
    year, month = _shift_month(start, 2)
    return _month_span(year, month)[1]


def find_event_times(text: str, said_at: datetime | date) -> list[tuple[int, int, EventTime]]:
    """``(start, end, event)`` of every time expression of ``text``, in the order they
    appear; overlapping matches keep the one found by the earlier rule."""
    clean, origin = _fix_typos(text)
    if not _TRIGGER.search(clean):
        return []
    said = said_at.date() if isinstance(said_at, datetime) else said_at
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, EventTime]] = []
    for pattern, handler in _COMPILED:
        for m in pattern.finditer(clean):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            resolved = _resolve(handler, m, said)
            if resolved is None:
                continue
            taken.append((m.start(), m.end()))
            start, end, kind = resolved
            begin, finish = origin[m.start()], origin[m.end() - 1] + 1
            words = text[begin:finish].strip()
            found.append((begin, finish, EventTime(start, end, words, kind)))
    return sorted(found, key=lambda hit: hit[0])


def resolve_event_times(text: str, said_at: datetime | date) -> list[EventTime]:
    """Every time expression of ``text`` resolved against the moment it was said, in the
    order they appear; overlapping matches keep the one found by the earlier rule."""
    return [event for _, _, event in find_event_times(text, said_at)]

