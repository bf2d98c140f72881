"""Mean-pooled sentence vectors from an exported transformer, with onnxruntime on the CPU.

The same computation as sentence-transformers (fast tokenizer with the model's truncation,
transformer forward pass, mean over real tokens, L2 norm), arranged for speed: every text is
tokenised once, texts are sorted by token count so each batch pads to nearly nothing, and
the forward pass runs in onnxruntime with one intra-op thread per core.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from convmem.embed.base import ProgressFn, normalise
from convmem.embed.onnx_export import MeanPooledModel

OPTIMIZATION_LEVELS = ("disable", "basic", "extended", "all")


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxEncoder:
    def __init__(
        self,
        model: MeanPooledModel,
        onnx_file: Path,
        threads: int | None = None,
        optimization: str = "all",
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if optimization not in OPTIMIZATION_LEVELS:
            raise ValueError(f"optimization must be one of {OPTIMIZATION_LEVELS}, not {optimization!r}")
        self.model = model
        self.dim = model.dim
        self.tokenizer = Tokenizer.from_file(str(model.transformer_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # tokenizer.json may pad every text to a fixed length
        self.tokenizer.enable_truncation(model.max_seq_length)
        options = ort.SessionOptions()
        options.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[optimization]
        options.intra_op_num_threads = threads or available_cores()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def encode(
        self, texts: Sequence[str], batch_size: int, progress: ProgressFn | None = None
    ) -> np.ndarray:
        """Unit vectors for ``texts``, in order; ``progress(done, total)`` after each batch."""
        total = len(texts)
        if not total:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Repeated turns ("ok", "haha", "Thanks!") are embedded once.
        unique: dict[str, int] = {}
        slot = np.array([unique.setdefault(text, len(unique)) for text in texts])
        copies = np.bincount(slot)
        inputs = list(unique)
        if self.model.do_lower_case:
            inputs = [text.lower() for text in inputs]
        token_ids = [encoding.ids for encoding in self.tokenizer.encode_batch(inputs)]
        order = np.argsort([len(ids) for ids in token_ids], kind="stable")
        vectors = np.zeros((len(inputs), self.dim), dtype=np.float32)
        done = 0
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            vectors[rows] = self._forward([token_ids[i] for i in rows])
            done += int(copies[rows].sum())
            if progress:
                progress(done, total)
        return normalise(vectors)[slot]

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        states = self.session.run(None, feed)[0]  # (batch, tokens, dim)
        weights = mask.astype(np.float32)
        summed = np.matmul(weights[:, None, :], states)[:, 0, :]
        return summed / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
