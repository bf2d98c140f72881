"""`convmem eval ...` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.eval.tmd_layout import LAST_SESSION_START, write_tmd
from tests.fixtures import run_cli


def test_eval_tmd_writes_results_and_prints_a_table(cli_env: Path, tmp_path: Path, capsys) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    out = tmp_path / "out"
    code, stdout, _ = run_cli(["eval", "tmd", str(dataset), "--retriever", "bm25@4,semantic@2", "--out", str(out)], capsys)
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert list(results["retrievers"]) == ["bm25@4", "semantic@2"]
    assert results["retrievers"]["bm25@4"]["categories"]["time"]["n"] == 2
    assert "bm25@4" in stdout and "time_content" in stdout and "report.md" in stdout
    assert (out / "store" / "memory.duckdb").exists() and not cli_env.exists()


def test_eval_tmd_unknown_retriever_is_one_red_line(cli_env: Path, tmp_path: Path, capsys) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    code, _, err = run_cli(["eval", "tmd", str(dataset), "--retriever", "dense@5", "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert err.strip().startswith("error: unknown retriever 'dense@5'")
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_eval_questions_against_the_ingested_store(cli_env: Path, tmp_path: Path, capsys) -> None:
    dataset = write_tmd(tmp_path / "tmd")
    assert run_cli(["ingest", str(dataset / "ConversationData")], capsys)[0] == 0
    rows = [
        {"id": "q1", "conversation_id": "7", "asked_at": LAST_SESSION_START.isoformat(),
         "question": "Who made a blue bowl?", "category": "content", "subtype": "object",
         "relevant_turn_ids": ["2"]},
    ]
    source = tmp_path / "q.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    code, stdout, _ = run_cli(["eval", "questions", str(source), "--retriever", "bm25@4", "--out", str(out)], capsys)
    assert code == 0 and "content" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["retrievers"]["bm25@4"]["categories"]["content"]["recall"] == 1.0
    rows[0]["conversation_id"] = "99"
    source.write_text(json.dumps(rows[0]) + "\n")
    code, _, err = run_cli(["eval", "questions", str(source), "--retriever", "bm25@4", "--out", str(out)], capsys)
    assert code == 4 and "conversation '99'" in err and "ingest" in err
