"""Recap check on TemporalMemoryDataset logs, which carry no observations: for every
session but the last (filler the dataset's authors appended), ask "What did we talk about
in session K?" and print, per answerer, the share of recaps whose first line is a reaction
or greeting alone (the same test as ``eval recaps``) and the mean length in words.

    .venv/bin/python scripts/recaps_tmd.py ../shared/data/tmd/ConversationData 26 28

Builds a store in a temporary directory (default embedder).  Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from agent.answer import citations
from agent.pipeline import Agent
from convmem.compose import open_store
from convmem.config import Settings
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_paths
from eval.recaps import common_words, default_answerers, is_reaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="TMD ConversationData folder")
    parser.add_argument("logs", nargs="+", help="log numbers, e.g. 26 28")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="recaps-tmd-"))
    try:
        cfg = Settings.from_env(store=root / "store")
        conversations = load_paths([args.folder / f"{n}.json" for n in args.logs], "tmd")
        answerers = default_answerers()
        with open_store(cfg, create=True) as store:
            store.ingest(conversations)
            agent = Agent(store, cfg)
            for cid in store.conversation_ids():
                turns = store.turns(cid)
                known, common = {t.turn_id for t in turns}, common_words([t.text for t in turns])
                sessions = store.sessions(cid)
                asked = sessions[-1].end + timedelta(days=1)
                totals = {name: [0, 0] for name in answerers}  # reaction-first, words
                for session in sessions[:-1]:
                    result = agent.ask(Query(cid, f"What did we talk about in session {session.index}?", asked))
                    for name, answerer in answerers.items():
                        answer = answerer.answer(result.evidence)
                        first = next((ln for ln in answer.text.splitlines() if citations(ln, known)), "")
                        totals[name][0] += bool(first) and is_reaction(first, common)
                        totals[name][1] += len(answer.text.split())
                n = max(1, len(sessions) - 1)
                for name, (reactions, words) in totals.items():
                    print(f"log {cid} {name}: {n} recaps, reaction first {100 * reactions / n:.1f}%,"
                          f" {words / n:.1f} words")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
