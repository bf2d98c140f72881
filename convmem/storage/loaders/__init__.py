"""Loaders: files in the supported formats to validated ``Conversation`` objects."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from convmem.errors import InputFormatError
from convmem.storage.loaders.build import DEFAULT_MAX_TURN_CHARS
from convmem.storage.loaders.jsonl import load_jsonl
from convmem.storage.loaders.locomo import load_locomo, looks_like_locomo
from convmem.storage.loaders.tmd import load_tmd, looks_like_tmd
from convmem.types import Conversation

FORMATS = ("auto", "tmd", "locomo", "jsonl")


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; directories expanded to their *.json and *.jsonl files, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl"))
            if not found:
                raise InputFormatError(path, "", "directory holds no .json or .jsonl files")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputFormatError(path, "", "no such file or directory")
    return files


def load_file(
    path: Path, fmt: str = "auto", gap_minutes: float = 20.0, words_per_minute: float = 130.0,
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> list[Conversation]:
    """A file's conversations, or ``InputFormatError`` naming the file and where in it."""
    try:
        return _load_file(path, fmt, gap_minutes, words_per_minute, max_turn_chars)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError) as exc:
        if isinstance(exc, InputFormatError):
            raise
        # A shape no check above foresaw: still one line, never a traceback.
        raise InputFormatError(
            path, "", f"unexpected structure ({exc.__class__.__name__}: {str(exc)[:80]});"
            " check the file against its format (see `convmem ingest --help`)"
        ) from None


def _load_file(
    path: Path, fmt: str, gap_minutes: float, words_per_minute: float, max_turn_chars: int
) -> list[Conversation]:
    if fmt not in FORMATS:
        raise InputFormatError(path, "--format", f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(path, "", f"cannot read file ({exc.__class__.__name__})") from None
    if fmt == "jsonl" or (fmt == "auto" and path.suffix == ".jsonl"):
        return load_jsonl(path, raw.splitlines(), gap_minutes, max_turn_chars)
    # A turn too long for the limit shows, before parsing, as a long run without a quote
    # (parsing a 50 MB string costs ~20x its size); a run of escaped quotes is caught later.
    if re.search(f'[^"]{{{6 * max_turn_chars + 4096}}}', raw):
        raise InputFormatError(
            path, "", f"holds a string longer than the turn limit of {max_turn_chars:,}"
            " characters; split the turn, or raise CONVMEM_MAX_TURN_CHARS"
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputFormatError(path, f"line {exc.lineno}", f"malformed JSON ({exc.msg})") from None
    except RecursionError:
        raise InputFormatError(path, "", "JSON nested too deeply") from None
    if fmt == "tmd" or (fmt == "auto" and looks_like_tmd(data)):
        if not isinstance(data, dict):
            raise InputFormatError(path, "", "a TemporalMemoryDataset log is a JSON object")
        return [load_tmd(path, data, max_turn_chars)]
    if fmt == "locomo" or (fmt == "auto" and looks_like_locomo(data)):
        return load_locomo(path, data, words_per_minute, max_turn_chars)
    raise InputFormatError(
        path, "", "unknown format; pass --format tmd, locomo or jsonl (see `convmem ingest --help`)"
    )


def load_paths(
    paths: list[Path],
    fmt: str = "auto",
    gap_minutes: float = 20.0,
    words_per_minute: float = 130.0,
    progress: Callable[[int, int], None] | None = None,
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS,
) -> list[Conversation]:
    """Load and validate every file before anything is written; duplicate ids are an error.
    ``progress(files read, files)`` follows the reading."""
    conversations: list[Conversation] = []
    seen: dict[str, Path] = {}
    files = expand_paths(paths)
    for done, path in enumerate(files):
        if progress is not None:
            progress(done, len(files))
        for conv in load_file(path, fmt, gap_minutes, words_per_minute, max_turn_chars):
            if conv.conversation_id in seen:
                raise InputFormatError(
                    path, "", f"conversation {conv.conversation_id!r} also comes from {seen[conv.conversation_id]}"
                )
            seen[conv.conversation_id] = path
            conversations.append(conv)
    if progress is not None:
        progress(len(files), len(files))
    return conversations
