"""Plain JSONL transcripts: one turn per line.

Each line: ``conversation`` (or ``conversation_id``), ``speaker``, ``text``, ``timestamp``
(ISO 8601; ``spoken_at`` and ``time`` are accepted too), optional ``turn_id`` (default:
the turn's 0-based position in its conversation) and optional ``session`` (an explicit
session number) and ``role`` (``said``, the default, or a chat's ``question`` /
``answer``, as export writes them).  Without ``session``, a new session starts wherever the gap between two
turns exceeds the threshold (default 20 minutes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from convmem.errors import InputFormatError
from convmem.storage.loaders.build import (
    DEFAULT_MAX_TURN_CHARS,
    RawTurn,
    at_home_time,
    build_conversation,
    check_conversation_id,
)
from convmem.timeutil import parse_iso_keeping_offset
from convmem.types import SAID, Conversation

TIME_KEYS = ("timestamp", "spoken_at", "time")


def load_jsonl(
    path: Path, lines: Iterable[str], gap_minutes: float = 20.0,
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> list[Conversation]:
    """Timestamps may carry UTC offsets; see ``build_conversation`` for how they are kept."""
    grouped: dict[str, list[tuple[RawTurn, Any]]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        if len(line) > 6 * max_turn_chars + 4096:  # even all-escaped, no turn within the limit
            raise InputFormatError(
                path, where, f"line of {len(line):,} characters holds a turn longer than the limit"
                f" of {max_turn_chars:,} characters; split it, or raise CONVMEM_MAX_TURN_CHARS",
            )
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFormatError(path, where, f"malformed JSON ({exc.msg})") from None
        except RecursionError:
            raise InputFormatError(path, where, "JSON nested too deeply") from None
        if not isinstance(item, dict):
            raise InputFormatError(path, where, "expected a JSON object")
        conversation_id = check_conversation_id(
            path, f"{where}: conversation", item.get("conversation", item.get("conversation_id"))
        )
        stamp = next((item[k] for k in TIME_KEYS if item.get(k)), None)
        if stamp is None:
            raise InputFormatError(path, where, "missing timestamp (ISO 8601 in 'timestamp')")
        try:
            spoken_at = parse_iso_keeping_offset(str(stamp))
        except ValueError as exc:
            raise InputFormatError(path, where, str(exc)) from None
        text = item.get("text")
        if not isinstance(text, str):
            raise InputFormatError(path, where, "missing 'text'")
        turns = grouped.setdefault(conversation_id, [])
        turn_id = str(item.get("turn_id", len(turns)))
        raw = RawTurn(turn_id, str(item.get("speaker") or ""), text, spoken_at, where, str(item.get("role") or SAID))
        turns.append((raw, item.get("session")))
    if not grouped:
        raise InputFormatError(path, "", "no turns found")
    gap = timedelta(minutes=gap_minutes)
    conversations = []
    for conversation_id, items in grouped.items():
        homed = at_home_time([raw for raw, _ in items])
        items = [(raw, label) for raw, (_, label) in zip(homed, items, strict=True)]
        sessions: list[list[RawTurn]] = []
        previous: tuple[RawTurn, Any] | None = None
        for raw, session_label in items:
            if previous is None or _new_session(previous, raw, session_label, gap):
                sessions.append([])
            sessions[-1].append(raw)
            previous = (raw, session_label)
        conversations.append(
            build_conversation(path, conversation_id, sessions, "jsonl", max_turn_chars=max_turn_chars)
        )
    return conversations


def _new_session(previous: tuple[RawTurn, Any], raw: RawTurn, label: Any, gap: timedelta) -> bool:
    before, before_label = previous
    if label is not None or before_label is not None:
        return bool(label != before_label)
    return raw.spoken_at - before.spoken_at > gap
