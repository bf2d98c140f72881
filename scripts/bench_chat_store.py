"""Benchmark what a chat without a server pays to open its store for each line.

    .venv/bin/python scripts/bench_chat_store.py                      # the demo memory
    .venv/bin/python scripts/bench_chat_store.py --turns 20000        # plus simulated turns

``convmem chat --no-serve`` opens the store (DuckDB and Chroma) for each line it handles
and closes it after, so other processes can open it between lines (agent/store_access.py);
a serving chat holds it open.  This runs the same lines through both, on copies of one
store, and prints per-line latency (statements and questions apart), and the bare
open + close of the store.  Hash embedder by default: it measures the store, not a model.
It prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from agent.chat import ChatSession
from agent.store_access import HeldStore, StoreOnDemand
from convmem.compose import build_embedder, open_store
from convmem.config import Settings
from convmem.demo import DEMO_CONVERSATION_ID, demo_transcript
from convmem.storage.loaders import load_paths
from convmem.storage.vectors import VectorIndex

STATEMENTS = ("I started a pottery class on Tuesday.", "My brother moved to Lisbon last month.",
              "We watched a long film about whales.", "The garden needs watering every morning.")
QUESTIONS = ("what did I say about pottery?", "where did my brother move?",
             "what did we talk about last time?", "what did I do last week?")


def _build(store: Path, cfg: Settings, extra_turns: int) -> None:
    with open_store(cfg.with_overrides(store=store), create=True) as memory:
        memory.ingest(load_paths([demo_transcript()], "jsonl", cfg.session_gap_minutes))
        if extra_turns:
            from dataset_gen.simulator import SimulationConfig, write_conversations
            from eval.scale import conversations_from_jsonl

            transcript = store.parent / "simulated.jsonl"
            write_conversations(transcript, SimulationConfig(conversations=None, max_turns=extra_turns, seed=0))
            memory.ingest(conversations_from_jsonl([transcript], cfg.session_gap_minutes))


def _run(access: object, cfg: Settings, rounds: int) -> dict[str, list[float]]:
    ticks = iter(datetime(2031, 1, 1) + timedelta(minutes=i) for i in range(10**6))
    chat = ChatSession(access, cfg, None, conversation_id=DEMO_CONVERSATION_ID, speaker="Alex",  # type: ignore[arg-type]
                       clock=lambda: next(ticks), output=lambda _: None)
    times: dict[str, list[float]] = {"statement": [], "question": []}
    for _ in range(rounds):
        for kind, lines in (("statement", STATEMENTS), ("question", QUESTIONS)):
            for line in lines:
                started = time.perf_counter()
                chat.handle(line)
                times[kind].append(1000 * (time.perf_counter() - started))
    return times


def _open_close(cfg: Settings, times: int, search: bool = False) -> list[float]:
    """Open and close the store; with ``search``, one vector search in between (Chroma
    loads its index from disk on the first one)."""
    spent = []
    vector = build_embedder(cfg).embed([QUESTIONS[0]])[0]
    for _ in range(times):
        started = time.perf_counter()
        with open_store(cfg) as memory:
            if search:
                memory.vectors.search(vector, 10, {"conversation_id": DEMO_CONVERSATION_ID})
        VectorIndex.forget_open_clients()
        spent.append(1000 * (time.perf_counter() - started))
    return spent


def _line(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name:<28} n={len(values):<4} p50 {statistics.median(values):7.1f} ms   mean {statistics.fmean(values):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=0, help="simulated turns added to the demo memory")
    parser.add_argument("--rounds", type=int, default=3, help="times the 8 lines are said, per mode")
    parser.add_argument("--embedder", default="hash")
    args = parser.parse_args()
    cfg = Settings.from_env(embedder=args.embedder)
    build_embedder(cfg).embed(["warm up"])
    with tempfile.TemporaryDirectory(prefix="bench-chat-store-") as temp:
        base = Path(temp) / "base"
        _build(base, cfg, args.turns)
        results = {}
        for mode in ("held", "on demand"):
            store = Path(temp) / mode.replace(" ", "-")
            shutil.copytree(base, store)
            mode_cfg = cfg.with_overrides(store=store)
            if mode == "held":
                with open_store(mode_cfg) as memory:
                    results[mode] = _run(HeldStore(memory), mode_cfg, args.rounds)
            else:
                access = StoreOnDemand(lambda c=mode_cfg: open_store(c), wait_s=5)
                results[mode] = _run(access, mode_cfg, args.rounds)
                bare = _open_close(mode_cfg, 20)
                searched = _open_close(mode_cfg, 20, search=True)
        with open_store(cfg.with_overrides(store=base)) as memory:
            size = memory.stats().turns
    print(f"store: demo memory{f' + {args.turns} simulated turns' if args.turns else ''} ({size} turns),"
          f" embedder {args.embedder}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for mode, times in results.items():
        for kind, values in times.items():
            print(_line(f"{mode}: {kind}", values))
    print(_line("open + close of the store", bare))
    print(_line("open + 1 search + close", searched))


if __name__ == "__main__":
    main()
