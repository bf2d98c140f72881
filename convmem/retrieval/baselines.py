"""Baseline retrievers: what a memory without any notion of time does.

``semantic@k`` is the baseline of Alonso et al. 2024: the ``k`` turns of the asking
conversation whose vectors are nearest the request.  ``bm25@k`` ranks by word overlap
and ``hybrid@k`` fuses both rankings by reciprocal rank.  All three look at the request
text only (``Query.text``), never at ``Query.context`` or ``Query.asked_at``.

``HybridRetriever(mask_speakers=True)`` (the agent's content search, not a baseline) hides
the conversation's speaker names from the vector side: in a conversation between two
people their names are in most questions ("What did Caroline research?") but in few turns,
and where a turn has one it is someone addressing them ("Wow, Caroline!"), so a sentence
embedding of the raw question ranks those greetings first.  BM25 keeps the names, where a
rare name is real evidence and a common one weighs little.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from convmem.embed.base import Embedder
from convmem.errors import ConfigError, EmbeddingError
from convmem.retrieval.base import Query, Retrieval
from convmem.retrieval.bm25 import BM25Search
from convmem.retrieval.fusion import RRF_K, reciprocal_rank_fusion
from convmem.retrieval.vector_cache import VectorCache
from convmem.storage.memory import MemoryStore
from convmem.types import split_vector_id, vector_id

ROUTE = "baseline"
EXACT_SEARCH_LIMIT = 20_000  # turns in one conversation scored exactly (see SemanticRetriever)
HYBRID_POOL = 50  # each side contributes at least this many candidates to the fusion


def _check_k(k: int) -> int:
    if k < 1:
        raise ConfigError(f"retriever k must be at least 1, got {k}")
    return k


class SemanticRetriever:
    """Vector top-k within the query's conversation.

    A conversation of up to ``EXACT_SEARCH_LIMIT`` turns is scored exactly, every one of its
    vectors (read by id, cached) against the question: the cost follows the conversation,
    not the collection.  A longer one uses Chroma's vector search with a ``where`` filter.
    """

    def __init__(
        self, store: MemoryStore, embedder: Embedder, k: int = 10, cache: VectorCache | None = None
    ) -> None:
        if embedder.name != store.embedder.name:
            raise EmbeddingError(
                f"query embedder {embedder.name!r} does not match the store's {store.embedder.name!r};"
                " build the retriever with the store's embedder"
            )
        self.store = store
        self.embedder = embedder
        self.k = _check_k(k)
        self.name = f"semantic@{k}"
        self.cache = cache or VectorCache(store)

    def ranked(self, query: Query, k: int) -> list[tuple[str, float]]:
        if not query.text.strip():
            return []
        vector = self.embedder.embed([query.text])[0]
        turn_ids = self.store.tables.turn_ids(query.conversation_id, query.roles, query.exclude_turn_ids)
        if not turn_ids:
            return []
        if len(turn_ids) > EXACT_SEARCH_LIMIT:
            left_out = len(self.store.tables.turn_ids(query.conversation_id)) - len(turn_ids)
            hits = self.store.vectors.search(vector, k + left_out, where={"conversation_id": query.conversation_id})
            allowed = set(turn_ids) if left_out else None
            found = [(split_vector_id(hit.vector_id)[1], hit.score) for hit in hits]
            return [(t, s) for t, s in found if allowed is None or t in allowed][:k]
        matrix = self.cache.get([vector_id(query.conversation_id, turn_id) for turn_id in turn_ids])
        present = np.flatnonzero(np.abs(matrix).sum(axis=1) > 0)  # a turn whose vector is missing
        scores = matrix[present] @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(turn_ids[present[j]], float(scores[j])) for j in order]

    def retrieve(self, query: Query) -> Retrieval:
        ranked = self.ranked(query, self.k)
        return Retrieval(
            turn_ids=[turn_id for turn_id, _ in ranked],
            scores=[score for _, score in ranked],
            route=ROUTE,
            rewritten_query=query.text,
        )


class BM25Retriever:
    """BM25 top-k within the query's conversation; turns sharing no word are never returned."""

    def __init__(self, store: MemoryStore, k: int = 10, search: BM25Search | None = None) -> None:
        self.store = store
        self.k = _check_k(k)
        self.search = search or BM25Search(store)
        self.name = f"bm25@{k}"

    def retrieve(self, query: Query) -> Retrieval:
        hits = self.search.search(
            query.conversation_id, query.text, self.k, roles=query.roles, exclude=query.exclude_turn_ids
        )
        notes = [] if hits else ["no turn shares a word with the request"]
        return Retrieval(
            turn_ids=[h.turn_id for h in hits],
            scores=[h.score for h in hits],
            route=ROUTE,
            rewritten_query=query.text,
            notes=notes,
        )


def mask_names(text: str, names: tuple[str, ...]) -> str:
    """``text`` with every word of ``names`` (and its possessive) replaced by "someone"."""
    parts = sorted({part for name in names for part in name.split() if part}, key=len, reverse=True)
    if not parts:
        return text
    pattern = r"\b(?:" + "|".join(re.escape(part) for part in parts) + r")(?:'s)?\b"
    return re.sub(pattern, "someone", text, flags=re.IGNORECASE)


class HybridRetriever:
    """Vector and BM25 rankings of the same conversation fused by reciprocal rank (k=60)."""

    def __init__(
        self,
        store: MemoryStore,
        embedder: Embedder,
        k: int = 10,
        search: BM25Search | None = None,
        rrf_k: int = RRF_K,
        mask_speakers: bool = False,
        cache: VectorCache | None = None,
    ) -> None:
        self.k = _check_k(k)
        self.store = store
        self.mask_speakers = mask_speakers
        self.semantic = SemanticRetriever(store, embedder, k, cache)
        self.bm25 = BM25Retriever(store, k, search)
        self.rrf_k = rrf_k
        self.name = f"hybrid@{k}"

    def retrieve(self, query: Query) -> Retrieval:
        pool = max(2 * self.k, HYBRID_POOL)
        vector_query = self._without_speakers(query) if self.mask_speakers else query
        vector_ids = [turn_id for turn_id, _ in self.semantic.ranked(vector_query, pool)]
        word_ids = [
            h.turn_id for h in self.bm25.search.search(
                query.conversation_id, query.text, pool, roles=query.roles, exclude=query.exclude_turn_ids
            )
        ]
        fused = reciprocal_rank_fusion([vector_ids, word_ids], k=self.rrf_k)[: self.k]
        return Retrieval(
            turn_ids=[turn_id for turn_id, _ in fused],
            scores=[score for _, score in fused],
            route=ROUTE,
            rewritten_query=query.text,
            notes=[f"fused {len(vector_ids)} vector and {len(word_ids)} BM25 candidates"],
        )

    def _without_speakers(self, query: Query) -> Query:
        conversation = self.store.conversation(query.conversation_id)
        speakers = conversation.speakers if conversation is not None else ()
        return replace(query, text=mask_names(query.text, speakers))
