"""The time-aware retriever: disambiguate, plan, run, route.

Time-only questions return every row the plan selects (the question is about that whole
session or day).  Time+content questions filter, then rank the survivors by similarity,
keeping those close to the best.  Content-only questions run hybrid search (vector +
BM25, fused by reciprocal rank) over the conversation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from agent.context import carry_time_anchors
from agent.grounding import ConversationFacts
from agent.planners.llm import PLANNER_ERRORS, llm_plan, looks_time_related
from agent.planners.rules import RankSettings, plan_question
from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.errors import NotFoundError
from convmem.retrieval.base import Query, Retrieval
from convmem.retrieval.executor import PlanExecutor
from convmem.storage.memory import MemoryStore


@dataclass
class _Known:
    revision: int
    facts: ConversationFacts


class TimeAwareRetriever:
    name = "agent"

    def __init__(
        self,
        store: MemoryStore,
        settings: Settings,
        llm: object | None = None,
        embedder: Embedder | None = None,
        rank: RankSettings | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.llm = llm
        self.embedder = embedder or store.embedder
        self.rank = rank or RankSettings(k=settings.retrieval_k)
        self.executor = PlanExecutor(store, self.embedder)
        self._known: dict[str, _Known] = {}
        self._content = None

    def facts(self, query: Query) -> ConversationFacts:
        known = self._known.get(query.conversation_id)
        if known is None or known.revision != self.store.revision:
            conversation = self.store.conversation(query.conversation_id)
            if conversation is None:
                raise NotFoundError(
                    f"no conversation {query.conversation_id!r} in the store; ingest it first"
                )
            sessions = tuple(self.store.sessions(query.conversation_id))
            known = _Known(self.store.revision, ConversationFacts(query.asked_at, conversation.speakers, sessions))
            self._known[query.conversation_id] = known
        return ConversationFacts(
            asked_at=query.asked_at,
            speakers=known.facts.speakers,
            sessions=known.facts.sessions,
            asker=query.speaker,
            current_session=query.current_session,
        )

    def retrieve(self, query: Query) -> Retrieval:
        started = time.perf_counter()
        facts = self.facts(query)
        resolved = carry_time_anchors(query.text, query.context, facts)
        planned = plan_question(query.conversation_id, query.text, facts, self.rank, resolved.grounding)
        route, notes = planned.route, []
        retrieval = None
        if self._wants_llm(planned.grounding.has_time or bool(planned.grounding.speakers), query.text):
            try:
                plan = llm_plan(self.llm, query.conversation_id, resolved.query, facts)  # type: ignore[arg-type]
                retrieval = self.executor.run(plan)
                route = "time_content" if plan.semantic else "time"
                notes.append("planner: llm")
            except PLANNER_ERRORS as exc:
                notes.append(f"planner: llm failed ({exc.code}: {exc.message}); used the rules")
        if retrieval is None:
            if route == "content":
                retrieval = self._content_search(query)
            else:
                retrieval = self.executor.run(planned.plan)
        retrieval.route = route
        retrieval.notes.extend(notes)
        retrieval.rewritten_query = resolved.query
        retrieval.notes.append(f"matched: {', '.join(planned.grounding.matched) or '-'}")
        retrieval.notes.append(f"took {1000 * (time.perf_counter() - started):.1f} ms")
        return retrieval

    def _wants_llm(self, rules_found_time: bool, text: str) -> bool:
        """``llm``: always (with an LLM); ``auto``: when the rules found no time expression
        but the question looks time-related; ``rules``: never."""
        if self.llm is None or self.settings.planner == "rules":
            return False
        if self.settings.planner == "llm":
            return True
        return not rules_found_time and looks_time_related(text)

    def _content_search(self, query: Query) -> Retrieval:
        if self._content is None:
            from convmem.retrieval.baselines import HybridRetriever

            self._content = HybridRetriever(self.store, self.embedder, self.rank.k)
        return self._content.retrieve(query)
