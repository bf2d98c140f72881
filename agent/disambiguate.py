"""Disambiguation: the last user message turned into a self-contained query.

A follow-up such as "Can you summarize it?" or "What else did she say about that?" means
nothing to a planner on its own.  Three ways to resolve it (``Settings.disambiguator``):

- ``context`` (deterministic, no LLM): the time anchors, the speaker ("she", "he") and the
  topic ("about it", "mention that") are carried from the recent turns, the asker's own
  turns first, then the others'.  Time carrying is ``agent.context.carry_time_anchors``.
- ``llm``: the rewrite of Alonso et al. 2024 - the model turns the last message into a
  standalone question given the turns before it, as JSON bounded by a schema
  (``{"question": string, maxLength 300}``).
- ``auto``: the LLM when one is configured, checked against the context reading; an empty,
  far too long or time-changing rewrite is refused and the context reading used.  The
  grammar reads an explicit time anchor exactly, so when the two disagree on the time the
  deterministic one wins.

Any LLM failure falls back to the context reading: a question is never lost to a rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from agent.context import Disambiguated, carry_time_anchors
from agent.grounding import ConversationFacts, Grounding, content_words, ground
from agent.grounding.topic import framed_out, topic_words
from agent.prompts import REWRITE_MAX_CHARS, REWRITE_SCHEMA, rewrite_messages
from convmem.errors import LLMError
from convmem.llm.types import ChatRequest, Message
from convmem.types import DialogueTurn

RECENT_TURNS = 6  # how far back a speaker or a topic is looked for
TOPIC_WORDS = 6
_HE_SHE = re.compile(r"\b(she|he)\b", re.IGNORECASE)
_TIME_NOUNS = (
    r"conversation|chat|session|discussion|talk|call|meeting|exchange|day|date|time|week|"
    r"weekend|month|year|morning|afternoon|evening|night"
)
# "about it", "mention that", "said about those": a reference to a topic, unless a time
# noun follows ("that conversation", "that day" refer to a time, which anchors carry).
_TOPIC_REF = re.compile(
    r"\b(?:about|regarding|mention(?:ed|s|ing)?|discuss(?:ed|es|ing)?|say|said|"
    r"bring up|brought up|more on|summari[sz]e|recap|expand on|elaborate on|go over|"
    r"go through|sum up|break down)\s+(?P<ref>it|that|this|them|those)\b"
    rf"(?!\s+(?:{_TIME_NOUNS})s?\b)",
    re.IGNORECASE,
)
# Asking for more of what was just discussed, without naming it.
_MORE = re.compile(r"\b(?:tell me more|what else|anything else|say more|more details?|go on)\b", re.IGNORECASE)
_TIME_REF = re.compile(
    rf"\b(?:then|that time|those times|(?:that|this|the same|those)\s+(?:{_TIME_NOUNS})s?)\b",
    re.IGNORECASE,
)
# Words people use around a topic without being one ("I cannot remember that far back").
_FILLER_TEXT = """
    absolutely always amazing awesome better bit cannot definitely far glad happy honestly
    hope lovely maybe memory nice often perfect pretty probably quite right sounds super
    totally trying usual usually wonderful yeah yep
