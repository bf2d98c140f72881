"""Surface forms: how each family's time reference is said, and the questions around it.

A *reference* is the time phrase alone ("in our third session", "167 days ago",
"between May 8th and June 9th"); it is spelled several ways (digits, words, ordinals).
A *shape* is a question with a slot for the reference, with different verbs and word
orders.  Phrasings are every reference crossed with every shape (plus a few family-specific
questions), sampled with a seeded ``random.Random`` so a seed fixes the output.
"""

from __future__ import annotations

import random
from typing import Any

from dataset_gen.words import (
    WEEKDAYS,
    day_forms,
    month_name,
    number_word,
    ordinal_digits,
    ordinal_word,
)

GENERIC_SHAPES = (
    "What did we discuss {ref}?",
    "What did we talk about {ref}?",
    "Tell me what we talked about {ref}.",
    "What sorts of things did we chat about {ref}?",
    "Can you summarize what we discussed {ref}?",
    "Remind me what came up {ref}.",
    "{Ref}, what did we chat about?",
    "What was talked about {ref}?",
    "What topics came up {ref}?",
    "I forgot what we covered {ref}. What was it?",
    "Could you recap our conversation {ref}?",
)
SPEAKER_SHAPES = (
    "What did {speaker} say {ref}?",
    "What did {speaker} talk about {ref}?",
    "Tell me what {speaker} shared {ref}.",
    "{Ref}, what did {speaker} bring up?",
    "Summarize what {speaker} said {ref}.",
    "What were {speaker}'s main points {ref}?",
)


def _session_refs(n: int) -> list[str]:
    word, digits = ordinal_word(n), ordinal_digits(n)
    return [
        f"in our {digits} session",
        f"in our {word} session",
        f"in our {word} conversation",
        f"in our {digits} discussion",
        f"in session {n}",
        f"during our {word} chat",
    ]


def _rel_session_refs(k: int) -> list[str]:
    if k == 1:
        return [
            "last time",
            "in our last session",
            "in our last conversation",
            "one session ago",
            "in our most recent chat",
        ]
    if k == 2:
        return [
            "2 sessions ago",
            "the session before last",
            "two sessions ago",
            "in the conversation before our last one",
        ]
    return [
        f"{k} sessions ago",
        f"{number_word(k)} sessions ago",
        f"{k} conversations ago",
        f"{number_word(k)} discussions ago",
    ]


def _rel_day_refs(k: int) -> list[str]:
    if k == 0:
        return ["today", "so far today"]
    if k == 1:
        return ["yesterday", "1 day ago", "one day ago"]
    return [f"{k} days ago", f"{number_word(k)} days ago"]


def _day_span_refs(n: int) -> list[str]:
    if n == 7:
        return [
            "over the last week",
            "over this last week",
            "over the past seven days",
            "in the last 7 days",
        ]
    refs = [
        f"over the last {n} days",
        f"over the last {number_word(n)} days",
        f"in the past {number_word(n)} days",
        f"during the last {n} days",
    ]
    if n == 14:
        refs.append("over the last two weeks")
    return refs


def _rel_month_refs(k: int) -> list[str]:
    if k == 0:
        return ["this month", "so far this month"]
    if k == 1:
        return ["last month", "a month ago", "1 month ago"]
    return [f"{k} months ago", f"{number_word(k)} months ago"]


def _week_refs(params: dict[str, Any]) -> list[str]:
    if "of" in params:
        forms = day_forms(params["of"])
        return [
            f"in the week of {forms[0]}",
            f"in the week of {forms[1]}",
            f"during the week of {day_forms(params['of'], True)[0]}",
        ]
    k = params["k"]
    if k == 0:
        return ["this week", "so far this week"]
    if k == 1:
        return ["last week", "during the previous week", "in the week before this one"]
    return [
        f"{k} weeks ago",
        f"{number_word(k)} weeks ago",
        f"in the week {number_word(k)} weeks back",
    ]


def _edge_refs(n: int, edge: str) -> list[str]:
    word, digits = ordinal_word(n), ordinal_digits(n)
    if edge == "start":
        return [
            f"at the start of our {word} session",
            f"at the beginning of our {digits} conversation",
            f"as our {word} chat began",
            f"when our {digits} session opened",
        ]
    return [
        f"at the end of our {word} session",
        f"as our {digits} conversation was wrapping up",
        f"toward the end of our {word} chat",
        f"when our {digits} session was ending",
    ]


