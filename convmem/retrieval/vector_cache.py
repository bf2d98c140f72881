"""Turn vectors read from Chroma by id, kept in memory (bounded, least recently used).

Reading a conversation's vectors by id and scoring them with numpy costs about the same
at any collection size, where Chroma's vector search filtered to one conversation grows
with the whole collection.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from convmem.storage.memory import MemoryStore


class VectorCache:
    """Turn vectors fetched from Chroma, kept in memory (bounded, least recently used).

    A turn's vector never changes while the turn is stored, so added turns only add
    vectors; a conversation's vectors are dropped when its epoch moves (it was forgotten,
    or the index repaired), and the other conversations' stay."""

    def __init__(self, store: MemoryStore, capacity: int = 200_000) -> None:
        self.store = store
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._epochs: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def get(self, ids: Sequence[str]) -> np.ndarray:
        for conversation_id in {v.partition("#")[0] for v in ids}:
            epoch = self.store.epoch_of(conversation_id)
            if self._epochs.get(conversation_id) != epoch:
                with self._lock:
                    prefix = conversation_id + "#"
                    for vid in [v for v in self._vectors if v.startswith(prefix)]:
                        del self._vectors[vid]
                    self._epochs[conversation_id] = epoch
        vectors = self._vectors
        missing = [v for v in ids if v not in vectors]
        if missing:
            fetched = self.store.vectors.embeddings(missing)
            with self._lock:
                for vid in missing:
                    if vid in fetched:
                        vectors[vid] = fetched[vid]
                while len(vectors) > self.capacity:
                    vectors.popitem(last=False)
        found = [vectors.get(v) for v in ids]
        dim = next((f.shape[0] for f in found if f is not None), 0) or self._dimension()
        zero = np.zeros(dim, dtype=np.float32)
        return np.stack([zero if f is None else f for f in found]) if ids else np.zeros((0, dim), np.float32)

    def _dimension(self) -> int:
        with self._lock:
            return next(iter(self._vectors.values())).shape[0] if self._vectors else 1
