"""What the chat stores and marks, end to end through the CLI on a real store: the chat's
questions and its own answers are kept but never come back as evidence; statements are
remembered, not searched; a question about the chat itself may use them."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from agent.chat import NOTED
from convmem.compose import open_store
from convmem.config import Settings
from convmem.storage.migrations import MIGRATIONS, migrate
from convmem.types import ANSWER, QUESTION, SAID
from tests.fixtures import run_cli, write_jsonl

MOMENT = datetime(2023, 7, 14, 18, 0)
SAID_TEXTS = (
    ("Melanie", "I finally signed up for a pottery class in July, the clay is so calming."),
    ("Caroline", "That sounds lovely! What did you make first?"),
    ("Melanie", "A lopsided bowl, but the pottery teacher said it had character."),
    ("Caroline", "I went to a support group meeting last night, it really helped."),
    ("Melanie", "I am proud of you. The kids and I went camping at the lake."),
    ("Caroline", "Camping sounds fun, did they like the tent?"),
)


def run(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_cli(args, capsys)


@pytest.fixture
def pottery(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> Path:
    rows = [
        {"conversation": "26", "speaker": who, "text": text, "session": 1,
         "timestamp": (MOMENT + timedelta(minutes=i)).isoformat()}
        for i, (who, text) in enumerate(SAID_TEXTS)
    ]
    path = write_jsonl(tmp_path / "26.jsonl", rows)
    assert run(["ingest", str(path)], capsys, monkeypatch)[0] == 0
    return cli_env


def roles() -> dict[str, tuple[str, str]]:
    with open_store(Settings.from_env()) as memory:
        return {t.turn_id: (t.role, t.text) for t in memory.turns("26" if memory.conversation("26") else "chat")}


def test_retrieve_after_a_chat_never_returns_the_chats_question_or_answer(
    pottery: Path, capsys, monkeypatch
) -> None:
    question = "what did Melanie say about pottery in July?\n"
    chat = ["chat", "-c", "26", "--as", "Caroline", "--now", "2023-10-25T10:00"]
    code, out, _ = run(chat, capsys, monkeypatch, question)
    assert code == 0 and "[t:0]" in out  # the pottery turn answers it
    stored = roles()
    assert [stored[t][0] for t in sorted(stored, key=int)] == [SAID] * 6 + [QUESTION, ANSWER]
    for args in (["--retriever", "agent"], ["--retriever", "hybrid@10"], ["--retriever", "semantic@10"],
                 ["--retriever", "bm25@10"]):
        code, out, _ = run(["retrieve", "Melanie pottery class", "-c", "26", "--json", *args], capsys, monkeypatch)
        found = json.loads(out)["turn_ids"]
        assert code == 0 and found and found[0] in ("0", "2"), args
        assert not {"6", "7"} & set(found), args  # neither the question nor the answer
    # asking the same question again in a new chat cites what was said, not the first chat
    later = ["chat", "-c", "26", "--as", "Caroline", "--now", "2023-10-26T10:00"]
    code, out, _ = run(later, capsys, monkeypatch, question + "What did we talk about last time?\n")
    assert code == 0 and "[t:6]" not in out and "[t:7]" not in out and "[t:0]" in out


def test_a_statement_is_remembered_and_found_by_a_later_question(cli_env: Path, capsys, monkeypatch) -> None:
    script = "I just started learning Portuguese.\n" + "What did I say I was learning?\n" * 2
    code, out, _ = run(["chat", "--now", "2024-03-01T10:00", "--as", "Ana"], capsys, monkeypatch, script)
    assert code == 0
    assert out.count(NOTED) == 1 and "nothing relevant" not in out
    answers = out.split("you> ")[2:4]
    for answer in answers:  # both times: the statement, never a copy of the question
        assert "“I just started learning Portuguese.” [t:0]" in answer
        assert "What did I say" not in answer
    stored = roles()
    assert [stored[str(i)][0] for i in range(6)] == [SAID, ANSWER, QUESTION, ANSWER, QUESTION, ANSWER]
    assert stored["1"][1] == NOTED


def test_a_question_about_the_chat_itself_finds_the_earlier_question(cli_env: Path, capsys, monkeypatch) -> None:
    script = "Where did my brother move to?\n" + "What did I ask you a few minutes ago?\n"
    code, out, _ = run(["chat", "--now", "2024-03-01T10:00", "--as", "Ana"], capsys, monkeypatch, script)
    assert code == 0
    last = out.split("you> ")[2]
    assert "“Where did my brother move to?” [t:0]" in last
    assert "What did I ask you" not in last  # the question being asked is never its own evidence


def test_roles_migration_keeps_stored_turns_as_said(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    names = [m.name for m in MIGRATIONS]
    migrate(con, MIGRATIONS[: names.index("turn_roles")])
    con.execute("INSERT INTO turns VALUES ('c', '0', 0, 1, 0, 'A', 'hello', TIMESTAMP '2024-02-29 18:30:00')")
    assert "turn_roles" in migrate(con)
    assert con.execute("SELECT role, text FROM turns").fetchall() == [(SAID, "hello")]


def test_nonsense_gets_nothing_and_the_closest_turn_only_when_asked(
    pottery: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("CONVMEM_CONTENT_FLOOR", "0.3")  # the hash embedder has no measured floor
    script = "purple monkey dishwasher quantum banana?\n/closest\nWhat did Melanie say about the pottery class?\n/closest\n"
    chat = ["chat", "-c", "26", "--as", "Caroline", "--now", "2023-10-25T10:00"]
    code, out, _ = run(chat, capsys, monkeypatch, script)
    assert code == 0
    nonsense, closest, pottery_answer, none_closer = out.split("you> ")[1:5]
    assert nonsense.startswith("Memory holds nothing relevant to that.") and "/closest shows" in nonsense
    assert closest.startswith("Closest, though not close enough to answer from: [t:")
    assert "[t:0]" in pottery_answer and "/closest shows" not in pottery_answer
    assert none_closer.startswith("The last answer had turns close enough")
    code, out, _ = run(["ask", "purple monkey dishwasher quantum banana", "-c", "26", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["turn_ids"] == []
