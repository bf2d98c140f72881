"""Choose the ranking weights and the time+content cut-off on one part of the data, check
them on the other, and print both (docs/retrieval.md quotes the output).

Tune part: TemporalMemoryDataset log 26 (its time+content questions and the generated
time+content questions of that log, when ``--generated`` is given) and LoCoMo
conversation 26.  Check part: log 28 and the other logs' generated questions, LoCoMo 30.

    python scripts/tune_ranking.py --tmd ../shared/data/tmd --tmd-store out/tmd/store \
        --locomo ../shared/data/locomo --locomo-store out/locomo/store \
        [--generated questions.jsonl] [--fusion] [--soft-dates]

``--fusion``: content-only search, vector / BM25 / fixed fusion / per-question fusion
side by side, on LoCoMo (per category) and on TMD content-only reply questions (the reply
questions without their date).  ``--soft-dates``: event questions made from LoCoMo
temporal questions (``eval.event_questions``), the agent with the date as a soft
constraint against the date as a filter, ``bm25@10`` and ``semantic@10``, over a grid of
the date bonus and the "near" days; and the TMD time+content sets with and without it.

The stores are the ones ``convmem eval tmd`` / ``eval locomo`` build under ``--out``.
Question vectors are computed once and reused across the grid.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from agent.planners.rules import RankSettings
from agent.retrieval import TimeAwareRetriever
from convmem.compose import open_store
from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.retrieval.content import ADAPT
from convmem.retrieval.exchange import ExchangeWeights
from eval.locomo import locomo_items, read_qa
from eval.metrics import precision, recall
from eval.runner import EvalItem
from eval.tmd import find_test_files, last_session_anchor, read_test_file

TUNE_TMD, TUNE_LOCOMO = "26", "26"
VW_GRID, SHARE_GRID, BONUS_GRID = (0.3, 0.5, 0.7), (0.0, 0.9, 1.0), (0.0, 0.15)


class MemoEmbedder:
    """Wraps an embedder so the grid embeds each question once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.memo: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                self.memo[text] = vector
        return np.stack([self.memo[t] for t in texts])


def _generated(path: Path, anchor: Any) -> list[EvalItem]:
    from convmem.retrieval.base import Query

    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("category") != "time_content":
            continue
        asked = datetime.fromisoformat(row["asked_at"]) if row.get("asked_at") else anchor(str(row["conversation_id"]))
        query = Query(str(row["conversation_id"]), row["question"], asked)
        items.append(EvalItem(row["id"], "generated", "generated", query, frozenset(map(str, row["relevant_turn_ids"]))))
    return items


def reply_items(store: Any, anchor: Any, per_session: int = 2, dated: bool = True) -> list[EvalItem]:
    """Questions that echo a turn which *asks* while the answer is the other speaker's reply
    (the failure seen on held-out TemporalMemoryDataset logs): "On <day>, <the asking turn's
    question, "you" made the replier's name>?", gold = the reply.  Built from every log, the first
    ``per_session`` such exchanges per session (not the last, filler session).  Without
    ``dated`` the question is content-only: the same words, no date."""
    from convmem.retrieval.base import Query
    from convmem.retrieval.lexical import terms

    items = []
    for conversation_id in store.conversation_ids():
        asked = anchor(conversation_id)
        sessions = store.sessions(conversation_id)[:-1]
        for session in sessions:
            turns = store.turns(conversation_id, session.index)
            made = 0
            for asking, reply in itertools.pairwise(turns):
                if made >= per_session or "?" not in asking.text or asking.speaker == reply.speaker:
                    continue
                question = asking.text.split("?")[0].split(".")[-1].split("!")[-1].strip()
                if len(terms(question)) < 3:
                    continue
                name = reply.speaker
                question = re.sub(r"\byour\b", f"{name}'s", question, flags=re.IGNORECASE)
                question = re.sub(r"\byou(?:'re| are)?\b", name, question, flags=re.IGNORECASE)
                when = f"{asking.spoken_at:%B} {asking.spoken_at.day}, {asking.spoken_at.year}"
                text = f"On {when}, {question[0].lower()}{question[1:]}?" if dated else f"{question}?"
                items.append(EvalItem(f"{conversation_id}/{reply.turn_id}", "replies", "replies",
                                      Query(conversation_id, text, asked), frozenset({reply.turn_id})))
                made += 1
    return items


