"""The regression gate: deltas against an earlier results.json and a failing exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from convmem.errors import ConfigError, InputFormatError
from eval.gate import GateSpec, compare, delta_markdown, load_gate
from tests.eval.tmd_layout import write_tmd
from tests.fixtures import run_cli


def results(recall: float, f2: float = 0.5, at_5: float | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "categories": {"time": {"n": 3, "recall": recall, "precision": 0.5, "f1": 0.5, "f2": f2}},
        "types": {}, "latency_ms": {"p50": 1.0, "p95": 2.0},
    }
    if at_5 is not None:
        block["recall_at_k"] = {"time": {"5": at_5}}
    return {"dataset": "tmd", "retrievers": {"agent": block}}


def test_a_drop_within_the_tolerance_passes_and_a_larger_one_fails() -> None:
    baseline = GateSpec(results(0.90), "old/results.json", "recall", 0.01)
    assert compare(results(0.895), baseline)["passed"]
    failed = compare(results(0.85), baseline)
    assert not failed["passed"]
    assert failed["message"] == "recall dropped by more than 0.01: agent/time 0.9000 -> 0.8500 (-0.0500)"
    assert failed["deltas"]["agent"]["time"]["recall"]["delta"] == pytest.approx(-0.05)


def test_the_gate_reads_only_its_metric_and_can_read_recall_at_k() -> None:
    assert compare(results(0.9, f2=0.1), GateSpec(results(0.9, f2=0.5), "b", "recall", 0.0))["passed"]
    assert not compare(results(0.9, f2=0.1), GateSpec(results(0.9, f2=0.5), "b", "f2", 0.0))["passed"]
    drop = compare(results(0.9, at_5=0.2), GateSpec(results(0.9, at_5=0.4), "b", "recall@5", 0.01))
    assert not drop["passed"] and "recall@5" in drop["message"]


def test_unmatched_retrievers_are_listed_not_failed() -> None:
    old = results(0.9)
    old["retrievers"]["bm25@10"] = old["retrievers"]["agent"]
    comparison = compare(results(0.9), GateSpec(old, "b"))
    assert comparison["passed"] and comparison["unmatched"] == ["bm25@10/time (not measured now)"]
    assert "Not compared: bm25@10/time" in delta_markdown(comparison)


def test_load_gate_checks_before_the_run(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results(0.9)))
    with pytest.raises(ConfigError, match="unknown gate metric"):
        load_gate(path, "accuracy")
    with pytest.raises(ConfigError, match="measured dataset 'tmd'"):
        load_gate(path, dataset="locomo")
    with pytest.raises(InputFormatError, match="cannot read the baseline"):
        load_gate(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(InputFormatError, match=r"not a results\.json"):
        load_gate(tmp_path / "bad.json")


def test_cli_gate_passes_on_itself_and_fails_on_a_better_baseline(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    first = tmp_path / "first"
    args = ["eval", "tmd", str(dataset), "--retriever", "bm25@4"]
    assert run_cli([*args, "--out", str(first)], capsys)[0] == 0

    second = tmp_path / "second"
    code, stdout, _ = run_cli([*args, "--out", str(second), "--baseline", str(first / "results.json")], capsys)
    assert code == 0 and "gate passed" in stdout
    assert "Δ recall" in (second / "report.md").read_text()
    assert 'id="table-deltas"' in (second / "report.html").read_text()

    better = json.loads((first / "results.json").read_text())
    better["retrievers"]["bm25@4"]["categories"]["time"]["recall"] += 0.5
    (tmp_path / "better.json").write_text(json.dumps(better))
    code, _, err = run_cli([*args, "--out", str(second), "--baseline", str(tmp_path / "better.json")], capsys)
    assert code == 8
    assert err.strip().startswith("error: recall dropped by more than 0.01: bm25@4/time")
    assert len(err.strip().splitlines()) == 1
    saved = json.loads((second / "results.json").read_text())
    assert saved["comparison"]["passed"] is False and saved["retrievers"]["bm25@4"]["categories"]
    assert "FAILED" in (second / "report.md").read_text()

    code, _, err = run_cli([*args, "--out", str(second), "--baseline", str(first / "results.json"),
                        "--gate-metric", "accuracy"], capsys)
    assert code == 2 and "unknown gate metric" in err
