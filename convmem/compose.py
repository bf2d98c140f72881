"""The composition root: concrete backends built from ``Settings``.

Everything that needs an embedder, a store or an LLM gets it from here (or from a test
that builds its own); nothing else constructs backends.
"""

from __future__ import annotations

from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.embed.hashing import HashEmbedder
from convmem.errors import ConfigError
from convmem.llm.cache import ResponseCache
from convmem.llm.client import LLMClient
from convmem.llm.types import ChatBackend
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


def open_store(settings: Settings, create: bool = False, repair: bool = False) -> MemoryStore:
    return MemoryStore(
        settings.store, build_embedder(settings), create=create, repair=repair, chroma_url=settings.chroma_url
    )


def build_llm(settings: Settings) -> LLMClient | None:
    """The one LLM client, or ``None`` when no LLM is configured (extractive answers).

    Backends are imported only when chosen, so a run without an LLM never loads an SDK.
    """
    name = settings.llm_backend.strip()
    if not name:
        return None
    backend: ChatBackend
    if name == "openai":
        from convmem.llm.openai_backend import OpenAIBackend

        backend = OpenAIBackend(
            settings.llm_model,
            settings.llm_base_url,
            settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )
    elif name == "transformers":
        from convmem.llm.transformers_backend import TransformersBackend

        backend = TransformersBackend(settings.llm_model, device=settings.device)
    elif name == "fake":
        from convmem.llm.fake import FakeChatModel

        backend = FakeChatModel(model=settings.llm_model or "fake-chat", strict=False)
    else:
        raise ConfigError(
            f"CONVMEM_LLM_BACKEND={name!r} is not one of openai, transformers, fake; fix or unset it"
        )
    cache = (
        ResponseCache(settings.llm_cache_dir, settings.llm_cache_mode)
        if settings.llm_cache_dir
        else None
    )
    return LLMClient(
        backend,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,
        cache=cache,
    )