def _score(retriever: TimeAwareRetriever, items: Sequence[EvalItem], k: int | None = None) -> tuple[float, float, float]:
    return _cut([retriever.retrieve(i.query) for i in items], items, k, None)


def _cut(found: Sequence[Any], items: Sequence[EvalItem], k: int | None, cutoff: float | None) -> tuple[float, float, float]:
    """Mean recall, precision (percent) and turns of the ranked lists cut at k / cutoff."""
    r = p = n = 0.0
    for retrieval, item in zip(found, items, strict=True):
        ids, scores = retrieval.turn_ids, retrieval.scores
        keep = [t for t, s in zip(ids, scores, strict=False) if cutoff is None or s >= scores[0] - cutoff][:k]
        if retrieval.route != "time_content":
            keep = ids[:k] if retrieval.route != "time" else ids
        r += recall(frozenset(keep), item.relevant)
        p += precision(frozenset(keep), item.relevant)
        n += len(keep)
    m = max(len(items), 1)
    return 100 * r / m, 100 * p / m, n / m


def _configure(retriever: TimeAwareRetriever, weights: ExchangeWeights, rank: RankSettings) -> None:
    retriever.weights = retriever.executor.weights = weights
    retriever.rank = rank
    retriever._fused = None


def tune_tmd(args: argparse.Namespace, settings: Settings) -> None:
    with open_store(settings.with_overrides(store=args.tmd_store), create=False) as store:
        store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
        anchor = last_session_anchor(store)
        items = [i for c, s, p in find_test_files(args.tmd) if c == "time_content"
                 for i in read_test_file(p, c, s, anchor)]
        gen = _generated(args.generated, anchor) if args.generated else []
        replies = reply_items(store, anchor)
        parts = {
            "tune": [i for i in items if i.query.conversation_id == TUNE_TMD],
            "check": [i for i in items if i.query.conversation_id != TUNE_TMD],
            "gen-tune": [i for i in gen if i.query.conversation_id == TUNE_TMD],
            "gen-check": [i for i in gen if i.query.conversation_id != TUNE_TMD],
            "replies-tune": [i for i in replies if i.query.conversation_id == TUNE_TMD],
            "replies-check": [i for i in replies if i.query.conversation_id != TUNE_TMD],
        }
        print("TMD time+content: n =", {k: len(v) for k, v in parts.items()})
        retriever = TimeAwareRetriever(store, settings)
        print("share bonus k cutoff | " + " | ".join(f"{k} R/P/turns" for k in parts))
        for share, bonus in itertools.product(SHARE_GRID, BONUS_GRID):
            weights = ExchangeWeights(share, share / 2, bonus)
            _configure(retriever, weights, RankSettings(50, None))
            found = {name: [retriever.retrieve(i.query) for i in v] for name, v in parts.items()}
            for k, cutoff in itertools.product((3, 5), (0.2, 0.3, 0.4, 0.5, 0.6)):
                row = [_cut(found[name], v, k, cutoff) for name, v in parts.items()]
                print(f"{share:.1f} {bonus:.2f} {k} {cutoff:.1f} | "
                      + " | ".join(f"{r:.1f}/{p:.1f}/{n:.2f}" for r, p, n in row), flush=True)


