"""Malformed input files: one line naming the file (and where), exit 2, nothing written.

The property suite feeds random JSON values and random JSONL lines through every loader;
each either loads or raises ``InputFormatError``, never anything else."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convmem.errors import InputFormatError
from convmem.storage.loaders import load_file
from tests.fixtures import jsonl_lines, locomo_conversation, run_cli, tmd_log, write_jsonl

LINE = {"conversation": "c", "speaker": "u", "text": "x", "timestamp": "2024-01-01T10:00"}


def jsonl(*rows: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


BAD_FILES = [
    ("surrogate.jsonl", jsonl('{"conversation": "c", "speaker": "u", "text": "bad \\ud800 here", "timestamp": "2024-01-01T10:00"}'), "line 1: text: holds a lone surrogate"),
    ("surrogate_id.jsonl", jsonl({**LINE, "conversation": "c\ud83d"}), "lone surrogate"),
    ("deep.json", "[" * 30_000 + "]" * 30_000, "nested too deeply"),
    ("long_string.json", json.dumps({**locomo_conversation(), "x": "w" * 300_000}), "holds a string longer than the turn limit"),
    ("deep.jsonl", "[" * 30_000 + "]" * 30_000 + "\n", "line 1: JSON nested too deeply"),
    ("string_conv.json", json.dumps({"conversation": "just a string", "sample_id": "s"}), "conversation: expected an object"),
    ("list_of_strings.json", json.dumps([{"conversation": "x"}]), "[0]conversation: expected an object"),
    ("tmd_session_str.json", json.dumps({"session_1": [{"response_number": "0"}], "session_2": "x"}), "session_1[0].speaker: missing"),
    ("number.json", "42", "unknown format"),
    ("null_text.jsonl", jsonl({**LINE, "text": None}), "line 1: missing 'text'"),
    ("list_ts.jsonl", jsonl({**LINE, "timestamp": [1, 2]}), "line 1: unparseable timestamp"),
    ("huge_year.jsonl", jsonl({**LINE, "timestamp": "99999-01-01T00:00"}), "line 1: unparseable timestamp"),
    ("big_turn.jsonl", jsonl({**LINE, "text": "w" * 40_000}), "line 1: turn of 40,000 characters is longer than the limit of 32,000"),
    ("big_tmd.json", json.dumps({**tmd_log(1, 1), "session_1": [{**tmd_log(1, 1)["session_1"][0], "text": "w" * 33_000}]}), "session_1[0]: turn of 33,000 characters"),
    ("locomo_bad_session.json", json.dumps({"conversation": {"session_1": "x", "session_1_date_time": "1:56 pm on 8 May, 2023"}}), "session_1: expected a list of turns"),
]


@pytest.mark.parametrize(("name", "content", "fragment"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_malformed_files_are_one_line_errors(
    cli_env: Path, tmp_path: Path, capsys, name: str, content: str, fragment: str
) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", jsonl_lines("good"))
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8", errors="surrogatepass")
    code, _, err = run_cli(["ingest", str(good), str(bad)], capsys)
    assert code == 2, err
    assert fragment in err and str(bad) in err and len(err.strip().splitlines()) == 1
    assert not cli_env.exists() or json.loads(run_cli(["stats", "--json"], capsys)[1])["turns"] == 0


def test_a_50mb_turn_fails_fast_with_the_limit(cli_env: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.jsonl"
    path.write_text(jsonl({**LINE, "text": "word " * 10_000_000}), encoding="utf-8")
    code, _, err = run_cli(["ingest", str(path)], capsys)
    assert code == 2 and "line 1: line of 50,000,0" in err and "CONVMEM_MAX_TURN_CHARS" in err


def test_the_limit_is_a_setting(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{**LINE, "text": "w" * 200}])
    monkeypatch.setenv("CONVMEM_MAX_TURN_CHARS", "100")
    code, _, err = run_cli(["ingest", str(path)], capsys)
    assert code == 2 and "limit of 100" in err
    monkeypatch.setenv("CONVMEM_MAX_TURN_CHARS", "1000")
    assert run_cli(["ingest", str(path)], capsys)[0] == 0


def test_mixed_utc_offsets_are_ordered_on_normalised_times(tmp_path: Path) -> None:
    # A traveller: 10:00 in Lisbon (+01:00), then 06:30 in New York (-04:00) = 11:30 Lisbon.
    rows = [
        {**LINE, "text": "a", "timestamp": "2024-05-01T10:00:00+01:00"},
        {**LINE, "text": "b", "timestamp": "2024-05-01T06:30:00-04:00"},
        {**LINE, "text": "c", "timestamp": "2024-05-01T10:40:00Z"},
        {**LINE, "text": "d", "timestamp": "2024-05-01T11:45:00"},
    ]
    [conv] = load_file(write_jsonl(tmp_path / "tz.jsonl", rows), gap_minutes=600)
    assert [t.spoken_at.isoformat() for t in conv.turns] == [
        "2024-05-01T10:00:00", "2024-05-01T11:30:00", "2024-05-01T11:40:00", "2024-05-01T11:45:00",
    ]
    backwards = [rows[0], {**LINE, "text": "b", "timestamp": "2024-05-01T09:30:00Z"}]  # 10:30 home
    assert len(load_file(write_jsonl(tmp_path / "ok.jsonl", backwards))[0].turns) == 2
    earlier = [rows[0], {**LINE, "text": "b", "timestamp": "2024-05-01T08:30:00Z"}]  # 09:30 home
    with pytest.raises(InputFormatError, match="time goes backwards"):
        load_file(write_jsonl(tmp_path / "back.jsonl", earlier))


def test_a_single_offset_keeps_its_wall_clock(tmp_path: Path) -> None:
    rows = [{**LINE, "timestamp": "2024-05-01T08:15:00+09:00"}]
    [conv] = load_file(write_jsonl(tmp_path / "tokyo.jsonl", rows))
    assert conv.turns[0].spoken_at.isoformat() == "2024-05-01T08:15:00"


# ---- property-based -----------------------------------------------------------------

SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                   st.text(max_size=20), st.sampled_from(["2024-01-01T10:00", "1:56 pm on 8 May, 2023",
                                                          "09:00:00 AM on Friday 05 May, 2023", "D1:1", "0"]))
KEYS = st.sampled_from(["conversation", "conversation_id", "speaker", "text", "timestamp", "time",
                        "session", "turn_id", "sample_id", "session_1", "session_2", "session_1_date_time",
                        "speaker_a", "dia_id", "response_number", "date_time", "blip_caption", "x"])
JSON = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(KEYS, inner, max_size=6)), max_leaves=25)
EXAMPLES = 300


def _load(tmp_path: Path, name: str, text: str, fmt: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with contextlib.suppress(InputFormatError):
        load_file(path, fmt)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON, fmt=st.sampled_from(["auto", "tmd", "locomo"]))
def test_any_json_loads_or_is_an_input_error(tmp_path: Path, value: object, fmt: str) -> None:
    _load(tmp_path, "f.json", json.dumps(value), fmt)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(JSON.map(json.dumps), st.lists(st.dictionaries(KEYS, SCALAR, max_size=6).map(json.dumps),
                                                      max_size=5).map("\n".join), st.text(max_size=60)))
def test_any_jsonl_loads_or_is_an_input_error(tmp_path: Path, value: str) -> None:
    _load(tmp_path, "f.jsonl", value, "jsonl")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turn=st.fixed_dictionaries({"speaker": st.text(max_size=8), "text": st.text(max_size=30),
                                   "dia_id": st.text(max_size=5)}))
def test_any_locomo_turn_loads_or_is_an_input_error(tmp_path: Path, turn: dict[str, str]) -> None:
    data = locomo_conversation()
    data["conversation"]["session_1"] = [turn]
    _load(tmp_path, "l.json", json.dumps(data), "auto")


def test_the_license_is_an_spdx_string() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"  # a table is deprecated by setuptools
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])


def test_the_chat_refuses_a_line_over_the_limit_and_goes_on(cli_env: Path, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setenv("CONVMEM_MAX_TURN_CHARS", "50")
    monkeypatch.setattr("sys.stdin", io.StringIO("w" * 80 + "\nI planted tulips.\n/quit\n"))
    code, out, _ = run_cli(["chat", "--now", "2024-03-01T10:00"], capsys)
    assert code == 0 and "80 characters are more than the turn limit of 50" in out
    assert "press Enter" not in out
    code, out, _ = run_cli(["show", "chat"], capsys)
    assert "I planted tulips." in out and "w" * 80 not in out
