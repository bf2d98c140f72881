"""Compare a run with an earlier ``results.json`` and fail when a chosen metric dropped.

A change to retrieval should never lower a number silently.  Given the results of an
earlier run (``--baseline OLD/results.json``), every retriever and category that both runs
measured gets its deltas, and the gate fails when the chosen metric (``--gate-metric``,
default recall) fell by more than ``--gate-tolerance`` anywhere.  The message names every
drop on one line, so a CI log says what regressed without opening a report.

Metrics are read from each category block (``recall``, ``precision``, ``f1``, ``f2``) or,
as ``recall@K``, from the ``recall_at_k`` block that the LoCoMo runner writes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from convmem.errors import ConfigError, ConvmemError, InputFormatError
from eval.metrics import METRICS

_AT_K = re.compile(r"^recall@([1-9][0-9]*)$")


class RegressionError(ConvmemError):
    """The gated metric dropped by more than the tolerance against the baseline."""

    code = "regression"
    exit_code = 8


@dataclass(frozen=True)
class GateSpec:
    baseline: dict[str, Any]  # the earlier results.json
    path: str
    metric: str = "recall"
    tolerance: float = 0.01


def check_metric(metric: str) -> str:
    clean = metric.strip().lower()
    if clean in METRICS or _AT_K.match(clean):
        return clean
    raise ConfigError(
        f"unknown gate metric {metric!r}; use one of {', '.join(METRICS)} or recall@K"
    )


def load_gate(path: Path, metric: str = "recall", tolerance: float = 0.01, dataset: str | None = None) -> GateSpec:
    """Read and check the baseline before any slow work, so a typo fails at once."""
    if tolerance < 0:
        raise ConfigError(f"--gate-tolerance must not be negative, got {tolerance}")
    metric = check_metric(metric)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFormatError(path, "", f"cannot read the baseline ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, f"line {exc.lineno}", f"malformed JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("retrievers"), dict):
        raise InputFormatError(path, "", "not a results.json (expected 'dataset' and 'retrievers')")
    if dataset is not None and data.get("dataset") != dataset:
        raise ConfigError(
            f"baseline {path} measured dataset {data.get('dataset')!r}, this run measures"
            f" {dataset!r}; compare runs of the same dataset"
        )
    return GateSpec(data, str(path), metric, tolerance)


def metric_value(block: dict[str, Any], category: str, metric: str) -> float | None:
    """One retriever block's value of ``metric`` for ``category`` (None when not measured)."""
    match = _AT_K.match(metric)
    if match:
        value = block.get("recall_at_k", {}).get(category, {}).get(match.group(1))
    else:
        value = block.get("categories", {}).get(category, {}).get(metric)
    return float(value) if isinstance(value, int | float) else None


def _metrics_of(block: dict[str, Any], category: str) -> list[str]:
    names = [m for m in METRICS if m in block.get("categories", {}).get(category, {})]
    names += [f"recall@{k}" for k in block.get("recall_at_k", {}).get(category, {})]
    return names


def compare(results: dict[str, Any], gate: GateSpec) -> dict[str, Any]:
    """Deltas (current - baseline) per retriever, category and metric; the gate's verdict."""
    deltas: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    drops: list[dict[str, Any]] = []
    unmatched: list[str] = []
    old_retrievers = gate.baseline.get("retrievers", {})
    for name, block in results["retrievers"].items():
        old = old_retrievers.get(name)
        if old is None:
            unmatched.append(f"{name} (new)")
            continue
        for category in block.get("categories", {}):
            if category not in old.get("categories", {}):
                unmatched.append(f"{name}/{category} (new)")
                continue
            row: dict[str, dict[str, float]] = {}
            for metric in _metrics_of(block, category):
                now, before = metric_value(block, category, metric), metric_value(old, category, metric)
                if now is None or before is None:
                    continue
                row[metric] = {"baseline": before, "current": now, "delta": now - before}
                if metric == gate.metric and before - now > gate.tolerance + 1e-12:
                    drops.append({"retriever": name, "category": category, "metric": metric,
                                  "baseline": before, "current": now, "delta": now - before})
            deltas.setdefault(name, {})[category] = row
    for name, old in old_retrievers.items():
        for category in old.get("categories", {}):
            if category not in results["retrievers"].get(name, {}).get("categories", {}):
                unmatched.append(f"{name}/{category} (not measured now)")
    return {
        "baseline": gate.path,
        "metric": gate.metric,
        "tolerance": gate.tolerance,
        "deltas": deltas,
        "regressions": drops,
        "unmatched": unmatched,
        "passed": not drops,
        "message": gate_message(gate.metric, gate.tolerance, drops),
    }


def gate_message(metric: str, tolerance: float, drops: list[dict[str, Any]]) -> str:
    if not drops:
        return f"gate passed: no {metric} dropped by more than {tolerance:g} against the baseline"
    parts = [
        f"{d['retriever']}/{d['category']} {d['baseline']:.4f} -> {d['current']:.4f} ({d['delta']:+.4f})"
        for d in drops
    ]
    return f"{metric} dropped by more than {tolerance:g}: " + "; ".join(parts)


def raise_if_failed(results: dict[str, Any]) -> None:
    """Raise ``RegressionError`` with the one-line message when the gate failed."""
    comparison = results.get("comparison")
    if comparison and not comparison["passed"]:
        raise RegressionError(comparison["message"])


def delta_markdown(comparison: dict[str, Any]) -> str:
    """The comparison as a markdown section: value and delta columns per metric."""
    metrics: list[str] = []
    for categories in comparison["deltas"].values():
        for row in categories.values():
            metrics += [m for m in row if m not in metrics]
    lines = [
        f"## Against the baseline ({comparison['baseline']})",
        "",
        f"Gate: {comparison['metric']} may not drop by more than {comparison['tolerance']:g}"
        f" per retriever and category. **{'PASSED' if comparison['passed'] else 'FAILED'}**:"
        f" {comparison['message']}",
        "",
    ]
    header = ["retriever", "category"]
    for metric in metrics:
        header += [metric, f"Δ {metric}"]
    lines += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for name, categories in comparison["deltas"].items():
        for category, row in categories.items():
            cells = [name, category]
            for metric in metrics:
                entry = row.get(metric)
                cells += [f"{100 * entry['current']:.2f}", f"{100 * entry['delta']:+.2f}"] if entry else ["", ""]
            lines.append("| " + " | ".join(cells) + " |")
    if comparison["unmatched"]:
        lines += ["", "Not compared: " + ", ".join(comparison["unmatched"])]
    return "\n".join(lines) + "\n"
