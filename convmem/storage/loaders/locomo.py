"""LoCoMo conversations (Maharana et al. 2024): one per file, or the combined list.

Conversation id: ``sample_id`` when present, else the file stem.  Turn id: ``dia_id``.
LoCoMo gives each session one start time; turns get estimated times within it from the
words spoken before them at a speaking rate (default 130 words per minute, the rate the
TemporalMemoryDataset authors used).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from convmem.errors import InputFormatError
from convmem.storage.loaders.build import (
    RawTurn,
    build_conversation,
    check_conversation_id,
    text_with_photo,
)
from convmem.storage.loaders.tmd import session_keys
from convmem.timeutil import parse_spoken_datetime, word_count
from convmem.types import Conversation


def looks_like_locomo(data: Any) -> bool:
    if isinstance(data, list):
        return bool(data) and all(isinstance(x, dict) and "conversation" in x for x in data)
    if not isinstance(data, dict):
        return False
    if "conversation" in data:
        return True
    keys = session_keys(data)
    return bool(keys) and f"{keys[0]}_date_time" in data


def load_locomo(path: Path, data: Any, words_per_minute: float = 130.0) -> list[Conversation]:
    if isinstance(data, list):
        return [
            _one(path, item["conversation"], item.get("sample_id"), f"[{i}]", words_per_minute)
            for i, item in enumerate(data)
        ]
    body = data.get("conversation", data)
    return [_one(path, body, data.get("sample_id"), "", words_per_minute)]


def _one(path: Path, body: dict[str, Any], sample_id: Any, prefix: str, wpm: float) -> Conversation:
    conversation_id = check_conversation_id(path, f"{prefix}sample_id", sample_id or path.stem)
    sessions = []
    for key in session_keys(body):
        items = body[key]
        stamp_key = f"{key}_date_time"
        if not body.get(stamp_key):
            raise InputFormatError(path, f"{prefix}{stamp_key}", "missing session time")
        try:
            start = parse_spoken_datetime(body[stamp_key])
        except ValueError:
            raise InputFormatError(
                path, f"{prefix}{stamp_key}", f"unparseable timestamp {body[stamp_key]!r}"
            ) from None
        if not isinstance(items, list):
            raise InputFormatError(path, f"{prefix}{key}", "expected a list of turns")
        session, elapsed_words = [], 0
        for i, item in enumerate(items):
            where = f"{prefix}{key}[{i}]"
            if not isinstance(item, dict) or not item.get("dia_id"):
                raise InputFormatError(path, f"{where}.dia_id", "missing")
            text = text_with_photo(item)
            spoken_at = start + timedelta(seconds=round(elapsed_words * 60.0 / wpm))
            session.append(RawTurn(str(item["dia_id"]), str(item.get("speaker") or ""), text, spoken_at, where))
            elapsed_words += word_count(text)
        sessions.append(session)
    speakers = [str(body[k]) for k in ("speaker_a", "speaker_b") if body.get(k)]
    return build_conversation(path, conversation_id, sessions, source="locomo", speakers=speakers)
