"""Content search over a whole conversation: normalised score fusion of vector and BM25
(optionally with per-question weights), exchange- and speaker-aware re-scoring, and a date
as a soft constraint.

Reciprocal rank fusion gives both rankings the same say, so a weak side drags the strong
one down (on long user-assistant chats the hybrid lost to plain vector search).  Here
each side's scores are scaled to 0..1 over its own candidate pool (cosine: min-max;
BM25, which is 0 for a turn sharing no word: divided by the best) and mixed with
``vector_weight``; with ``adapt`` above 0 the weights are set *for this question* by how
well each side separates its candidates: its best normalised score minus the mean over
its pool (``convmem.retrieval.fusion.separation``), so a side whose candidates all look
alike adds little; ``adapt`` mixes those weights with the fixed ones.  On the tune part
(LoCoMo conversation 26, TemporalMemoryDataset log 26) no ``adapt`` above 0 beat the fixed
weights, so the default stays 0, although per-question weights lead on the check part
(LoCoMo 30 multi-hop): docs/retrieval.md has both figures.  A reply to a pooled question
joins the pool with a share of the question's score (``convmem.retrieval.exchange``), and
a speaker the question attributes its topic to gets a bonus.

A date the question names as *when something happened* ("what did Melanie do on 20
May?") is a soft constraint (``near``): turns whose event time (``turn_times``: a day, a
weekend, a week) falls on those days get ``date_bonus`` (for the share of that time that
lies in them), turns said on them ``said_share`` of it, tapering over ``near_days`` for
turns said near them; every other turn still competes on content.

The vector side asks with the speakers' names replaced by "someone" (see
``convmem.retrieval.baselines.mask_names``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from convmem.embed.base import Embedder
from convmem.eventtime import EventTime
from convmem.retrieval.base import Query, Retrieval
from convmem.retrieval.baselines import EXACT_SEARCH_LIMIT, SemanticRetriever, mask_names
from convmem.retrieval.bm25 import BM25Search
from convmem.retrieval.exchange import ExchangeWeights, attributed_speakers, is_question
from convmem.retrieval.fusion import by_best, minmax, separation, side_weights
from convmem.retrieval.vector_cache import VectorCache
from convmem.retrieval.when import WHEN_QUESTION
from convmem.storage.memory import MemoryStore
from convmem.types import Turn

VECTOR_WEIGHT = 0.5
ADAPT = 0.0  # share of the per-question weights (0: fixed ``VECTOR_WEIGHT``; see the module doc)
POOL = 50
VECTOR_SCALE = "pool"  # cosine scaled min-max over the pool, or "conversation" (see _vector_scores)
SEPARATION_HEAD = 1  # a side's separation: its best candidate against its pool's mean
WHEN_BONUS = 0.1  # a "when" question: bonus for turns whose words name a time (LoCoMo 26)
DATE_BONUS = 2.0  # a soft date: bonus for turns said then or whose event time falls then
NEAR_DAYS = 7  # ... and, tapering, for turns said up to this many days away
SAID_SHARE = 0.75  # a turn said on the day: this share of the bonus (its words may name another)
MAX_EVENT_DAYS = 7  # event times this long or shorter can place a turn on a day


@dataclass(frozen=True)
class DateWindow:
    """Days a question names as when something happened (both ends included)."""

    start: date
    end: date

    def distance(self, day: date) -> int:
        if day < self.start:
            return (self.start - day).days
        return max((day - self.end).days, 0)

    def describe(self) -> str:
        if self.start == self.end:
            return f"{self.start:%a %d %b %Y}"
        return f"{self.start:%a %d %b %Y} - {self.end:%a %d %b %Y}"


class ContentSearch:
    """The agent's content-only search (route ``content``)."""

    name = "content"

    def __init__(
        self,
        store: MemoryStore,
        embedder: Embedder,
        k: int = 10,
        search: BM25Search | None = None,
        cache: VectorCache | None = None,
        vector_weight: float = VECTOR_WEIGHT,
        weights: ExchangeWeights | None = None,
        pool: int = POOL,
        when_bonus: float = WHEN_BONUS,
        adapt: float = ADAPT,
        date_bonus: float = DATE_BONUS,
        near_days: int = NEAR_DAYS,
        said_share: float = SAID_SHARE,
        vector_scale: str = VECTOR_SCALE,
    ) -> None:
        self.store = store
        self.k = k
        self.semantic = SemanticRetriever(store, embedder, k, cache)
        self.bm25 = search or BM25Search(store)
        self.vector_weight = vector_weight
        self.adapt = adapt
        self.weights = weights or ExchangeWeights()
        self.pool = max(pool, 2 * k)
        self.when_bonus = when_bonus
        self.date_bonus = date_bonus
        self.near_days = near_days
        self.said_share = said_share
        if vector_scale not in ("pool", "conversation"):
            raise ValueError(f"vector_scale must be 'pool' or 'conversation', got {vector_scale!r}")
        self.vector_scale = vector_scale
        self._turns: dict[str, tuple[object, list[Turn], dict[str, int]]] = {}
        self._events: dict[str, tuple[object, dict[str, list[EventTime]]]] = {}
        self.last_weights: tuple[float, float] = (vector_weight, 1 - vector_weight)

    def _conversation_turns(self, conversation_id: str) -> tuple[list[Turn], dict[str, int]]:
        known = self._turns.get(conversation_id)
        revision = self.store.revision_of(conversation_id)
        if known is None or known[0] != revision:
            turns = self.store.turns(conversation_id)
            known = (revision, turns, {t.turn_id: i for i, t in enumerate(turns)})
            self._turns[conversation_id] = known
        return known[1], known[2]

    def _event_times(self, conversation_id: str) -> dict[str, list[EventTime]]:
        known = self._events.get(conversation_id)
        revision = self.store.revision_of(conversation_id)
        if known is None or known[0] != revision:
            known = (revision, self.store.turn_times(conversation_id))
            self._events[conversation_id] = known
        return known[1]

    def _vector_scores(self, masked: Query) -> dict[str, float]:
        """The pool's cosines scaled to 0..1: min-max over the pool (``vector_scale`` "pool"),
        or from the conversation's median turn to the best ("conversation": a pool whose
        cosines are all alike stays low instead of being stretched over 0..1)."""
        turns, _ = self._conversation_turns(masked.conversation_id)
        if self.vector_scale != "conversation" or len(turns) > EXACT_SEARCH_LIMIT:
            return minmax(dict(self.semantic.ranked(masked, self.pool)))
        ranked = self.semantic.ranked(masked, len(turns))
        if not ranked:
            return {}
        values = sorted(score for _, score in ranked)
        median, best = values[len(values) // 2], ranked[0][1]
        if best - median <= 1e-9:
            return {}
        return {t: max(score - median, 0.0) / (best - median) for t, score in ranked[: self.pool]}

    def date_scores(self, query: Query, near: DateWindow) -> dict[str, float]:
        """The soft date's bonus by turn: ``date_bonus`` times the share of the turn's event
        time (at most ``MAX_EVENT_DAYS`` long) that lies in the window ("last Saturday" on
        the asked day: all of it; "last week" around it: a seventh); for turns said in the
        window ``said_share`` of it, tapering to 0 over ``near_days`` for turns said near it.
        A turn takes the larger of the two."""
        turns, _ = self._conversation_turns(query.conversation_id)
        found: dict[str, float] = {}
        allowed: set[str] = set()
        said = self.date_bonus * self.said_share
        for turn in turns:
            if turn.role not in query.roles or turn.turn_id in query.exclude_turn_ids:
                continue
            allowed.add(turn.turn_id)
            away = near.distance(turn.spoken_at.date())
            if away <= self.near_days:
                found[turn.turn_id] = said * (1 - away / (self.near_days + 1))
        for turn_id, events in self._event_times(query.conversation_id).items():
            if turn_id not in allowed:
                continue
            for e in events:
                days = (e.end - e.start).days + 1
                if e.kind == "approx" or days > MAX_EVENT_DAYS:
                    continue
                inside = (min(e.end, near.end) - max(e.start, near.start)).days + 1
                if inside > 0:
                    found[turn_id] = max(found.get(turn_id, 0.0), self.date_bonus * inside / days)
        return found

    def fused(
        self, query: Query, prefer: frozenset[str] | None = None, near: DateWindow | None = None
    ) -> list[tuple[str, float]]:
        conversation = self.store.conversation(query.conversation_id)
        speakers = conversation.speakers if conversation is not None else ()
        masked = replace(query, text=mask_names(query.text, speakers))
        vector = self._vector_scores(masked)
        hits = self.bm25.search(
            query.conversation_id, query.text, self.pool, roles=query.roles, exclude=query.exclude_turn_ids
        )
        words = by_best({h.turn_id: h.score for h in hits})
        spread = [separation(vector, SEPARATION_HEAD, self.pool), separation(words, SEPARATION_HEAD, self.pool)]
        wv, ww = side_weights(spread, (self.vector_weight, 1 - self.vector_weight), self.adapt)
        self.last_weights = (wv, ww)
        scores = {t: wv * vector.get(t, 0.0) + ww * words.get(t, 0.0) for t in {*vector, *words}}
        dated = self.date_scores(query, near) if near is not None and self.date_bonus > 0 else {}
        for turn_id in dated:
            scores.setdefault(turn_id, 0.0)
        turns, position = self._conversation_turns(query.conversation_id)
        if self.weights.reply_share > 0 or self.weights.reaction_share > 0:
            for turn_id, score in list(scores.items()):
                i = position.get(turn_id)
                if i is None or i + 1 >= len(turns):
                    continue
                asked, reply = turns[i], turns[i + 1]
                if reply.session_index != asked.session_index or reply.speaker == asked.speaker:
                    continue
                if reply.role not in query.roles or reply.turn_id in query.exclude_turn_ids:
                    continue  # the memory's own answer to a chat question is never evidence
                share = self.weights.reply_share if is_question(asked.text) else self.weights.reaction_share
                scores[reply.turn_id] = max(scores.get(reply.turn_id, 0.0), share * score)
        preferred = prefer if prefer is not None else frozenset(
            attributed_speakers(query.text, speakers, query.speaker)
        )
        if preferred and self.weights.speaker_bonus > 0:
            for turn_id in scores:
                i = position.get(turn_id)
                if i is not None and turns[i].speaker in preferred:
                    scores[turn_id] += self.weights.speaker_bonus
        for turn_id, bonus in dated.items():
            scores[turn_id] += bonus
        if self.when_bonus > 0 and re.search(WHEN_QUESTION, query.text, re.IGNORECASE):
            timed = self.store.turn_times(query.conversation_id, list(scores))
            for turn_id, events in timed.items():
                if any(e.kind != "approx" for e in events):
                    scores[turn_id] += self.when_bonus
        order = {turn_id: i for i, turn_id in enumerate(scores)}
        return sorted(scores.items(), key=lambda pair: (-pair[1], position.get(pair[0], order[pair[0]])))

    def retrieve(
        self, query: Query, prefer: frozenset[str] | None = None, near: DateWindow | None = None
    ) -> Retrieval:
        ranked = self.fused(query, prefer, near)[: self.k] if query.text.strip() else []
        wv, ww = self.last_weights
        notes = [f"normalised fusion, weights vector {wv:.2f} / BM25 {ww:.2f} for this question"]
        if near is not None:
            notes.append(
                f"date as a soft constraint: turns said on {near.describe()} or whose event time falls"
                " there rank first; the rest compete on content"
            )
        return Retrieval(
            turn_ids=[turn_id for turn_id, _ in ranked],
            scores=[score for _, score in ranked],
            route="content",
            rewritten_query=query.text,
            notes=notes,
        )
