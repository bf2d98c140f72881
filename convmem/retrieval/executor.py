"""Run validated plans against a store: one SQL query, then an optional semantic rank.

Plans compile to a single SELECT over the ``turns_t`` view with every value bound as a
parameter and a row limit; the statement is checked to be exactly that before it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np

from convmem.embed.base import Embedder
from convmem.errors import PlanError
from convmem.retrieval.base import Retrieval
from convmem.retrieval.compile import compile_plan
from convmem.retrieval.exchange import ExchangeWeights, exchange_scores, speaker_bonus
from convmem.retrieval.lexical import keyword_scores, terms
from convmem.retrieval.plan import Plan, Select, SemanticRank, validate_plan
from convmem.retrieval.vector_cache import VectorCache
from convmem.storage.memory import MemoryStore
from convmem.storage.tables import row_to_turn
from convmem.types import SAID, Turn, vector_id

MAX_EVENT_SPAN_DAYS = 7


def asked_days(plan: Plan) -> tuple[date, date] | None:
    """The days a time+content plan selects by one ``day`` filter (at most a week), when its
    table operations are only day and speaker filters; else ``None``."""
    ops = plan.table_operations
    if plan.semantic is None or not ops:
        return None
    if any(not isinstance(op, Select) or op.column not in ("day", "speaker") for op in ops):
        return None
    days = [op for op in ops if isinstance(op, Select) and op.column == "day"]
    if len(days) != 1:
        return None
    op = days[0]
    values = op.value if isinstance(op.value, list | tuple) else (op.value,)
    if not values or not all(isinstance(v, date) for v in values):
        return None
    if op.operator not in ("=", "between", "in"):
        return None
    low, high = min(values), max(values)
    return (low, high) if (high - low).days < MAX_EVENT_SPAN_DAYS else None


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

    def rows(
        self, plan: Plan, roles: Sequence[str] = (SAID,), exclude: Iterable[str] = ()
    ) -> tuple[list[Turn], str, list[Any]]:
        """Validate, compile and run the table part of a plan over the turns of ``roles``
        (never those in ``exclude``)."""
        checked = validate_plan(plan, self.live_columns)
        compiled = compile_plan(checked, roles, exclude)
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
        self,
        plan: Plan,
        query_vector: np.ndarray | None = None,
        prefer: frozenset[str] = frozenset(),
        roles: Sequence[str] = (SAID,),
        exclude: Iterable[str] = (),
    ) -> Retrieval:
        """``prefer``: speakers the question attributes its topic to (ranked first, not
        filtered); ``roles`` / ``exclude``: which turns may be evidence."""
        turns, sql, params = self.rows(plan, roles, exclude)
        if not turns and plan.fallback is not None:
            return self.run(plan.fallback, query_vector, prefer, roles, exclude)
        retrieval = Retrieval(turn_ids=[t.turn_id for t in turns], scores=[1.0] * len(turns),
                              plan=plan, sql=sql, params=params)
        rank = plan.semantic
        if rank is not None and self.weights.event_days:
            extra = [
                t for t in self.event_time_turns(plan, {t.turn_id for t in turns})
                if t.role in roles and t.turn_id not in set(exclude)
            ]
            if extra:
                turns = sorted([*turns, *extra], key=lambda t: t.order)
                retrieval.notes.append(
                    "event time: also ranked " + ", ".join(t.turn_id for t in extra)
                    + " (their words name these days)"
                )
        if rank is not None and turns:
            ids, scores = self.rank(turns, rank, query_vector, prefer)
            retrieval.turn_ids, retrieval.scores = ids, scores
        return retrieval

    def event_time_turns(self, plan: Plan, have: set[str]) -> list[Turn]:
        """Turns said elsewhere whose event time (``turn_times``, a day or a weekend) falls in
        the days a time+content plan selects: a date in a question may be when the thing
        happened, not when it was said.  Only for plans made of day and speaker filters."""
        span = asked_days(plan)
        if span is None:
            return []
        speakers = [op.value for op in plan.table_operations if isinstance(op, Select) and op.column == "speaker"]
        sql = (
            "SELECT DISTINCT t.conversation_id, t.turn_id, t.turn_order, t.session_index,"
            " t.index_in_session, t.speaker, t.text, t.spoken_at, t.role FROM turns t JOIN turn_times e"
            " ON e.conversation_id = t.conversation_id AND e.turn_id = t.turn_id"
            " WHERE t.conversation_id = ? AND e.kind IN ('day', 'weekend') AND e.start <= ? AND e.\"end\" >= ?"
        )
        params: list[Any] = [plan.conversation_id, span[1], span[0]]
        if speakers:
            names = speakers[-1] if isinstance(speakers[-1], list | tuple) else (speakers[-1],)
            sql += " AND t.speaker IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(names))
        cursor = self.store.tables.con.cursor()
        try:
            rows = cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()
        return [row_to_turn(r) for r in rows if r[1] not in have]

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
