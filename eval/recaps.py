"""Readable extractive answers, measured against LoCoMo's own session observations.

LoCoMo ships, for every session, ``session_K_observation``: the facts a reader should take
from it, each with the turns that hold it.  For every session of every conversation the
agent is asked for a recap in three phrasings, and every answerer answers the *same*
evidence (one retrieval per question), so the answerers differ only in what they write:

- **observation coverage@N**: the share of the session's observation turns cited among
  the answer's first N cited lines (N = 3, 5, 10); "lines" are the answer's lines that
  cite a turn, in the order shown;
- **words**: the answer's length;
- **reaction first**: the share of recaps whose first cited line quotes a reaction or
  greeting alone, tested without any word list: fewer than ``REACTION_WORDS`` of its
  words are used by fewer than ``COMMON_SHARE`` of the conversation's turns (a line like
  "Wow, that's great!" is made of words every other turn uses).

For the QA items (categories 1-4), every answerer answers the agent's evidence and the
report gives per category the share whose first cited line contains the normalised gold
answer.  Questions are anchored as ``eval locomo`` anchors them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.answer import Answer, Answerer, ExtractiveAnswerer, citations
from agent.pipeline import Agent
from convmem.compose import open_store
from convmem.config import Settings
from convmem.errors import InputFormatError
from convmem.retrieval.base import Query
from convmem.retrieval.bm25 import tokenize
from convmem.storage.loaders import expand_paths, load_paths
from convmem.storage.memory import MemoryStore
from eval.judge import normalise_answer
from eval.locomo import CATEGORY_ORDER, locomo_files, locomo_items, normalise_evidence, read_qa
from eval.runner import ProgressFn, write_outputs

COVERAGE_AT = (3, 5, 10)
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth")
PHRASINGS: dict[str, Callable[[int, datetime], str]] = {
    "session-number": lambda k, day: f"What did we talk about in session {k}?",
    "ordinal-recap": lambda k, day: (f"Can you recap our {ORDINALS[k - 1]} conversation?" if k <= len(ORDINALS)
                                     else f"Can you recap conversation number {k}?"),
    "by-date": lambda k, day: f"Summarize what we discussed on {day.day} {day:%B %Y}.",
}
REACTION_WORDS = 2
COMMON_SHARE = 0.02
COMMON_TURNS = 3  # and by at least this many turns (a short conversation)
_LINE_QUOTE = re.compile(r"“(.*)”")


def default_answerers() -> dict[str, Answerer]:
    """The earlier answerer as the baseline, then the current one."""
    return {
        "baseline (representative)": ExtractiveAnswerer(style="representative"),
        "topics": ExtractiveAnswerer(style="topics"),
    }


@dataclass(frozen=True)
class SessionTruth:
    conversation_id: str
    session: int
    observed: frozenset[str]  # turn ids that hold the session's observations


def read_observations(paths: Sequence[Path]) -> list[SessionTruth]:
    """Every session's observation turns, conversation ids chosen as the loader does."""
    found: list[SessionTruth] = []
    for path, data in locomo_files(paths):
        for sample in data if isinstance(data, list) else [data]:
            if not isinstance(sample, dict):
                raise InputFormatError(path, "", "expected a LoCoMo conversation object")
            conversation_id = str(sample.get("sample_id") or path.stem)
            nested = sample.get("observation")
            holder: dict[str, Any] = nested if isinstance(nested, dict) else sample
            for key, value in holder.items():
                match = re.fullmatch(r"session_(\d+)_observation", key)
                if match and isinstance(value, dict):
                    ids = {i for facts in value.values() if isinstance(facts, list)
                           for fact in facts for i in _fact_ids(fact)}
                    if ids:
                        found.append(SessionTruth(conversation_id, int(match.group(1)), frozenset(ids)))
    return sorted(found, key=lambda s: (s.conversation_id, s.session))


def _fact_ids(fact: Any) -> list[str]:
    if not isinstance(fact, list | tuple) or len(fact) < 2:
        return []
    raw = fact[1] if isinstance(fact[1], list) else [fact[1]]
    return [i for part in raw for i in normalise_evidence(str(part))[0]]


