"""Shared assembly and validation for every input format.

Loaders turn a file into sessions of ``RawTurn``; ``build_conversation`` checks them
(non-empty text, unique ids, time never going backwards) and numbers them.  Nothing is
written anywhere until a whole file has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from convmem.errors import InputFormatError
from convmem.types import ROLES, SAID, Conversation, Turn

DEFAULT_MAX_TURN_CHARS = 32_000


@dataclass(frozen=True)
class RawTurn:
    turn_id: str
    speaker: str
    text: str
    spoken_at: datetime
    where: str  # "line 12" or "session_3[4]": how to find it in the file
    role: str = SAID  # a chat's own turns keep their role through export and import


def text_with_photo(item: dict[str, Any]) -> str:
    """A turn's text, with the caption of a photo it shared kept in the text."""
    text = str(item.get("text") or "").strip()
    caption = str(item.get("blip_caption") or "").strip()
    if caption:
        text = f"{text} [shares a photo: {caption}]" if text else f"[shares a photo: {caption}]"
    return text


def check_conversation_id(path: object, where: str, value: object) -> str:
    conversation_id = str(value).strip() if value is not None else ""
    if not conversation_id:
        raise InputFormatError(path, where, "empty conversation id")
    if "#" in conversation_id:
        raise InputFormatError(path, where, f"conversation id {conversation_id!r} must not contain '#'")
    return conversation_id


def build_conversation(
    path: object,
    conversation_id: str,
    sessions: Sequence[Sequence[RawTurn]],
    source: str,
    speakers: Sequence[str] = (),
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> Conversation:
    _check_unicode(path, "conversation id", conversation_id)
    for name in speakers:
        _check_unicode(path, "speaker name", name)
    turns: list[Turn] = []
    seen: set[str] = set()
    previous: RawTurn | None = None
    session_index = 0
    for session in sessions:
        if not session:
            continue
        session_index += 1
        for index, raw in enumerate(session):
            if not raw.text.strip():
                raise InputFormatError(path, raw.where, "empty text; remove the turn or give it text")
            if len(raw.text) > max_turn_chars:
                raise InputFormatError(
                    path, raw.where,
                    f"turn of {len(raw.text):,} characters is longer than the limit of"
                    f" {max_turn_chars:,}; split it, or raise CONVMEM_MAX_TURN_CHARS",
                )
            for name, value in (("text", raw.text), ("speaker", raw.speaker), ("turn id", raw.turn_id)):
                _check_unicode(path, f"{raw.where}: {name}", value)
            if not raw.speaker.strip():
                raise InputFormatError(path, raw.where, "missing speaker")
            if raw.role not in ROLES:
                raise InputFormatError(path, raw.where, f"unknown role {raw.role!r} (one of {', '.join(ROLES)})")
            if raw.turn_id in seen:
                raise InputFormatError(path, raw.where, f"duplicate turn id {raw.turn_id!r}")
            if previous is not None and raw.spoken_at < previous.spoken_at:
                raise InputFormatError(
                    path,
                    raw.where,
                    f"time goes backwards ({raw.spoken_at.isoformat()} is before"
                    f" {previous.spoken_at.isoformat()} at {previous.where}); fix the timestamps",
                )
            seen.add(raw.turn_id)
            turns.append(
                Turn(
                    conversation_id=conversation_id,
                    turn_id=raw.turn_id,
                    order=len(turns),
                    session_index=session_index,
                    index_in_session=index,
                    speaker=raw.speaker.strip(),
                    text=raw.text.strip(),
                    spoken_at=raw.spoken_at,
                    role=raw.role,
                )
            )
            previous = raw
    if not turns:
        raise InputFormatError(path, "", f"conversation {conversation_id!r} has no turns")
    names = list(dict.fromkeys([*speakers, *(t.speaker for t in turns)]))
    return Conversation(conversation_id, tuple(n for n in names if n), source, tuple(turns))


def at_home_time(raws: list[RawTurn]) -> list[RawTurn]:
    """One conversation's turns on one clock.  Timestamps with a UTC offset are normalised
    to the offset of its first such timestamp (its home zone) and kept as that zone's
    wall-clock time, so gaps and order are measured on comparable times; a timestamp
    without an offset is taken to be in that zone already.  A conversation in one zone
    keeps its wall-clock times exactly."""
    home = next((raw.spoken_at.utcoffset() for raw in raws if raw.spoken_at.tzinfo), None)
    if home is None:
        return raws
    zone = timezone(home)
    return [
        replace(raw, spoken_at=raw.spoken_at.astimezone(zone).replace(tzinfo=None))
        if raw.spoken_at.tzinfo else raw
        for raw in raws
    ]


def _check_unicode(path: object, where: str, value: str) -> None:
    """A lone surrogate (from a ``\\ud800`` escape) is not text any store can hold."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise InputFormatError(
            path, where, f"holds a lone surrogate (\\u{ord(bad):04x}), which is not valid Unicode;"
            " fix the file's encoding"
        ) from None
