"""TemporalMemoryDataset conversation logs (Alonso et al. 2024).

Conversation id: the file stem.  Turn id: ``response_number``.  Per-turn timestamps from
``date_time``; sessions from the ``session_K`` keys, in K order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convmem.errors import InputFormatError
from convmem.storage.loaders.build import (
    DEFAULT_MAX_TURN_CHARS,
    RawTurn,
    build_conversation,
    check_conversation_id,
    text_with_photo,
)
from convmem.timeutil import parse_spoken_datetime
from convmem.types import Conversation


def session_keys(data: dict[str, Any]) -> list[str]:
    keys = [k for k in data if k.startswith("session_") and k.split("_")[1].isdigit() and k.count("_") == 1]
    return sorted(keys, key=lambda k: int(k.split("_")[1]))


def looks_like_tmd(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    keys = session_keys(data)
    first = data.get(keys[0]) if keys else None
    return bool(first) and isinstance(first, list) and isinstance(first[0], dict) and "response_number" in first[0]


def load_tmd(
    path: Path, data: dict[str, Any], max_turn_chars: int = DEFAULT_MAX_TURN_CHARS
) -> Conversation:
    conversation_id = check_conversation_id(path, "file name", path.stem)
    sessions = []
    for key in session_keys(data):
        items = data[key]
        if not isinstance(items, list):
            raise InputFormatError(path, key, "expected a list of turns")
        session = []
        for i, item in enumerate(items):
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                raise InputFormatError(path, where, "expected an object")
            for name in ("speaker", "date_time", "response_number"):
                if item.get(name) in (None, ""):
                    raise InputFormatError(path, f"{where}.{name}", "missing")
            try:
                spoken_at = parse_spoken_datetime(item["date_time"])
            except ValueError:
                raise InputFormatError(
                    path, f"{where}.date_time", f"unparseable timestamp {item['date_time']!r}"
                ) from None
            session.append(
                RawTurn(str(item["response_number"]), str(item["speaker"]), text_with_photo(item), spoken_at, where)
            )
        sessions.append(session)
    speakers = [str(data[k]) for k in ("speaker_a", "speaker_b") if data.get(k)]
    return build_conversation(
        path, conversation_id, sessions, "tmd", speakers, max_turn_chars=max_turn_chars
    )
