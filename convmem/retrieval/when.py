"""When did it happen: which of the ranked turns answers a "when" question, and with what date.

The retriever ranks turns by how well they match the whole question, and its first turn is
often a neighbour of the event (a later mention of the same hobby, a reaction) that names
some other time.  So the answering turn is chosen among the first ``WHEN_DEPTH`` ranked
turns by what the question says, without weights:

1. a turn must agree with the question's time words, if it has any ("in July", "during
   the summer"): a turn whose every expression resolves outside them is set aside;
2. turns of the speaker the question is about ("When did Melanie ...") come first;
3. then the turn that shares the most of the question's event words (stems, so "signed
   up" agrees with "sign up" and "mentored" with "mentorship"), each weighed by its
   inverse document frequency over the conversation (a word every turn says decides
   nothing);
4. then the retriever's order.

Its date is the expression of the turn nearest to the words it shares with the question
("I had a quiet weekend after we went camping two weekends ago": "two weekends ago" for a
camping question); a turn that names no time answers with the day it was said, and says
so.  ``WHEN_DEPTH`` was chosen on LoCoMo conversation 26 and checked on 30
(docs/retrieval.md).
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from convmem.eventtime import EventTime, find_event_times, resolve_event_times
from convmem.retrieval.bm25 import tokenize
from convmem.retrieval.exchange import attributed_speakers
from convmem.storage.memory import MemoryStore
from convmem.timeutil import MONTHS, WEEKDAYS
from convmem.types import Turn

WHEN_DEPTH = 3
WHEN_QUESTION = (
    r"^\s*(?:(?:in|on|around|during|by)\s+)?"
    r"(?:when|what (?:date|day|year|month|time|week)|which (?:date|day|year|month|week)|how long ago)\b"
)
_SUFFIXES = ("ations", "ation", "ships", "ship", "ments", "ment", "ings", "ing", "edly", "ied", "ies",
             "ed", "es", "ly", "s")
_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHES = re.compile(r"['’]")


def stem(word: str) -> str:
    """A light suffix stripper: enough for "signed"/"sign", "mentored"/"mentorship",
    "clothes"/"clothing" to meet; never shorter than four letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if suffix in ("ied", "ies"):
                word += "y"
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "planned" -> "plann" -> "plan"
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]  # "dance"/"danced" -> "danc"
    return word


@dataclass(frozen=True)
class ResolvedWhen:
    turn_id: str
    event: EventTime
    from_words: bool  # the turn's words said the time (else: the day it was said)
    said: date

    def describe(self) -> str:
        said = f"{self.event.expression!r} in turn {self.turn_id}" if self.from_words else f"said in turn {self.turn_id}"
        return f"{self.event.describe()} ({said})"

    def derivation(self) -> str:
        """The date in words that say how it was found ("the Saturday before Thursday 25
        May 2023 — Saturday 20 May 2023"); the day said when the turn names no time."""
        if not self.from_words:
            return f"{_long(self.said)}, the day it was said; the turn names no other time"
        return describe_derivation(self.event, self.said)


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _stems(text: str) -> list[tuple[str, int]]:
    """Stems of the content words of ``text`` with their character offsets."""
    clean = _APOSTROPHES.sub("", text.lower())
    keep = set(tokenize(clean))
    return [(stem(m.group(0)), m.start()) for m in _WORD.finditer(clean) if m.group(0) in keep]


def question_terms(question: str, speakers: Sequence[str]) -> set[str]:
    """The question's event words: its content-word stems, less the speakers' names and
    the words of its own time expressions."""
    names = {stem(p.lower()) for s in speakers for p in s.split()}
    spans = [(begin, end) for begin, end, _ in find_event_times(question, date(2000, 1, 1))]
    return {s for s, at in _stems(question)
            if s not in names and not any(a <= at < b for a, b in spans)} - {"when", "did"}


def _overlaps(event: EventTime, window: Sequence[EventTime]) -> bool:
    return any(event.start <= w.end and w.start <= event.end for w in window)


