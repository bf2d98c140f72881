"""Time+content questions: about what was said, constrained by time (and speaker).

A turn is picked, one of its key phrases is chosen, and the question asks what was said
about that phrase at a time (its date, session or month) and optionally by its speaker.
The gold is not assumed: it is every visible turn in that time and speaker scope whose
text contains the phrase, queried from DuckDB.  A candidate is kept only when that gold
holds the picked turn and stays next to it (at most ``MAX_GOLD`` turns, each within
``NEIGHBOURHOOD`` positions in the same session), so the answer is unique to the scope.
Phrases that recur in other sessions are preferred: there the time constraint matters.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dataset_gen.anchoring import Timeline, day_scope, month_scope, session_scope
from dataset_gen.scope import GoldQueries, Scope
from dataset_gen.templates import references
from dataset_gen.words import MONTHS, WEEKDAYS, day_forms, month_name, word_list

MAX_GOLD = 3
NEIGHBOURHOOD = 2
PER_SESSION = 2
KINDS = ("date", "session", "month")

STOPWORDS = frozenset(
    word_list(
        """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further get got had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more
    most mustn't my myself no nor not now of off on once only or other ought our ours ourselves
    out over own really same shan't she she'd she'll she's should shouldn't so some such than
    that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's which while who who's whom
    why why's will with won't would wouldn't you you'd you'll you're you've your yours yourself
    yourselves yeah yes wow hey hi hello thanks thank great good awesome cool glad sounds
    sound sure totally lot lots much many super pretty definitely amazing really always never
    something anything everything things thing one two know think feel felt make made going
    gonna want wanted love loved see seen look looks looking time times day days week weeks
    month months year years today yesterday tomorrow last next ago recently just still even
    well back way new nice happy fun hope keep kind right take took tell told say said
    bit try place sense small big large little different important special same other whole
    best better alright okay stuff part guess chance moment idea ones people person
    """
    )
)
VERBISH = frozenset(
    word_list(
        """kept went got made started finished bought took gave came tried felt found left
    loves likes wants needs makes takes gives comes tries keeps goes gets finds brings
    bring thinking talking going doing getting making trying seems seemed looks looked"""
    )
)
_WORD = re.compile(r"[a-z][a-z']*")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z']*")
_CAPTION = re.compile(r"\[shares a photo:[^\]]*\]")
_SENTENCE = re.compile(r"[.!?;:,]+\s*")


def words_of(text: str) -> list[str]:
    return _WORD.findall(_CAPTION.sub(" ", text.lower()))


def _content(word: str) -> bool:
    low = word.lower()
    return len(low) >= 3 and low not in STOPWORDS and low not in VERBISH and "'" not in low


def _nounish(word: str) -> bool:
    return _content(word) and not word.lower().endswith(("ed", "ly", "ing"))


DETERMINERS = frozenset(
    word_list("a an the my your our his her their its this that these those some another")
)
LEADING_ADJECTIVES = frozenset(
    word_list("new old big little great good nice whole huge real first")
)
CALENDAR_WORDS = frozenset(
    w.lower() for name in (*MONTHS, *WEEKDAYS) for w in (name, name[:3], name[:4])
)


def _names(tokens: list[str]) -> list[str]:
    """Capitalised runs inside a sentence (its first word excluded): names and titles."""
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens[1:], ""]:
        if (
            token[:1].isupper()
            and token != "I"
            and _content(token)
            and token.lower() not in CALENDAR_WORDS
        ):
            run.append(token)
        elif run:
            out.append(" ".join(run))
            run = []
    return out


def _noun_phrases(tokens: list[str]) -> list[str]:
    """What follows a determiner: up to two content words ending in a noun-like word
    ("a pottery class", "that lake sunrise", "my diet")."""
    out = []
    for i, token in enumerate(tokens):
        if token.lower() not in DETERMINERS:
            continue
        run: list[str] = []
        following = tokens[i + 1 : i + 5]
        if following and following[0].lower() in LEADING_ADJECTIVES:
            following = following[1:]
        for word in following[:3]:
            if not _content(word) or word.lower().endswith("ly") or word.lower() in CALENDAR_WORDS:
                break
            run.append(word)
        while run and not _nounish(run[-1]):
            run.pop()
        if run:
            out.append(" ".join(run[-2:]))
    return out


def key_phrases(text: str) -> list[str]:
    """Candidate phrases of a turn, as written: names first, then noun phrases (with their
    head noun alone as a fallback), without repeats."""
    names: list[str] = []
    phrases: list[str] = []
    for sentence in _SENTENCE.split(_CAPTION.sub(" ", text)):
        tokens = _TOKEN.findall(sentence)
        names += _names(tokens)
        for phrase in _noun_phrases(tokens):
            phrases.append(phrase)
            head = phrase.split()[-1]
            if len(head) >= 5:
                phrases.append(head)
    return list(dict.fromkeys(names + phrases))


@dataclass(frozen=True)
class ContentTarget:
    turn_id: str
    session: int
    kind: str  # date | session | month
    phrase: str
    speaker: str | None
    params: dict[str, Any] = field(hash=False)  # what the time reference needs
    scope: Scope  # time and speaker, no phrase: where the answer must be unique
    gold: tuple[str, ...]

    @property
    def gold_scope(self) -> Scope:
        return self.scope.with_(phrase=self.phrase)


def time_params(kind: str, day: date, session: int) -> dict[str, Any]:
    if kind == "date":
        return {"day": day}
    if kind == "session":
        return {"n": session}
    return {"year": day.year, "month": day.month}


def time_scope(kind: str, params: dict[str, Any]) -> Scope:
    if kind == "date":
        return day_scope(params["day"])
    if kind == "session":
        return session_scope(params["n"])
    return month_scope(params["year"], params["month"])


def time_refs(kind: str, params: dict[str, Any]) -> list[str]:
    if kind == "date":
        return [f"on {f}" for f in day_forms(params["day"])[:2]] + [
            f"on {day_forms(params['day'], with_year=True)[0]}"
        ]
    if kind == "session":
        return references("session", params)
    month = month_name(params["month"])
    return [f"in {month} {params['year']}", f"during {month} {params['year']}"]


def _acceptable(gold: tuple[str, ...], picked: str, orders: dict[str, tuple[int, int]]) -> bool:
    if picked not in gold or len(gold) > MAX_GOLD:
        return False
    session, order = orders[picked]
    return all(orders[t][0] == session and abs(orders[t][1] - order) <= NEIGHBOURHOOD for t in gold)


def content_targets(
    q: GoldQueries,
    tl: Timeline,
    rng: random.Random,
    per_session: int = PER_SESSION,
    kinds: tuple[str, ...] = KINDS,
) -> list[ContentTarget]:
    """Up to ``per_session`` targets per visible session (never the session in progress,
    which the paper's logs use for filler)."""
    rows = q.rows(
        Scope(exclude_sessions=(tl.present_session,)),
        ["turn_id", "turn_order", "session_index", "speaker", "text", "day"],
    )
    orders = {r[0]: (int(r[2]), int(r[1])) for r in rows}
    sessions_of: dict[str, set[int]] = {}
    for r in rows:
        for word in set(words_of(r[4])):
            sessions_of.setdefault(word, set()).add(int(r[2]))
    spread = Counter({w: len(s) for w, s in sessions_of.items()})
    by_session: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_session.setdefault(int(r[2]), []).append(r)
    out: list[ContentTarget] = []
    for session, turns in by_session.items():
        candidates = rng.sample(turns, len(turns))
        made = 0
        for turn_id, _, _, speaker, text, day in candidates:
            if made >= per_session:
                break
            target = _target_for(
                q, turn_id, session, speaker, text, day, orders, spread, rng, kinds, tl.speakers
            )
            if target is not None:
                out.append(target)
                made += 1
    return out


def _target_for(
    q: GoldQueries,
    turn_id: str,
    session: int,
    speaker: str,
    text: str,
    day: date,
    orders: dict[str, tuple[int, int]],
    spread: Counter[str],
    rng: random.Random,
    kinds: tuple[str, ...],
    speakers: tuple[str, ...],
) -> ContentTarget | None:
    names = {s.lower() for s in speakers}
    phrases = [p for p in key_phrases(text) if p.lower() not in names]
    # Recurring topics first (the time constraint is what makes them unique), rarest last.
    phrases.sort(key=lambda p: (-min(max(spread[w] for w in words_of(p)), 6), len(p.split()) == 1))
    kind = rng.choice(kinds)
    with_speaker = rng.random() < 0.7
    for phrase in phrases[:6]:
        params = time_params(kind, day, session)
        scope = time_scope(kind, params)
        if with_speaker:
            scope = scope.with_(speaker=speaker)
        gold = q.turn_ids(scope.with_(phrase=phrase))
        if _acceptable(gold, turn_id, orders):
            return ContentTarget(
                turn_id,
                session,
                kind,
                phrase,
                speaker if with_speaker else None,
                params,
                scope,
                gold,
            )
    return None


SPEAKER_SHAPES = (
    "What did {speaker} say about {phrase} {ref}?",
    "{Ref}, what did {speaker} mention about {phrase}?",
    "What did {speaker} share about {phrase} {ref}?",
    "{Ref}, what was {speaker} saying about {phrase}?",
)
OPEN_SHAPES = (
    "What came up about {phrase} {ref}?",
    "What did we say about {phrase} {ref}?",
    "{Ref}, what was said about {phrase}?",
    "Remind me what was mentioned about {phrase} {ref}.",
)


def content_phrasings(target: ContentTarget, rng: random.Random, count: int) -> list[str]:
    shapes = SPEAKER_SHAPES if target.speaker else OPEN_SHAPES
    pool = [
        shape.format(
            ref=ref,
            Ref=ref[:1].upper() + ref[1:],
            speaker=target.speaker or "",
            phrase=target.phrase,
        )
        for ref in time_refs(target.kind, target.params)
        for shape in shapes
    ]
    return rng.sample(pool, min(count, len(pool)))
