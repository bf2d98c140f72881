"""The service's single writer, in process: batches of requests, each answered on its own."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from convmem.config import Settings
from convmem.errors import ConversationConflictError, InputFormatError
from convmem.storage.memory import MemoryStore
from service.memory import MemoryService, NewTurn


@pytest.fixture
def service(store: MemoryStore, settings: Settings) -> MemoryService:
    return MemoryService(store, settings, clock=lambda: datetime(2024, 5, 1, 12, 0))


def test_concurrent_requests_are_committed_in_batches_and_each_answered(service: MemoryService) -> None:
    calls: list[int] = []
    ingest = service.store.ingest

    def counting(conversations, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(sum(len(c.turns) for c in conversations))
        return ingest(conversations, **kwargs)

    service.store.ingest = counting  # type: ignore[method-assign]
    results: dict[int, object] = {}
    gate = threading.Barrier(24)

    def write(n: int) -> None:
        gate.wait()
        try:
            results[n] = service.add_turns(f"c{n % 3}", [NewTurn("Ana", f"note {n}", turn_id=f"n{n}")])
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, dict) and r["added"] == 1 for r in results.values())
    assert sum(calls) == 24 and len(calls) < 24  # some requests shared a commit
    assert service.stats() == {"conversations": 3, "sessions": 3, "turns": 24, "vectors": 24}
    assert [len(service.turns(f"c{i}")) for i in range(3)] == [8, 8, 8]


def test_a_bad_request_fails_alone_and_takes_nothing(service: MemoryService) -> None:
    service.add_turns("c", [NewTurn("Ana", "first", turn_id="a")])
    with pytest.raises(ConversationConflictError):
        service.add_turns("c", [NewTurn("Ana", "new", turn_id="b"), NewTurn("Ana", "changed", turn_id="a")])
    with pytest.raises(InputFormatError):
        service.add_turns("c", [NewTurn("Ana", "ok", turn_id="c"), NewTurn("", "no speaker")])
    assert [t["turn_id"] for t in service.turns("c")] == ["a"]
    assert service.add_turns("c", [NewTurn("Ben", "second")])["turn_ids"] == ["0"]
    assert [t["order"] for t in service.turns("c")] == [0, 1]


def test_explicit_sessions_and_time_gaps(service: MemoryService, tmp_path: Path) -> None:
    at = datetime.fromisoformat
    service.add_turns("c", [NewTurn("Ana", "one", at("2024-04-01T10:00")), NewTurn("Ben", "two", at("2024-04-01T10:05"))])
    service.add_turns("c", [NewTurn("Ana", "three", at("2024-04-01T10:06"), session=2)])
    service.add_turns("c", [NewTurn("Ana", "four", at("2024-04-03T10:00"))])
    assert [s["turns"] for s in service.sessions("c")] == [2, 1, 1]
