"""The demo starts fresh: ``chat --demo`` opens a new copy each time unless ``--keep``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from convmem.config import Settings
from tests.fixtures import run_cli

FIRST = "What did we talk about last time?\n"


def run(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_cli(args, capsys)


def first_answer(out: str) -> str:
    return out.split("you> ")[1]


def kept_demo() -> Path:
    return Settings.from_env().store.parent / "convmem-demo"


def test_two_demo_chats_give_the_same_first_answer_and_keep_nothing(cli_env: Path, capsys, monkeypatch) -> None:
    code, out1, _ = run(["chat", "--demo", "--now", "2026-01-05T10:00"], capsys, monkeypatch, FIRST + "Hello again?\n")
    assert code == 0 and "A new copy of the demo memory" in out1
    code, out2, _ = run(["chat", "--demo", "--now", "2026-01-05T10:00"], capsys, monkeypatch, FIRST)
    assert code == 0 and "session 6," in out1 and "session 6," in out2  # the demo has five sessions
    assert first_answer(out1) == first_answer(out2)
    assert "[t:" in first_answer(out1) and "Hello again" not in out2
    assert not kept_demo().exists() and not cli_env.exists()


def test_keep_keeps_the_demo_and_reset_starts_it_again(cli_env: Path, capsys, monkeypatch) -> None:
    args = ["chat", "--demo", "--keep", "--now", "2026-01-05T10:00"]
    assert run(args, capsys, monkeypatch, FIRST)[0] == 0
    code, out, _ = run(["chat", "--demo", "--keep", "--now", "2026-01-06T10:00"], capsys, monkeypatch, "/quit\n")
    assert code == 0 and "session 7," in out and "A new copy" not in out
    code, out, _ = run(["demo", "--reset"], capsys, monkeypatch)
    assert code == 0 and "'turns': 27" in out
    code, out, _ = run(args, capsys, monkeypatch, "/quit\n")
    assert code == 0 and "session 6," in out


def test_reset_touches_only_the_demo_conversation(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    other = tmp_path / "mine"
    assert run(["chat", "--store", str(other), "--now", "2026-01-05T10:00"], capsys, monkeypatch, "I own a kayak.\n")[0] == 0
    assert run(["chat", "--demo", "--store", str(other), "--now", "2026-01-05T10:00"], capsys, monkeypatch, FIRST)[0] == 0
    code, out, _ = run(["demo", "--reset", "--store", str(other)], capsys, monkeypatch)
    assert code == 0 and "'conversations': 2" in out and "'turns': 29" in out  # 27 demo + 2 of the chat
