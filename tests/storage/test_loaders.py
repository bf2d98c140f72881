from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from convmem.errors import InputFormatError
from convmem.storage.loaders import load_file, load_paths
from tests.fixtures import jsonl_lines, locomo_conversation, tmd_log, write_json, write_jsonl


def test_tmd_log_keeps_ids_times_sessions_and_photo_captions(tmp_path: Path) -> None:
    path = write_json(tmp_path / "77.json", tmd_log(sessions=3, turns=4))
    [conv] = load_file(path)
    assert conv.conversation_id == "77"
    assert conv.source == "tmd"
    assert conv.speakers == ("Ana", "Ben")
    assert [t.turn_id for t in conv.turns] == [str(i) for i in range(12)]
    assert [t.session_index for t in conv.turns] == [1] * 4 + [2] * 4 + [3] * 4
    assert [t.index_in_session for t in conv.turns[:4]] == [0, 1, 2, 3]
    assert conv.turns[5].spoken_at == datetime(2023, 5, 8, 9, 1)
    assert "a photo of a red bicycle" in conv.turns[5].text


def test_locomo_estimates_turn_times_from_words_spoken(tmp_path: Path) -> None:
    path = write_json(tmp_path / "one.json", locomo_conversation())
    [conv] = load_file(path)
    assert conv.conversation_id == "conv-x"
    assert [t.turn_id for t in conv.turns] == ["D1:1", "D1:2", "D1:3", "D2:1", "D2:2"]
    first, second, third = conv.turns[:3]
    assert first.spoken_at == datetime(2023, 5, 8, 13, 56)
    # 130 words at 130 words per minute: the reply comes one minute later
    assert second.spoken_at == datetime(2023, 5, 8, 13, 57)
    assert third.spoken_at > second.spoken_at
    assert "a dog on a beach" in third.text
    assert conv.turns[3].session_index == 2
    assert conv.turns[3].spoken_at == datetime(2023, 5, 20, 10, 0)


def test_locomo_combined_list_and_file_stem_ids(tmp_path: Path) -> None:
    combined = write_json(tmp_path / "all.json", [locomo_conversation("a"), locomo_conversation("b")])
    assert [c.conversation_id for c in load_file(combined)] == ["a", "b"]
    bare = locomo_conversation(None)["conversation"]
    [conv] = load_file(write_json(tmp_path / "stem.json", bare))
    assert conv.conversation_id == "stem"


def test_jsonl_splits_sessions_on_gaps(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", jsonl_lines(gaps_minutes=(1, 2, 45, 1)))
    [conv] = load_file(path)
    assert [t.session_index for t in conv.turns] == [1, 1, 1, 2, 2]
    assert [t.turn_id for t in conv.turns] == ["0", "1", "2", "3", "4"]
    [wide] = load_file(path, gap_minutes=60)
    assert {t.session_index for t in wide.turns} == {1}


def test_jsonl_several_conversations_and_explicit_turn_ids(tmp_path: Path) -> None:
    rows = jsonl_lines("a") + jsonl_lines("b")
    rows[0]["turn_id"] = "first"
    convs = load_file(write_jsonl(tmp_path / "t.jsonl", rows))
    assert [c.conversation_id for c in convs] == ["a", "b"]
    assert convs[0].turns[0].turn_id == "first"


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("bad.json", "{not json", "line 1: malformed JSON"),
        ("bad.jsonl", '{"conversation": "c", "speaker": "u", "text": "x", "timestamp": "2024-01-01T10:00"}\n{oops\n', "line 2: malformed JSON"),
        ("nots.jsonl", '{"conversation": "c", "speaker": "u", "text": "x"}\n', "line 1: missing timestamp"),
        ("badts.jsonl", '{"conversation": "c", "speaker": "u", "text": "x", "timestamp": "yesterday-ish"}\n', "line 1: unparseable timestamp"),
        ("back.jsonl", '{"conversation": "c", "speaker": "u", "text": "x", "timestamp": "2024-01-02T10:00"}\n{"conversation": "c", "speaker": "u", "text": "y", "timestamp": "2024-01-01T10:00"}\n', "line 2: time goes backwards"),
        ("empty.jsonl", '{"conversation": "c", "speaker": "u", "text": "  ", "timestamp": "2024-01-01T10:00"}\n', "line 1: empty text"),
        ("what.json", '{"hello": "world"}', "unknown format"),
    ],
)
def test_bad_input_names_file_and_place(tmp_path: Path, name: str, content: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFormatError) as info:
        load_paths([path])
    message = str(info.value)
    assert str(path) in message
    assert fragment in message
    assert "\n" not in message


def test_bad_tmd_field_is_named(tmp_path: Path) -> None:
    data = tmd_log()
    data["session_2"][1]["date_time"] = "25 o'clock"
    with pytest.raises(InputFormatError, match=r"session_2\[1\]\.date_time"):
        load_file(write_json(tmp_path / "9.json", data))
    data = tmd_log()
    data["session_3"][0]["date_time"] = "09:00:00 AM on Monday 01 May, 2023"
    with pytest.raises(InputFormatError, match=r"session_3\[0\]: time goes backwards"):
        load_file(write_json(tmp_path / "9.json", data))


def test_unknown_format_flag_and_missing_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "x.json", tmd_log())
    with pytest.raises(InputFormatError, match="unknown format 'csv'"):
        load_file(path, "csv")
    with pytest.raises(InputFormatError, match="no such file"):
        load_paths([tmp_path / "nope.json"])


def test_conversation_ids_must_not_contain_hash(tmp_path: Path) -> None:
    rows = jsonl_lines("a#b")
    with pytest.raises(InputFormatError, match="must not contain '#'"):
        load_file(write_jsonl(tmp_path / "t.jsonl", rows))


def test_jsonl_keeps_a_chat_turns_role_and_rejects_unknown_roles(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "chat.jsonl", [
        {"conversation": "c", "speaker": "Ana", "text": "I like tea.", "timestamp": "2024-03-01T10:00:00"},
        {"conversation": "c", "speaker": "Ana", "text": "What do I like?", "timestamp": "2024-03-01T10:01:00",
         "role": "question"},
        {"conversation": "c", "speaker": "memory", "text": "Tea.", "timestamp": "2024-03-01T10:01:01",
         "role": "answer"},
    ])
    (conv,) = load_file(path)
    assert [t.role for t in conv.turns] == ["said", "question", "answer"]
    bad = write_jsonl(tmp_path / "bad.jsonl", [
        {"conversation": "c", "speaker": "Ana", "text": "hi", "timestamp": "2024-03-01T10:00:00", "role": "boss"},
    ])
    with pytest.raises(InputFormatError, match="unknown role 'boss'"):
        load_file(bad)
