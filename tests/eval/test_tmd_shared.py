"""The real TemporalMemoryDataset dev split, run for shape (hash embedder, a few questions per type)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convmem.config import Settings
from eval.tmd import run_tmd
from tests.conftest import shared_path

pytestmark = pytest.mark.shared_data

SUBTYPES = ["date_span", "dates", "day_span", "earlier_today", "last_named_day", "month",
            "rel_day", "rel_month", "rel_session", "session", "session_span"]


def test_dev_split_results_have_the_agreed_shape(tmp_path: Path) -> None:
    dataset = shared_path("tmd")
    settings = Settings.from_env({}, embedder="hash")
    out = tmp_path / "out"
    run_tmd(dataset, out, ["semantic@10", "bm25@10"], settings, limit=2)
    results = json.loads((out / "results.json").read_text())
    assert results["dataset"] == "tmd" and results["config"]["questions"] == 46
    expected_types = [f"time/{s}" for s in SUBTYPES] + [f"ambiguous/{s}" for s in SUBTYPES] + ["time_content/all"]
    for name in ("semantic@10", "bm25@10"):
        block = results["retrievers"][name]
        assert list(block["categories"]) == ["time", "ambiguous", "time_content"]
        assert [block["categories"][c]["n"] for c in block["categories"]] == [22, 22, 2]
        assert list(block["types"]) == expected_types
        assert all(0.0 <= v["recall"] <= 1.0 and 0.0 <= v["f2"] <= 1.0 for v in block["types"].values())
        assert set(block["latency_ms"]) == {"p50", "p95"}
    assert results["skipped"] == {}
