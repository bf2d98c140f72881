"""LoCoMo (Maharana et al. 2024): evidence recall at k per question category.

Input: LoCoMo conversations that carry ``qa`` (one conversation per JSON file, or the
combined ``locomo10.json`` list).  Each QA item names its evidence turns by ``dia_id``.

Categories, as the dataset's authors define them (several public harnesses mislabel 1, 3
and 4): 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial.

Evidence ids are normalised before matching: a string holding several ids
(``"D8:6; D9:17"``) is split, and ``"D:11:26"`` or ``"D30:05"`` become ``D11:26`` and
``D30:5``; whatever still names no turn of the conversation is counted and listed.

LoCoMo says nothing about when a question is asked; a time-aware memory needs a moment.
Convention (stated in every report): a question is asked one minute after the last turn
of the session that holds its last evidence turn, unless the QA item gives ``asked_at``.

Every retriever returns up to 20 turns; recall@5/10/20 are computed on the first 5, 10
and 20 of its ranked list (the agent's list may be shorter and is used as it is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.registry import build_retrievers, check_retrievers
from convmem.compose import open_store
from convmem.config import Settings
from convmem.embed.base import ProgressFn as EmbedProgressFn
from convmem.errors import InputFormatError
from convmem.retrieval.base import Query, Retrieval
from convmem.storage.loaders import expand_paths, load_paths
from convmem.storage.memory import MemoryStore
from convmem.timeutil import parse_iso
from eval.event_dates import event_date_block
from eval.gate import GateSpec
from eval.locomo_report import locomo_markdown
from eval.metrics import recall
from eval.report import render_report
from eval.runner import EvalItem, ProgressFn, evaluate, run_config, write_outputs

CATEGORY_LABELS = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
CATEGORY_ORDER = tuple(CATEGORY_LABELS.values())
RECALL_KS = (5, 10, 20)
DEFAULT_RETRIEVERS = "semantic@20,bm25@20,hybrid@20,agent-v1,agent"
ASKED_AT = (
    "each question is asked one minute after the last turn of the session that holds its"
    " last evidence turn (a QA item's own 'asked_at' wins when the data gives one)"
)
_DIA_ID = re.compile(r"^D\s*:?\s*0*(\d+)\s*:\s*0*(\d+)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[;,\s]+(?=D)", re.IGNORECASE)


@dataclass(frozen=True)
class LocomoQA:
    conversation_id: str
    index: int  # position in the conversation's qa list
    question: str
    answer: str | None  # adversarial items have none
    category: int
    evidence: tuple[str, ...]  # as written in the data
    asked_at: datetime | None = None

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @property
    def item_id(self) -> str:
        return f"locomo/{self.conversation_id}/{self.index}"


def normalise_evidence(raw: str) -> tuple[list[str], list[str]]:
    """``(dia_ids, unparseable parts)`` of one evidence string."""
    ids, bad = [], []
    for part in _SEPARATORS.split(raw.strip()):
        part = part.strip(" ;,")
        if not part:
            continue
        match = _DIA_ID.match(part)
        if match:
            ids.append(f"D{int(match.group(1))}:{int(match.group(2))}")
        else:
            bad.append(part)
    return ids, bad


def locomo_files(paths: Sequence[Path]) -> Iterator[tuple[Path, Any]]:
    """Each LoCoMo ``.json`` file under ``paths`` with its parsed content."""
    for path in expand_paths(list(paths)):
        if path.suffix != ".json":
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputFormatError(path, "", f"cannot read LoCoMo JSON ({exc.__class__.__name__})") from None
        yield path, data


def read_qa(paths: Sequence[Path]) -> list[LocomoQA]:
    """The QA items of every file, conversation ids chosen as the loader chooses them."""
    found: list[LocomoQA] = []
    for path, data in locomo_files(paths):
        samples = data if isinstance(data, list) else [data]
        for s, sample in enumerate(samples):
            prefix = f"[{s}]" if isinstance(data, list) else ""
            if not isinstance(sample, dict):
                raise InputFormatError(path, prefix, "expected a LoCoMo conversation object")
            conversation_id = str(sample.get("sample_id") or path.stem)
            found.extend(_qa_of(path, prefix, conversation_id, sample.get("qa")))
    return found


def _qa_of(path: Path, prefix: str, conversation_id: str, qa: Any) -> list[LocomoQA]:
    if qa is None:
        return []
    if not isinstance(qa, list):
        raise InputFormatError(path, f"{prefix}qa", "expected a list of {question, answer, evidence, category}")
    items = []
    for i, entry in enumerate(qa):
        where = f"{prefix}qa[{i}]"
        if not isinstance(entry, dict) or not str(entry.get("question") or "").strip():
            raise InputFormatError(path, where, "missing question")
        category = entry.get("category")
        if category not in CATEGORY_LABELS:
            raise InputFormatError(path, f"{where}.category", f"expected 1-5, got {category!r}")
        evidence = entry.get("evidence") or []
        if not isinstance(evidence, list):
            raise InputFormatError(path, f"{where}.evidence", "expected a list of dia_ids")
        asked_at = None
        if entry.get("asked_at"):
            try:
                asked_at = parse_iso(str(entry["asked_at"]))
            except ValueError as exc:
                raise InputFormatError(path, f"{where}.asked_at", str(exc)) from None
        answer = entry.get("answer")
        items.append(LocomoQA(
            conversation_id, i, str(entry["question"]).strip(),
            None if answer is None else str(answer), int(category),
            tuple(str(e) for e in evidence), asked_at,
        ))
    return items


class EvidenceAudit:
    """Counts of how the evidence strings matched the stored turns (for the report)."""

    def __init__(self) -> None:
        self.strings = 0
        self.exact = 0
        self.normalised: list[str] = []  # "raw -> ids"
        self.unmatched: list[str] = []  # "conversation: part"
        self.without_evidence = 0  # questions left with no matched turn

    def as_dict(self) -> dict[str, Any]:
        return {
            "evidence_strings": self.strings,
            "matched_as_written": self.exact,
            "normalised": len(self.normalised),
            "normalised_examples": self.normalised[:20],
            "unmatched": len(self.unmatched),
            "unmatched_examples": self.unmatched[:20],
            "questions_without_matched_evidence": self.without_evidence,
        }


def locomo_items(qas: Sequence[LocomoQA], store: MemoryStore) -> tuple[list[EvalItem], dict[str, Any]]:
    """Evaluation items (types ``<label>/category-<n>``) and the evidence audit."""
    audit = EvidenceAudit()
    known: dict[str, tuple[dict[str, int], dict[int, datetime]]] = {}
    items = []
    for qa in qas:
        if qa.conversation_id not in known:
            turns = store.turns(qa.conversation_id)
            if not turns:
                raise InputFormatError(qa.conversation_id, "", "has questions but no conversation turns")
            ends = {s.index: s.end for s in store.sessions(qa.conversation_id)}
            known[qa.conversation_id] = ({t.turn_id: t.session_index for t in turns}, ends)
        session_of, ends = known[qa.conversation_id]
        relevant: list[str] = []
        for raw in qa.evidence:
            audit.strings += 1
            ids, bad = normalise_evidence(raw)
            audit.unmatched += [f"{qa.conversation_id}: {b}" for b in bad]
            matched = [i for i in ids if i in session_of]
            audit.unmatched += [f"{qa.conversation_id}: {i}" for i in ids if i not in session_of]
            if ids == [raw]:
                audit.exact += int(bool(matched))
            elif matched:
                audit.normalised.append(f"{raw!r} -> {', '.join(matched)}")
            relevant += matched
        if not relevant:
            audit.without_evidence += 1
        last_session = max((session_of[i] for i in relevant), default=max(ends))
        asked_at = qa.asked_at or ends[last_session] + timedelta(minutes=1)
        query = Query(qa.conversation_id, qa.question, asked_at)
        type_name = f"{qa.label}/category-{qa.category}"
        items.append(EvalItem(qa.item_id, qa.label, type_name, query, frozenset(relevant)))
    return items, audit.as_dict()


class RankedLists:
    """Keeps every retriever's ranked list per item (an ``evaluate`` observer)."""

    def __init__(self) -> None:
        self.lists: dict[str, dict[str, list[str]]] = {}

    def __call__(self, name: str, item: EvalItem, retrieval: Retrieval, latency_ms: float) -> None:
        self.lists.setdefault(name, {})[item.id] = list(retrieval.turn_ids)

    def recall_at_k(self, name: str, items: Sequence[EvalItem], ks: Sequence[int] = RECALL_KS) -> dict[str, dict[str, float]]:
        """Per category: mean recall of the first k turns, for each k; plus ``n``."""
        by_category: dict[str, list[EvalItem]] = {}
        for item in items:
            if item.relevant:
                by_category.setdefault(item.category, []).append(item)
        lists = self.lists.get(name, {})
        table: dict[str, dict[str, float]] = {}
        for category, members in by_category.items():
            row: dict[str, float] = {}
            for k in ks:
                scores = [recall(frozenset(lists.get(m.id, [])[:k]), m.relevant) for m in members]
                row[str(k)] = sum(scores) / len(scores)
            table[category] = row
        return table

    def mean_length(self, name: str) -> float:
        lists = list(self.lists.get(name, {}).values())
        return sum(map(len, lists)) / len(lists) if lists else 0.0


