"""The TemporalMemoryDataset benchmark (Alonso et al. 2024, arXiv 2406.00057).

A checkout holds ``ConversationData/<N>.json`` (the logs) and ``TestData/`` with
``time_qs/test_<type>.json``, ``ambiguous_time_qs/test_<type>.json`` and
``content_time_qs/content_time_qs.json``.  Each test file maps ``file_<N>`` to items of
``{questions: [paraphrase, ...], relevant_docs: [response_number, ...]}``; every
paraphrase is asked as its own question.  An ambiguous "question" is a short dialogue
whose last turn is the request and whose earlier turns are its context.

Anchoring: the questions are asked as each log's last session begins (the start of the
conversation's last session in the store), which is the moment "today", "last Friday"
and "20 sessions ago" in the questions refer to.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.registry import build_retrievers, check_retrievers
from convmem.compose import open_store
from convmem.config import Settings
from convmem.embed.base import ProgressFn as EmbedProgressFn
from convmem.errors import InputFormatError, NotFoundError
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from eval.gate import GateSpec
from eval.report import render_report
from eval.runner import EvalItem, ProgressFn, evaluate, run_config, write_outputs

SECTIONS = (("time_qs", "time"), ("ambiguous_time_qs", "ambiguous"), ("content_time_qs", "time_content"))
CATEGORY_ORDER = tuple(category for _, category in SECTIONS)
DEFAULT_RETRIEVERS = "agent,agent-v1,semantic@10,semantic@20,semantic@30,bm25@10"
ANCHORING = "each question is asked at the start of its conversation's last session"


def find_test_files(dataset_dir: Path) -> list[tuple[str, str, Path]]:
    """``(category, subtype, path)`` for every test file, sections in the paper's order."""
    test_dir = dataset_dir / "TestData"
    if not test_dir.is_dir():
        raise InputFormatError(dataset_dir, "", "no TestData/ folder; point at a TemporalMemoryDataset checkout")
    found = []
    for folder, category in SECTIONS:
        for path in sorted((test_dir / folder).glob("*.json")):
            subtype = "all" if path.stem == folder else path.stem.removeprefix("test_")
            found.append((category, subtype, path))
    if not found:
        raise InputFormatError(test_dir, "", f"no test files under {', '.join(f for f, _ in SECTIONS)}")
    return found


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(path, "", f"cannot read file ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, f"line {exc.lineno}", f"malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict) or "file_indexes" not in data:
        raise InputFormatError(path, "", "expected an object with 'file_indexes' and 'file_<N>' lists")
    return data


def _request(path: Path, where: str, question: Any) -> tuple[str, tuple[DialogueTurn, ...], str | None]:
    """A question as (request text, earlier dialogue, speaker)."""
    if isinstance(question, str) and question.strip():
        return question.strip(), (), None
    if isinstance(question, list) and question and all(
        isinstance(t, dict) and str(t.get("text") or "").strip() for t in question
    ):
        turns = [DialogueTurn(str(t.get("speaker") or ""), str(t["text"]).strip()) for t in question]
        last = turns[-1]
        return last.text, tuple(turns[:-1]), last.speaker or None
    raise InputFormatError(path, where, "expected a question string or a dialogue of {speaker, text}")


def read_test_file(
    path: Path, category: str, subtype: str, anchor: Callable[[str], datetime], limit: int | None = None
) -> Iterator[EvalItem]:
    data = _read_json(path)
    type_name = f"{category}/{subtype}"
    count = 0
    for conversation in data["file_indexes"]:
        conversation_id = str(conversation)
        key = f"file_{conversation_id}"
        entries = data.get(key)
        if not isinstance(entries, list):
            raise InputFormatError(path, key, "missing or not a list")
        for i, entry in enumerate(entries):
            where = f"{key}[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("questions"), list):
                raise InputFormatError(path, where, "expected {questions: [...], relevant_docs: [...]}")
            relevant = entry.get("relevant_docs")
            if not isinstance(relevant, list):
                raise InputFormatError(path, f"{where}.relevant_docs", "expected a list")
            for j, question in enumerate(entry["questions"]):
                if limit is not None and count >= limit:
                    return
                text, context, speaker = _request(path, f"{where}.questions[{j}]", question)
                query = Query(conversation_id, text, anchor(conversation_id), context, speaker)
                item_id = f"{type_name}/{conversation_id}/{i}/{j}"
                yield EvalItem(item_id, category, type_name, query, frozenset(str(r) for r in relevant))
                count += 1


def last_session_anchor(store: MemoryStore) -> Callable[[str], datetime]:
    """Conversation id -> start of its last session; a missing conversation is an error."""
    cache: dict[str, datetime] = {}

    def anchor(conversation_id: str) -> datetime:
        if conversation_id not in cache:
            sessions = store.sessions(conversation_id)
            if not sessions:
                raise NotFoundError(
                    f"conversation {conversation_id!r} has questions but no log in the store;"
                    f" add ConversationData/{conversation_id}.json to the dataset"
                )
            cache[conversation_id] = sessions[-1].start
        return cache[conversation_id]

    return anchor


def tmd_items(dataset_dir: Path, store: MemoryStore, limit: int | None = None) -> list[EvalItem]:
    """Every paraphrase of every test file; with ``limit``, at most that many per type."""
    anchor = last_session_anchor(store)
    items: list[EvalItem] = []
    for category, subtype, path in find_test_files(dataset_dir):
        items.extend(read_test_file(path, category, subtype, anchor, limit))
    return items


def run_tmd(
    dataset_dir: Path,
    out_dir: Path,
    retriever_names: Sequence[str],
    settings: Settings,
    llm: Any = None,
    limit: int | None = None,
    progress: ProgressFn | None = None,
    ingest_progress: EmbedProgressFn | None = None,
    gate: GateSpec | None = None,
) -> dict[str, Any]:
    """Ingest the logs into ``out_dir/store`` (reused when present), ask every question,
    write ``results.json`` and ``report.md`` to ``out_dir`` and return the results."""
    names = check_retrievers(retriever_names)
    logs = dataset_dir / "ConversationData"
    if not logs.is_dir():
        raise InputFormatError(dataset_dir, "", "no ConversationData/ folder; point at a TemporalMemoryDataset checkout")
    find_test_files(dataset_dir)  # fail on a missing TestData before the slow ingest
    cfg = settings.with_overrides(store=out_dir / "store")
    conversations = load_paths([logs], "tmd", cfg.session_gap_minutes, cfg.words_per_minute)
    with open_store(cfg, create=True) as store:
        store.ingest(conversations, progress=ingest_progress)
        items = tmd_items(dataset_dir, store, limit)
        retrievers = build_retrievers(names, store, cfg, llm)
        measured = evaluate(items, retrievers, progress, CATEGORY_ORDER)
        embedder = store.embedder.name
    results: dict[str, Any] = {
        "dataset": "tmd",
        "config": run_config(
            names, embedder, cfg, llm, len(items), limit,
            dataset_path=str(dataset_dir), store=str(cfg.store), anchoring=ANCHORING,
        ),
        **measured,
    }
    write_outputs(out_dir, results, render_report(results, with_paper=True), gate)
    return results
