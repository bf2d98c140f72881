"""CLI commands on a store a server owns go through the server (DuckDB has one writer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.launch import ServerProcess
from tests.fixtures import jsonl_lines, run_cli, write_jsonl


def test_stats_ingest_ask_retrieve_while_a_server_owns_the_store(
    server: ServerProcess, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(server.store)]
    rows = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    code, out, err = run_cli(["ingest", str(rows), *store], capsys)
    assert code == 0 and "5 new turn(s)" in out and server.url in out, err
    assert run_cli(["ingest", str(rows), *store], capsys)[1].count("0 new turn(s)") == 1
    code, out, _ = run_cli(["stats", "--json", *store], capsys)
    assert code == 0 and json.loads(out) == {"conversations": 1, "sessions": 2, "turns": 5, "vectors": 5}
    code, out, _ = run_cli(["ask", "what did we talk about last time?", "-c", "c", "--now", "2024-01-06T10:00", "--json", *store], capsys)
    answer = json.loads(out)
    assert code == 0 and answer["turn_ids"] == ["3", "4"] and answer["plan"] is not None
    code, out, _ = run_cli(["retrieve", "what did we talk about last time?", "-c", "c", "--now", "2024-01-06T10:00", "--json", *store], capsys)
    assert code == 0 and json.loads(out)["turn_ids"] == ["3", "4"]
    code, _, err = run_cli(["ask", "hello?", "-c", "nobody", *store], capsys)
    assert code == 4 and len(err.strip().splitlines()) == 1


def test_a_stale_server_file_is_ignored(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    assert run_cli(["ingest", str(rows)], capsys)[0] == 0
    (cli_env / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 2**22 + 1}))
    code, out, _ = run_cli(["stats", "--json"], capsys)
    assert code == 0 and json.loads(out)["turns"] == 5


def test_chat_on_a_store_a_server_holds_says_so(server: ServerProcess, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["chat", "--store", str(server.store)], capsys)
    assert code == 1 and server.url in err and len(err.strip().splitlines()) == 1


def test_doctor_through_a_server_checks_and_leaves_a_repair_to_the_store_alone(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from convmem.compose import open_store
    from convmem.config import Settings
    from service.background import serving
    from service.memory import MemoryService

    rows = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    assert run_cli(["ingest", str(rows)], capsys)[0] == 0
    cfg = Settings.from_env()
    memory = open_store(cfg)
    service = MemoryService(memory, cfg)
    try:
        memory.vectors.delete(["c#2"])  # out of step: a turn without its vector
        with serving(service) as url:
            code, out, err = run_cli(["doctor", "--check"], capsys)
            assert code == 1 and out.startswith("out of step: 5 turns, 4 vectors, 1 turns without a vector"), err
            code, out, err = run_cli(["doctor"], capsys)
            assert code == 3 and url in err and "stop that server" in err and len(err.strip().splitlines()) == 1
            code, out, err = run_cli(["show", "c", "--session", "1"], capsys)
            assert code == 0 and out.count(" s1 ") == 3, err
    finally:
        service.close()
    code, out, err = run_cli(["doctor"], capsys)  # the store alone: repaired
    assert code == 0 and out.startswith("repaired: 5 turns"), err