def run_locomo(
    dataset: Path,
    out_dir: Path,
    retriever_names: Sequence[str],
    settings: Settings,
    llm: Any = None,
    progress: ProgressFn | None = None,
    ingest_progress: EmbedProgressFn | None = None,
    gate: GateSpec | None = None,
    answers: bool = True,
    context_budget: int | None = None,
) -> dict[str, Any]:
    """Ingest the conversations into ``out_dir/store`` (reused when present), score every
    retriever's evidence recall at 5/10/20, and, with an LLM, the answers; write
    ``results.json``, ``report.md`` and ``report.html`` to ``out_dir``."""
    names = check_retrievers(retriever_names)
    qas = read_qa([dataset])
    if not qas:
        raise InputFormatError(dataset, "", "no LoCoMo 'qa' items found; point at conversations that carry qa")
    cfg = settings.with_overrides(store=out_dir / "store", retrieval_k=max(RECALL_KS))
    conversations = load_paths([p for p in expand_paths([dataset]) if p.suffix == ".json"], "locomo",
                               cfg.session_gap_minutes, cfg.words_per_minute)
    ranked = RankedLists()
    with open_store(cfg, create=True) as store:
        store.ingest(conversations, progress=ingest_progress)
        items, audit = locomo_items(qas, store)
        retrievers = build_retrievers(names, store, cfg, llm)
        measured = evaluate(items, retrievers, progress, CATEGORY_ORDER, observe=ranked)
        answers_by_id = {qa.item_id: qa.answer for qa in qas}
        for name, block in measured["retrievers"].items():
            block["recall_at_k"] = _ordered(ranked.recall_at_k(name, items))
            block["mean_list_length"] = round(ranked.mean_length(name), 2)
            block["event_dates"] = event_date_block(store, items, answers_by_id, ranked.lists.get(name, {}))
        answer_block = _answers(qas, items, store, cfg, llm, out_dir, answers, context_budget, progress)
        embedder = store.embedder.name
    results: dict[str, Any] = {
        "dataset": "locomo",
        "config": run_config(
            names, embedder, cfg, llm, len(items), None,
            dataset_path=str(dataset), store=str(cfg.store), anchoring=ASKED_AT,
            recall_at=list(RECALL_KS),
            categories="1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial",
        ),
        **measured,
        "evidence": audit,
        "answers": answer_block,
    }
    report = render_report(results).rstrip("\n") + "\n\n" + locomo_markdown(results)
    write_outputs(out_dir, results, report, gate)
    return results


def _ordered(table: dict[str, Any]) -> dict[str, Any]:
    return {c: table[c] for c in CATEGORY_ORDER if c in table}


def _answers(
    qas: Sequence[LocomoQA], items: Sequence[EvalItem], store: MemoryStore, cfg: Settings, llm: Any,
    out_dir: Path, wanted: bool, context_budget: int | None, progress: ProgressFn | None,
) -> dict[str, Any]:
    from eval.answers import DEFAULT_CONTEXT_BUDGET, not_run, run_answers

    if not wanted:
        return not_run("answer scoring was switched off (--no-answers)")
    if llm is None:
        return not_run("no LLM is configured (set CONVMEM_LLM_BACKEND or CONVMEM_LLM_BASE_URL)")
    by_id = {item.id: item for item in items}
    questions = [(qa, by_id[qa.item_id]) for qa in qas if qa.answer is not None and qa.category != 5]
    return run_answers(questions, store, cfg, llm, out_dir, context_budget or DEFAULT_CONTEXT_BUDGET, progress)
