"""Export a sentence-transformers model's transformer to ONNX, once, into a per-user cache.

The ONNX graph computes only the token states (``last_hidden_state``); tokenisation, mean
pooling and normalisation stay in Python (:mod:`convmem.embed.onnx_encoder`), so the graph
is the same plain BERT forward pass that sentence-transformers runs, in fp32, and its
vectors agree with the reference to rounding.

The cache file is named after a digest of the model's weights and config, so a changed
model gets a fresh export and an unchanged one is reused by every later process.  Exports
are written to a temporary file beside the target and renamed into place, so two processes
exporting at once both end up with a complete file and a reader never sees a partial one.
Every export is checked against the PyTorch model before it is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Bump when the exported graph changes (inputs, opset, wrapper), to invalidate old caches.
EXPORT_VERSION = 1
OPSET = 17
# Transformer families whose forward takes (input_ids, attention_mask, token_type_ids) and
# that the export has been checked on.  Anything else stays on sentence-transformers.
SUPPORTED_MODEL_TYPES = frozenset({"bert"})
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# The exported graph must reproduce PyTorch's vectors at least this closely before it is kept.
MIN_EXPORT_COSINE = 0.99999


class OnnxUnsupported(Exception):
    """The model is not one the ONNX path handles; use sentence-transformers instead."""


@dataclass(frozen=True)
class MeanPooledModel:
    """What the ONNX path needs to know about a sentence-transformers model directory."""

    root: Path  # the sentence-transformers model directory (holds modules.json)
    transformer_dir: Path  # the Hugging Face model inside it
    max_seq_length: int
    do_lower_case: bool
    dim: int


def describe(model_dir: Path) -> MeanPooledModel:
    """Check that ``model_dir`` is a BERT-like transformer followed by plain mean pooling.

    Raises :class:`OnnxUnsupported` (with the reason) for anything else: other pooling
    modes, extra modules such as Dense layers, other architectures, no fast tokenizer.
    """
    modules_file = model_dir / "modules.json"
    if not modules_file.is_file():
        raise OnnxUnsupported(f"{model_dir} has no modules.json")
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[-1:] == ["Normalize"]:
        kinds = kinds[:-1]  # we normalise anyway
    if kinds != ["Transformer", "Pooling"]:
        raise OnnxUnsupported(f"modules {kinds} are not Transformer + Pooling")
    transformer_dir = model_dir / modules[0].get("path", "")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True)
    if modes != ["pooling_mode_mean_tokens"]:
        raise OnnxUnsupported(f"pooling {modes} is not plain mean pooling")
    config = json.loads((transformer_dir / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") not in SUPPORTED_MODEL_TYPES:
        raise OnnxUnsupported(f"model type {config.get('model_type')!r} is not BERT")
    if not (transformer_dir / "tokenizer.json").is_file():
        raise OnnxUnsupported("no fast tokenizer (tokenizer.json)")
    if not any((transformer_dir / name).is_file() for name in WEIGHT_FILES):
        raise OnnxUnsupported("no model.safetensors or pytorch_model.bin")
    st_config_file = transformer_dir / "sentence_bert_config.json"
    st_config = json.loads(st_config_file.read_text(encoding="utf-8")) if st_config_file.is_file() else {}
    max_seq_length = st_config.get("max_seq_length")
    if not isinstance(max_seq_length, int):
        raise OnnxUnsupported("sentence_bert_config.json gives no max_seq_length")
    max_seq_length = min(max_seq_length, int(config.get("max_position_embeddings", max_seq_length)))
    return MeanPooledModel(
        root=model_dir,
        transformer_dir=transformer_dir,
        max_seq_length=max_seq_length,
        do_lower_case=bool(st_config.get("do_lower_case", False)),
        dim=int(pooling.get("word_embedding_dimension") or config["hidden_size"]),
    )


def cache_path(model: MeanPooledModel, cache_dir: Path) -> Path:
    """Where the export of ``model`` lives: named by a digest of its weights and config."""
    digest = hashlib.blake2b(digest_size=12)
    digest.update(f"convmem-onnx-v{EXPORT_VERSION}-opset{OPSET}".encode())
    digest.update((model.transformer_dir / "config.json").read_bytes())
    for name in WEIGHT_FILES:
        weights = model.transformer_dir / name
        if weights.is_file():
            digest.update(name.encode())
            with weights.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            break
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", model.root.resolve().name).strip("-.") or "model"
    return cache_dir / "onnx" / f"{stem}-{digest.hexdigest()}.onnx"


def export(model: MeanPooledModel, target: Path) -> Path:
    """Export ``model`` to ``target`` (atomically) after checking it against PyTorch.

    Needs torch, transformers and the ``onnx`` package; raises whatever they raise.
    """
    import torch
    from transformers import AutoModel

    class LastHiddenState(torch.nn.Module):
        """Positional inputs, one tensor out: BertModel.forward takes keywords, returns a dict."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    # Eager attention: the SDPA path may drop an all-ones mask while tracing.
    hf_model = AutoModel.from_pretrained(str(model.transformer_dir), attn_implementation="eager")
    wrapper = LastHiddenState(hf_model).eval()
    # Two rows of different lengths, so the padding path is traced, not a mask of all ones.
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    ids = ids % int(hf_model.config.vocab_size)
    types = torch.zeros_like(ids)
    with _atomic(target) as tmp, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = wrapper(ids, mask, types).numpy()
        torch.onnx.export(
            wrapper,
            (ids, mask, types),
            str(tmp),
            input_names=list(INPUT_NAMES),
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*INPUT_NAMES, "last_hidden_state")},
            opset_version=OPSET,
            dynamo=False,
        )
        _check_export(tmp, ids.numpy(), mask.numpy(), expected)
    return target


def _check_export(path: Path, ids: np.ndarray, mask: np.ndarray, expected: np.ndarray) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
    weights = mask[:, :, None].astype(np.float32)
    pooled_got = (got * weights).sum(1)
    pooled_expected = (expected * weights).sum(1)
    cosine = (pooled_got * pooled_expected).sum(1) / (
        np.linalg.norm(pooled_got, axis=1) * np.linalg.norm(pooled_expected, axis=1)
    )
    if float(cosine.min()) < MIN_EXPORT_COSINE:
        raise RuntimeError(f"ONNX export disagrees with PyTorch (cosine {float(cosine.min()):.6f})")


def int8_path(fp32: Path) -> Path:
    """Where the int8 version of the export ``fp32`` lives (beside it)."""
    return fp32.with_name(fp32.stem + "-int8.onnx")


def quantize(source: Path, target: Path) -> Path:
    """Quantise the MatMul weights of ``source`` to int8 (per output channel, dynamic
    activations) into ``target``, atomically.  Layer norms, softmax and the embedding
    table stay fp32, which keeps the pooled vectors within cosine ~0.99 of the original."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs advice to the root logger
    try:
        with _atomic(target) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
    finally:
        root.setLevel(level)
    return target


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary file beside ``target``, renamed onto it if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.stem + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
