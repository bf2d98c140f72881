"""The time-aware retriever: disambiguate, plan, run, route.

Time-only questions return every row the plan selects (the question is about that whole
session or day).  Time+content questions filter, then rank the survivors by similarity,
keeping those close to the best.  Content-only questions run hybrid search (vector +
BM25) over the conversation.  With ``Settings.ranking == "exchange"`` (the default) a reply
ranks with the question it answers, a speaker the question attributes its topic to ranks
first, content search fuses normalised scores with per-question weights, a "when"
question notes the date its turns answer with (``convmem.retrieval.exchange``,
``content``, ``when``), and a date named as when something happened rather than when it
was said ("what did Melanie do on 20 May?", ``agent.planners.rules.event_days``) ranks
turns instead of filtering them: content search with the date as a soft constraint.
``"v1"`` is the first ranking (turns alone, reciprocal rank fusion, every date a filter).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

from agent.context import Disambiguated, carry_time_anchors
from agent.grounding import ConversationFacts
from agent.grounding.nearest import nearest_sessions
from agent.grounding.topic import Vocabulary, stems, topic_words
from agent.planners.llm import PLANNER_ERRORS, llm_plan, looks_time_related
from agent.planners.rules import RankSettings, RulesPlan, event_days, plan_question
from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.errors import NotFoundError
from convmem.retrieval.base import Query, Retrieval, Retriever
from convmem.retrieval.content import ContentSearch, DateWindow
from convmem.retrieval.exchange import OFF, ExchangeWeights, attributed_speakers
from convmem.retrieval.executor import PlanExecutor
from convmem.retrieval.plan import Plan, validate_plan
from convmem.retrieval.when import WHEN_QUESTION, resolved_when
from convmem.storage.memory import MemoryStore


@dataclass
class PlannedQuery:
    """What the planning step decided, before anything runs (so a trace can time and
    show planning and retrieval apart)."""

    query: Query
    resolved: Disambiguated
    rules: RulesPlan
    llm_plan: Plan | None = None
    notes: list[str] = field(default_factory=list)
    window: Retrieval | None = None  # the rules' result, when the topic test already ran it
    soft_date: DateWindow | None = None  # a date as when something happened: ranks, not filters

    @property
    def route(self) -> str:
        if self.llm_plan is not None:
            return "time_content" if self.llm_plan.semantic else "time"
        return "content" if self.soft_date is not None else self.rules.route

    @property
    def plan(self) -> Plan | None:
        """The chain that will run; ``None`` when content search runs instead."""
        if self.llm_plan is not None:
            return self.llm_plan
        return None if self.route == "content" else self.rules.plan


@dataclass(frozen=True)
class _Known:
    """A conversation's facts at one revision, and the stems said in each session (by the
    turns in ``counted``), from which the next revision's vocabulary grows."""

    revision: object
    facts: ConversationFacts
    epoch: object = None
    said: dict[int, frozenset[str]] = field(default_factory=dict)
    counted: frozenset[str] = frozenset()


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
        cutoff = settings.time_content_cutoff
        self.rank = rank or RankSettings(settings.time_content_k, cutoff if cutoff >= 0 else None)
        self.exchange = settings.ranking == "exchange"
        self.weights = ExchangeWeights() if self.exchange else OFF
        self.executor = PlanExecutor(store, self.embedder, self.weights)
        self.soft_dates = self.exchange  # a date named as an event time ranks (v1: filters)
        self._known: dict[str, _Known] = {}
        self._content: Retriever | None = None
        self._fused: ContentSearch | None = None

    def facts(self, query: Query) -> ConversationFacts:
        """The conversation's speakers, sessions and vocabulary, kept until the conversation
        changes; after turns are added only those are read into the vocabulary."""
        conversation_id = query.conversation_id
        known = self._known.get(conversation_id)
        revision = self.store.revision_of(conversation_id)
        if known is None or known.revision != revision:
            conversation = self.store.conversation(conversation_id)
            if conversation is None:
                raise NotFoundError(f"no conversation {conversation_id!r} in the store; ingest it first")
            sessions = tuple(self.store.sessions(conversation_id))
            epoch = self.store.epoch_of(conversation_id)
            grown = known is not None and known.epoch == epoch
            said = dict(known.said) if known is not None and grown else {}
            counted = known.counted if known is not None and grown else frozenset()
            turns = self.store.turns(conversation_id)
            fresh: dict[int, set[str]] = {}
            for t in turns:
                if t.turn_id not in counted:
                    fresh.setdefault(t.session_index, set()).update(stems(t.text))
            if fresh:
                counts = dict(known.facts.vocabulary.sessions_of) if grown and known and known.facts.vocabulary else {}
                for index, words in fresh.items():
                    before = said.get(index, frozenset())
                    for word in words - before:
                        counts[word] = counts.get(word, 0) + 1
                    said[index] = before | words
                vocabulary = Vocabulary(len(said), counts)
            else:
                vocabulary = (known.facts.vocabulary if grown and known else None) or Vocabulary()
            known = _Known(revision, ConversationFacts(query.asked_at, conversation.speakers, sessions,
                                                       vocabulary=vocabulary),
                           epoch, said, frozenset(t.turn_id for t in turns))
            self._known[conversation_id] = known
        return ConversationFacts(
            asked_at=query.asked_at,
            speakers=known.facts.speakers,
            sessions=known.facts.sessions,
            asker=query.speaker,
            current_session=query.current_session,
            vocabulary=known.facts.vocabulary,
            date_order=self.settings.date_order,
        )

    def plan(self, query: Query, resolved: Disambiguated | None = None) -> PlannedQuery:
        """Decide what to run (the rules' chain, or a validated LLM chain) without running it.

        ``resolved`` is a disambiguation made by the caller (the agent's rewriter); without
        one, the time anchors of ``query.context`` are carried here."""
        facts = self.facts(query)
        resolved = resolved or carry_time_anchors(query.text, query.context, facts)
        rules = plan_question(query.conversation_id, query.text, facts, self.rank, resolved.grounding)
        soft = self._soft_date(query, resolved, rules)
        window: Retrieval | None = None
        if rules.route == "time_content" and soft is None:
            rules, window = self._test_topic(query, facts, rules)
        planned = PlannedQuery(query, resolved, rules, window=window, soft_date=soft)
        if soft is not None:
            planned.notes.append(f"date as an event time: {soft.describe()} ranks turns, filters none")
        if self._wants_llm(rules.grounding.has_time or bool(rules.grounding.speakers), query.text):
            try:
                plan = llm_plan(self.llm, query.conversation_id, resolved.query, facts)  # type: ignore[arg-type]
                validate_plan(plan, self.executor.live_columns)
                planned.llm_plan = plan
                planned.notes.append("planner: llm")
            except PLANNER_ERRORS as exc:
                planned.notes.append(f"planner: llm failed ({exc.code}: {exc.message}); used the rules")
        return planned

    def _soft_date(self, query: Query, resolved: Disambiguated, rules: RulesPlan) -> DateWindow | None:
        """The question's own date (not one carried from the dialogue) when it names when
        something happened rather than when it was said (``event_days``)."""
        if not self.soft_dates or resolved.carried_from is not None or rules.route == "content":
            return None
        days = event_days(rules.grounding, query.text, self.facts(query).speakers)
        return None if days is None else DateWindow(*days)

    def _test_topic(
        self, query: Query, facts: ConversationFacts, rules: RulesPlan
    ) -> tuple[RulesPlan, Retrieval | None]:
        """Keep the residual words that pick out turns of the time window (see
        ``agent.grounding.topic``); with none left, the question is about the whole window.
        Returns the plan, and the window's rows when the question is about all of them."""
        window = plan_question(query.conversation_id, query.text, facts, self.rank, rules.grounding, content=[])
        plan = window.plan
        roles, exclude = query.roles, query.exclude_turn_ids
        turns, sql, params = self.executor.rows(plan, roles, exclude)
        if not turns and plan.fallback is not None:
            plan = plan.fallback
            turns, sql, params = self.executor.rows(plan, roles, exclude)
        rows = Retrieval([t.turn_id for t in turns], [1.0] * len(turns), plan=plan, sql=sql, params=params)
        kept = topic_words(rules.content, [t.text for t in turns], facts.vocabulary)
        if not kept:
            return window, rows
        if kept != rules.content:
            rules = plan_question(query.conversation_id, query.text, facts, self.rank, rules.grounding, content=kept)
        return rules, None  # a topic: ``run`` ranks the window (exchanges, speakers, event times)

    def run(self, planned: PlannedQuery) -> Retrieval:
        """Run what ``plan`` decided; an LLM chain that fails to run falls back to the rules."""
        route, notes, retrieval = planned.route, list(planned.notes), None
        if planned.llm_plan is not None:
            try:
                retrieval = self.executor.run(
                    planned.llm_plan, roles=planned.query.roles, exclude=planned.query.exclude_turn_ids
                )
            except PLANNER_ERRORS as exc:
                notes[-1] = f"planner: llm failed ({exc.code}: {exc.message}); used the rules"
                route = planned.rules.route
        prefer = self._attributed(planned)
        if retrieval is None:
            if route == "content" and planned.soft_date is not None:
                # the date ranks (the soft constraint); the words left once it is read compete
                residual = planned.rules.grounding.residual.strip()
                query = replace(planned.query, text=residual or planned.query.text)
                retrieval = self._content_search(query, prefer, planned.soft_date)
            elif route == "content":
                retrieval = self._content_search(planned.query, prefer)
            elif planned.window is not None:
                retrieval = planned.window
            else:
                retrieval = self.executor.run(
                    planned.rules.plan, prefer=prefer, roles=planned.query.roles,
                    exclude=planned.query.exclude_turn_ids,
                )
        if not retrieval.turn_ids and route != "content":
            self._offer_nearest(planned, retrieval)
        retrieval.route = route
        retrieval.notes.extend(notes)
        if self.exchange and re.search(WHEN_QUESTION, planned.query.text, re.IGNORECASE):
            when = resolved_when(self.store, planned.query.conversation_id, retrieval.turn_ids,
                                 planned.query.text, planned.query.asked_at)
            if when is not None:
                retrieval.notes.append(f"when: {when.describe()}")
        retrieval.rewritten_query = planned.resolved.query
        retrieval.notes.append(f"matched: {', '.join(planned.rules.grounding.matched) or '-'}")
        return retrieval

    def _offer_nearest(self, planned: PlannedQuery, retrieval: Retrieval) -> None:
        """An empty time window: say so, and return the nearest sessions on either side."""
        facts = self.facts(planned.query)
        nearest = nearest_sessions(planned.rules.grounding, facts)
        if nearest is None:
            retrieval.note = "no turns match that time"
            return
        retrieval.note = nearest.note()
        for session in nearest.sessions:
            turns = [
                t for t in self.store.turns(planned.query.conversation_id, session.index)
                if t.role in planned.query.roles and t.turn_id not in planned.query.exclude_turn_ids
            ]
            retrieval.turn_ids.extend(t.turn_id for t in turns)
            retrieval.scores.extend([0.0] * len(turns))
        retrieval.notes.append(retrieval.note)

    def retrieve(self, query: Query, resolved: Disambiguated | None = None) -> Retrieval:
        started = time.perf_counter()
        retrieval = self.run(self.plan(query, resolved))
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

    def _attributed(self, planned: PlannedQuery) -> frozenset[str]:
        """Speakers whose turns rank first: those the question attributes its topic to, unless
        the plan already keeps only some speakers' turns."""
        if not self.exchange or planned.rules.grounding.speakers:
            return frozenset()
        facts = self.facts(planned.query)
        return frozenset(attributed_speakers(planned.resolved.query, facts.speakers, facts.asker))

    def _content_search(
        self, query: Query, prefer: frozenset[str], near: DateWindow | None = None
    ) -> Retrieval:
        if not self.exchange:
            if self._content is None:
                from convmem.retrieval.baselines import HybridRetriever

                self._content = HybridRetriever(
                    self.store, self.embedder, self.settings.retrieval_k, mask_speakers=True,
                    cache=self.executor.vectors,
                )
            return self._content.retrieve(query)
        if self._fused is None:
            self._fused = ContentSearch(
                self.store, self.embedder, self.settings.retrieval_k, cache=self.executor.vectors,
                weights=self.weights,
            )
        return self._fused.retrieve(query, prefer, near)
