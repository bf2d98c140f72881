"""TMD dev questions scored per log, so a choice tuned on one log is checked on the other.

Reuses a store that ``convmem eval tmd DATASET --out OUT`` built (``OUT/store``) and prints
recall / precision per category and type for each log, plus the agent's p50 / p95 latency:

    .venv/bin/python scripts/tmd_by_log.py /work/shared/data/tmd /tmp/i9-tmd/store
"""

from __future__ import annotations

import sys
from pathlib import Path

from agent.registry import build_retrievers
from convmem.compose import open_store
from convmem.config import Settings
from eval.runner import evaluate
from eval.tmd import CATEGORY_ORDER, tmd_items


def main(dataset: str, store_dir: str) -> None:
    settings = Settings.from_env(store=Path(store_dir))
    with open_store(settings) as store:
        items = tmd_items(Path(dataset), store)
        retriever = build_retrievers(["agent"], store, settings, None)
        for log in sorted({item.query.conversation_id for item in items}):
            mine = [item for item in items if item.query.conversation_id == log]
            block = evaluate(mine, retriever, None, CATEGORY_ORDER)["retrievers"]["agent"]
            latency = block["latency_ms"]
            print(f"log {log}: p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms")
            for name, scores in [*block["categories"].items(), *block["types"].items()]:
                print(f"  {name:28s} n={scores['n']:4d} recall {100 * scores['recall']:6.2f}"
                      f" precision {100 * scores['precision']:6.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
