"""The store commands driven through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import jsonl_lines, run_cli, tmd_log, write_json, write_jsonl


def test_ingest_stats_sessions_show_doctor(cli_env: Path, tmp_path: Path, capsys) -> None:
    log = write_json(tmp_path / "12.json", tmd_log(sessions=3))
    code, out, _ = run_cli(["ingest", str(log)], capsys)
    assert code == 0 and "12 new turn(s)" in out
    code, out, _ = run_cli(["stats", "--json"], capsys)
    assert json.loads(out) == {"conversations": 1, "sessions": 3, "turns": 12, "vectors": 12}
    code, out, _ = run_cli(["sessions", "12", "--json"], capsys)
    rows = json.loads(out)
    assert [r["index"] for r in rows] == [1, 2, 3] and rows[0]["weekday"] == "Friday"
    code, out, _ = run_cli(["show", "12", "--session", "2"], capsys)
    assert code == 0 and "Session 2 turn 3" in out and "Session 1" not in out
    code, out, _ = run_cli(["doctor"], capsys)
    assert code == 0 and out.startswith("ok")


def test_store_flag_overrides_environment(cli_env: Path, tmp_path: Path, capsys) -> None:
    other = tmp_path / "other"
    rows = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    assert run_cli(["ingest", str(rows), "--store", str(other)], capsys)[0] == 0
    assert (other / "memory.duckdb").exists() and not cli_env.exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{broken", "malformed JSON"),
        ('{"conversation": "c", "speaker": "u", "text": "", "timestamp": "2024-01-01T10:00"}', "empty text"),
    ],
)
def test_bad_input_is_one_red_line_nonzero_exit_nothing_written(
    cli_env: Path, tmp_path: Path, capsys, content: str, fragment: str
) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", jsonl_lines("good"))
    assert run_cli(["ingest", str(good)], capsys)[0] == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content + "\n", encoding="utf-8")
    code, out, err = run_cli(["ingest", str(good), str(bad)], capsys)
    assert code == 2
    assert fragment in err and str(bad) in err and len(err.strip().splitlines()) == 1
    code, out, _ = run_cli(["stats", "--json"], capsys)
    assert json.loads(out)["turns"] == 5


def test_missing_store_and_unknown_conversation(cli_env: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(["stats"], capsys)
    assert code == 3 and "convmem ingest" in err
    write = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    run_cli(["ingest", str(write)], capsys)
    code, _, err = run_cli(["sessions", "nope"], capsys)
    assert code == 4 and "known: c" in err


def test_demo_builds_a_memory(cli_env: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run_cli(["demo", "--store", str(tmp_path / "demo")], capsys)
    assert code == 0 and "'turns': 27" in out and "Monday" in out


@pytest.mark.parametrize("args", [["sessions"], ["ingest"], ["stats", "--no-such-flag"]])
def test_usage_errors_are_a_message_and_exit_2_not_a_traceback(
    cli_env: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert "Traceback" not in err and ("Missing" in err or "No such option" in err)


def test_show_prints_the_event_times_of_turns(cli_env: Path, tmp_path: Path, capsys) -> None:
    rows = [
        {"conversation": "ev", "speaker": "Ann", "text": "I ran a charity race last Saturday!",
         "timestamp": "2023-05-25T14:00:00", "session": 1},
        {"conversation": "ev", "speaker": "Bo", "text": "Wow, how far?", "timestamp": "2023-05-25T14:01:00",
         "session": 1},
    ]
    path = tmp_path / "ev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert run_cli(["ingest", str(path)], capsys)[0] == 0
    code, out, _ = run_cli(["show", "ev", "--session", "1"], capsys)
    assert code == 0 and "event time: 'last Saturday' = Sat 20 May 2023 (day)" in out
    assert out.count("event time") == 1
