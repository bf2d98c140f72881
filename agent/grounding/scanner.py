"""Match rules against a question, masking what each accepted match consumed.

Rules run in priority order (spans before single dates, "the day before yesterday"
before "yesterday"); a masked span can't be matched again, and what is never masked is
the question's residual content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

MASK = "·"


class Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.masked = text
        self.matched: list[str] = []
        # Matches whose arithmetic left the calendar ("5000 years ago", "1e9 days ago"):
        # consumed like any match; the caller turns them into an empty window.
        self.out_of_range: list[str] = []

    def scan(self, pattern: re.Pattern[str], handler: Callable[[re.Match[str]], Any]) -> list[Any]:
        """Apply ``handler`` to each match; a non-None result masks the match."""
        results = []
        for match in list(pattern.finditer(self.masked)):
            if MASK in match.group(0):
                continue
            try:
                result = handler(match)
            except (OverflowError, ValueError):
                # Dates past year 1 or 9999, counts too large for a timedelta or a plan.
                self.mask(match.start(), match.end())
                self.out_of_range.append(match.group(0).strip())
                continue
            if result is None:
                continue
            self.mask(match.start(), match.end())
            results.append(result)
        return results

    def mask(self, start: int, end: int) -> None:
        self.matched.append(self.text[start:end].strip())
        self.masked = self.masked[:start] + MASK * (end - start) + self.masked[end:]

    def residual(self) -> str:
        return re.sub(r"\s+", " ", self.masked.replace(MASK, " ")).strip()


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
