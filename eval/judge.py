"""The LLM judge and token F1: how answers to LoCoMo questions are scored.

Answers are free text, so exact match undercounts; the LoCoMo literature therefore asks
an LLM whether an answer says the same thing as the gold answer (binary CORRECT/WRONG) and
reports token F1 beside it.  The judge's prompt is fixed and versioned: change a word and
``JUDGE_PROMPT_VERSION`` must change too, because scores under two prompts do not compare.
The version is written into every ``results.json``.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

from convmem.errors import LLMError
from convmem.llm.types import ChatRequest, Message

JUDGE_PROMPT_VERSION = "locomo-judge-v1"
JUDGE_SYSTEM = (
    "You grade answers to questions about a long conversation between two people. "
    "You are given a question, the gold answer and a generated answer. "
    "Label the generated answer CORRECT if it states the same fact as the gold answer, "
    "even if it is longer, worded differently or adds harmless detail; for a question about "
    "time, it is CORRECT if it names the same date or period, in any format or as a relative "
    "time that resolves to it. Label it WRONG if it contradicts the gold answer, misses its "
    "point, or says the conversation does not tell. "
    'Reply with JSON only: {"label": "CORRECT"} or {"label": "WRONG"}.'
)
JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"label": {"type": "string", "enum": ["CORRECT", "WRONG"]}},
    "required": ["label"],
}
_ARTICLES = re.compile(r"\b(a|an|the|and)\b")
_CITATIONS = re.compile(r"\[[^\[\]]*\bt:[^\[\]]*\]")


def judge_messages(question: str, gold: str, answer: str) -> tuple[Message, ...]:
    """The judge's prompt (a pure function of its inputs)."""
    return (
        Message("system", JUDGE_SYSTEM),
        Message("user", f"Question: {question}\nGold answer: {gold}\nGenerated answer: {answer}\n"),
    )


def judge_request(question: str, gold: str, answer: str) -> ChatRequest:
    return ChatRequest(judge_messages(question, gold, answer), max_tokens=20, temperature=0.0,
                       json_schema=JUDGE_SCHEMA, purpose="judge")


def judge(llm: Any, question: str, gold: str, answer: str) -> bool | None:
    """True (CORRECT), False (WRONG), or None when the judge gave no usable label."""
    try:
        response = llm.complete_json(judge_request(question, gold, answer))
    except LLMError:
        return None
    label = str((response.parsed or {}).get("label", "")).upper()
    return {"CORRECT": True, "WRONG": False}.get(label)


def normalise_answer(text: str) -> str:
    """Lower case, no citations, punctuation or articles, single spaces (as SQuAD scores)."""
    text = _CITATIONS.sub(" ", text).lower()
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(answer: str, gold: str) -> float:
    """Harmonic mean of token precision and recall after ``normalise_answer``."""
    got, want = normalise_answer(answer).split(), normalise_answer(gold).split()
    if not got or not want:
        return float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    p, r = common / len(got), common / len(want)
    return 2 * p * r / (p + r)
