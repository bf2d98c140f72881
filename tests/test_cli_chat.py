"""``convmem chat`` and ``convmem ask`` driven through the real CLI entry point, with
scripted stdin, a hash-embedder store in a temp dir, and no LLM unless a test sets one."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.chat import NOTED, ChatSession
from convmem.compose import open_store
from convmem.config import Settings
from convmem.storage.memory import MemoryStore
from tests.fixtures import run_cli, tmd_log, write_json
from tests.llm.llama import free_port

START = datetime(2024, 3, 1, 10, 0)


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_cli(args, capsys)


def lines(*texts: str) -> str:
    return "".join(t + "\n" for t in texts)


def opened() -> MemoryStore:
    return open_store(Settings.from_env())


@pytest.fixture
def unreachable_llm(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("CONVMEM_LLM_BASE_URL", url)
    monkeypatch.setenv("CONVMEM_LLM_MODEL", "some-model")
    monkeypatch.setenv("CONVMEM_LLM_MAX_RETRIES", "0")
    return url


def test_chat_stores_each_turn_in_both_stores_and_answers_from_them(
    cli_env: Path, capsys, monkeypatch
) -> None:
    script = lines(
        "My sister adopted a puppy named Biscuit.",
        "What is the name of the puppy my sister adopted?",
        "/explain",
        "/quit",
        "this line is never read",
    )
    code, out, err = run(["chat", "--now", START.isoformat(), "--as", "Ana"], capsys, monkeypatch, script)
    assert code == 0 and err == ""
    assert out.count("No LLM configured") == 1 and "session 1" in out
    assert "“My sister adopted a puppy named Biscuit.” [t:0]" in out
    assert "rewritten: What is the name of the puppy my sister adopted? (none)" in out
    assert "chain: hybrid search" in out and "[t:0] s1 Fri 2024-03-01 10:00 Ana: My sister" in out
    with opened() as memory:
        turns = memory.turns("chat")
        assert [(t.turn_id, t.speaker, t.session_index) for t in turns] == [
            ("0", "Ana", 1), ("1", "assistant", 1), ("2", "Ana", 1), ("3", "assistant", 1),
        ]
        assert START <= turns[0].spoken_at <= turns[-1].spoken_at < START + timedelta(minutes=1)
        assert memory.vectors.all_ids() == {f"chat#{t.turn_id}" for t in turns}
        assert "this line" not in " ".join(t.text for t in turns)


def test_a_new_chat_is_a_new_session_and_last_time_is_the_one_before(
    cli_env: Path, capsys, monkeypatch
) -> None:
    run(["chat", "--now", START.isoformat()], capsys, monkeypatch, lines("I repaired the bike chain."))
    later = (START + timedelta(days=1)).isoformat()
    code, out, _ = run(["chat", "--now", later], capsys, monkeypatch,
                       lines("What did we talk about last time?", "/sessions", "/help", "/nope"))
    assert code == 0 and "session 2" in out
    assert "Session 1, Friday 2024-03-01:" in out and "“I repaired the bike chain.” [t:0]" in out
    assert "2  Sat 2024-03-02 10:00  2 turns (this chat)" in out
    assert "/explain" in out and "Unknown command /nope" in out


def test_chat_refuses_a_clock_before_the_conversation_ends(cli_env: Path, capsys, monkeypatch) -> None:
    run(["chat", "--now", START.isoformat()], capsys, monkeypatch, lines("Hello there."))
    code, _, err = run(["chat", "--now", "2024-02-01T10:00"], capsys, monkeypatch, lines("Hi."))
    assert code == 2 and "give a later --now" in err and err.count("\n") == 1


def test_chat_goes_on_when_the_llm_is_unreachable(
    cli_env: Path, unreachable_llm: str, capsys, monkeypatch
) -> None:
    script = lines("I adopted a cat called Miso.", "What is my cat called?")
    code, out, _ = run(["chat", "--now", START.isoformat()], capsys, monkeypatch, script)
    assert code == 0 and "No LLM configured" not in out
    assert f"you> {NOTED}" in out  # a statement is remembered, not answered: no call
    assert out.count("(The LLM was unavailable: cannot reach the LLM at") == 1
    assert "“I adopted a cat called Miso.” [t:0]" in out
    with opened() as memory:
        said = [t.text for t in memory.turns("chat") if t.speaker == "user"]
    assert said == ["I adopted a cat called Miso.", "What is my cat called?"]


def test_a_follow_up_finds_what_was_said_a_minute_ago(store: MemoryStore, settings: Settings) -> None:
    ticks = iter(START + timedelta(minutes=i) for i in range(100))
    shown: list[str] = []
    chat = ChatSession(store, settings, clock=lambda: next(ticks), output=shown.append, speaker="Ana")
    chat.handle("We finally booked the trip to Lisbon for June.")
    result = chat.say("Which city did we book the trip to?")
    assert result.turn_ids[0] == "0" and "[t:0]" in result.text
    said = store.turns("chat")
    assert said[2].spoken_at - said[0].spoken_at == timedelta(minutes=2)
    assert [v.split("#")[1] for v in sorted(store.vectors.all_ids())] == ["0", "1", "2", "3"]


def test_a_chat_turn_gets_its_event_time_as_it_is_written(store: MemoryStore, settings: Settings) -> None:
    ticks = iter(START + timedelta(minutes=i) for i in range(100))
    chat = ChatSession(store, settings, clock=lambda: next(ticks), output=lambda _: None, speaker="Ana")
    chat.handle("I started pottery classes yesterday.")
    times = store.turn_times("chat", ["0"])["0"]
    assert [(t.expression, t.start) for t in times] == [("yesterday", (START - timedelta(days=1)).date())]


# ---- ask ---------------------------------------------------------------------------------

@pytest.fixture
def ingested(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> Path:
    log = write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))
    assert run(["ingest", str(log)], capsys, monkeypatch)[0] == 0
    return cli_env


def test_ask_json_shape(ingested: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    context = write_json(tmp_path / "dialogue.json", [
        {"speaker": "Ana", "text": "I see in my calendar that we talked 9 days ago."},
        {"speaker": "Ben", "text": "Yes! We did talk then."},
    ])
    code, out, _ = run(["ask", "Can you summarize what we discussed?", "-c", "c", "--now",
                        "2023-05-14T09:00", "--context", str(context), "--json"], capsys, monkeypatch)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"answer", "rewritten_query", "plan", "turn_ids", "latency_ms"}
    assert data["turn_ids"] == ["0", "1", "2", "3"] and "[t:0]" in data["answer"]
    assert data["rewritten_query"] == "Can you summarize what we discussed? [9 days ago]"
    assert data["plan"]["conversation_id"] == "c" and data["latency_ms"] > 0


def test_ask_prints_the_answer(ingested: Path, capsys, monkeypatch) -> None:
    code, out, _ = run(["ask", "What did we talk about in our second session?", "-c", "c",
                        "--now", "2023-05-14T09:00"], capsys, monkeypatch)
    assert code == 0 and out.startswith("From memory (4 turns in 1 session)") and "[t:4]" in out
    with opened() as memory:
        assert memory.stats().turns == 16  # asking stores nothing


def test_ask_with_an_unreachable_llm_answers_and_exits_nonzero(
    ingested: Path, unreachable_llm: str, capsys, monkeypatch
) -> None:
    code, out, err = run(["ask", "What did we talk about in our second session?", "-c", "c",
                          "--now", "2023-05-14T09:00"], capsys, monkeypatch)
    assert code == 7 and "[t:4]" in out
    assert err.count("\n") == 1 and "cannot reach the LLM at" in err and unreachable_llm in err


@pytest.mark.parametrize(
    ("setup", "args", "exit_code", "fragment"),
    [
        ("missing", [], 3, "no convmem store at"),
        ("corrupt", [], 3, "cannot open"),
        ("empty", [], 4, "is empty; run `convmem ingest"),
        ("ingested", ["-c", "nope"], 4, "no conversation 'nope'"),
        ("ingested", ["-c", "c", "--now", "yesterday"], 2, "--now: unparseable timestamp"),
        ("ingested", ["-c", "c", "--context", "BAD"], 2, "expected a JSON list"),
    ],
)
def test_ask_errors_are_one_line_and_nonzero(
    cli_env: Path, tmp_path: Path, capsys, monkeypatch, setup: str, args: list[str], exit_code: int, fragment: str
) -> None:
    if setup == "corrupt":
        cli_env.mkdir()
        (cli_env / "memory.duckdb").write_bytes(b"this is not a database" * 100)
    elif setup == "empty":
        open_store(Settings.from_env(), create=True).close()
    elif setup == "ingested":
        run(["ingest", str(write_json(tmp_path / "c.json", tmd_log(sessions=1)))], capsys, monkeypatch)
    bad = write_json(tmp_path / "bad.json", {"speaker": "x"})
    args = [str(bad) if a == "BAD" else a for a in args]
    code, out, err = run(["ask", "what did we say?", *args], capsys, monkeypatch)
    assert code == exit_code and out == ""
    assert err.startswith("error:") and fragment in err and err.count("\n") == 1
