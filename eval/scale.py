"""How the store's cost grows with memory size: ingest, disk, retrieval latency.

The conversations come in as an iterator (``conversations_from_jsonl`` reads transcripts
that the simulator wrote); they are ingested in batches into one growing store, and at
each checkpoint (e.g. 10k, 100k, 1M turns) the benchmark records ingest throughput, the
store's size on disk and the agent's retrieval latency for three kinds of question:
time-only ("our 3rd session"), time+content ("about pottery in July 2023") and
content-only ("about pottery").  Questions are built from the store itself, each asked
of a randomly drawn conversation one day after it ended; the route the agent actually
took is counted, so a number is never credited to the wrong kind.

The default embedder is the deterministic ``hash`` one: this measures the store (DuckDB
filters, Chroma search, BM25), not the embedding model, which at a million turns would
dominate the wall time (MiniLM embeds a few hundred turns a second on two cores).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from agent.registry import build_retriever
from convmem.config import Settings
from convmem.errors import ConfigError, InputFormatError
from convmem.retrieval.base import Query, Retriever
from convmem.storage.loaders.jsonl import load_jsonl
from convmem.storage.memory import DUCKDB_FILE, MemoryStore
from convmem.types import Conversation
from eval.metrics import latency_summary

KINDS = ("time", "time_content", "content")
TARGET = {"kind": "time", "turns": 1_000_000, "p95_ms": 100.0}
BATCH_TURNS = 20_000
_WORD = re.compile(r"[A-Za-z]{6,}")
_COMMON = frozenset((
    "really", "should", "thought", "always", "actually", "little", "people", "things",
    "something", "though", "through", "before", "pretty", "probably", "another", "because",
    "around", "wanted", "going", "getting", "talked", "thanks", "sounds", "awesome", "amazing",
    "definitely", "planning", "during", "yesterday", "tomorrow",
))
Progress = Callable[[str], None]


def conversations_from_jsonl(paths: Sequence[Path], gap_minutes: float = 20.0) -> Iterator[Conversation]:
    """One conversation at a time from JSONL transcripts whose lines are grouped by
    conversation (as the simulator writes them), validated by convmem's JSONL loader."""
    for path in paths:
        try:
            with path.open(encoding="utf-8") as handle:
                lines = (line for line in handle if line.strip())
                for _, group in groupby(lines, key=_conversation_of):
                    yield from load_jsonl(path, list(group), gap_minutes)
        except OSError as exc:
            raise InputFormatError(path, "", f"cannot read transcript ({exc.__class__.__name__})") from None


def _conversation_of(line: str) -> str:
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return ""  # the loader reports the malformed line
    return str(item.get("conversation", item.get("conversation_id", ""))) if isinstance(item, dict) else ""


def disk_bytes(root: Path) -> dict[str, int]:
    """Bytes on disk of the DuckDB file and of the Chroma directory."""
    duck = sum(p.stat().st_size for p in root.glob(DUCKDB_FILE + "*") if p.is_file())
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return {"duckdb": duck, "chroma": total - duck, "total": total}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _topic(rng: random.Random, texts: Sequence[str]) -> str | None:
    words = [w.lower() for text in texts for w in _WORD.findall(text) if w.lower() not in _COMMON]
    return rng.choice(words) if words else None


def build_questions(store: MemoryStore, count: int, seed: int) -> dict[str, list[Query]]:
    """``count`` questions per kind, each of a randomly drawn conversation."""
    rng = random.Random(seed)
    ids = store.conversation_ids()
    questions: dict[str, list[Query]] = {kind: [] for kind in KINDS}
    attempts = 0
    while min(len(q) for q in questions.values()) < count and attempts < 20 * count:
        attempts += 1
        cid = rng.choice(ids)
        sessions = store.sessions(cid)
        asked_at = sessions[-1].end + timedelta(days=1)
        session = rng.choice(sessions)
        if len(questions["time"]) < count:
            text = (f"What did we talk about in our {_ordinal(session.index)} session?" if rng.random() < 0.5
                    else f"What did we discuss on {session.start:%B} {session.start.day}, {session.start:%Y}?")
            questions["time"].append(Query(cid, text, asked_at))
        topic = _topic(rng, [t.text for t in store.turns(cid, session.index)])
        if topic and len(questions["time_content"]) < count:
            questions["time_content"].append(
                Query(cid, f"What did we say about {topic} in {session.start:%B %Y}?", asked_at))
        if topic and len(questions["content"]) < count:
            questions["content"].append(Query(cid, f"What did we say about {topic}?", asked_at))
    return questions