def tune_locomo(args: argparse.Namespace, settings: Settings) -> None:
    from convmem.retrieval.content import ContentSearch

    with open_store(settings.with_overrides(store=args.locomo_store), create=False) as store:
        store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
        items, _ = locomo_items(read_qa([args.locomo]), store)
        items = [i for i in items if i.relevant]
        retriever = TimeAwareRetriever(store, settings.with_overrides(retrieval_k=10))
        cats = sorted({i.category for i in items})
        print("LoCoMo recall@10 per category, tune (26) | check (30):", cats)
        for vw, share, bonus in itertools.product(VW_GRID, SHARE_GRID, BONUS_GRID):
            weights = ExchangeWeights(share, share / 2, bonus)
            retriever.weights = retriever.executor.weights = weights
            retriever._fused = ContentSearch(store, store.embedder, 10, cache=retriever.executor.vectors,
                                             weights=weights, vector_weight=vw)
            cells = []
            for part in ("26", "30"):
                chosen = [i for i in items if i.query.conversation_id.endswith(part)]
                per = []
                for cat in cats:
                    members = [i for i in chosen if i.category == cat]
                    per.append(_score(retriever, members, 10)[0] if members else float("nan"))
                cells.append(" ".join(f"{x:5.1f}" for x in per) + f" mean {np.nanmean(per):5.1f}")
            print(f"vw {vw:.2f} share {share:.1f} bonus {bonus:.2f} | " + " | ".join(cells), flush=True)


FUSIONS = (("vector only", 1.0, 0.0), ("BM25 only", 0.0, 0.0), ("fixed 0.5 / 0.5", 0.5, 0.0),
           ("per question, adapt 0.25", 0.5, 0.25),
           ("per question, adapt 0.5", 0.5, 0.5), ("per question, adapt 1.0", 0.5, 1.0))
SCALES = ("pool", "conversation")
DATE_BONUS_GRID, SAID_GRID, NEAR_GRID = (1.0, 2.0), (0.5, 0.75, 1.0), (0, 3, 7)


def _recall(retriever: Any, items: Sequence[EvalItem], k: int | None = None) -> tuple[float, float]:
    """Mean recall (percent) of each list cut at ``k`` (``None``: as returned) and mean length."""
    r = n = 0.0
    for item in items:
        ids = retriever.retrieve(item.query).turn_ids[:k]
        r += recall(frozenset(ids), item.relevant)
        n += len(ids)
    m = max(len(items), 1)
    return 100 * r / m, n / m


def _fmt(pair: tuple[float, float]) -> str:
    return f"{pair[0]:5.1f} / {pair[1]:5.2f}"


def _content(retriever: TimeAwareRetriever, store: Any, vw: float, adapt: float, **extra: Any) -> None:
    from convmem.retrieval.content import ContentSearch

    retriever._fused = ContentSearch(store, store.embedder, retriever.settings.retrieval_k,
                                     cache=retriever.executor.vectors, weights=retriever.weights,
                                     vector_weight=vw, adapt=adapt, **extra)


def simulated_content_items(store: Any, path: Path) -> list[EvalItem]:
    """Content-only questions from generated time+content questions (``convmem generate
    questions --families content_time`` over simulated conversations): "What was said about
    <its content words>?", kept only when the turns holding all those words are its gold."""
    from agent.grounding import ConversationFacts, content_words, ground
    from convmem.retrieval.base import Query
    from convmem.retrieval.lexical import terms

    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        cid = str(row["conversation_id"])
        conversation = store.conversation(cid)
        if row.get("category") != "time_content" or conversation is None:
            continue
        asked = datetime.fromisoformat(row["asked_at"])
        facts = ConversationFacts(asked, conversation.speakers, tuple(store.sessions(cid)))
        words = content_words(ground(row["question"], facts).residual, conversation.speakers)
        wanted = {t for w in words for t in terms(w)}
        if not wanted:
            continue
        holding = {t.turn_id for t in store.turns(cid) if wanted <= set(terms(t.text))}
        if holding != set(map(str, row["relevant_turn_ids"])):
            continue
        query = Query(cid, f"What was said about {' '.join(words)}?", asked)
        items.append(EvalItem(row["id"], "simulated", "simulated", query, frozenset(holding)))
    return items


