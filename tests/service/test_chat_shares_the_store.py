"""While `convmem chat` runs, other commands on its store succeed (through the chat)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.launch import ROOT
from service.server import SERVER_FILE
from tests.fixtures import jsonl_lines, run_cli, write_jsonl
from tests.service.conftest import server_env


def test_stats_ask_ingest_while_a_chat_is_open(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    assert run_cli(["ingest", str(rows)], capsys)[0] == 0
    chat = subprocess.Popen(
        [sys.executable, "-c", "import cli; cli.main()", "chat", "-c", "c", "--now", "2024-01-06T10:00",
         "--store", str(cli_env)],
        env={**server_env(), "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (cli_env / SERVER_FILE).exists() and time.monotonic() < deadline and chat.poll() is None:
            time.sleep(0.05)
        assert (cli_env / SERVER_FILE).exists()
        assert chat.stdin is not None
        chat.stdin.write("I bought a red kayak today\n")
        chat.stdin.flush()
        code, out, err = run_cli(["stats", "--json"], capsys)
        assert code == 0, err
        more = write_jsonl(tmp_path / "d.jsonl", jsonl_lines("d"))
        code, out, err = run_cli(["ingest", str(more)], capsys)
        assert code == 0 and "5 new turn(s)" in out, err
        code, out, err = run_cli(["ask", "what did we talk about last time?", "-c", "d", "--now", "2024-01-06T10:00", "--json"], capsys)
        assert code == 0 and json.loads(out)["turn_ids"] == ["3", "4"], err
        for _ in range(100):  # the chat's own turn and its answer arrive
            code, out, _ = run_cli(["stats", "--json"], capsys)
            if json.loads(out)["turns"] == 12:
                break
            time.sleep(0.1)
        assert json.loads(out) == {"conversations": 2, "sessions": 5, "turns": 12, "vectors": 12}
        output, _ = chat.communicate("/quit\n", timeout=60)
        assert chat.returncode == 0 and output.count("you> ") == 2
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait(10)
    assert not (cli_env / SERVER_FILE).exists()
    code, out, _ = run_cli(["stats", "--json"], capsys)  # the store is free again
    assert code == 0 and json.loads(out)["turns"] == 12