def time_questions(retriever: Retriever, questions: dict[str, list[Query]]) -> dict[str, Any]:
    """Per kind: latency p50/p95 and the routes taken.  Each conversation first answers
    one untimed question (the runner's convention), so lazy per-conversation work such
    as a BM25 index build is not in the latencies."""
    warmed: set[str] = set()
    measured: dict[str, Any] = {}
    for kind, queries in questions.items():
        latencies: list[float] = []
        routes: dict[str, int] = {}
        returned = 0
        for query in queries:
            if query.conversation_id not in warmed:
                warmed.add(query.conversation_id)
                retriever.retrieve(query)
            started = time.perf_counter()
            found = retriever.retrieve(query)
            latencies.append((time.perf_counter() - started) * 1000.0)
            routes[found.route or "baseline"] = routes.get(found.route or "baseline", 0) + 1
            returned += len(found.turn_ids)
        measured[kind] = {
            "n": len(queries), **latency_summary(latencies), "routes": routes,
            "mean_turns_returned": returned / len(queries) if queries else 0.0,
        }
    return measured


def run_scale(
    conversations: Iterable[Conversation],
    store_dir: Path,
    settings: Settings,
    embedder: Any,
    checkpoints: Sequence[int],
    questions: int = 200,
    seed: int = 0,
    retriever: str = "agent",
    progress: Progress | None = None,
    on_point: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Grow one store through ``checkpoints`` (turn counts, ascending) and measure at each.

    A checkpoint is reached at a conversation boundary, so its turn count is the first
    total at or above the target (the report gives the exact count).  ``on_point`` gets
    the results so far after every checkpoint, so a long run can be read (or stopped)
    before it ends."""
    say = progress or (lambda message: None)
    targets = sorted(set(checkpoints))
    source = iter(conversations)
    points: list[dict[str, Any]] = []
    results: dict[str, Any] = {
        "dataset": "scale",
        "config": {"embedder": embedder.name, "retriever": retriever, "questions_per_kind": questions,
                   "seed": seed, "batch_turns": BATCH_TURNS, "planner": settings.planner,
                   "note": "measures the store (DuckDB, Chroma, BM25), not the embedding model"},
        "target": {**TARGET, "met": None},
        "points": points,
    }
    total_turns, ingest_s = 0, 0.0
    pending: Conversation | None = None
    with MemoryStore(store_dir, embedder, create=True) as store:
        for target in targets:
            if total_turns >= target and points:
                continue  # the last conversation in carried the store past this size too
            step_turns, step_s = 0, 0.0
            while total_turns < target:
                batch, size = ([pending] if pending else []), (len(pending.turns) if pending else 0)
                pending = None
                for conv in source:
                    if total_turns + size >= target or size >= BATCH_TURNS:
                        pending = conv
                        break
                    batch.append(conv)
                    size += len(conv.turns)
                if not batch:
                    break
                started = time.perf_counter()
                report = store.ingest(batch)
                elapsed = time.perf_counter() - started
                step_turns += report.added_turns
                step_s += elapsed
                total_turns += report.added_turns
                say(f"ingested {total_turns:,} turns")
            if step_turns == 0:
                if not points:
                    raise ConfigError("no conversations to ingest; the transcripts are empty")
                break  # the source ran dry before this checkpoint
            ingest_s += step_s
            stats = store.stats()
            say(f"{stats.turns:,} turns: timing {questions} questions of each kind")
            asked = build_questions(store, questions, seed)
            measured = time_questions(build_retriever(retriever, store, settings), asked)
            points.append({
                "target_turns": target, "turns": stats.turns, "conversations": stats.conversations,
                "sessions": stats.sessions,
                "ingest": {"turns": step_turns, "seconds": round(step_s, 3),
                           "turns_per_s": round(step_turns / step_s, 1) if step_s else 0.0,
                           "cumulative_seconds": round(ingest_s, 3)},
                "disk_bytes": disk_bytes(store_dir),
                "retrieval_ms": measured,
            })
            results["target"]["met"] = _target_met(points)
            if on_point:
                on_point(results)
    return results


def _target_met(points: Sequence[dict[str, Any]]) -> bool | None:
    """Whether time-only p95 stayed within the target at the target size (None: not reached)."""
    reached = [p for p in points if p["turns"] >= TARGET["turns"]]
    if not reached:
        return None
    return bool(reached[0]["retrieval_ms"]["time"]["p95"] <= TARGET["p95_ms"])
