"""The load benchmark, tiny: it runs, kills and restarts the server, and counts exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from service.launch import ROOT
from tests.service.conftest import server_env


def test_bench_service_counts_every_acknowledged_turn_once(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_service.py"), "--clients", "3", "--seconds", "6",
         "--kills", "1", "--conversations", "2", "--seed-turns", "30", "--phase-seconds", "1", "--out", str(out)],
        env=server_env(), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    counts = report["counts"]
    assert report["kills_done"] == 1 and report["errors"] == 0
    assert counts["acknowledged"] > 0 and counts["doctor_healthy"]
    assert counts["lost_in_duckdb"] == counts["lost_in_chroma"] == counts["duplicated_in_duckdb"] == 0
    assert set(report["endpoints"]) == {"ask", "retrieve", "turns"}
    assert report["requests"] == sum(row["n"] for row in report["endpoints"].values()) > 0
    assert report["server_cpu_ms_per_request"] > 0 and 0 < report["client_cpu_share"] < 1
    assert {name: row["n"] > 0 for name, row in report["cpu_by_endpoint"].items()} == dict.fromkeys(
        ("turns", "retrieve", "ask"), True)