def fusion_side_by_side(args: argparse.Namespace, settings: Settings) -> None:
    """Content-only search: each half alone, fixed and per-question fusion, tune | check."""
    cfg = settings.with_overrides(retrieval_k=10)
    if args.locomo and args.locomo_store:
        with open_store(cfg.with_overrides(store=args.locomo_store), create=False) as store:
            store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
            items = [i for i in locomo_items(read_qa([args.locomo]), store)[0] if i.relevant]
            retriever = TimeAwareRetriever(store, cfg)
            cats = sorted({i.category for i in items})
            print("LoCoMo content search, recall@10 per category", cats, "and mean: 26 (tune) | 30 (check)")
            for (label, vw, adapt), scale in itertools.product(FUSIONS, SCALES):
                _content(retriever, store, vw, adapt, vector_scale=scale)
                label = f"{label}, {scale}"
                cells = []
                for part in ("26", "30"):
                    per = []
                    for cat in cats:
                        members = [i for i in items if i.query.conversation_id.endswith(part) and i.category == cat]
                        per.append(_recall(retriever, members, 10)[0] if members else float("nan"))
                    cells.append(" ".join(f"{x:5.1f}" for x in per) + f" mean {np.nanmean(per):5.1f}")
                print(f"{label:40s} | " + " | ".join(cells), flush=True)
    if args.simulated and args.sim_store:
        with open_store(cfg.with_overrides(store=args.sim_store), create=False) as store:
            store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
            sim = simulated_content_items(store, args.simulated)
            retriever = TimeAwareRetriever(store, cfg)
            print("simulated conversations, content-only questions, recall@10: n =", len(sim))
            for item in sim[:2]:
                print("  e.g.", item.question, sorted(item.relevant))
            for (label, vw, adapt), scale in itertools.product(FUSIONS, SCALES):
                _content(retriever, store, vw, adapt, vector_scale=scale)
                print(f"{label + ', ' + scale:40s} | {_recall(retriever, sim, 10)[0]:5.1f}", flush=True)
    if args.tmd_store:
        with open_store(cfg.with_overrides(store=args.tmd_store), create=False) as store:
            store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
            replies = reply_items(store, last_session_anchor(store), dated=False)
            parts = {"log 26 (tune)": [i for i in replies if i.query.conversation_id == TUNE_TMD],
                     "other logs (check)": [i for i in replies if i.query.conversation_id != TUNE_TMD]}
            retriever = TimeAwareRetriever(store, cfg)
            print("TMD content-only reply questions, recall@10:", {k: len(v) for k, v in parts.items()})
            for (label, vw, adapt), scale in itertools.product(FUSIONS, SCALES):
                _content(retriever, store, vw, adapt, vector_scale=scale)
                print(f"{label + ', ' + scale:40s} | "
                      + " | ".join(f"{_recall(retriever, v, 10)[0]:5.1f}" for v in parts.values()), flush=True)


