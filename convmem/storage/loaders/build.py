"""Shared assembly and validation for every input format.

Loaders turn a file into sessions of ``RawTurn``; ``build_conversation`` checks them
(non-empty text, unique ids, time never going backwards) and numbers them.  Nothing is
written anywhere until a whole file has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from convmem.errors import InputFormatError
from convmem.types import ROLES, SAID, Conversation, Turn


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
) -> Conversation:
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
