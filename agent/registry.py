"""Retrievers by name, so a command line or a report can say which one ran.

Names: ``agent`` (the time-aware retriever), ``agent-v1`` (the same with the first ranking
preset: turns scored alone, reciprocal rank fusion, time+content cut-off 0.4), ``semantic@K``, ``bm25@K`` and ``hybrid@K``
(the baselines of ``convmem.retrieval.baselines``), with K a positive integer.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

from convmem.config import Settings
from convmem.errors import ConfigError
from convmem.retrieval.base import Retriever
from convmem.retrieval.baselines import BM25Retriever, HybridRetriever, SemanticRetriever
from convmem.retrieval.bm25 import BM25Search
from convmem.retrieval.vector_cache import VectorCache
from convmem.storage.memory import MemoryStore

AGENT = "agent"
# name -> the settings it runs with; agent-v1 is the first ranking with its own cut-off
AGENT_PRESETS: dict[str, dict[str, Any]] = {
    "agent": {},  # as configured (CONVMEM_RANKING, default exchange)
    "agent-v1": {"ranking": "v1", "time_content_cutoff": 0.4},
}
BASELINES = ("semantic", "bm25", "hybrid")
VALID_FORMS = "agent, semantic@K, bm25@K, hybrid@K (K a positive integer), agent-v1 (the first ranking)"
_BASELINE_NAME = re.compile(r"^(semantic|bm25|hybrid)@([1-9][0-9]*)$")


def parse_retriever_name(name: str) -> tuple[str, int | None]:
    """``"semantic@10"`` -> ``("semantic", 10)``; ``"agent"`` -> ``("agent", None)``."""
    clean = name.strip().lower()
    if clean in AGENT_PRESETS:
        return clean, None
    match = _BASELINE_NAME.match(clean)
    if match is None:
        raise ConfigError(f"unknown retriever {name.strip()!r}; valid forms: {VALID_FORMS}")
    return match.group(1), int(match.group(2))


def parse_retriever_list(text: str) -> list[str]:
    """A comma-separated list of retriever names, checked and normalised, duplicates dropped."""
    names: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        kind, k = parse_retriever_name(part)
        name = kind if k is None else f"{kind}@{k}"
        if name not in names:
            names.append(name)
    if not names:
        raise ConfigError(f"no retriever named; give a comma-separated list of {VALID_FORMS}")
    return names


def check_retrievers(names: Sequence[str]) -> list[str]:
    """Normalised names, failing now (before any slow work) on unknown or unavailable ones."""
    checked = parse_retriever_list(",".join(names))
    if any(name in AGENT_PRESETS for name in checked):
        _agent_class()
    return checked


def build_retriever(
    name: str,
    store: MemoryStore,
    settings: Settings,
    llm: Any = None,
    bm25: BM25Search | None = None,
    vectors: VectorCache | None = None,
) -> Retriever:
    """Build one retriever over ``store``; baselines embed queries with the store's embedder.

    Pass one ``bm25`` search and one ``vectors`` cache to several retrievers to share their
    per-conversation indexes and the turn vectors read from Chroma.
    """
    kind, k = parse_retriever_name(name)
    if kind in AGENT_PRESETS:
        return _build_agent(store, settings.with_overrides(**AGENT_PRESETS[kind]), llm, kind)
    assert k is not None
    if kind == "semantic":
        return SemanticRetriever(store, store.embedder, k, vectors)
    if kind == "bm25":
        return BM25Retriever(store, k, bm25)
    return HybridRetriever(store, store.embedder, k, bm25, cache=vectors)


def build_retrievers(
    names: Sequence[str], store: MemoryStore, settings: Settings, llm: Any = None
) -> list[Retriever]:
    bm25, vectors = BM25Search(store), VectorCache(store)
    return [build_retriever(n, store, settings, llm, bm25=bm25, vectors=vectors) for n in names]


def _build_agent(store: MemoryStore, settings: Settings, llm: Any, name: str = AGENT) -> Retriever:
    retriever: Retriever = _agent_class()(store, settings, llm=llm)
    retriever.name = name
    return retriever


def _agent_class() -> Any:
    try:
        module = importlib.import_module("agent.retrieval")
    except ImportError as exc:
        if exc.name != "agent.retrieval":
            raise
        module = None
    factory = getattr(module, "TimeAwareRetriever", None)
    if factory is None:
        raise ConfigError(
            "retriever 'agent' is not available in this installation (agent.retrieval."
            "TimeAwareRetriever is missing); use semantic@K, bm25@K or hybrid@K"
        )
    return factory