def _nth_refs(params: dict[str, Any]) -> list[str]:
    nth, day = params["nth"], params["day"]
    forms = day_forms(day)
    weekday = WEEKDAYS[day.weekday()]
    refs = [
        f"in our {ordinal_word(nth)} conversation on {forms[0]}",
        f"in the {ordinal_digits(nth)} session on {forms[1]}",
        f"during our {ordinal_word(nth)} chat on {weekday}, {forms[0]}",
    ]
    if nth == params["of"]:
        refs.append(f"in our last conversation on {forms[0]}")
    return refs


def references(family: str, params: dict[str, Any]) -> list[str]:
    """Every spelling of one target's time reference; the first is the canonical one."""
    p = params
    if family in ("session", "session_speaker"):
        return _session_refs(p["n"])
    if family == "rel_session":
        return _rel_session_refs(p["k"])
    if family == "before_last":
        return [
            "the time before last",
            "in the conversation before our last one",
            "not last time but the time before",
            "in our second-to-last chat",
        ]
    if family == "dates":
        return [f"on {f}" for f in day_forms(p["day"])]
    if family == "year_date":
        return [f"on {f}" for f in day_forms(p["day"], with_year=True)]
    if family == "rel_day":
        return _rel_day_refs(p["k"])
    if family == "day_span":
        return _day_span_refs(p["n"])
    if family == "date_span":
        first, last = day_forms(p["first"]), day_forms(p["last"])
        return [
            f"between {first[0]} and {last[0]}",
            f"from {first[0]} to {last[0]}",
            f"between {first[1]} and {last[1]}",
            f"from {first[1]} through {last[1]}",
            f"from {first[3]} to {last[3]}",
        ]
    if family == "session_span":
        a, b = p["first"], p["last"]
        return [
            f"over sessions {a} through {b}",
            f"from the {ordinal_word(a)} through {ordinal_word(b)} sessions",
            f"from the {ordinal_digits(a)} through {ordinal_digits(b)} sessions",
            f"across sessions {a} to {b}",
            f"in our {ordinal_word(a)} to {ordinal_word(b)} conversations",
        ]
    if family == "month":
        month = month_name(p["month"])
        return [f"in {month}", f"during {month}", f"back in {month}"]
    if family == "rel_month":
        return _rel_month_refs(p["k"])
    if family == "earlier_today":
        part = p.get("part")
        refs = ["earlier today"]
        if part == "night":
            refs += ["earlier tonight"]
        elif part:
            refs += [f"earlier this {part}", f"earlier in the {part}"]
        return refs
    if family == "last_named_day":
        weekday = WEEKDAYS[p["weekday"]]
        return [f"last {weekday}", f"this past {weekday}", f"on the most recent {weekday}"]
    if family == "session_edge":
        return _edge_refs(p["n"], p["edge"])
    if family == "nth_on_day":
        return _nth_refs(p)
    if family == "week":
        return _week_refs(p)
    raise KeyError(f"no references for family {family!r}")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _extra_questions(family: str, params: dict[str, Any]) -> list[str]:
    if family == "session_edge":
        word = ordinal_word(params["n"])
        if params["edge"] == "start":
            return [
                f"How did our {word} session begin?",
                f"What did we open our {word} conversation with?",
            ]
        return [
            f"How did our {word} session end?",
            f"What did we close our {word} conversation with?",
        ]
    if family == "rel_session" and params["k"] == 2:
        return ["What did we talk about, not the last discussion, but the one before that?"]
    return []


def all_phrasings(family: str, params: dict[str, Any]) -> list[str]:
    shapes = SPEAKER_SHAPES if family == "session_speaker" else GENERIC_SHAPES
    speaker = params.get("speaker", "")
    out = [
        shape.format(ref=ref, Ref=_capital(ref), speaker=speaker)
        for ref in references(family, params)
        for shape in shapes
    ]
    return out + _extra_questions(family, params)


def phrasings(family: str, params: dict[str, Any], rng: random.Random, count: int) -> list[str]:
    """``count`` distinct phrasings of one target, chosen by the seeded ``rng``."""
    pool = all_phrasings(family, params)
    return rng.sample(pool, min(count, len(pool)))
