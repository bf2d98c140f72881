"""LoCoMo temporal questions: does the resolved event date equal the gold answer's date?

Gold answers are written as dates ("7 May 2023", "June 2023", "2022") or relative to one
("The sunday before 25 May 2023", "The week before 9 June 2023", "two weekends before 17
July 2023", "The day before 8 May 2023", "The Friday after 15 July 2023", "The week of 23
August 2023", "The weekend of 8 July 2023") or to part of a month ("early June 2023": days
1-10, "mid-May": 11-20, "late"/"the end of": 21 to the end, "the first week of": 1-7);
durations ("4 years", "Since 2016") and vague answers ("A few years ago") are not dates.
A relative answer is resolved with the same rules as turns (``convmem.eventtime``): "the X
before D" is "last X" said on D, "the X after D" is "next X".  The prediction is
``convmem.retrieval.when`` over the retriever's ranked list.  ``equal``: same first and last
day; ``within``: the predicted span lies inside the gold one (a day inside a gold month:
the answer is at least as precise as the gold and agrees with it; a predicted week that
only contains a gold day is not).  Both are reported, overall and per conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from convmem.eventtime import EventTime, resolve_event_times
from convmem.retrieval.when import resolved_when
from convmem.storage.memory import MemoryStore
from eval.runner import EvalItem

_BEFORE = re.compile(r"^\s*(?:the\s+)?(?P<what>.+?)\s+(?P<side>before|after)\s+(?P<anchor>.+?)\s*$", re.IGNORECASE)
_WEEK_OF = re.compile(r"^\s*(?:the\s+)?(?P<unit>week|weekend) of\s+(?P<anchor>.+?)\s*$", re.IGNORECASE)
_PART_OF = re.compile(
    r"^\s*(?:the\s+|in\s+)?(?P<part>early|beginning of|start of|mid|middle of|late|end of"
    r"|first week of|second week of|third week of|last week of)[\s-]+(?:the\s+)?(?P<month>.+?)\s*$",
    re.IGNORECASE,
)
# days of the month each part names (the last part runs to the month's end)
_PARTS = {"early": (1, 10), "beginning of": (1, 10), "start of": (1, 10), "mid": (11, 20),
          "middle of": (11, 20), "late": (21, 31), "end of": (21, 31), "first week of": (1, 7),
          "second week of": (8, 14), "third week of": (15, 21), "last week of": (-7, 31)}
_DURATION = re.compile(r"^\s*(?:since|for|about|around)?\s*\d+\s+(?:years?|months?|weeks?|days?)\s*$|^\s*since\b", re.IGNORECASE)
FAR = date(2100, 1, 1)


def _single(text: str, said: date) -> EventTime | None:
    found = resolve_event_times(text, said)
    return found[0] if len(found) == 1 else None


def parse_gold_date(answer: str, asked: date) -> EventTime | None:
    """The span a gold answer names, or ``None`` when it is not a date."""
    text = answer.strip().rstrip(".")
    if not text or _DURATION.search(text):
        return None
    if re.fullmatch(r"(?:19|20)\d\d", text):
        year = int(text)
        return EventTime(date(year, 1, 1), date(year, 12, 31), text, "year")
    week_of = _WEEK_OF.match(text)
    if week_of:
        anchor = _single(week_of.group("anchor"), asked)
        if anchor is None:
            return None
        monday = anchor.start - timedelta(days=anchor.start.weekday())
        if week_of.group("unit").lower() == "weekend":
            return EventTime(monday + timedelta(days=5), monday + timedelta(days=6), text, "weekend")
        return EventTime(monday, monday + timedelta(days=6), text, "week")
    part = _PART_OF.match(text)
    if part:
        month = _single(part.group("month"), asked)
        if month is None or month.kind != "month":
            return None
        first, last = _PARTS[part.group("part").lower()]
        start = month.end + timedelta(days=first + 1) if first < 0 else month.start + timedelta(days=first - 1)
        end = min(month.start + timedelta(days=last - 1), month.end)
        return EventTime(start, end, text, "week" if "week" in part.group("part").lower() else "approx")
    before = _BEFORE.match(text)
    if before:
        anchor = _single(before.group("anchor"), asked)
        if anchor is None:
            return None
        what = before.group("what").lower()
        after = before.group("side").lower() == "after"
        if what in ("day", "night"):
            phrase = "tomorrow" if after else "yesterday"
        else:
            phrase = re.sub(r"^(\w+) (weekends?|weeks?|days?|months?|years?)$",
                            r"in \1 \2" if after else r"\1 \2 ago", what)
            if phrase == what:
                phrase = f"{'next' if after else 'last'} {what}"
        found = _single(phrase, anchor.start)
        return None if found is None else EventTime(found.start, found.end, text, found.kind)
    found = _single(text, asked)
    if found is None or found.kind == "approx":
        return None
    return EventTime(found.start, found.end, text, found.kind)


def event_date_block(
    store: MemoryStore,
    items: Sequence[EvalItem],
    answers: dict[str, str | None],
    ranked: dict[str, list[str]],
    category: str = "temporal",
) -> dict[str, Any]:
    """Parse rate of the gold dates and how often the resolved date equals them."""
    members = [i for i in items if i.category == category and answers.get(i.id)]
    parsed = equal = within = 0
    misses: list[dict[str, str]] = []
    parts: dict[str, dict[str, int]] = {}
    for item in members:
        gold = parse_gold_date(str(answers[item.id]), item.query.asked_at.date())
        if gold is None:
            continue
        parsed += 1
        got = resolved_when(store, item.query.conversation_id, ranked.get(item.id, []),
                            item.question, item.query.asked_at)
        same = got is not None and (got.event.start, got.event.end) == (gold.start, gold.end)
        inside = got is not None and gold.start <= got.event.start and got.event.end <= gold.end
        equal += same
        within += inside or same
        part = parts.setdefault(item.query.conversation_id, {"parsed": 0, "equal": 0, "within": 0})
        part["parsed"] += 1
        part["equal"] += same
        part["within"] += inside or same
        if not (same or inside) and len(misses) < 20:
            misses.append({"id": item.id, "question": item.question, "gold": gold.expression,
                           "gold_span": f"{gold.start}..{gold.end}",
                           "resolved": got.describe() if got else "-"})
    n = len(members)
    return {
        "n": n, "parsed": parsed, "parse_rate": parsed / n if n else 0.0,
        "equal": equal / parsed if parsed else 0.0, "within": within / parsed if parsed else 0.0,
        "misses": misses,
        "by_conversation": {
            c: {"parsed": p["parsed"], "equal": p["equal"] / p["parsed"], "within": p["within"] / p["parsed"]}
            for c, p in sorted(parts.items())
        },
    }
