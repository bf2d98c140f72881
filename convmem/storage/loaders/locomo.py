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
    DEFAULT_MAX_TURN_CHARS,
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


def load_locomo(
    path: Path, data: Any, words_per_minute: float = 130.0,
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> list[Conversation]:
    items = data if isinstance(data, list) else [data]
    conversations = []
    for i, item in enumerate(items):
        prefix = f"[{i}]" if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise InputFormatError(path, prefix or "top level", "expected an object")
        body = item.get("conversation", item)
        if not isinstance(body, dict):
            raise InputFormatError(path, f"{prefix}conversation", "expected an object of sessions")
        sample_id = item.get("sample_id")
        conversations.append(_one(path, body, sample_id, prefix, words_per_minute, max_turn_chars))
    return conversations


def _one(
    path: Path, body: dict[str, Any], sample_id: Any, prefix: str, wpm: float, max_turn_chars: int
) -> Conversation:
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
    return build_conversation(
        path, conversation_id, sessions, "locomo", speakers, max_turn_chars=max_turn_chars
    )
