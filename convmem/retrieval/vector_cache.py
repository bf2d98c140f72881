"""Turn vectors read from Chroma by id, kept in memory (bounded, least recently used).

Reading a conversation's vectors by id and scoring them with numpy costs about the same
at any collection size, where Chroma's vector search filtered to one conversation grows
with the whole collection.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from convmem.storage.memory import MemoryStore


class VectorCache:
    """Turn vectors fetched from Chroma, kept in memory (bounded, least recently used)."""

    def __init__(self, store: MemoryStore, capacity: int = 200_000) -> None:
        self.store = store
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._revision = store.revision

    def get(self, ids: Sequence[str]) -> np.ndarray:
        if self._revision != self.store.revision:
            self._vectors.clear()
            self._revision = self.store.revision
        missing = [v for v in ids if v not in self._vectors]
        if missing:
            fetched = self.store.vectors.embeddings(missing)
            for vid in missing:
                if vid in fetched:
                    self._vectors[vid] = fetched[vid]
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)
        dim = next(iter(self._vectors.values())).shape[0] if self._vectors else 1
        zero = np.zeros(dim, dtype=np.float32)
        return np.stack([self._vectors.get(v, zero) for v in ids]) if ids else np.zeros((0, dim), np.float32)
