"""Embedders: text to L2-normalised float32 vectors."""

from convmem.embed.base import Embedder, ProgressFn
from convmem.embed.hashing import HashEmbedder

__all__ = ["Embedder", "HashEmbedder", "ProgressFn"]
