"""A deterministic embedder: hashed word unigrams and bigrams, no model.

Fast and reproducible, for unit tests and for scale benchmarks where the cost of a neural
model would hide the cost of the store.  It captures word overlap, not meaning.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from convmem.embed.base import ProgressFn, normalise

_TOKEN = re.compile(r"[a-z0-9']+")


class HashEmbedder:
    def __init__(self, dim: int = 256) -> None:
        self._dim = dim
        self.name = f"hash-{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            features = tokens + [a + " " + b for a, b in itertools.pairwise(tokens)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                sign = 1.0 if value & 1 else -1.0
                out[row, (value >> 1) % self._dim] += sign
        if progress:
            progress(len(texts), len(texts))
        return normalise(out)
