"""Evaluation on the project's own question format (see ``convmem.questions``).

Categories: ``time``, ``ambiguous`` (every item marked ambiguous, whatever its category),
``time_content`` and ``content``; types are ``<category>/<subtype>``.  The conversations
must already be in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.registry import build_retrievers, check_retrievers
from convmem.compose import open_store
from convmem.config import Settings
from convmem.errors import NotFoundError
from convmem.questions import read_questions
from convmem.retrieval.base import Query
from convmem.storage.memory import MemoryStore
from convmem.types import Question
from eval.gate import GateSpec
from eval.report import render_report
from eval.runner import EvalItem, ProgressFn, evaluate, run_config, write_outputs

CATEGORY_ORDER = ("time", "ambiguous", "time_content", "content")


def question_item(q: Question) -> EvalItem:
    category = "ambiguous" if q.ambiguous else q.category
    query = Query(q.conversation_id, q.question, q.asked_at, q.context)
    return EvalItem(q.id, category, f"{category}/{q.subtype}", query, frozenset(q.relevant_turn_ids))


def question_items(path: Path, limit: int | None = None) -> list[EvalItem]:
    """Items in file order; with ``limit``, at most that many per type."""
    items: list[EvalItem] = []
    per_type: dict[str, int] = {}
    for q in read_questions(path):
        item = question_item(q)
        if limit is not None and per_type.get(item.type, 0) >= limit:
            continue
        per_type[item.type] = per_type.get(item.type, 0) + 1
        items.append(item)
    return items


def check_conversations(store: MemoryStore, items: Sequence[EvalItem], source: Path) -> None:
    for conversation_id in dict.fromkeys(item.query.conversation_id for item in items):
        if store.conversation(conversation_id) is None:
            raise NotFoundError(
                f"conversation {conversation_id!r} from {source} is not in the store at"
                f" {store.root}; ingest it first (`convmem ingest FILE --store {store.root}`)"
            )


def run_questions(
    path: Path,
    out_dir: Path,
    retriever_names: Sequence[str],
    settings: Settings,
    llm: Any = None,
    limit: int | None = None,
    progress: ProgressFn | None = None,
    gate: GateSpec | None = None,
) -> dict[str, Any]:
    """Ask every question of ``path`` against ``settings.store``; write ``results.json`` and
    ``report.md`` to ``out_dir`` and return the results."""
    names = check_retrievers(retriever_names)
    items = question_items(path, limit)
    with open_store(settings) as store:
        check_conversations(store, items, path)
        retrievers = build_retrievers(names, store, settings, llm)
        measured = evaluate(items, retrievers, progress, CATEGORY_ORDER)
        embedder = store.embedder.name
    results: dict[str, Any] = {
        "dataset": "questions",
        "config": run_config(
            names, embedder, settings, llm, len(items), limit,
            questions_path=str(path), store=str(settings.store), anchoring="each question's own asked_at",
        ),
        **measured,
    }
    write_outputs(out_dir, results, render_report(results), gate)
    return results