class StemRarity:
    """Inverse document frequencies of stems over one conversation's turns."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.documents = len(texts)
        self.frequency: dict[str, int] = {}
        for text in texts:
            for word in {s for s, _ in _stems(text)}:
                self.frequency[word] = self.frequency.get(word, 0) + 1

    def idf(self, word: str) -> float:
        return math.log((1.0 + self.documents) / (1.0 + self.frequency.get(word, 0)))


def choose_when(
    question: str,
    turns: Sequence[Turn],
    times: Mapping[str, Sequence[EventTime]],
    asked_at: datetime | date | None = None,
    speakers: Sequence[str] = (),
    depth: int = WHEN_DEPTH,
    rarity: StemRarity | None = None,
) -> ResolvedWhen | None:
    """The answer to a "when" question from ``turns`` (ranked, best first) and their event
    times; ``None`` for no turns.  Without ``rarity`` every shared word counts one."""
    head = list(turns[:depth])
    if not head:
        return None
    terms = question_terms(question, speakers)
    window = [e for e in resolve_event_times(question, asked_at) if e.kind != "approx"] if asked_at else []
    subject = attributed_speakers(question, speakers) if speakers else set()
    best: tuple[tuple[int, float, int], Turn, EventTime | None] | None = None
    for rank, turn in enumerate(head):
        events = [e for e in times.get(turn.turn_id, ()) if not window or _overlaps(e, window)]
        if window and times.get(turn.turn_id) and not events:
            continue  # every time it names lies outside the question's own
        stems = _stems(turn.text)
        shared = {s for s, _ in stems if s in terms}
        weight = sum(rarity.idf(w) for w in shared) if rarity is not None else float(len(shared))
        key = (int(turn.speaker in subject), round(weight, 9), -rank)
        if best is None or key > best[0]:
            best = (key, turn, _nearest(turn.text, events, [at for s, at in stems if s in shared]))
    if best is None:
        turn = head[0]
        return ResolvedWhen(turn.turn_id, _said(turn), False, turn.spoken_at.date())
    _, turn, event = best
    if event is None:
        return ResolvedWhen(turn.turn_id, _said(turn), False, turn.spoken_at.date())
    return ResolvedWhen(turn.turn_id, event, True, turn.spoken_at.date())


def _said(turn: Turn) -> EventTime:
    day = turn.spoken_at.date()
    return EventTime(day, day, "", "said")


def _nearest(text: str, events: Sequence[EventTime], anchors: Sequence[int]) -> EventTime | None:
    """The event whose words stand nearest the words the turn shares with the question
    (the first one when it shares none); ``approx`` ones only when nothing else is said."""
    usable = [e for e in events if e.kind != "approx"] or list(events)
    if not usable:
        return None
    if not anchors:
        return usable[0]
    lowered = text.lower()

    def distance(event: EventTime) -> int:
        at = lowered.find(event.expression.lower())
        if at < 0:
            return len(text)
        return min(abs(at - a) for a in anchors)

    return min(usable, key=distance)


def resolved_when(
    store: MemoryStore,
    conversation_id: str,
    turn_ids: Sequence[str],
    question: str = "",
    asked_at: datetime | date | None = None,
    depth: int = WHEN_DEPTH,
) -> ResolvedWhen | None:
    """``choose_when`` over the stored turns and ``turn_times`` of ``turn_ids``."""
    head = list(turn_ids[:depth])
    if not head:
        return None
    found = {t.turn_id: t for t in store.tables.turns_by_ids(conversation_id, head)}
    turns = [found[i] for i in head if i in found]
    speakers, rarity = conversation_words(store, conversation_id) if question else ([], None)
    return choose_when(question, turns, store.turn_times(conversation_id, head), asked_at, speakers, depth, rarity)


_KNOWN: weakref.WeakKeyDictionary[MemoryStore, dict[str, tuple[object, list[str], StemRarity]]] = (
    weakref.WeakKeyDictionary()
)


def conversation_words(store: MemoryStore, conversation_id: str) -> tuple[list[str], StemRarity]:
    """The conversation's speakers and stem rarity, kept until the store changes."""
    known = _KNOWN.setdefault(store, {})
    cached = known.get(conversation_id)
    revision = store.revision_of(conversation_id)
    if cached is None or cached[0] != revision:
        turns = store.turns(conversation_id)
        conversation = store.conversation(conversation_id)
        speakers = list(conversation.speakers) if conversation else sorted({t.speaker for t in turns})
        cached = (revision, speakers, StemRarity([t.text for t in turns]))
        known[conversation_id] = cached
    return cached[1], cached[2]


_NUMBER_WORDS = ("", "", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")



def _span_words(event: EventTime) -> str:
    if event.kind == "year":
        return f"{event.start.year}"
    if event.kind in ("month", "season") and event.start.day == 1:
        if (event.start.year, event.start.month) == (event.end.year, event.end.month):
            return f"{event.start:%B %Y}"
        return f"{event.start:%B %Y} to {event.end:%B %Y}"
    if event.start == event.end:
        return _long(event.start)
    return f"{_long(event.start)} to {_long(event.end)}"


def _times(count: int, unit: str) -> str:
    if count == 1:
        return f"the {unit}"
    word = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
    return f"{word} {unit}s"


def describe_derivation(event: EventTime, said: date) -> str:
    """The event's date in words that say how it follows from the day it was said: "the
    Saturday before Thursday 25 May 2023 — Saturday 20 May 2023", "the week before Monday
    3 July 2023 — Monday 26 June to Sunday 2 July 2023"; a date the words give outright is
    only stated ("8 May 2023", said ...)."""
    span = _span_words(event)
    words = event.expression.lower()
    if re.search(rf"\b(?:{'|'.join(MONTHS)})\b|(?:19|20)\d\d", words) or event.kind not in ("day", "weekend", "week"):
        return f'{span} ("{event.expression}", said {_long(said)})'
    before = event.end < said
    after = event.start > said
    side = "before" if before else "after"
    if event.kind == "day":
        delta = abs((said - event.start).days)
        if delta == 0:
            return f"{span}, the day it was said"
        if delta > 7:
            return f'{span} ("{event.expression}", said {_long(said)})'
        if any(name[:3] in words for name in WEEKDAYS):
            return f"the {event.start:%A} {side} {_long(said)} — {span}"
        return f"{'the day' if delta == 1 else f'{delta} days'} {side} {_long(said)} — {span}"
    if event.kind == "weekend" and (before or after):
        gap = (event.start - said).days if after else (said - event.end).days
        return f"{_times((gap - 1) // 7 + 1, 'weekend')} {side} {_long(said)} — {span}"
    if event.kind == "week":
        monday = said - timedelta(days=said.weekday())
        weeks = (monday - event.start).days // 7
        if weeks == 0:
            return f"the week of {_long(said)} — {span}"
        return f"{_times(abs(weeks), 'week')} {'before' if weeks > 0 else 'after'} {_long(said)} — {span}"
    return f'{span} ("{event.expression}", said {_long(said)})'
