"""Content search over a whole conversation: normalised score fusion of vector and BM25,
then exchange-aware and speaker-aware re-scoring.

Reciprocal rank fusion gives both rankings the same say, so a weak side drags the strong
one down (on long user-assistant chats the hybrid lost to plain vector search).  Here
each side's scores are scaled to 0..1 over its own candidate pool (cosine: min-max;
BM25, which is 0 for a turn sharing no word: divided by the best) and mixed
with ``vector_weight`` (chosen on LoCoMo conversation 26, checked on 30); a side that
separates nothing (all its scores equal, e.g. BM25 with no shared word) contributes
nothing.  A reply to a pooled question joins the pool with a share of the question's
score (``convmem.retrieval.exchange``), and a speaker the question attributes its topic
to gets a bonus.

The vector side asks with the speakers' names replaced by "someone" (see
``convmem.retrieval.baselines.mask_names``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from convmem.embed.base import Embedder
from convmem.retrieval.base import Query, Retrieval
from convmem.retrieval.baselines import SemanticRetriever, mask_names
from convmem.retrieval.bm25 import BM25Search
from convmem.retrieval.exchange import ExchangeWeights, attributed_speakers, is_question
from convmem.retrieval.vector_cache import VectorCache
from convmem.retrieval.when import WHEN_QUESTION
from convmem.storage.memory import MemoryStore
from convmem.types import Turn

VECTOR_WEIGHT = 0.5
POOL = 50
WHEN_BONUS = 0.1  # a "when" question: bonus for turns whose words name a time (LoCoMo 26)


def _minmax(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low <= 1e-9:
        return dict.fromkeys(scores, 0.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


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
    ) -> None:
        self.store = store
        self.k = k
        self.semantic = SemanticRetriever(store, embedder, k, cache)
        self.bm25 = search or BM25Search(store)
        self.vector_weight = vector_weight
        self.weights = weights or ExchangeWeights()
        self.pool = max(pool, 2 * k)
        self.when_bonus = when_bonus
        self._turns: dict[str, tuple[object, list[Turn], dict[str, int]]] = {}

    def _conversation_turns(self, conversation_id: str) -> tuple[list[Turn], dict[str, int]]:
        known = self._turns.get(conversation_id)
        revision = self.store.revision_of(conversation_id)
        if known is None or known[0] != revision:
            turns = self.store.turns(conversation_id)
            known = (revision, turns, {t.turn_id: i for i, t in enumerate(turns)})
            self._turns[conversation_id] = known
        return known[1], known[2]

    def fused(self, query: Query, prefer: frozenset[str] | None = None) -> list[tuple[str, float]]:
        conversation = self.store.conversation(query.conversation_id)
        speakers = conversation.speakers if conversation is not None else ()
        masked = replace(query, text=mask_names(query.text, speakers))
        vector = _minmax(dict(self.semantic.ranked(masked, self.pool)))
        hits = self.bm25.search(
            query.conversation_id, query.text, self.pool, roles=query.roles, exclude=query.exclude_turn_ids
        )
        top = max((h.score for h in hits), default=0.0)
        words = {h.turn_id: h.score / top for h in hits} if top > 0 else {}
        w = self.vector_weight
        scores = {t: w * vector.get(t, 0.0) + (1 - w) * words.get(t, 0.0) for t in {*vector, *words}}
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
        if self.when_bonus > 0 and re.search(WHEN_QUESTION, query.text, re.IGNORECASE):
            timed = self.store.turn_times(query.conversation_id, list(scores))
            for turn_id, events in timed.items():
                if any(e.kind != "approx" for e in events):
                    scores[turn_id] += self.when_bonus
        order = {turn_id: i for i, turn_id in enumerate(scores)}
        return sorted(scores.items(), key=lambda pair: (-pair[1], position.get(pair[0], order[pair[0]])))

    def retrieve(self, query: Query, prefer: frozenset[str] | None = None) -> Retrieval:
        ranked = self.fused(query, prefer)[: self.k] if query.text.strip() else []
        return Retrieval(
            turn_ids=[turn_id for turn_id, _ in ranked],
            scores=[score for _, score in ranked],
            route="content",
            rewritten_query=query.text,
            notes=[f"normalised fusion, vector weight {self.vector_weight}"],
        )
