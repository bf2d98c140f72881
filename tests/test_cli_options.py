"""Smaller parts of the command line as a person uses it: --version, flags in --help,
forget asking first, renaming conversations on ingest, a clear error for a missing folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from convmem.compose import open_store
from convmem.config import Settings
from tests.fixtures import locomo_conversation, run_cli, tmd_log, write_json


def run(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_cli(args, capsys)


def ids() -> list[str]:
    with open_store(Settings.from_env()) as memory:
        return memory.conversation_ids()


def test_version(cli_env: Path, capsys, monkeypatch) -> None:
    code, out, _ = run(["--version"], capsys, monkeypatch)
    assert code == 0 and out.startswith("convmem ")


def test_help_shows_flags_as_flags(cli_env: Path, capsys, monkeypatch) -> None:
    code, out, _ = run(["forget", "--help"], capsys, monkeypatch)
    assert code == 0 and "--yes" in out and "<bool>" not in out and "<path>" in out


def test_forget_asks_first_unless_yes(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    log = write_json(tmp_path / "7.json", tmd_log(sessions=2, turns=3))
    assert run(["ingest", str(log)], capsys, monkeypatch)[0] == 0
    code, _, err = run(["forget", "7"], capsys, monkeypatch, "n\n")
    assert code == 1 and "Forget conversation 7 (6 turns)" in err and "kept conversation 7" in err
    code, _, _ = run(["forget", "7"], capsys, monkeypatch, "")  # end of input: nothing deleted
    assert code != 0 and ids() == ["7"]
    code, out, _ = run(["forget", "7"], capsys, monkeypatch, "y\n")
    assert code == 0 and "forgot conversation 7: 6 turns" in out and ids() == []
    assert run(["ingest", str(log)], capsys, monkeypatch)[0] == 0
    code, out, _ = run(["forget", "7", "--yes"], capsys, monkeypatch)
    assert code == 0 and ids() == []


def test_an_id_clash_is_fixed_with_conversation_id_or_prefix(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "tmd").mkdir()
    tmd = write_json(tmp_path / "tmd" / "26.json", tmd_log(sessions=2))
    locomo = tmp_path / "locomo"
    locomo.mkdir()
    one = write_json(locomo / "26.json", locomo_conversation(sample_id=None))
    write_json(locomo / "30.json", locomo_conversation(sample_id=None))
    assert run(["ingest", str(tmd)], capsys, monkeypatch)[0] == 0
    code, _, err = run(["ingest", str(one)], capsys, monkeypatch)
    assert code == 3 and "conversation '26'" in err  # the clash the issue describes
    assert run(["ingest", str(one), "--conversation-id", "locomo-26"], capsys, monkeypatch)[0] == 0
    assert ids() == ["26", "locomo-26"]
    code, _, err = run(["ingest", str(locomo), "--conversation-id", "x"], capsys, monkeypatch)
    assert code == 2 and "use --id-prefix for many" in err
    assert run(["ingest", str(locomo), "--id-prefix", "locomo-"], capsys, monkeypatch)[0] == 0
    assert ids() == ["26", "locomo-26", "locomo-30"]
    with open_store(Settings.from_env()) as memory:
        assert {t.conversation_id for t in memory.turns("locomo-30")} == {"locomo-30"}
        assert memory.vectors.all_ids() >= {f"locomo-30#{t.turn_id}" for t in memory.turns("locomo-30")}
    code, _, err = run(["ingest", str(one), "--conversation-id", "a#b"], capsys, monkeypatch)
    assert code == 2 and "without '#'" in err


def test_fidelity_on_a_missing_folder_says_so(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    code, _, err = run(["generate", "fidelity", str(tmp_path / "nope")], capsys, monkeypatch)
    assert code == 4 and "no such folder" in err and err.count("\n") == 1
    code, _, err = run(["generate", "fidelity", str(tmp_path)], capsys, monkeypatch)
    assert code == 4 and "no ConversationData/ or TestData/ in it" in err


@pytest.mark.parametrize("quiet", [False, True])
def test_ingest_shows_progress_with_turns_per_second_on_a_terminal(
    cli_env: Path, tmp_path: Path, capsys, monkeypatch, quiet: bool
) -> None:
    from rich.console import Console

    import cli

    screen = io.StringIO()
    monkeypatch.setattr(cli, "err_console", Console(file=screen, force_terminal=True, width=120))
    monkeypatch.setattr(cli, "_QUIET", {"on": False})
    log = write_json(tmp_path / "9.json", tmd_log(sessions=3, turns=4))
    code, out, _ = run(["ingest", str(log), *(["--quiet"] if quiet else [])], capsys, monkeypatch)
    assert code == 0 and "12 new turn(s)" in out
    shown = screen.getvalue()
    if quiet:
        assert shown == ""
    else:
        assert "embedding turns" in shown and "turns/s" in shown and "12/12" in shown
        assert "reading files" in shown and "Loading the embedding model (hash)" in shown


def test_ingest_prints_no_progress_when_not_a_terminal(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    log = write_json(tmp_path / "9.json", tmd_log(sessions=1))
    code, _, err = run(["ingest", str(log)], capsys, monkeypatch)
    assert code == 0 and err == ""


def test_the_readmes_example_files_ship_and_load(cli_env: Path, capsys, monkeypatch) -> None:
    from agent.chat import read_dialogue_file

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "examples/dialogue.json" in readme and "examples/chat.jsonl" in readme
    assert len(read_dialogue_file(root / "examples" / "dialogue.json")) == 2
    code, out, _ = run(["ingest", str(root / "examples" / "chat.jsonl")], capsys, monkeypatch)
    assert code == 0 and "6 new turn(s)" in out
    context = str(root / "examples" / "dialogue.json")
    code, out, _ = run(["ask", "Can you summarize it?", "-c", "example", "--context", context,
                        "--now", "2024-03-10T10:00"], capsys, monkeypatch)
    assert code == 0 and "[t:0]" in out and "[t:3]" not in out  # the session of March 1
