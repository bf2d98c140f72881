"""Meaning-preserving variants of time questions, from phrase lists written for this suite.

A base question is one of our own frames around one of a conversation's sessions named in
one of our own ways (a date spelled some way, its number, its ordinal, a month).  Each base
question gets variants that must not change what is retrieved: a greeting, filler, a hedge,
politeness, both ends at once, casing and punctuation, "can you remind me", another spelling
of the same date, and the same request as a follow-up with filler whose time was named in
an earlier turn.  The phrase lists are ours, not the grammar's: they are what the grammar is
tested against.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from convmem.types import DialogueTurn, Session

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

GREETINGS = (
    "hey", "hi", "hello", "hey there", "hiya", "good morning", "morning!", "hi again",
    "hey buddy", "good evening", "yo", "hello hello", "hey you", "heya", "greetings",
)
FILLERS = (
    "ok so", "okay so", "so", "um,", "uh", "well,", "right, so", "alright,", "quick question:",
    "random question, but", "hmm,", "oh and", "one more thing:", "listen,", "anyway,",
    "so I was thinking,", "btw", "by the way,", "real quick,", "ok, next one:",
)
HEDGES_BEFORE = (
    "just curious,", "I was wondering,", "not sure you'll know, but", "I forget:",
    "out of curiosity,", "I can't quite recall,", "help me out here:", "I'm drawing a blank:",
    "my memory is fuzzy,", "this might be a silly question, but",
)
POLITENESS_AFTER = (
    "thanks!", "thank you", "please", "thanks a lot", "cheers", "if you remember",
    "if you can", "much appreciated", "thx", "ty!", "if that's okay", "when you get a chance",
    "no rush", "thanks in advance", "pretty please", "I'd appreciate it", "if you don't mind",
)
FOLLOW_UPS = (
    "Yeah. Can you recap it for me?", "ok cool, what did we go over then?",
    "Right. What was that chat about?", "Hmm, can you summarize that conversation?",
    "Sure thing. What did we discuss then?", "Yes! Remind me what we talked about then, please.",
    "Oh nice. What came up in that chat?", "Totally. Could you go over that session for me?",
)
LEAD_INS = (
    "I keep thinking back to our chat {t}.", "I see in my notes that we talked {t}.",
    "Do you recall our conversation {t}?", "We spoke {t}, didn't we?",
    "Something you said {t} stuck with me.",
)
FRAMES = (
    "what did we talk about {t}?", "what did we discuss {t}?", "can you summarize our chat {t}?",
    "give me a recap of what we said {t}", "{T}, what was the conversation about?",
    "remind me what came up {t}", "what were we chatting about {t}?",
    "tell me about our conversation {t}", "what was the topic {t}?",
    "what did the two of us go over {t}?",
)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
            "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
            "seventeenth", "eighteenth", "nineteenth", "twentieth")


def date_spellings(session: Session) -> list[str]:
    """One day written our ways (month first in the numeric form, the default order)."""
    d = session.start.date()
    month = MONTHS[d.month - 1]
    suffix = "th" if 10 <= d.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
    return [
        f"on {month} {d.day}", f"on the {d.day}{suffix} of {month}", f"on {d.day} {month[:3]} {d.year}",
        f"on {d:%Y-%m-%d}", f"on {d.month}/{d.day}/{d.year}", f"on {month[:3]} {d.day}{suffix}, {d.year}",
        f"on {month} {d.day}, {d.year}",
    ]


def session_names(session: Session) -> list[str]:
    names = [f"in session {session.index}", f"in session number {session.index}"]
    if session.index <= len(ORDINALS):
        names.append(f"in our {ORDINALS[session.index - 1]} session")
        names.append(f"during the {ORDINALS[session.index - 1]} conversation")
    return names


@dataclass
class Variant:
    kind: str
    text: str
    context: tuple[DialogueTurn, ...] = ()


@dataclass
class Case:
    question: str
    variants: list[Variant] = field(default_factory=list)


def _case(frame: str, ref: str, spellings: Sequence[str], rng: random.Random, asker: str) -> Case:
    plain = frame.replace("{t}", ref).replace("{T}", ref[:1].upper() + ref[1:])
    bare = plain.rstrip("?")
    variants = [
        Variant("greeting", f"{rng.choice(GREETINGS).capitalize()}, {plain}"),
        Variant("filler", f"{rng.choice(FILLERS).capitalize()} {plain}"),
        Variant("hedge", f"{rng.choice(HEDGES_BEFORE).capitalize()} {plain}"),
        Variant("politeness", f"{bare}, {rng.choice(POLITENESS_AFTER)}"),
        Variant("both", f"{rng.choice(GREETINGS).capitalize()}! {rng.choice(FILLERS)} {bare}? {rng.choice(POLITENESS_AFTER)}"),
        Variant("casing", rng.choice([plain.upper(), plain.lower().rstrip("?!."), f"  {plain.title()} ?? "])),
        Variant("remind", f"Can you remind me: {plain}"),
    ]
    others = [s for s in spellings if s != ref]
    if others:
        other = rng.choice(others)
        variants.append(Variant("spelling", frame.replace("{t}", other).replace("{T}", other[:1].upper() + other[1:])))
    if "{T}" not in frame:
        lead = rng.choice(LEAD_INS).format(t=ref)
        variants.append(Variant("follow_up", rng.choice(FOLLOW_UPS), (DialogueTurn(asker, lead),)))
    return Case(plain, variants)


def build_cases(sessions: Sequence[Session], asker: str, seed: int = 9, per_session: int = 0) -> list[Case]:
    """Every frame around every way of naming each session (``per_session``: at most that
    many base questions per session, drawn with the seed; 0: all)."""
    rng = random.Random(seed)
    cases: list[Case] = []
    seen: set[str] = set()
    for session in sessions:
        spellings = date_spellings(session)
        refs = [(ref, spellings) for ref in spellings] + [(ref, []) for ref in session_names(session)]
        pairs = [(frame, ref, sp) for frame in FRAMES for ref, sp in refs]
        if per_session:
            pairs = rng.sample(pairs, min(per_session, len(pairs)))
        for frame, ref, sp in pairs:
            case = _case(frame, ref, sp, rng, asker)
            if case.question not in seen:  # two sessions on one day share its spellings
                seen.add(case.question)
                cases.append(case)
    return cases