def soft_dates(args: argparse.Namespace, settings: Settings, tmd: bool = True) -> None:
    """A date as when something happened: event questions from LoCoMo temporal questions
    (26 tune, 30 check), and what the soft date does to the TMD time+content sets."""
    from convmem.retrieval.baselines import BM25Retriever, SemanticRetriever
    from eval.event_questions import event_questions

    cfg = settings.with_overrides(retrieval_k=10)
    with open_store(cfg.with_overrides(store=args.locomo_store), create=False) as store:
        store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
        qas = read_qa([args.locomo])
        items, _ = locomo_items(qas, store)
        events, stats = event_questions(store, items, {qa.item_id: qa.answer for qa in qas})
        parts = {p: [i for i in events if i.query.conversation_id.endswith(p)] for p in ("26", "30")}
        print("LoCoMo event questions:", {k: len(v) for k, v in parts.items()}, stats)
        for item in events[:3]:
            print("  e.g.", item.question, sorted(item.relevant))
        retriever = TimeAwareRetriever(store, cfg)
        rows: list[tuple[str, Any]] = [("bm25@10", BM25Retriever(store, 10)),
                                       ("semantic@10", SemanticRetriever(store, store.embedder, 10))]
        print("recall / mean turns: 26 (tune) | 30 (check)")
        for name, baseline in rows:
            print(f"{name:34s} | " + " | ".join(_fmt(_recall(baseline, v, 10)) for v in parts.values()))
        retriever.soft_dates = False
        print(f"{'agent, date as a filter':34s} | " + " | ".join(_fmt(_recall(retriever, v)) for v in parts.values()))
        print(f"{'agent, date as a filter, first 10':34s} | "
              + " | ".join(_fmt(_recall(retriever, v, 10)) for v in parts.values()))
        retriever.soft_dates = True
        for bonus, said, near in itertools.product(DATE_BONUS_GRID, SAID_GRID, NEAR_GRID):
            _content(retriever, store, 0.5, ADAPT, date_bonus=bonus, near_days=near, said_share=said)
            label = f"agent, soft date {bonus} said {said} near {near}"
            print(f"{label:34s} | " + " | ".join(_fmt(_recall(retriever, v)) for v in parts.values()),
                  flush=True)
    if tmd and args.tmd and args.tmd_store:
        with open_store(cfg.with_overrides(store=args.tmd_store), create=False) as store:
            store.embedder = MemoEmbedder(store.embedder)  # type: ignore[assignment]
            anchor = last_session_anchor(store)
            official = [i for c, s, p in find_test_files(args.tmd) if c == "time_content"
                        for i in read_test_file(p, c, s, anchor)]
            replies = reply_items(store, anchor)
            sets = {"time+content 26": [i for i in official if i.query.conversation_id == TUNE_TMD],
                    "time+content 28": [i for i in official if i.query.conversation_id != TUNE_TMD],
                    "replies 26": [i for i in replies if i.query.conversation_id == TUNE_TMD],
                    "replies other": [i for i in replies if i.query.conversation_id != TUNE_TMD]}
            retriever = TimeAwareRetriever(store, cfg)
            print("TMD R/P/turns:", {k: len(v) for k, v in sets.items()})
            for soft in (False, True):
                retriever.soft_dates = soft
                routed = sum(retriever.plan(i.query).soft_date is not None for v in sets.values() for i in v)
                row = [_score(retriever, v) for v in sets.values()]
                print(f"soft dates {soft!s:5s} (soft-routed {routed}) | "
                      + " | ".join(f"{r:.1f}/{p:.1f}/{n:.2f}" for r, p, n in row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tmd", type=Path)
    parser.add_argument("--tmd-store", type=Path)
    parser.add_argument("--generated", type=Path)
    parser.add_argument("--locomo", type=Path)
    parser.add_argument("--locomo-store", type=Path)
    parser.add_argument("--simulated", type=Path, help="--fusion: generated questions over simulated conversations")
    parser.add_argument("--sim-store", type=Path, help="the store those conversations were ingested into")
    parser.add_argument("--fusion", action="store_true", help="content search: halves and fusions side by side")
    parser.add_argument("--soft-dates", action="store_true", help="event questions: a date as a soft constraint")
    parser.add_argument("--no-tmd-soft", action="store_true", help="--soft-dates: LoCoMo only")
    parser.add_argument("--grid", help="override the LoCoMo grid: 'VW;SHARE;BONUS', comma-separated values")
    args = parser.parse_args()
    settings = Settings.from_env(planner="rules", disambiguator="context")
    if args.fusion or args.soft_dates:
        if args.fusion:
            fusion_side_by_side(args, settings)
        if args.soft_dates and args.locomo and args.locomo_store:
            soft_dates(args, settings, tmd=not args.no_tmd_soft)
        return
    if args.tmd and args.tmd_store:
        tune_tmd(args, settings)
    if args.grid:
        global VW_GRID, SHARE_GRID, BONUS_GRID
        VW_GRID, SHARE_GRID, BONUS_GRID = (tuple(float(v) for v in part.split(",")) for part in args.grid.split(";"))
    if args.locomo and args.locomo_store:
        tune_locomo(args, settings)


if __name__ == "__main__":
    main()
