"""Spelling numbers, ordinals, dates and months the ways people say them.

Question templates need the same reference in several surface forms ("3rd", "third",
"3"; "May 8th", "May eighth", "8 May") so that a retriever cannot succeed by matching one
fixed string; these helpers produce those forms and read them back (the fidelity check
parses the paper's questions with ``parse_ordinal`` and ``parse_number``).
"""

from __future__ import annotations

import calendar
import re
from datetime import date


def word_list(text: str) -> tuple[str, ...]:
    """Whitespace-separated words: long vocabularies stay readable as prose."""
    return tuple(text.split())


_ONES = word_list(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    " fifteen sixteen seventeen eighteen nineteen"
)
_TENS = word_list("_ _ twenty thirty forty fifty sixty seventy eighty ninety")
_ORDINAL_ONES = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
MONTHS = tuple(calendar.month_name)[1:]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def number_word(n: int) -> str:
    """0..9999 in words: 167 -> 'one hundred sixty-seven'."""
    if n < 0:
        raise ValueError("negative numbers have no spoken form here")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_word(rest)}" if rest else "")
    if n < 10000:
        thousands, rest = divmod(n, 1000)
        return f"{_ONES[thousands]} thousand" + (f" {number_word(rest)}" if rest else "")
    return str(n)


def ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def ordinal_digits(n: int) -> str:
    return f"{n}{ordinal_suffix(n)}"


def ordinal_word(n: int) -> str:
    """3 -> 'third', 25 -> 'twenty-fifth', 100 -> 'one hundredth'."""
    words = number_word(n)
    head, sep, last = (
        words.rpartition("-") if "-" in words.split(" ")[-1] else words.rpartition(" ")
    )
    if last in _ORDINAL_ONES:
        last = _ORDINAL_ONES[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


_ORDINAL_LOOKUP = {ordinal_word(n): n for n in range(1, 400)}
_NUMBER_LOOKUP = {number_word(n): n for n in range(0, 400)}


def parse_ordinal(text: str) -> int | None:
    """'third' or '3rd' -> 3; None when the text is not an ordinal."""
    raw = text.strip().lower()
    match = re.fullmatch(r"(\d+)(st|nd|rd|th)", raw)
    if match:
        return int(match.group(1))
    return _ORDINAL_LOOKUP.get(raw)


def parse_number(text: str) -> int | None:
    """'three' or '3' -> 3."""
    raw = text.strip().lower()
    if raw.isdigit():
        return int(raw)
    return _NUMBER_LOOKUP.get(raw)


def month_name(month: int) -> str:
    return MONTHS[month - 1]


def month_number(name: str) -> int | None:
    for index, full in enumerate(MONTHS, start=1):
        if name.lower() in (full.lower(), full[:3].lower()):
            return index
    return None


def day_forms(day: date, with_year: bool = False) -> list[str]:
    """Spoken forms of a calendar date, digits first: 'May 8th', 'May eighth', ..."""
    month = month_name(day.month)
    forms = [
        f"{month} {ordinal_digits(day.day)}",
        f"{month} {ordinal_word(day.day)}",
        f"the {ordinal_digits(day.day)} of {month}",
        f"{day.day} {month}",
    ]
    if with_year:
        forms = [
            f"{month} {ordinal_digits(day.day)}, {day.year}",
            f"{month} {ordinal_word(day.day)}, {day.year}",
            f"the {ordinal_digits(day.day)} of {month} {day.year}",
            f"{day.day} {month} {day.year}",
            day.isoformat(),
        ]
    return forms


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def count_forms(n: int, unit: str) -> list[str]:
    """'3 days' / 'three days'; 1 -> 'one day' / 'a day'."""
    if n == 1:
        return [f"1 {unit}", f"one {unit}", f"a {unit}"]
    return [f"{n} {unit}s", f"{number_word(n)} {unit}s"]
