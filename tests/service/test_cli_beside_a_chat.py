"""Every store command while `convmem chat` runs as a real process on the same store: with
the chat serving the store (the default) they go through it; with ``--no-serve`` the chat
lets go of the store between its lines, and a line it cannot store is kept, not lost."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import httpx
import pytest

from service.server import SERVER_FILE
from tests.fixtures import jsonl_lines, run_cli, write_jsonl
from tests.service.chat_process import ChatProcess, StoreHolder

NOTED = "Noted; I'll remember that."


def _stats(capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    code, out, err = run_cli(["stats", "--json"], capsys)
    assert code == 0, err
    return dict(json.loads(out))


def _ingested(tmp_path: Path, capsys: pytest.CaptureFixture[str], conversation: str = "c") -> None:
    rows = write_jsonl(tmp_path / f"{conversation}.jsonl", jsonl_lines(conversation))
    code, out, err = run_cli(["ingest", str(rows)], capsys)
    assert code == 0 and "5 new turn(s)" in out, err


def test_every_store_command_goes_through_a_serving_chat(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ingested(tmp_path, capsys)
    chat = ChatProcess(cli_env, "-c", "c", "--now", "2024-01-06T10:00")
    try:
        chat.expect("Chat in conversation 'c', session 3", "you> ")
        assert (cli_env / SERVER_FILE).exists()
        chat.say("I bought a red kayak today.", NOTED)
        assert _stats(capsys) == {"conversations": 1, "sessions": 3, "turns": 7, "vectors": 7}

        code, out, err = run_cli(["sessions", "c", "--json"], capsys)
        assert code == 0, err
        assert [(s["index"], s["turns"]) for s in json.loads(out)] == [(1, 3), (2, 2), (3, 2)]
        code, out, err = run_cli(["show", "c", "--session", "3"], capsys)
        assert code == 0 and "user: I bought a red kayak today." in out and f"assistant: {NOTED}" in out, err
        assert "event time: 'today' = Sat 06 Jan 2024" in out  # the event times come through too
        code, _, err = run_cli(["show", "c", "--session", "9"], capsys)
        assert code == 1 and "sessions 1..3" in err and len(err.strip().splitlines()) == 1

        code, out, err = run_cli(["ask", "what did I buy today?", "-c", "c", "--now", "2024-01-06T10:05", "--json"], capsys)
        assert code == 0 and "kayak" in json.loads(out)["answer"], err
        more = write_jsonl(tmp_path / "d.jsonl", jsonl_lines("d"))
        code, out, err = run_cli(["ingest", str(more)], capsys)
        assert code == 0 and "5 new turn(s)" in out and "through http://127.0.0.1:" in out, err
        code, out, err = run_cli(["doctor"], capsys)
        assert code == 0 and out.startswith("ok: 12 turns, 12 vectors"), err
        code, out, err = run_cli(["doctor", "--check"], capsys)
        assert code == 0 and out.startswith("ok: 12 turns"), err

        code, out, err = run_cli(["forget", "d", "--yes"], capsys)
        assert code == 0 and "forgot conversation d: 5 turns" in out, err
        code, _, err = run_cli(["sessions", "d"], capsys)
        assert code == 4 and "no conversation 'd'" in err and "known: c" in err
        code, _, err = run_cli(["forget", "d", "--yes"], capsys)
        assert code == 4 and len(err.strip().splitlines()) == 1
        code, out, err = run_cli(["demo", "--reset", "--store", str(cli_env)], capsys)
        assert code == 0 and "'conversations': 2" in out and "'turns': 34" in out, err
        code, out, err = run_cli(["forget", "demo", "--yes"], capsys)
        assert code == 0 and "forgot conversation demo: 27 turns" in out, err
        code, _, err = run_cli(["generate", "questions", "--out", str(tmp_path / "q.jsonl")], capsys)
        assert code == 3 and "stop that server (or end the chat serving it) first" in err
        assert len(err.strip().splitlines()) == 1

        # a turn added to the chat's own conversation through its server...
        url = json.loads((cli_env / SERVER_FILE).read_text(encoding="utf-8"))["url"]
        added = httpx.post(f"{url}/conversations/c/turns", timeout=60, json={"turns": [
            {"speaker": "Ben", "text": "I keep my kayak at the marina.", "timestamp": "2024-01-06T10:10:00"}]})
        assert added.status_code == 200 and added.json()["added"] == 1
        # ...takes no id or place the chat then uses: its next line is stored after it
        chat.say("where do I keep the kayak?", "marina")
        assert chat.quit() == 0
    finally:
        chat.kill()
    assert not (cli_env / SERVER_FILE).exists()
    assert _stats(capsys) == {"conversations": 1, "sessions": 3, "turns": 10, "vectors": 10}
    code, out, _ = run_cli(["show", "c", "--session", "3"], capsys)
    said = [line.split(None, 5)[-1] for line in out.splitlines() if " s3 " in line]
    assert said[2:4] == ["Ben: I keep my kayak at the marina.", "user: where do I keep the kayak?"]


def test_a_chat_without_a_server_lets_go_of_the_store_between_lines(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ingested(tmp_path, capsys)
    chat = ChatProcess(cli_env, "-c", "c", "--now", "2024-01-06T10:00", "--no-serve",
                       env={"CONVMEM_STORE_WAIT_S": "0"})  # no waiting: a held store fails at once
    try:
        chat.expect("Chat in conversation 'c'", "you> ")
        assert not (cli_env / SERVER_FILE).exists()
        chat.say("I adopted a grey cat named Pixel.", NOTED)
        with duckdb.connect(str(cli_env / "memory.duckdb")) as con:  # read-write, between two lines
            said = con.execute("SELECT text FROM turns WHERE conversation_id = 'c' ORDER BY turn_order").fetchall()
        assert said[-2:] == [("I adopted a grey cat named Pixel.",), (NOTED,)]

        more = write_jsonl(tmp_path / "d.jsonl", jsonl_lines("d"))
        code, out, err = run_cli(["ingest", str(more)], capsys)
        assert code == 0 and "5 new turn(s)" in out and "through" not in out, err
        # a second chat without a server, on the same conversation, between the first one's lines
        other = ChatProcess(cli_env, "-c", "c", "--now", "2024-01-06T10:01", "--no-serve")
        try:
            other.expect("session 4", "you> ")
            other.say("My sister lives in Lisbon.", NOTED)
            assert other.quit() == 0
        finally:
            other.kill()
        chat.say("where does my sister live?", "Lisbon")  # the other chat's turn, in both stores
        chat.say("what is the name of my cat?", "Pixel")
        assert chat.quit() == 0
    finally:
        chat.kill()
    assert _stats(capsys) == {"conversations": 2, "sessions": 6, "turns": 18, "vectors": 18}
    code, out, _ = run_cli(["show", "c"], capsys)
    assert code == 0 and out.count("s4 Sat 2024-01-06 10:01 user: My sister lives in Lisbon.") == 1
    assert out.count("s3 Sat 2024-01-06 10:00 user: I adopted a grey cat named Pixel.") == 1
    assert out.count("user: where does my sister live?") == 1
    code, out, _ = run_cli(["doctor", "--check"], capsys)
    assert code == 0 and out.startswith("ok: 18 turns, 18 vectors")


def test_a_line_the_busy_store_refuses_is_kept_and_stored_later(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ingested(tmp_path, capsys)
    chat = ChatProcess(cli_env, "-c", "c", "--now", "2024-01-06T10:00", "--no-serve",
                       env={"CONVMEM_STORE_WAIT_S": "0.5"})
    holder: StoreHolder | None = None
    try:
        chat.expect("you> ")
        holder = StoreHolder(cli_env)
        said = chat.say("I planted tulips by the gate.", "(waiting up to 0.5 s for the store",
                        f"in use by process {holder.pid}", "Not stored yet, and kept: 1 line(s)")
        assert NOTED not in said
        holder.release()
        chat.say("I painted the fence blue.", NOTED)  # the kept line is stored first
        assert chat.quit() == 0
    finally:
        chat.kill()
        if holder is not None:
            holder.release()
    code, out, _ = run_cli(["show", "c", "--session", "3"], capsys)
    lines = [line.split(": ", 1)[1] for line in out.splitlines()]
    assert code == 0 and lines == ["I planted tulips by the gate.", "I painted the fence blue.", NOTED]


def test_a_line_still_unstored_at_the_end_waits_for_the_next_chat(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _ingested(tmp_path, capsys)
    chat = ChatProcess(cli_env, "-c", "c", "--now", "2024-01-06T10:00", "--no-serve",
                       env={"CONVMEM_STORE_WAIT_S": "0.2"})
    holder: StoreHolder | None = None
    try:
        chat.expect("you> ")
        holder = StoreHolder(cli_env)
        chat.say("My passport number ends in 42.", "Not stored yet, and kept")
        chat.send("/quit")
        chat.expect("Kept 1 unstored line(s) in", "chat_unsaved.jsonl")
        assert chat.process.wait(60) == 0
    finally:
        chat.kill()
        if holder is not None:
            holder.release()
    assert (cli_env / "chat_unsaved.jsonl").exists()
    later = ChatProcess(cli_env, "-c", "c", "--now", "2024-01-06T11:00")
    try:
        later.expect("Stored 1 line(s) an earlier chat could not store.", "you> ")
        later.say("what does my passport number end in?", "42")
        assert later.quit() == 0
    finally:
        later.kill()
    assert not (cli_env / "chat_unsaved.jsonl").exists()
    code, out, _ = run_cli(["show", "c"], capsys)
    assert code == 0 and out.count("s2 Sat 2024-01-06 10:00 user: My passport number ends in 42.") == 1
