"""The LLM planner (the chain-of-table method of Alonso et al. 2024).

The model proposes a chain as JSON constrained to a bounded schema; the plan is then
validated against the live schema like any other (unknown columns, operators or values
are refused), values are bound as parameters and it runs with a row limit.  A failed
call or an invalid plan never loses the question: the caller falls back to the rules.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from agent.grounding import ConversationFacts
from agent.prompts import PLAN_SCHEMA, planner_messages
from convmem.errors import LLMError, PlanError
from convmem.retrieval.plan import Plan, plan_from_dict

TIME_WORDS = re.compile(
    r"\b(when|time|times|ago|date|dates|day|days|week|weeks|weekend|month|months|year|years|"
    r"session|sessions|earlier|before|after|since|recent|recently|lately|morning|afternoon|"
    r"evening|night|first|last|previous|latest|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|yesterday|today|tonight|then)\b",
    re.IGNORECASE,
)


class JsonChat(Protocol):
    def complete_json(self, request: Any, *, timeout_s: float | None = None) -> Any: ...


def looks_time_related(question: str) -> bool:
    return bool(TIME_WORDS.search(question))


def llm_plan(llm: JsonChat, conversation_id: str, question: str, facts: ConversationFacts) -> Plan:
    """Ask the model for a plan; raises LLMError or PlanError (validated later again)."""
    from convmem.llm.types import ChatRequest, Message

    messages = planner_messages(question, facts.asked_at, facts.sessions, facts.speakers)
    request = ChatRequest(
        tuple(Message(role, content) for role, content in messages),
        max_tokens=300,
        json_schema=PLAN_SCHEMA,
        purpose="plan",
    )
    response = llm.complete_json(request)
    plan = plan_from_dict(response.parsed, conversation_id)
    return _with_semantic_text(plan, question)


def _with_semantic_text(plan: Plan, question: str) -> Plan:
    """A semantic rank without text ranks by the question itself."""
    from dataclasses import replace

    from convmem.retrieval.plan import SemanticRank

    ops = tuple(
        replace(op, text=question) if isinstance(op, SemanticRank) and not op.text.strip() else op
        for op in plan.operations
    )
    return replace(plan, operations=ops)


PLANNER_ERRORS = (LLMError, PlanError)
