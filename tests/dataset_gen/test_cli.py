"""The generate commands through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

from convmem.questions import read_questions
from tests.fixtures import run_cli


def test_simulate_ingest_count_sessions_then_questions(
    cli_env: Path, tmp_path: Path, capsys
) -> None:
    transcript = tmp_path / "sim.jsonl"
    code, out, _ = run_cli(
        ["generate", "conversations", "--sessions", "30", "--seed", "3", "--out", str(transcript)],
        capsys,
    )
    assert code == 0 and "30 sessions" in out
    assert run_cli(["ingest", str(transcript)], capsys)[0] == 0
    code, out, _ = run_cli(["sessions", "sim-0001", "--json"], capsys)
    rows = json.loads(out)
    assert [r["index"] for r in rows] == list(range(1, 31))
    starts = [r["start"] for r in rows]
    assert starts == sorted(starts)

    questions = tmp_path / "q.jsonl"
    args = [
        "generate",
        "questions",
        "--ambiguous",
        "--per-family",
        "2",
        "--seed",
        "9",
        "--out",
        str(questions),
    ]
    code, out, _ = run_cli(args, capsys)
    assert code == 0 and "questions" in out
    parsed = list(read_questions(questions))
    assert {q.subtype for q in parsed} >= {"session", "rel_day", "week", "content_time"}
    assert any(q.ambiguous for q in parsed)
    first = questions.read_bytes()
    assert run_cli(args, capsys)[0] == 0 and questions.read_bytes() == first

    folder = tmp_path / "TestData"
    code, out, _ = run_cli(
        [
            "generate",
            "questions",
            "--format",
            "tmd",
            "--families",
            "session,rel_day",
            "--families",
            "content_time",
            "--conversation",
            "sim-0001",
            "--out",
            str(folder),
        ],
        capsys,
    )
    assert code == 0
    assert sorted(p.name for p in folder.rglob("*.json")) == [
        "content_time_qs.json",
        "test_rel_day.json",
        "test_session.json",
    ]


def test_conversations_are_byte_identical_for_a_seed(cli_env: Path, tmp_path: Path, capsys) -> None:
    outs = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        path = tmp_path / f"{name}.jsonl"
        assert (
            run_cli(
                [
                    "generate",
                    "conversations",
                    "--sessions",
                    "4",
                    "--conversations",
                    "3",
                    "--seed",
                    seed,
                    "--out",
                    str(path),
                ],
                capsys,
            )[0]
            == 0
        )
        outs.append(path.read_bytes())
    assert outs[0] == outs[1] != outs[2]


def test_turn_budget_and_bad_options(cli_env: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "t.jsonl"
    code = run_cli(
        ["generate", "conversations", "--sessions", "5", "--turns", "500", "--out", str(path)],
        capsys,
    )[0]
    assert code == 0 and len(path.read_text().splitlines()) == 500
    run_cli(["ingest", str(path)], capsys)
    code, _, err = run_cli(
        ["generate", "questions", "--families", "nope", "--out", str(tmp_path / "q.jsonl")], capsys
    )
    assert code == 2 and "unknown question family nope" in err
    code, _, err = run_cli(
        ["generate", "questions", "--anchoring", "lunar", "--out", str(tmp_path / "q.jsonl")],
        capsys,
    )
    assert code == 2 and "calendar" in err
    code, _, err = run_cli(
        ["generate", "questions", "--asked-at", "soon", "--out", str(tmp_path / "q.jsonl")], capsys
    )
    assert code == 2 and "--asked-at" in err
    code, _, err = run_cli(
        ["generate", "questions", "--conversation", "ghost", "--out", str(tmp_path / "q.jsonl")],
        capsys,
    )
    assert code == 4 and "ghost" in err
