"""A small bundled conversation, so convmem runs on a fresh machine with no data."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO_CONVERSATION_ID = "demo"
DEMO_SPEAKER = "Alex"


def demo_transcript() -> Path:
    return Path(str(files(__package__).joinpath("demo_conversation.jsonl")))
