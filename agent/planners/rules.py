"""The rules planner: temporal grounding turned into a chain of table operations.

Order of the chain: calendar filters, session filters, the session pick, the speaker, the
position within what is left, and last the semantic rank when the question has content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from agent.grounding import ConversationFacts, Grounding, content_words, ground
from agent.grounding.sessions import CONVERSATION_NOUN
from agent.grounding.speakers import SPEECH_VERBS
from agent.grounding.topic import framed_out
from convmem.retrieval.plan import KeepRows, Operation, Pick, Plan, Select, SemanticRank

MAX_DAYS_IN_LIST = 64
MAX_EVENT_DAYS = 7  # a date or a range up to a week can be when something happened
# The question is about the talk itself: a verb of saying, or a word for the conversation.
_ABOUT_TALK = re.compile(
    rf"\b(?:{SPEECH_VERBS}|{CONVERSATION_NOUN}|chatted|chatting|talked|talking|spoke|spoken|speak|"
    r"(?:came|come|comes|coming)\s+up)\b",
    re.IGNORECASE,
)
# Someone as the one who did it: "did I", "were you" (a speaker's name is the other way).
_PERSON_ASKED = re.compile(r"\b(?:did|do|does|was|were|have|has|had|will|would|is|are|am)\s+(?:i|you)\b", re.IGNORECASE)


@dataclass(frozen=True)
class RankSettings:
    k: int = 5
    relative_cutoff: float | None = None


@dataclass
class RulesPlan:
    plan: Plan
    grounding: Grounding
    content: list[str]

    @property
    def route(self) -> str:
        if not self.grounding.has_time and not self.grounding.speakers:
            return "content"
        return "time_content" if self.content else "time"


def about_the_talk(question: str) -> bool:
    """Whether a question asks about the conversation itself ("what did we talk about on
    20 May?", "what did Melanie say…", "in our chat on…", "in the session of…") rather than
    about something that happened ("what did Melanie do on 20 May?")."""
    return bool(_ABOUT_TALK.search(question))


def names_a_doer(question: str, speakers: tuple[str, ...]) -> bool:
    """Whether the question is about what a person did: it names a speaker, or asks "did I",
    "were you"..."""
    if _PERSON_ASKED.search(question):
        return True
    parts = {p for name in speakers for p in name.split() if len(p) > 1}
    return any(re.search(rf"\b{re.escape(p)}(?:'s)?\b", question, re.IGNORECASE) for p in parts)


def event_days(grounding: Grounding, question: str, speakers: tuple[str, ...]) -> tuple[date, date] | None:
    """The days a question names as when something happened, for a date as a soft
    constraint: only a date or a short range (at most ``MAX_EVENT_DAYS``) and no other time
    or speaker constraint, in a question about what a person did (``names_a_doer``) that
    does not ask about the talk itself (then the date is when it was said: a filter, the
    TemporalMemoryDataset's semantics; so is a question about no one: "what was the topic
    on 4 March?")."""
    g = grounding
    if not g.day_spans or g.days_ago is not None or g.windows or g.weekdays or g.parts_of_day:
        return None
    if g.session_spans or g.session_pick or g.position or g.speakers or about_the_talk(question):
        return None
    if not names_a_doer(question, speakers):
        return None
    start, end = min(s.start for s in g.day_spans), max(s.end for s in g.day_spans)
    return (start, end) if (end - start).days < MAX_EVENT_DAYS else None


def plan_question(
    conversation_id: str,
    question: str,
    facts: ConversationFacts,
    rank: RankSettings = RankSettings(),
    grounding: Grounding | None = None,
    content: list[str] | None = None,
) -> RulesPlan:
    """``content``: the residual's topic words when the caller has tested them
    (``agent.grounding.topic``); by default every residual word the grammar keeps."""
    grounding = grounding or ground(question, facts)
    if content is None:
        content = framed_out(content_words(grounding.residual, facts.speakers), question)
    tail: list[Operation] = [*_session_ops(grounding, facts)]
    if grounding.speakers:
        tail.append(Select("speaker", "in", tuple(grounding.speakers)))
    if grounding.position:
        tail.append(KeepRows(grounding.position.which, grounding.position.n))  # type: ignore[arg-type]
    if content:
        tail.append(SemanticRank(question, rank.k, rank.relative_cutoff, tuple(content)))
    plan = Plan(conversation_id, (*_calendar_ops(grounding), *tail))
    if grounding.days_ago is not None:
        # Sessions begun N whole days before asking; else the calendar day today - N.
        n = grounding.days_ago
        by_session = (
            Select("session_start", ">", facts.asked_at - timedelta(days=n + 1)),
            Select("session_start", "<=", facts.asked_at - timedelta(days=n)),
        )
        plan = Plan(conversation_id, (*by_session, *plan.operations), fallback=Plan(
            conversation_id,
            (Select("day", "=", facts.today - timedelta(days=n)), *plan.operations),
        ))
    return RulesPlan(plan, grounding, content)


def _calendar_ops(g: Grounding) -> list[Operation]:
    ops: list[Operation] = []
    if len(g.day_spans) == 1:
        span = g.day_spans[0]
        ops.append(Select("day", "=", span.start) if span.start == span.end
                   else Select("day", "between", (span.start, span.end)))
    elif g.day_spans:
        days = sorted({span.start + timedelta(days=i) for span in g.day_spans
                       for i in range((span.end - span.start).days + 1)})
        if len(days) <= MAX_DAYS_IN_LIST:
            ops.append(Select("day", "in", tuple(days)))
        else:
            ops.append(Select("day", "between", (days[0], days[-1])))
    for window in g.windows:
        column = "session_start" if window.by_session_start else "spoken_at"
        ops.append(Select(column, ">=", window.start))
        ops.append(Select(column, "<", window.end))
    if g.weekdays:
        ops.append(Select("weekday", "in", tuple(g.weekdays)))
    if g.parts_of_day:
        ops.append(Select("part_of_day", "in", tuple(dict.fromkeys(g.parts_of_day))))
    return ops


def _session_ops(g: Grounding, facts: ConversationFacts) -> list[Operation]:
    ops: list[Operation] = []
    if len(g.session_spans) == 1:
        span = g.session_spans[0]
        ops.append(Select("session_index", "between", (span.low, span.high)))
    elif g.session_spans:
        indexes = sorted({i for s in g.session_spans for i in range(s.low, s.high + 1)})
        ops.append(Select("session_index", "in", tuple(indexes[:MAX_DAYS_IN_LIST])))
    pick = g.session_pick
    if pick is not None:
        if pick.from_now:
            ops.append(Select("session_index", "<=", max(facts.past_session_count, 0)))
            if facts.current_session is not None:
                ops.append(Select("session_index", "!=", facts.current_session))
        ops.append(Pick("session_index", pick.position, pick.count))
    return ops

