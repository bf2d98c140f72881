"""The composition root: concrete backends built from ``Settings``.

Everything that needs an embedder, a store or an LLM gets it from here (or from a test
that builds its own); nothing else constructs backends.
"""

from __future__ import annotations

from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.embed.hashing import HashEmbedder
from convmem.errors import ConfigError
from convmem.storage.memory import MemoryStore

_embedders: dict[tuple[str, str, int, str], Embedder] = {}


def build_embedder(settings: Settings) -> Embedder:
    """One embedder per configuration per process (models are slow to load)."""
    key = (settings.embedder, settings.embed_base_url, settings.embed_batch_size, settings.device)
    if key not in _embedders:
        _embedders[key] = _make_embedder(settings)
    return _embedders[key]


def _make_embedder(settings: Settings) -> Embedder:
    name = settings.embedder.strip()
    if not name:
        raise ConfigError("CONVMEM_EMBEDDER is empty; use minilm, hash, openai:<model> or a model path")
    if name == "hash" or name.startswith("hash-"):
        dim = int(name.split("-", 1)[1]) if "-" in name else 256
        return HashEmbedder(dim)
    if name.startswith("openai:"):
        from convmem.embed.remote import RemoteEmbedder

        return RemoteEmbedder(
            name.split(":", 1)[1],
            settings.embed_base_url or settings.llm_base_url,
            settings.embed_api_key or settings.llm_api_key,
            settings.embed_batch_size,
        )
    from convmem.embed.sentence import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(name, settings.embed_batch_size, settings.device)


def open_store(settings: Settings, create: bool = False) -> MemoryStore:
    return MemoryStore(settings.store, build_embedder(settings), create=create)
