"""The Chroma side of a store: one vector per turn, filterable by time and session.

This is the only module that imports ``chromadb``.  Vectors are computed by our own
embedder and handed over explicitly; the collection is still given an explicit embedding
function (ours) so Chroma never falls back to its downloading default.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from convmem.embed.base import Embedder
from convmem.types import Turn, epoch_seconds

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

COLLECTION = "turns"


@register_embedding_function
class _ChromaEmbedding(EmbeddingFunction[Documents]):
    """Adapts our embedder to Chroma's interface (used only if Chroma embeds text itself)."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        if self._embedder is None:
            raise RuntimeError("open the collection through convmem's VectorIndex")
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "convmem"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _ChromaEmbedding:
        # Chroma rebuilds the function when it reopens a collection; VectorIndex then
        # hands it the real embedder again.
        return _ChromaEmbedding()

    def is_legacy(self) -> bool:
        return False


@dataclass(frozen=True)
class VectorHit:
    vector_id: str
    score: float  # cosine similarity


def turn_metadata(turn: Turn) -> dict[str, Any]:
    return {
        "conversation_id": turn.conversation_id,
        "turn_id": turn.turn_id,
        "session_index": turn.session_index,
        "ts": epoch_seconds(turn.spoken_at),
        "speaker": turn.speaker,
        "order": turn.order,
    }


@functools.cache
def _base_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False)


def _chroma_settings() -> ChromaSettings:
    """A copy of settings built once: building them reads the environment and takes tens
    of ms, paid at every open otherwise (a chat without a server opens the store for each
    line); a copy, since each client writes its own path or host into the object."""
    return _base_settings().model_copy()


def _client(path: Path, url: str) -> Any:
    """Embedded Chroma in the store directory, or a Chroma server (``chroma run``) at ``url``."""
    chroma_settings = _chroma_settings()
    if not url:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        raise ValueError(f"CONVMEM_CHROMA_URL={url!r} has no host; use http://HOST:PORT")
    secure = parsed.scheme == "https"
    return chromadb.HttpClient(
        host=parsed.hostname, port=parsed.port or (443 if secure else 8000), ssl=secure,
        settings=chroma_settings,
    )


class VectorIndex:
    def __init__(self, path: Path, embedder: Embedder, url: str = "", collection: str = COLLECTION) -> None:
        self.client = _client(path, url)
        self.collection = self.client.get_or_create_collection(
            collection,
            embedding_function=_ChromaEmbedding(embedder),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._max_batch = int(getattr(self.client, "get_max_batch_size", lambda: 5000)())

    @staticmethod
    def forget_open_clients() -> None:
        """Chroma keeps one client per path for the process; forget them before a damaged
        index is moved aside, so the fresh one at the same path starts clean."""
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(self, turns: Sequence[Turn], vectors: np.ndarray) -> None:
        for start in range(0, len(turns), self._max_batch):
            chunk = turns[start : start + self._max_batch]
            self.collection.upsert(
                ids=[t.vector_id for t in chunk],
                embeddings=vectors[start : start + len(chunk)],
                metadatas=[turn_metadata(t) for t in chunk],
                documents=[t.text for t in chunk],
            )

    def delete(self, vector_ids: Sequence[str]) -> None:
        ids = list(vector_ids)
        for start in range(0, len(ids), self._max_batch):
            self.collection.delete(ids=ids[start : start + self._max_batch])

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 50_000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            ids.update(got)
            if len(got) < page:
                return ids
            offset += page

    def embeddings(self, vector_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not vector_ids:
            return {}
        got = self.collection.get(ids=list(vector_ids), include=["embeddings"])
        vectors = got["embeddings"]
        if vectors is None:
            return {}
        return {vid: np.asarray(vec, dtype=np.float32) for vid, vec in zip(got["ids"], vectors, strict=True)}

    def search(
        self, query: np.ndarray, k: int, where: dict[str, Any] | None = None
    ) -> list[VectorHit]:
        if k <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[np.asarray(query, dtype=np.float32).tolist()],
            n_results=k,
            where=where,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [VectorHit(v, 1.0 - float(d)) for v, d in zip(ids, distances, strict=True)]
