"""The ONNX path of the default embedder against the sentence-transformers reference.

Real model, real export, real onnxruntime: nothing here is mocked.  The export goes to a
temporary cache directory shared by this module's tests (one export per test run).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convmem.embed.onnx_export import OnnxUnsupported, describe
from convmem.embed.sentence import SentenceTransformerEmbedder, minilm_path
from convmem.errors import EmbeddingError

pytest.importorskip("onnx", reason="the ONNX export needs the onnx package")

SENTENCES = [
    "",
    "ok",
    "  Hello there!  ",
    "I signed up for a ceramics course that starts next Tuesday.",
    "DID YOU SEE THE GAME LAST NIGHT?",
    "Caroline: we went hiking near the lake in July, then grabbed ice cream and watched the"
    " sunset; it was honestly one of the best days of the summer, even though it rained.",
    "naïve café résumé — 東京 🙂",
    " ".join(["a much longer turn that rambles on about the weekend"] * 40),  # > 256 tokens
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("convmem-cache")


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(backend="sentence-transformers")


@pytest.fixture(scope="module")
def fast(cache_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(cache_dir=cache_dir)


def onnx_files(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "onnx").glob("*.onnx"))


def test_default_embedder_runs_on_onnx_with_the_reference_vectors(
    fast: SentenceTransformerEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    got = fast.embed(SENTENCES)
    want = reference.embed(SENTENCES)
    assert fast.active_backend == "onnx"
    assert reference.active_backend == "sentence-transformers"
    assert fast.name == reference.name == "all-MiniLM-L6-v2"
    assert fast.dim == 384
    assert got.dtype == np.float32 and got.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = (got * want).sum(axis=1)  # row by row: also proves the original order is kept
    assert cosine.min() >= 0.9999, cosine


def test_progress_is_reported_per_batch(cache_dir: Path) -> None:
    embedder = SentenceTransformerEmbedder(batch_size=2, cache_dir=cache_dir)
    seen: list[tuple[int, int]] = []
    embedder.embed([f"sentence number {i}" for i in range(5)], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert embedder.embed([]).shape == (0, 384)


def test_repeated_texts_get_identical_vectors_and_count_in_progress(
    fast: SentenceTransformerEmbedder,
) -> None:
    texts = ["haha", "see you tomorrow", "haha", "ok", "haha"]
    seen: list[tuple[int, int]] = []
    vectors = fast.embed(texts, progress=lambda d, t: seen.append((d, t)))
    assert vectors.shape == (5, 384)
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[4])
    assert np.allclose(vectors[1], fast.embed(["see you tomorrow"])[0], atol=1e-6)
    assert seen[-1] == (5, 5)


def test_second_construction_reuses_the_cached_export(
    fast: SentenceTransformerEmbedder, cache_dir: Path
) -> None:
    fast.embed(["make sure the first export happened"])
    [cached] = onnx_files(cache_dir)
    before = cached.stat()
    again = SentenceTransformerEmbedder(cache_dir=cache_dir)
    again.embed(["load it from the cache"])
    after = cached.stat()
    assert again.active_backend == "onnx"
    assert onnx_files(cache_dir) == [cached]
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not list((cache_dir / "onnx").glob("*.tmp"))


def test_a_damaged_cache_file_is_exported_again(
    tmp_path: Path,
    cache_dir: Path,
    fast: SentenceTransformerEmbedder,
    reference: SentenceTransformerEmbedder,
) -> None:
    fast.embed(["make sure the first export happened"])
    [cached] = onnx_files(cache_dir)
    private = tmp_path / "cache"
    shutil.copytree(cache_dir, private)
    damaged = private / "onnx" / cached.name
    damaged.write_bytes(b"not an onnx model")
    embedder = SentenceTransformerEmbedder(cache_dir=private)
    vectors = embedder.embed(SENTENCES[:4])
    assert embedder.active_backend == "onnx"
    assert damaged.stat().st_size > 1_000_000
    assert (vectors * reference.embed(SENTENCES[:4])).sum(axis=1).min() >= 0.9999


def test_falls_back_to_sentence_transformers_when_the_export_fails(
    tmp_path: Path, reference: SentenceTransformerEmbedder
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be created below a file")
    embedder = SentenceTransformerEmbedder(cache_dir=blocker / "cache")
    vectors = embedder.embed(SENTENCES)
    assert embedder.active_backend == "sentence-transformers"
    assert embedder.fallback_reason
    assert (vectors * reference.embed(SENTENCES)).sum(axis=1).min() >= 0.9999
    assert embedder.name == "all-MiniLM-L6-v2"


def test_onnx_backend_insisted_on_raises_instead_of_falling_back(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    embedder = SentenceTransformerEmbedder(cache_dir=blocker / "cache", backend="onnx")
    with pytest.raises(EmbeddingError, match="ONNX"):
        embedder.embed(["hello"])
    with pytest.raises(EmbeddingError, match="unknown embedding backend"):
        SentenceTransformerEmbedder(backend="tensorflow")


def test_models_without_plain_mean_pooling_are_not_exported(tmp_path: Path) -> None:
    source = Path(minilm_path())
    model = tmp_path / "cls-pooled"
    shutil.copytree(source, model, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    (model / "model.safetensors").symlink_to(source / "model.safetensors")
    assert describe(model).dim == 384  # the copy is still eligible as it is
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    with pytest.raises(OnnxUnsupported, match="pooling"):
        describe(model)
    embedder = SentenceTransformerEmbedder(str(model), cache_dir=tmp_path / "cache")
    assert embedder.dim == 384
    assert embedder.active_backend == "sentence-transformers"
    assert embedder.name == str(model)
    assert not (tmp_path / "cache").exists()


EXPORT_SCRIPT = """
import sys
from pathlib import Path
from convmem.embed.sentence import SentenceTransformerEmbedder
embedder = SentenceTransformerEmbedder(cache_dir=Path(sys.argv[1]), backend="onnx")
print(float(embedder.embed(["two processes export at once"])[0] @ embedder.embed(["two processes export at once"])[0]))
"""


@pytest.mark.slow
def test_two_processes_exporting_at_once_both_succeed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", EXPORT_SCRIPT, str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        assert abs(float(out.split()[-1]) - 1.0) < 1e-5
    assert len(onnx_files(cache)) == 1
    assert not list((cache / "onnx").glob("*.tmp"))


def test_int8_variant_is_a_separate_embedder_close_to_the_reference(
    tmp_path: Path, cache_dir: Path, fast: SentenceTransformerEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    fast.embed(["make sure the fp32 export exists"])
    own = tmp_path / "cache"
    (own / "onnx").mkdir(parents=True)
    for path in onnx_files(cache_dir):  # start from the fp32 export: no second export
        shutil.copy(path, own / "onnx" / path.name)
    int8 = SentenceTransformerEmbedder("minilm-int8", cache_dir=own)
    got = int8.embed(SENTENCES)
    want = reference.embed(SENTENCES)
    assert int8.active_backend == "onnx" and int8.name == "all-MiniLM-L6-v2-int8" != reference.name
    assert len(onnx_files(own)) == 2  # the fp32 export and its int8 version beside it
    cosine = (got * want).sum(axis=1)
    assert cosine.min() >= 0.95 and cosine.mean() >= 0.98, cosine
    assert not np.allclose(got, want, atol=1e-4)  # really quantised, not the fp32 graph
    with pytest.raises(EmbeddingError, match="only on the ONNX backend"):
        SentenceTransformerEmbedder("minilm-int8", backend="sentence-transformers")
