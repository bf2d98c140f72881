"""Text normalisation for the temporal grammar: numbers become digits.

"three" -> "3", "twenty-one" -> "21", "a hundred and sixty seven" -> "167",
"third" / "3rd" -> "3th" (one canonical ordinal form), "June ninth" -> "june 9th".
Everything is lower-cased; punctuation other than ``-``, ``/``, ``:`` and ``'`` becomes
a space, so rules can match on plain words.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}
ORDINAL_TENS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
    "seventieth": 70, "eightieth": 80, "ninetieth": 90,
}
FUZZY = {
    "a couple of": "2", "a couple": "2", "couple of": "2", "a few": "3", "few": "3",
    "a fortnight": "2 weeks", "fortnight": "2 weeks",
}

_PUNCT = re.compile(r"[^\w\s\-/:'#]")
_DIGIT_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    lowered = text.lower().replace("’", "'")
    lowered = _PUNCT.sub(" ", lowered)
    lowered = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", lowered)  # twenty-one, day-before
    for phrase, digit in FUZZY.items():
        lowered = re.sub(rf"\b{phrase}\b", digit, lowered)
    words = _SPACES.sub(" ", lowered).strip().split(" ")
    out = _numbers_to_digits(words)
    joined = " ".join(out)
    return _DIGIT_ORDINAL.sub(lambda m: f"{int(m.group(1))}th", joined)


def _numbers_to_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        value, ordinal, used = _read_number(words, i)
        if used:
            out.append(f"{value}th" if ordinal else str(value))
            i += used
        else:
            out.append(words[i])
            i += 1
    return out


def _read_number(words: list[str], start: int) -> tuple[int, bool, int]:
    """Read a spelled-out number at ``start``: (value, is_ordinal, words used)."""
    total, i, seen = 0, start, False
    # "a hundred", "one hundred and sixty seven"
    if i < len(words) and words[i] in ("a", "one") and i + 1 < len(words) and words[i + 1] == "hundred":
        total, i, seen = 100, i + 2, True
        if i < len(words) and words[i] == "and" and i + 1 < len(words) and _is_number_word(words[i + 1]):
            i += 1
    elif i < len(words) and words[i] in UNITS and i + 1 < len(words) and words[i + 1] == "hundred":
        total, i, seen = UNITS[words[i]] * 100, i + 2, True
        if i < len(words) and words[i] == "and" and i + 1 < len(words) and _is_number_word(words[i + 1]):
            i += 1
    if i < len(words) and words[i] in ORDINAL_TENS:
        return total + ORDINAL_TENS[words[i]], True, i + 1 - start
    if i < len(words) and words[i] in TENS:
        total += TENS[words[i]]
        i += 1
        seen = True
        if i < len(words) and words[i] in ORDINAL_UNITS and ORDINAL_UNITS[words[i]] < 10:
            return total + ORDINAL_UNITS[words[i]], True, i + 1 - start
        if i < len(words) and words[i] in UNITS and 0 < UNITS[words[i]] < 10:
            return total + UNITS[words[i]], False, i + 1 - start
        return total, False, i - start
    if i < len(words) and words[i] in ORDINAL_UNITS:
        # "second" is also a unit of time ("a second ago"): keep it a word then.
        if words[i] == "second" and i + 1 < len(words) and words[i + 1] in ("ago", "later"):
            return 0, False, 0
        return total + ORDINAL_UNITS[words[i]], True, i + 1 - start
    if i < len(words) and words[i] in UNITS:
        return total + UNITS[words[i]], False, i + 1 - start
    if seen:
        return total, False, i - start
    return 0, False, 0


def _is_number_word(word: str) -> bool:
    return word in UNITS or word in TENS or word in ORDINAL_UNITS or word in ORDINAL_TENS
