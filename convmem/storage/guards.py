"""Small checks at the store's boundary: text a store can hold, whether a failed write
failed for want of space, one-line causes, and progress across batches."""

from __future__ import annotations

import contextlib
import errno
import shutil
from pathlib import Path

from convmem.embed.base import ProgressFn
from convmem.errors import InputFormatError
from convmem.types import Turn

LOW_SPACE_BYTES = 32 * 1024 * 1024  # a write that fails with less free space: a full disk


def offset(progress: ProgressFn | None, done: int, total: int) -> ProgressFn | None:
    """A batch's ``(done, total)`` progress as progress of the whole job."""
    if progress is None:
        return None
    report = progress
    return lambda batch_done, _batch_total: report(done + batch_done, total)


def check_text(turn: Turn) -> None:
    for value in (turn.text, turn.speaker, turn.turn_id, turn.conversation_id):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputFormatError(
                f"conversation {turn.conversation_id.encode('utf-8', 'replace').decode()!r}",
                f"turn {turn.turn_id.encode('utf-8', 'replace').decode()!r}",
                "holds a lone surrogate, which is not valid Unicode; fix the input's encoding",
            ) from None


def disk_full(exc: BaseException, root: Path) -> bool:
    """Whether a failed write failed for want of space: the exception (or one it was raised
    from) says so, whichever library noticed (DuckDB, SQLite under Chroma, the OS), or the
    store's file system is all but full (Chroma's own messages do not always say)."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(root).free < LOW_SPACE_BYTES:
            return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(current).lower()
        if "no space left" in text or "disk is full" in text or "disk quota" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


def one_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