"""
FILLER = frozenset(_FILLER_TEXT.split())
_ORDINAL_SUFFIXES = frozenset(("st", "nd", "rd", "th"))


@dataclass(frozen=True)
class Rewrite:
    """A request made self-contained, and how."""

    question: str  # what the request means, standalone (shown; given to an LLM planner)
    search_text: str  # the request with references replaced (what is searched)
    resolved: Disambiguated  # the grounding the planner uses
    method: str  # none | context | llm
    carried: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    llm_error: LLMError | None = None  # the LLM failed (the context reading was used)
    rejected: str = ""  # an LLM rewrite that was refused

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "question": self.question, "search_text": self.search_text, "method": self.method,
            "carried": list(self.carried), "carried_from": self.resolved.carried_from,
        }
        if self.rejected:
            data["rejected"] = self.rejected
        return data


class Disambiguator(Protocol):
    name: str

    def rewrite(
        self, request: str, context: Sequence[DialogueTurn], facts: ConversationFacts
    ) -> Rewrite: ...


class ContextDisambiguator:
    name = "context"

    def rewrite(
        self, request: str, context: Sequence[DialogueTurn], facts: ConversationFacts
    ) -> Rewrite:
        turns = _by_priority(context, facts.asker)
        text, carried = request, []
        name = _referred_speaker(text, turns, facts)
        if name is not None:
            text = _replace_pronoun(text, name, facts)
            carried.append(f"speaker: {name}")
        topic, source = _referred_topic(text, turns, facts)
        if topic:
            match = list(_TOPIC_REF.finditer(text))[-1] if _TOPIC_REF.search(text) else None
            if match is not None:
                text = text[: match.start("ref")] + topic + text[match.end("ref"):]
            else:  # "tell me more", "what else did she say?"
                text = f"{text.rstrip(' ?.!')} about {topic}"
            carried.append(f"topic: {topic}")
            said = ground(source.text, facts).speakers if source is not None else []
            if said and not ground(text, facts).speakers:
                # the topic was someone's: "what did Melanie say about pottery?" -> "summarize it"
                text = f"{text.rstrip(' ?.!')}, said by {' and '.join(said)}"
                carried.append(f"speaker: {', '.join(said)}")
        earlier = tuple(context) if _refers_back(request, facts) else ()
        own_first = carry_time_anchors(text, tuple(reversed(turns[: _asker_count(earlier, facts.asker)])), facts)
        resolved = own_first if own_first.carried_from else carry_time_anchors(text, earlier, facts)
        if resolved.carried_from:
            carried.append("time: " + resolved.query[len(text.rstrip()):].strip(" []"))
        return Rewrite(resolved.query, text, resolved, "context" if carried else "none", tuple(carried))


class LLMDisambiguator:
    """The LLM rewrite; with ``checked`` (the ``auto`` mode) its answer must also agree with
    the context reading on the time, and be of a sensible length."""

    name = "llm"

    def __init__(self, llm: Any, *, checked: bool = False, max_tokens: int = 120) -> None:
        self.llm = llm
        self.checked = checked
        self.max_tokens = max_tokens
        self.context = ContextDisambiguator()
        if checked:
            self.name = "auto"

    def request(self, request: str, context: Sequence[DialogueTurn], facts: ConversationFacts) -> ChatRequest:
        messages = rewrite_messages(request, context, facts.asked_at, facts.asker)
        return ChatRequest(
            tuple(Message(role, content) for role, content in messages),
            max_tokens=self.max_tokens,
            json_schema=REWRITE_SCHEMA,
            purpose="rewrite",
        )

    def rewrite(
        self, request: str, context: Sequence[DialogueTurn], facts: ConversationFacts
    ) -> Rewrite:
        fallback = self.context.rewrite(request, context, facts)
        if not context:
            return fallback  # nothing earlier to resolve: no call
        try:
            response = self.llm.complete_json(self.request(request, context, facts))
            question = " ".join(str(response.parsed["question"]).split())
        except LLMError as exc:
            note = f"rewrite: llm failed ({exc.code}: {exc.message}); used the context"
            return replace(fallback, notes=(*fallback.notes, note), llm_error=exc)
        grounding = ground(question, facts)
        problem = self._problem(question, request, context, grounding, fallback.resolved.grounding)
        if problem:
            note = f"rewrite: llm answer refused ({problem}); used the context"
            return replace(fallback, notes=(*fallback.notes, note), rejected=question)
        return Rewrite(question, question, Disambiguated(question, grounding), "llm", notes=("rewrite: llm",))

    def _problem(
        self,
        question: str,
        request: str,
        context: Sequence[DialogueTurn],
        grounding: Grounding,
        expected: Grounding,
    ) -> str:
        if not re.search(r"[^\W\d_]", question):
            return "empty"
        if not self.checked:
            return ""
        longest = sorted((len(t.text) for t in context), reverse=True)[:2]
        limit = min(REWRITE_MAX_CHARS, len(request) + sum(longest) + 40)
        if len(question) > limit:
            return f"{len(question)} characters, more than the {limit} the dialogue can need"
        if expected.has_anchor and not grounding.has_anchor:
            return "it drops the time the dialogue names: " + ", ".join(m for m in expected.matched if m)
        if expected.has_anchor and anchor_key(grounding) != anchor_key(expected):
            return "it names another time than the dialogue"
        return ""


def build_disambiguator(choice: str, llm: Any = None) -> Disambiguator:
    """``context``, ``llm`` or ``auto`` (``Settings.disambiguator``); without an LLM, every
    choice reads the context (a configured ``llm`` choice cannot do otherwise)."""
    if llm is None or choice == "context":
        return ContextDisambiguator()
    return LLMDisambiguator(llm, checked=choice != "llm")


def anchor_key(g: Grounding) -> tuple[Any, ...]:
    """The time a grounding refers to, comparable across two phrasings."""
    return (tuple(g.day_spans), g.days_ago, tuple(g.windows), tuple(g.session_spans), g.session_pick)


# ---- helpers ------------------------------------------------------------------------------

def _by_priority(context: Sequence[DialogueTurn], asker: str | None) -> list[DialogueTurn]:
    """The recent turns, the asker's own first (most recent first), then the others'."""
    recent = list(reversed(context[-RECENT_TURNS:]))
    if not asker:
        return recent
    return [t for t in recent if t.speaker == asker] + [t for t in recent if t.speaker != asker]


def _asker_count(context: Sequence[DialogueTurn], asker: str | None) -> int:
    return sum(1 for t in context[-RECENT_TURNS:] if asker and t.speaker == asker)


def _refers_back(request: str, facts: ConversationFacts) -> bool:
    """Whether the request leans on the dialogue for its time: it says what it is about
    only vaguely ("Can you summarize what we discussed?") or points back ("then", "that
    conversation").  A request with a subject of its own ("What is my puppy's name?")
    stands alone, and the time of an earlier turn is not forced on it."""
    return bool(_TIME_REF.search(request)) or not _topic_words(request, facts)


def _referred_speaker(text: str, turns: list[DialogueTurn], facts: ConversationFacts) -> str | None:
    """The person "she"/"he" stands for when the request asks what someone said and names
    nobody: the last speaker constraint, or failing that the last name, in the turns."""
    if not _HE_SHE.search(text) or ground(text, facts).speakers:
        return None
    for turn in turns:
        said = ground(turn.text, facts).speakers
        named = [s for s in facts.speakers if s != facts.asker and _mentions(turn.text, s)]
        for name in [*reversed(said), *named]:
            if name in ground(_replace_pronoun(text, name, facts), facts).speakers:
                return name
    return None


def _replace_pronoun(text: str, name: str, facts: ConversationFacts) -> str:
    """Replace the first "she"/"he" that, once replaced, makes ``name`` the speaker."""
    for match in _HE_SHE.finditer(text):
        candidate = text[: match.start()] + name + text[match.end():]
        if name in ground(candidate, facts).speakers:
            return candidate
    return text


def _mentions(text: str, name: str) -> bool:
    first = name.split()[0] if name.split() else name
    return bool(re.search(rf"\b{re.escape(first)}\b", text, re.IGNORECASE))


def _referred_topic(
    text: str, turns: list[DialogueTurn], facts: ConversationFacts
) -> tuple[str, DialogueTurn | None]:
    """The topic "it"/"that" (or "more", "else") stands for, when the request has none of
    its own; and the turn it comes from."""
    if not (_TOPIC_REF.search(text) or _MORE.search(text)) or _topic_words(text, facts):
        return "", None
    for turn in turns:
        words = _topic_words(turn.text, facts)
        if words:
            return " ".join(words[:TOPIC_WORDS]), turn
    return "", None


def _topic_words(text: str, facts: ConversationFacts) -> list[str]:
    words = framed_out(content_words(ground(text, facts).residual, facts.speakers), text)
    # "first" is normalised to "1th", whose suffix is no topic either.
    words = [w for w in dict.fromkeys(words) if w not in FILLER and w not in _ORDINAL_SUFFIXES]
    return topic_words(words, None, facts.vocabulary)
