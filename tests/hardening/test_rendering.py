"""Stored text reaches the terminal as plain text: Rich markup is shown, not obeyed, and
escape sequences are made visible, in show, retrieve (table and --explain), ask and chat."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from convmem.display import visible
from tests.fixtures import run_cli

PAYLOADS = [
    "I love brackets [/]",
    "see [link=http://evil.example]my site[/link] now",
    "title \x1b]0;PWNED\x07\x1b[2J cleared",
    "bold [bold red]shout[/bold red] and \r overwrite \u202e reversed",
]
ESCAPE_BYTES = ("\x1b", "\x07", "\r", "\u202e")


@pytest.fixture
def hostile_store(cli_env: Path, tmp_path: Path, capsys) -> Path:
    rows = [
        {"conversation": "x", "speaker": "u[b]", "text": text, "timestamp": f"2024-01-01T10:0{i}"}
        for i, text in enumerate(PAYLOADS)
    ]
    path = tmp_path / "evil.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run_cli(["ingest", str(path)], capsys)[0] == 0
    return cli_env


def flat(out: str) -> str:
    return " ".join(out.split())  # Rich wraps long lines at spaces


def assert_plain(out: str) -> None:
    assert not any(c in out for c in ESCAPE_BYTES)
    out = flat(out)
    assert "\\x1b]0;PWNED\\x07\\x1b[2J" in out
    assert "[/]" in out and "[bold red]shout[/bold red]" in out


def test_visible_keeps_text_and_shows_controls() -> None:
    assert visible("a\tb\nc") == "a\tb\nc"
    assert visible("\x1b[2J\x07\x00\x7f\x9b") == "\\x1b[2J\\x07\\x00\\x7f\\x9b"
    assert visible("x\u202ey\ud800") == "x\\u202ey\\ud800"
    assert visible("naïve 東京 🙂") == "naïve 東京 🙂"


def test_show_prints_stored_markup_and_escapes_as_text(hostile_store: Path, capsys) -> None:
    code, out, err = run_cli(["show", "x"], capsys)
    assert code == 0 and err == ""
    assert_plain(out)
    assert "[link=http://evil.example]my site[/link]" in flat(out) and "u[b]:" in out


def test_retrieve_table_and_explain_print_text_not_markup(hostile_store: Path, capsys) -> None:
    code, out, _ = run_cli(["retrieve", "brackets PWNED shout evil [/] \x1b[2J", "-c", "x",
                            "--now", "2024-01-02T10:00", "--explain"], capsys)
    assert code == 0
    assert not any(c in out for c in ESCAPE_BYTES)
    assert "[/]" in out and "[link=http://evil." in out


def test_ask_and_chat_show_escapes(hostile_store: Path, capsys, monkeypatch) -> None:
    code, out, _ = run_cli(["ask", "what about brackets, shout, evil and PWNED?", "-c", "x",
                            "--now", "2024-01-02T10:00"], capsys)
    assert code == 0
    assert_plain(out)
    monkeypatch.setattr("sys.stdin", io.StringIO("what about brackets, shout, evil and PWNED?\n/quit\n"))
    code, out, _ = run_cli(["chat", "-c", "x", "--as", "u[b]", "--now", "2024-01-03T10:00"], capsys)
    assert code == 0
    assert_plain(out)


def test_an_error_naming_stored_text_is_not_markup(hostile_store: Path, capsys) -> None:
    code, _, err = run_cli(["sessions", "[red]nope[/red]\x1b[2J"], capsys)
    assert code == 4 and "'[red]nope[/red]\\x1b[2J'" in err and "\x1b" not in err
