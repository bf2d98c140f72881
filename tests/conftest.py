"""Shared fixtures: real DuckDB + Chroma stores in temp dirs, the deterministic embedder,
the real MiniLM model (loaded once), and the shared dev data when it is present."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from convmem.config import Settings
from convmem.embed.base import Embedder
from convmem.embed.hashing import HashEmbedder
from convmem.storage.memory import MemoryStore

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder(64)


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    from convmem.embed.sentence import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture
def store(tmp_path: Path, hash_embedder: HashEmbedder) -> Iterator[MemoryStore]:
    memory = MemoryStore(tmp_path / "store", hash_embedder)
    yield memory
    memory.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI at a temp store with the hash embedder and no LLM."""
    store_dir = tmp_path / "cli-store"
    for key in list(os.environ):
        if key.startswith("CONVMEM_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CONVMEM_STORE", str(store_dir))
    monkeypatch.setenv("CONVMEM_EMBEDDER", "hash")
    return store_dir


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, store=tmp_path / "store", embedder="hash")


def shared_path(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared dev data not found at {path} (it sits beside the checkout in CI)")
    return path
