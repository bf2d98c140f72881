"""The agent: disambiguate -> plan -> retrieve -> answer, each step traced.

One ``Agent`` per store.  Every backend comes in through the constructor (the store, the
LLM client or ``None``, optionally a retriever, disambiguator or answerer), so tests run
it on a temp store with the scripted fake.  The LLM is optional at every step: the
context reading, the rules planner and the extractive answerer need none, and a failed
LLM call falls back to them.  When the answer itself cannot come from the LLM, the user
gets the extractive answer with one line saying the LLM was unavailable.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agent.answer import Answer, Answerer, Evidence, ExtractiveAnswerer, LLMAnswerer, TextSink
from agent.answer.base import UNAVAILABLE_OPENING, EventDate
from agent.disambiguate import Disambiguator, Rewrite, build_disambiguator
from agent.relevance import WORD_COVERAGE_FLOOR, content_floor, similarities, word_coverage
from agent.retrieval import PlannedQuery, TimeAwareRetriever
from agent.trace import AgentTrace
from convmem.config import Settings
from convmem.errors import LLMAuthError, LLMError, LLMModelNotFoundError, LLMUnavailableError
from convmem.eventtime import EventTime
from convmem.retrieval.base import Query, Retrieval
from convmem.retrieval.when import WHEN_QUESTION, ResolvedWhen, choose_when, conversation_words
from convmem.storage.memory import MemoryStore
from convmem.types import SAID, Turn

# An LLM that failed like this will fail the same way a moment later in the same question.
UNREACHABLE = (LLMUnavailableError, LLMModelNotFoundError, LLMAuthError)


@dataclass
class AgentAnswer:
    text: str
    rewrite: Rewrite
    planned: PlannedQuery
    retrieval: Retrieval
    evidence: Evidence
    answer: Answer
    trace: AgentTrace
    llm_error: LLMError | None = None  # the answer had to be written without the LLM
    closest: tuple[Turn, ...] = ()  # retrieved but below the content floor: shown only when asked

    @property
    def turn_ids(self) -> list[str]:
        return [t.turn_id for t in self.evidence.turns]

    def as_dict(self) -> dict[str, Any]:
        """The shape ``convmem ask --json`` prints."""
        plan = self.retrieval.plan
        return {
            "answer": self.text,
            "rewritten_query": self.rewrite.question,
            "plan": plan.to_dict() if plan is not None else None,
            "turn_ids": self.turn_ids,
            "latency_ms": round(self.trace.latency_ms, 1),
        }


class Agent:
    def __init__(
        self,
        store: MemoryStore,
        settings: Settings,
        llm: Any = None,
        *,
        retriever: TimeAwareRetriever | None = None,
        disambiguator: Disambiguator | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.llm = llm
        self.retriever = retriever or TimeAwareRetriever(store, settings, llm=llm)
        self.disambiguator = disambiguator or build_disambiguator(settings.disambiguator, llm)
        self.extractive = ExtractiveAnswerer()
        self.answerer: Answerer = answerer or (LLMAnswerer(llm) if llm is not None else self.extractive)

    def ask(
        self,
        query: Query,
        on_text: TextSink | None = None,
        exclude_turn_ids: Collection[str] = (),
    ) -> AgentAnswer:
        """Answer ``query``; ``on_text`` receives the answer as it is written.

        ``exclude_turn_ids`` keeps turns out of the evidence (the chat's own question,
        stored before it is answered)."""
        trace = AgentTrace(query.conversation_id, query.text, query.asked_at)
        with trace.step("disambiguate", _query_input(query, self.disambiguator.name), self.llm) as step:
            facts = self.retriever.facts(query)
            rewrite = self.disambiguator.rewrite(query.text, query.context, facts)
            step.output = rewrite.as_dict()
            step.notes = list(rewrite.notes)
        with trace.step("plan", {"question": rewrite.question, "planner": self.settings.planner}, self.llm) as step:
            planned = self.retriever.plan(replace(query, text=rewrite.search_text), rewrite.resolved)
            step.output = _plan_output(planned)
            step.notes = list(planned.notes)
        with trace.step("retrieve", {"route": planned.route}, self.llm) as step:
            retrieval = self.retriever.run(planned)
            turns = self._turns(query.conversation_id, retrieval.turn_ids, exclude_turn_ids)
            turns, closest = self._above_floor(planned, turns, retrieval)
            step.output = {
                "sql": retrieval.sql, "params": [str(p) for p in retrieval.params],
                "turn_ids": [t.turn_id for t in turns], "scores": retrieval.scores,
                **({"note": retrieval.note} if retrieval.note else {}),
            }
            step.notes = list(retrieval.notes)
        times = self.store.turn_times(query.conversation_id, [t.turn_id for t in turns]) if turns else {}
        evidence = Evidence(rewrite.question, query.asked_at, tuple(turns), query.text, route=retrieval.route or "",
                            background=self._background(query.conversation_id, retrieval.route),
                            event_dates=self._event_dates(times),
                            when=self._when(rewrite.question, query, turns, times))
        note = f"{retrieval.note[:1].upper()}{retrieval.note[1:]}." if retrieval.note else ""
        if note and on_text is not None:
            on_text(note + "\n")
        with trace.step("answer", {"answerer": self.answerer.name, "turns": len(turns)}, self.llm) as step:
            answer, error = self._answer(evidence, on_text, rewrite.llm_error)
            step.output = {"method": answer.method, "cited": list(answer.cited), "text": answer.text}
            step.notes = list(answer.notes)
        # an empty time window answered from the nearest sessions says so first
        text = f"{note}\n{answer.text}" if note else answer.text
        return AgentAnswer(text, rewrite, planned, retrieval, evidence, answer, trace, error, closest)

    def _above_floor(
        self, planned: PlannedQuery, turns: list[Turn], retrieval: Retrieval
    ) -> tuple[list[Turn], tuple[Turn, ...]]:
        """Content-only evidence, or none when it is not close enough (``agent.relevance``);
        then the closest turn is kept aside."""
        floor = content_floor(self.settings, self.retriever.embedder.name)
        if planned.route != "content" or floor is None or not turns:
            return turns, ()
        text = planned.query.text
        scores = similarities(self.store, self.retriever.embedder, self.retriever.executor.vectors, text, turns)
        best = max(range(len(turns)), key=scores.__getitem__)
        coverage = word_coverage(self.store, text, turns)
        if scores[best] >= floor and coverage >= WORD_COVERAGE_FLOOR:
            return turns, ()
        retrieval.notes.append(
            f"nothing relevant: closest turn {scores[best]:.2f} (floor {floor:.2f}), question words"
            f" found {coverage:.2f} (floor {WORD_COVERAGE_FLOOR:.2f})"
        )
        return [], (turns[best],)

    def _turns(self, conversation_id: str, ids: list[str], exclude: Collection[str]) -> list[Turn]:
        """The retrieved turns in the retriever's order."""
        wanted = [i for i in ids if i not in exclude]
        found = {t.turn_id: t for t in self.store.tables.turns_by_ids(conversation_id, wanted)}
        return [found[i] for i in wanted if i in found]

    def _background(self, conversation_id: str, route: str | None) -> tuple[str, ...]:
        """The whole conversation's texts for a recap (how rare each word is in it; also
        used by the extractive fallback when the LLM fails)."""
        if route != "time":
            return ()
        return tuple(t.text for t in self.store.turns(conversation_id) if t.role == SAID)

    def _when(
        self, question: str, query: Query, turns: list[Turn], times: Mapping[str, Sequence[EventTime]]
    ) -> ResolvedWhen | None:
        """For a "when" question: the turn that answers it and its resolved date."""
        if not turns or not re.search(WHEN_QUESTION, question, re.IGNORECASE):
            return None
        speakers, rarity = conversation_words(self.store, query.conversation_id)
        return choose_when(question, turns, times, query.asked_at, speakers, rarity=rarity)

    def _event_dates(self, events: Mapping[str, Sequence[EventTime]]) -> dict[str, EventDate]:
        """The day each turn talks about, where its words name one day (``turn_times``, filled
        at write time): what a "when" answer states instead of the day it was said."""
        dates: dict[str, EventDate] = {}
        for turn_id, found in events.items():
            day = next((e for e in found if e.kind == "day" and e.start == e.end), None)
            if day is not None:
                dates[turn_id] = EventDate(day.start, day.expression)
        return dates

    def _answer(
        self, evidence: Evidence, on_text: TextSink | None, earlier: LLMError | None
    ) -> tuple[Answer, LLMError | None]:
        if self.answerer is self.extractive:
            return self.extractive.answer(evidence, on_text), None
        if isinstance(earlier, UNREACHABLE):
            return self._without_llm(evidence, on_text, earlier, started=False), earlier
        written: list[str] = []

        def sink(delta: str) -> None:
            written.append(delta)
            if on_text is not None:
                on_text(delta)

        try:
            return self.answerer.answer(evidence, sink), None
        except LLMError as exc:
            return self._without_llm(evidence, on_text, exc, started=bool(written)), exc

    def _without_llm(
        self, evidence: Evidence, on_text: TextSink | None, error: LLMError, started: bool
    ) -> Answer:
        line = unavailable_line(error)
        if on_text is not None:
            on_text(("\n" if started else "") + line + "\n")
        fallback = self.extractive.answer(evidence, on_text)
        note = f"answer: llm failed ({error.code}); answered extractively"
        return Answer(f"{line}\n{fallback.text}", fallback.method, fallback.cited, (*fallback.notes, note))


def unavailable_line(error: LLMError) -> str:
    reason = " ".join(error.message.split())
    return f"{UNAVAILABLE_OPENING}: {reason}. This answer comes straight from memory.)"


def _query_input(query: Query, method: str) -> dict[str, Any]:
    return {
        "request": query.text,
        "context": [{"speaker": t.speaker, "text": t.text} for t in query.context],
        "asked_at": query.asked_at.isoformat(),
        "speaker": query.speaker,
        "current_session": query.current_session,
        "method": method,
    }


def _plan_output(planned: PlannedQuery) -> dict[str, Any]:
    plan = planned.plan
    return {
        "route": planned.route,
        "planner": "llm" if planned.llm_plan is not None else "rules",
        "chain": plan.describe() if plan is not None else ["hybrid search (vector + BM25)"],
        "plan": plan.to_dict() if plan is not None else None,
    }
