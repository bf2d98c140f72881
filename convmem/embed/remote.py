"""An OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, llama.cpp, OpenAI...), over HTTP."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np

from convmem.embed.base import ProgressFn, batched, normalise
from convmem.errors import EmbeddingError


class RemoteEmbedder:
    def __init__(
        self, model: str, base_url: str, api_key: str = "", batch_size: int = 64, timeout_s: float = 60.0
    ) -> None:
        if not base_url:
            raise EmbeddingError(
                f"embedder openai:{model} needs CONVMEM_EMBED_BASE_URL (e.g. http://127.0.0.1:8000/v1)"
            )
        self.name = f"openai:{model}"
        self.model = model
        self.url = base_url.rstrip("/") + "/embeddings"
        self.headers = {"Authorization": f"Bearer {api_key or 'none'}"}
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        rows: list[list[float]] = []
        for batch in batched(list(texts), self.batch_size):
            try:
                response = httpx.post(
                    self.url,
                    json={"model": self.model, "input": list(batch)},
                    headers=self.headers,
                    timeout=self.timeout_s,
                )
                response.raise_for_status()
                data = sorted(response.json()["data"], key=lambda item: item["index"])
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                raise EmbeddingError(
                    f"embedding endpoint {self.url} failed ({exc}); check CONVMEM_EMBED_BASE_URL"
                ) from exc
            rows.extend(item["embedding"] for item in data)
            if progress:
                progress(len(rows), len(texts))
        if not rows:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        return normalise(np.array(rows, dtype=np.float32))