def cited_lines(answer: Answer, known: set[str]) -> list[tuple[str, ...]]:
    """The turn ids each citing line of the answer cites, in the order shown."""
    rows = [citations(line, known) for line in answer.text.splitlines()]
    return [row for row in rows if row]


def coverage(lines: Sequence[tuple[str, ...]], observed: frozenset[str], n: int) -> float:
    cited = {i for line in lines[:n] for i in line}
    return len(cited & observed) / len(observed) if observed else 0.0


def is_reaction(line: str, common: frozenset[str]) -> bool:
    """Whether the quoted text is made of words that most turns use (see the module doc)."""
    match = _LINE_QUOTE.search(line)
    words = set(tokenize(match.group(1) if match else line))
    return len(words - common) < REACTION_WORDS


def common_words(texts: Sequence[str]) -> frozenset[str]:
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(tokenize(text)):
            counts[word] = counts.get(word, 0) + 1
    floor = max(COMMON_SHARE * len(texts), COMMON_TURNS)
    return frozenset(w for w, c in counts.items() if c >= floor)


def run_recaps(
    dataset: Path, out_dir: Path, settings: Settings, answerers: dict[str, Answerer] | None = None,
    progress: ProgressFn | None = None, qa: bool = True,
) -> dict[str, Any]:
    """Ingest the conversations into ``out_dir/store`` (reused when present), ask for every
    session's recap in every phrasing and (with ``qa``) every QA item, answer each with every
    answerer, and write ``results.json``, ``report.md`` and ``report.html``."""
    from eval.recaps_report import recaps_markdown

    truths = read_observations([dataset])
    if not truths:
        raise InputFormatError(dataset, "", "no session_K_observation found; point at LoCoMo conversations")
    answerers = answerers or default_answerers()
    cfg = settings.with_overrides(store=out_dir / "store")
    conversations = load_paths([p for p in expand_paths([dataset]) if p.suffix == ".json"], "locomo",
                               cfg.session_gap_minutes, cfg.words_per_minute)
    with open_store(cfg, create=True) as store:
        store.ingest(conversations)
        agent = Agent(store, cfg, None)
        qas = [q for q in read_qa([dataset]) if q.answer is not None and q.category != 5] if qa else []
        total = len(truths) * len(PHRASINGS) + len(qas)
        counter = _Counter(total, progress)
        recap_rows = _ask_recaps(truths, store, agent, answerers, counter)
        qa_rows = _ask_qa(qas, store, agent, answerers, counter)
        embedder = store.embedder.name
    results: dict[str, Any] = {
        "dataset": "recaps",
        "config": {
            "dataset_path": str(dataset), "store": str(cfg.store), "embedder": embedder,
            "planner": cfg.planner, "answerers": list(answerers), "phrasings": {
                name: make(1, datetime(2023, 5, 8)) for name, make in PHRASINGS.items()},
            "coverage_at": list(COVERAGE_AT),
            "lines": "an answer's lines that cite a turn, in the order shown",
            "reaction_test": f"fewer than {REACTION_WORDS} words outside those used by at least"
                             f" {COMMON_SHARE:.0%} of the conversation's turns (and {COMMON_TURNS} turns)",
            "anchoring": "recaps: one day after the conversation's last session; QA: as eval locomo",
            "sessions": len(truths), "qa_items": len(qas),
        },
        "answerers": {name: summarise(recap_rows, qa_rows, name) for name in answerers},
        "examples": _examples(recap_rows, list(answerers)),
    }
    write_outputs(out_dir, results, recaps_markdown(results))
    return results


