"""One deadline per request: connect, every read and every retry share the same seconds.

An HTTP library's timeout bounds each read, so a server that trickles one byte at a time
can hold a caller for as long as it likes.  Here the backend call runs in a worker thread
and the caller waits at most what is left of the deadline; a worker left behind is a daemon
whose own per-read timeout (also the time left) ends it soon after.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()


class DeadlineExceeded(Exception):
    """Raised inside the LLM client only; it becomes ``LLMUnavailableError``."""


class Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0


def call_within(call: Callable[[], T], seconds: float) -> T:
    """``call()``'s result or exception, or ``DeadlineExceeded`` after ``seconds``."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="llm-call", daemon=True).start()
    if not done.wait(seconds):
        raise DeadlineExceeded
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def iterate_within(
    open_stream: Callable[[], Iterator[T]], deadline: Deadline
) -> Generator[T, None, Any]:
    """Items of the stream ``open_stream()`` returns, each awaited for at most what is left
    of ``deadline``; the stream's return value is this generator's return value."""
    items: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        stream = None
        try:
            stream = iter(open_stream())
            while not stop.is_set():
                try:
                    items.put(("item", next(stream)))
                except StopIteration as end:
                    items.put(("end", end.value))
                    return
        except BaseException as exc:
            items.put(("error", exc))
        finally:
            close = getattr(stream, "close", None)
            if stop.is_set() and close is not None:
                close()

    threading.Thread(target=pump, name="llm-stream", daemon=True).start()
    try:
        while True:
            try:
                kind, value = items.get(timeout=deadline.remaining() or 1e-6)
            except queue.Empty:
                raise DeadlineExceeded from None
            if kind == "item":
                yield value
            elif kind == "end":
                return value
            else:
                raise value
    finally:
        stop.set()
