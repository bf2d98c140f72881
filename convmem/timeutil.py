"""Time parsing and calendar helpers used by loaders, planners and generators."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

# Month names and abbreviations, weekdays: what questions and turns spell times with.
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_SPOKEN_FORMATS = (
    "%I:%M:%S %p on %A %d %B, %Y",  # TemporalMemoryDataset turn: 01:56:04 AM on Monday 08 May, 2023
    "%I:%M %p on %d %B, %Y",  # LoCoMo session: 1:56 pm on 8 May, 2023
    "%I:%M:%S %p on %d %B, %Y",
    "%I:%M %p on %A %d %B, %Y",
)


def parse_spoken_datetime(text: str) -> datetime:
    """Parse the dataset styles ("1:56 pm on 8 May, 2023") and ISO 8601.

    Raises ValueError with the offending text when nothing matches.
    """
    raw = " ".join(str(text).split())
    if not raw:
        raise ValueError("empty timestamp")
    for fmt in _SPOKEN_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return parse_iso(raw)


def parse_iso(text: str) -> datetime:
    """ISO 8601 to a naive local datetime (an offset, if given, is dropped after conversion
    to the wall-clock time it names)."""
    return parse_iso_keeping_offset(text).replace(tzinfo=None)


def parse_iso_keeping_offset(text: str) -> datetime:
    """ISO 8601 to a datetime, aware when the text gives an offset (``Z`` is UTC)."""
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"unparseable timestamp {text!r} (expected ISO 8601)") from None
    return moment


def part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 21:
        return "evening"
    return "night"


def month_shift(day: date, months: int) -> date:
    """The first day of the month ``months`` after (negative: before) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def start_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def end_of_day(day: date) -> datetime:
    return start_of_day(day) + timedelta(days=1)


_WORD_RE = re.compile(r"[A-Za-z0-9']+")


def word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))
