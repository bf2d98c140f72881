"""Run validated plans against a store: one SQL query, then an optional semantic rank.

Plans compile to a single SELECT over the ``turns_t`` view with every value bound as a
parameter and a row limit; the statement is checked to be exactly that before it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from convmem.embed.base import Embedder
from convmem.errors import PlanError
from convmem.retrieval.base import Retrieval
from convmem.retrieval.compile import compile_plan
from convmem.retrieval.exchange import ExchangeWeights, exchange_scores, speaker_bonus
from convmem.retrieval.lexical import keyword_scores, terms
from convmem.retrieval.plan import Plan, SemanticRank, validate_plan
from convmem.retrieval.vector_cache import VectorCache
from convmem.storage.memory import MemoryStore
from convmem.storage.tables import row_to_turn
from convmem.types import Turn, vector_id


class PlanExecutor:
    def __init__(
        self, store: MemoryStore, embedder: Embedder, weights: ExchangeWeights | None = None
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.weights = weights or ExchangeWeights()
        self.vectors = VectorCache(store)
        described = store.tables.con.execute("DESCRIBE turns_t").fetchall()
        self.live_columns = {row[0] for row in described}

    def rows(self, plan: Plan) -> tuple[list[Turn], str, list[Any]]:
        """Validate, compile and run the table part of a plan."""
        checked = validate_plan(plan, self.live_columns)
        compiled = compile_plan(checked)
        if ";" in compiled.sql or not compiled.sql.startswith("WITH "):
            raise PlanError("refusing to run a statement that is not a single query")
        cursor = self.store.tables.con.cursor()
        try:
            result = cursor.execute(compiled.sql, compiled.params).fetchall()
        finally:
            cursor.close()
        turns = [row_to_turn((plan.conversation_id, *row)) for row in result]
        return turns, compiled.sql, compiled.params

    def run(
        self, plan: Plan, query_vector: np.ndarray | None = None, prefer: frozenset[str] = frozenset()
    ) -> Retrieval:
        """``prefer``: speakers the question attributes its topic to (ranked first, not
        filtered)."""
        turns, sql, params = self.rows(plan)
        if not turns and plan.fallback is not None:
            return self.run(plan.fallback, query_vector, prefer)
        retrieval = Retrieval(turn_ids=[t.turn_id for t in turns], scores=[1.0] * len(turns),
                              plan=plan, sql=sql, params=params)
        rank = plan.semantic
        if rank is not None and turns:
            ids, scores = self.rank(turns, rank, query_vector, prefer)
            retrieval.turn_ids, retrieval.scores = ids, scores
        return retrieval

    def rank(
        self,
        turns: Sequence[Turn],
        rank: SemanticRank,
        query_vector: np.ndarray | None = None,
        prefer: frozenset[str] = frozenset(),
    ) -> tuple[list[str], list[float]]:
        """Score = keyword overlap scaled to the best candidate's (0..1) plus the mean
        cosine similarity of the question and of its keywords to each turn; then a reply
        inherits a share of the question it answers, and the turns of a speaker the
        question attributes its topic to get a bonus (``convmem.retrieval.exchange``)."""
        keywords = list(rank.keywords) or sorted(terms(rank.text))
        queries = [rank.text, " ".join(keywords)] if rank.keywords else [rank.text]
        vectors = self.embedder.embed(queries) if query_vector is None else np.stack([query_vector])
        matrix = self.vectors.get([vector_id(t.conversation_id, t.turn_id) for t in turns])
        similarity = (matrix @ vectors.T).mean(axis=1)
        overlap = keyword_scores(keywords, [t.text for t in turns])
        top = float(overlap.max()) if len(overlap) else 0.0
        alone = (overlap / top if top > 0 else overlap) + similarity
        score = exchange_scores(turns, alone, self.weights) + speaker_bonus(turns, set(prefer), self.weights)
        order = np.argsort(-score, kind="stable")[: rank.k]
        best = float(score[order[0]])
        keep = [
            int(i) for i in order
            if rank.relative_cutoff is None or float(score[i]) >= best - rank.relative_cutoff
        ]
        return [turns[i].turn_id for i in keep], [float(score[i]) for i in keep]
