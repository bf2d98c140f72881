from __future__ import annotations

import numpy as np

from convmem.embed.base import Embedder
from convmem.embed.hashing import HashEmbedder


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    a = HashEmbedder(64).embed(["pottery class on Tuesday", "stock market news"])
    b = HashEmbedder(64).embed(["pottery class on Tuesday", "stock market news"])
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert float(a[0] @ a[1]) < 0.5


def test_real_minilm_model_loads_offline_and_captures_meaning(minilm: Embedder) -> None:
    vectors = minilm.embed(
        ["I signed up for a ceramics course", "my pottery lessons start next week", "interest rates went up"]
    )
    assert vectors.shape == (3, 384)
    assert minilm.dim == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    related, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert related > unrelated + 0.2


def test_progress_is_reported(minilm: Embedder) -> None:
    seen: list[tuple[int, int]] = []
    minilm.embed([f"sentence {i}" for i in range(5)], progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (5, 5)
