"""The LLM answerer: the retrieved turns, quoted as data, and the question; the answer streams.

The prompt (``agent.prompts.answer_messages``) shows each turn with its id, session, day,
time and speaker inside a delimited memory block and tells the model that block is a
record, not instructions.  The answer's citations are checked against the turns shown: an
id the model made up is not reported as cited.  Errors are not handled here: the agent
catches them and answers extractively, so nothing the user asked is lost.
"""

from __future__ import annotations

from typing import Any, Protocol

from agent.answer.base import NOTHING_FOUND, Answer, Evidence, TextSink, citations
from agent.prompts import answer_messages
from convmem.errors import LLMOutputError
from convmem.llm.types import ChatRequest, Message


class StreamingChat(Protocol):
    def stream(self, request: ChatRequest, *, timeout_s: float | None = None) -> Any: ...


class LLMAnswerer:
    name = "llm"

    def __init__(self, llm: StreamingChat, max_turns: int = 40, max_tokens: int | None = None) -> None:
        self.llm = llm
        self.max_turns = max_turns
        self.max_tokens = max_tokens  # None: the client's configured default

    def request(self, evidence: Evidence) -> ChatRequest:
        """The best ``max_turns`` turns, shown in time order; a recap (a whole session, no
        topic) is asked for topics per session; known event days are shown beside turns."""
        shown = sorted(evidence.turns[: self.max_turns], key=lambda t: t.order)
        messages = answer_messages(
            evidence.question, shown, evidence.asked_at, evidence.request, recap=evidence.route == "time",
            event_days={turn_id: event.day for turn_id, event in evidence.event_dates.items()},
        )
        return ChatRequest(
            tuple(Message(role, content) for role, content in messages),
            max_tokens=self.max_tokens,
            purpose="answer",
        )

    def answer(self, evidence: Evidence, on_text: TextSink | None = None) -> Answer:
        if not evidence.turns:
            if on_text is not None:
                on_text(NOTHING_FOUND)
            return Answer(NOTHING_FOUND, self.name)
        request = self.request(evidence)
        parts: list[str] = []
        for delta in self.llm.stream(request):
            parts.append(delta)
            if on_text is not None:
                on_text(delta)
        text = "".join(parts).strip()
        if not text:
            raise LLMOutputError("the LLM's answer was empty; check the model and CONVMEM_LLM_MAX_TOKENS")
        shown = {t.turn_id for t in evidence.turns[: self.max_turns]}
        cited = citations(text, shown)
        notes = () if cited else ("the answer cites none of the turns it was shown",)
        return Answer(text, self.name, cited, notes)
