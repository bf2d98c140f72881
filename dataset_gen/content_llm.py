"""Time+content questions written by a language model, kept only when provably unique.

The gold comes from the tables exactly as offline (``content.content_targets``); the model
only words the question.  Every question is then checked: it must keep the time reference,
share a content word with the gold turns, and, asked to point at the turns that answer it
among *all* turns in the time and speaker scope, the model must point inside the gold and
nowhere else.  Anything else is rejected, with the reason counted.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from convmem.errors import LLMOutputError
from dataset_gen.content import ContentTarget, time_refs, words_of
from dataset_gen.llm import TextModel, ask_json
from dataset_gen.scope import GoldQueries

MAX_CANDIDATES = 80

WRITE_SYSTEM = (
    "You write questions for a benchmark of long-term conversational memory. Each question"
    " must be answerable only from the given turns, must contain the given time reference"
    " word for word, and must not quote the turns at length. Reply with JSON:"
    ' {"question": "..."}'
)
CHECK_SYSTEM = (
    "You check benchmark questions. Given a question and numbered conversation turns, list"
    " the ids of every turn that contains (part of) the answer. Reply with JSON:"
    ' {"turn_ids": ["..."]}; use an empty list when no turn answers it.'
)


def write_prompt(turns: Sequence[tuple[Any, ...]], time_ref: str, speaker: str | None) -> str:
    lines = "\n".join(f"[{t[0]}] {t[1]}: {t[2]}" for t in turns)
    who = f" about what {speaker} said" if speaker else ""
    return (
        f"Turns:\n{lines}\n\nWrite one question{who} whose answer is in these turns."
        f' Include the time reference "{time_ref}" exactly.'
    )


def check_prompt(question: str, candidates: Sequence[tuple[Any, ...]]) -> str:
    lines = "\n".join(f"[{t[0]}] {t[1]}: {t[2]}" for t in candidates)
    return f"Question: {question}\n\nTurns:\n{lines}"


@dataclass
class LLMContentStats:
    written: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


def check_question(
    model: TextModel, q: GoldQueries, target: ContentTarget, question: str, time_ref: str
) -> str | None:
    """The reason to reject ``question``, or None when its answer lies only in the gold."""
    if not question.strip():
        return "empty"
    if time_ref.lower() not in question.lower():
        return "time_reference_dropped"
    gold_rows = q.rows(target.gold_scope, ["turn_id", "speaker", "text"])
    gold_words = {w for r in gold_rows for w in words_of(r[2]) if len(w) > 3}
    if not gold_words & set(words_of(question)):
        return "off_topic"
    candidates = q.rows(target.scope, ["turn_id", "speaker", "text"])
    if len(candidates) > MAX_CANDIDATES:
        return "scope_too_large"
    reply = ask_json(model, CHECK_SYSTEM, check_prompt(question, candidates))
    named = reply.get("turn_ids")
    if not isinstance(named, list):
        raise LLMOutputError("the check reply has no 'turn_ids' list")
    ids = {str(x) for x in named}
    if not ids:
        return "unanswerable"
    if not ids <= set(target.gold):
        return "not_unique"
    return None


def llm_content_question(
    model: TextModel,
    q: GoldQueries,
    target: ContentTarget,
    rng: random.Random,
    stats: LLMContentStats,
    attempts: int = 2,
) -> str | None:
    """A model-written question for ``target`` that passed the check, or None."""
    gold_rows = q.rows(target.gold_scope, ["turn_id", "speaker", "text"])
    for _ in range(attempts):
        time_ref = rng.choice(time_refs(target.kind, target.params))
        reply = ask_json(model, WRITE_SYSTEM, write_prompt(gold_rows, time_ref, target.speaker))
        question = str(reply.get("question") or "").strip()
        reason = check_question(model, q, target, question, time_ref)
        if reason is None:
            stats.written += 1
            return question
        stats.rejected[reason] += 1
    return None
