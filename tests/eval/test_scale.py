"""The scale benchmark at tiny sizes: what it records, not how fast (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cli
from convmem.config import Settings
from convmem.embed.hashing import HashEmbedder
from convmem.errors import ConfigError
from dataset_gen.simulator import SimulationConfig, write_conversations
from eval.scale import KINDS, conversations_from_jsonl, run_scale
from eval.scale_report import scale_html, scale_markdown


@pytest.fixture
def transcript(tmp_path: Path) -> Path:
    path = tmp_path / "sim.jsonl"
    write_conversations(path, SimulationConfig(sessions=6, conversations=None, max_turns=400, seed=3))
    return path


def test_transcripts_stream_one_conversation_at_a_time(transcript: Path) -> None:
    conversations = list(conversations_from_jsonl([transcript]))
    assert sum(len(c.turns) for c in conversations) == 400
    assert len({c.conversation_id for c in conversations}) == len(conversations) > 1


def test_the_store_grows_through_the_checkpoints(tmp_path: Path, transcript: Path, settings: Settings) -> None:
    results = run_scale(conversations_from_jsonl([transcript]), tmp_path / "store", settings,
                        HashEmbedder(64), [100, 400, 5000], questions=4, seed=1)
    points = results["points"]
    assert [p["target_turns"] for p in points] == [100, 400]  # the transcript ends at 400 turns
    assert points[0]["turns"] >= 100 and points[-1]["turns"] == 400
    assert points[-1]["ingest"]["cumulative_seconds"] >= points[0]["ingest"]["cumulative_seconds"]
    for point in points:
        assert point["disk_bytes"]["total"] == point["disk_bytes"]["duckdb"] + point["disk_bytes"]["chroma"] > 0
        for kind in KINDS:
            measured = point["retrieval_ms"][kind]
            assert measured["n"] == 4 and sum(measured["routes"].values()) == 4
            assert 0 <= measured["p50"] <= measured["p95"]
    assert results["points"][-1]["retrieval_ms"]["time"]["routes"].get("time", 0) >= 3
    assert results["target"]["met"] is None and results["config"]["embedder"] == "hash-64"
    assert "not reached" in scale_markdown(results)
    html = scale_html(results)
    assert 'id="plot-scale-latency"' in html and 'id="table-scale"' in html and "<script" not in html


def test_an_empty_transcript_is_an_error(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no conversations"):
        run_scale(iter(()), tmp_path / "store", settings, HashEmbedder(64), [10])


def test_cli_bench_scale(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    try:
        cli.main(["bench", "scale", "--out", str(out), "--turns", "200,1000", "--questions", "3"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    stdout = capsys.readouterr().out
    assert code == 0 and "# Scale benchmark" in stdout
    saved = json.loads((out / "scale.json").read_text())
    assert [p["target_turns"] for p in saved["points"]] == [200, 1000]
    assert saved["config"]["embedder"].startswith("hash")
    assert (out / "scale.html").exists() and (out / "simulated-1000-seed0.jsonl").exists()
    assert not list(out.glob("scale-store-*")), "the temporary store is removed"