class _Counter:
    def __init__(self, total: int, progress: ProgressFn | None) -> None:
        self.done, self.total, self.progress = 0, total, progress

    def tick(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _ask_recaps(
    truths: Sequence[SessionTruth], store: MemoryStore, agent: Agent, answerers: dict[str, Answerer],
    counter: _Counter,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    context: dict[str, tuple[dict[int, datetime], datetime, frozenset[str], set[str]]] = {}
    for truth in truths:
        cid = truth.conversation_id
        if cid not in context:
            sessions = store.sessions(cid)
            if not sessions:
                raise InputFormatError(cid, "", "has observations but no conversation turns")
            turns = store.turns(cid)
            context[cid] = ({s.index: s.start for s in sessions}, sessions[-1].end + timedelta(days=1),
                            common_words([t.text for t in turns]), {t.turn_id for t in turns})
        starts, asked_at, common, known = context[cid]
        if truth.session not in starts:
            continue
        observed = truth.observed & known
        if not observed:
            continue
        for phrasing, make in PHRASINGS.items():
            question = make(truth.session, starts[truth.session])
            result = agent.ask(Query(cid, question, asked_at))
            row: dict[str, Any] = {
                "conversation": cid, "session": truth.session, "phrasing": phrasing, "question": question,
                "route": result.retrieval.route, "observed": sorted(observed),
                "retrieved_share": len(observed & set(result.turn_ids)) / len(observed),
                "answers": {},
            }
            for name, answerer in answerers.items():
                answer = answerer.answer(result.evidence)
                lines = cited_lines(answer, known)
                first = next((line for line in answer.text.splitlines() if citations(line, known)), "")
                row["answers"][name] = {
                    **{f"coverage@{n}": coverage(lines, observed, n) for n in COVERAGE_AT},
                    "words": len(answer.text.split()),
                    "reaction_first": bool(first) and is_reaction(first, common),
                    "first_line": first,
                }
            rows.append(row)
            counter.tick()
    return rows


def _ask_qa(
    qas: Sequence[Any], store: MemoryStore, agent: Agent, answerers: dict[str, Answerer], counter: _Counter,
) -> list[dict[str, Any]]:
    if not qas:
        return []
    items, _ = locomo_items(qas, store)
    known = {t.turn_id for cid in {q.conversation_id for q in qas} for t in store.turns(cid)}
    rows = []
    for qa, item in zip(qas, items, strict=True):
        result = agent.ask(item.query)
        gold = normalise_answer(qa.answer or "")
        row: dict[str, Any] = {"id": qa.item_id, "category": qa.label, "answers": {}}
        for name, answerer in answerers.items():
            answer = answerer.answer(result.evidence)
            first = next((line for line in answer.text.splitlines() if citations(line, known)), "")
            row["answers"][name] = bool(gold) and gold in normalise_answer(first)
        rows.append(row)
        counter.tick()
    return rows


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _recap_block(rows: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    answers = [r["answers"][name] for r in rows]
    block: dict[str, Any] = {"n": len(rows)}
    for n in COVERAGE_AT:
        block[f"coverage@{n}"] = _mean([a[f"coverage@{n}"] for a in answers])
    block["words"] = _mean([a["words"] for a in answers])
    block["reaction_first"] = _mean([float(a["reaction_first"]) for a in answers])
    block["retrieved_share"] = _mean([r["retrieved_share"] for r in rows])
    return block


def summarise(recap_rows: Sequence[dict[str, Any]], qa_rows: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    """One answerer's figures: recaps overall, per phrasing and per conversation; QA per category."""
    def groups(key: str) -> dict[str, Any]:
        keys = sorted({str(r[key]) for r in recap_rows})
        return {k: _recap_block([r for r in recap_rows if str(r[key]) == k], name) for k in keys}

    qa: dict[str, Any] = {}
    for category in CATEGORY_ORDER:
        members = [r for r in qa_rows if r["category"] == category]
        if members:
            qa[category] = {"n": len(members), "first_line_has_answer": _mean(
                [float(r["answers"][name]) for r in members])}
    if qa_rows:
        qa["all"] = {"n": len(qa_rows), "first_line_has_answer": _mean([float(r["answers"][name]) for r in qa_rows])}
    return {
        "recaps": {"all": _recap_block(recap_rows, name), "phrasings": groups("phrasing"),
                   "conversations": groups("conversation")},
        "qa": qa,
    }


def _examples(rows: Sequence[dict[str, Any]], names: list[str], limit: int = 12) -> list[dict[str, Any]]:
    """The first line of each answerer for the first sessions (phrasing: session number)."""
    chosen = [r for r in rows if r["phrasing"] == "session-number"][:limit]
    return [{"conversation": r["conversation"], "session": r["session"],
             **{name: r["answers"][name]["first_line"] for name in names}} for r in chosen]
