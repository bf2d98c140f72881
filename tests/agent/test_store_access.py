"""A store opened for one line and closed after: what another process wrote in between is
seen on the next open, in DuckDB and in Chroma's index; a busy store is waited for, a
bounded time."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from agent.store_access import StoreOnDemand, Unsaid, UnsavedJournal, open_when_free
from convmem.compose import open_store
from convmem.config import Settings
from convmem.errors import StoreBusyError
from convmem.types import Conversation, Turn
from service.launch import ROOT

WRITER = """
import sys
from datetime import datetime
from convmem.compose import open_store
from convmem.config import Settings
from convmem.types import Conversation, Turn
cfg = Settings.from_env({}, store=sys.argv[1], embedder="hash")
turn = Turn("c", "1", 1, 1, 1, "Ana", "a zebra crossing near the old harbour", datetime(2024, 1, 1, 10, 1))
with open_store(cfg) as memory:
    memory.ingest([Conversation("c", ("Ana",), "test", (turn,))])
"""


def _settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, store=tmp_path / "store", embedder="hash")


def test_the_next_open_sees_vectors_another_process_wrote(tmp_path: Path) -> None:
    cfg = _settings(tmp_path)
    access = StoreOnDemand(lambda: open_store(cfg, create=True), wait_s=5)
    first = Turn("c", "0", 0, 1, 0, "Ana", "pottery class on tuesday evenings", datetime(2024, 1, 1, 10, 0))
    with access.open() as memory:
        memory.ingest([Conversation("c", ("Ana",), "test", (first,))])
        vector = memory.embedder.embed(["a zebra crossing near the old harbour"])[0]
        assert [h.vector_id for h in memory.vectors.search(vector, 2)] == ["c#0"]  # the index is loaded
    done = subprocess.run([sys.executable, "-c", WRITER, str(cfg.store)], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False", "PATH": ""}, timeout=300)
    assert done.returncode == 0, done.stderr
    with access.open() as memory:
        assert [t.turn_id for t in memory.turns("c")] == ["0", "1"]
        assert next(h.vector_id for h in memory.vectors.search(vector, 2)) == "c#1"
    assert access.opens == 2


def test_a_busy_store_is_waited_for_then_named(tmp_path: Path) -> None:
    cfg = _settings(tmp_path)
    open_store(cfg, create=True).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " sys.stdin.readline()", str(cfg.store / "memory.duckdb")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )
    heard: list[str] = []
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusyError) as caught:
            open_when_free(lambda: open_store(cfg), 0.3, heard.append)
        assert caught.value.message.startswith("waited 0.3 s: ") and f"process {holder.pid}" in caught.value.message
        assert len(heard) == 1 and f"process {holder.pid}" in heard[0]
    finally:
        holder.communicate("\n", timeout=60)
    open_when_free(lambda: open_store(cfg), 0.3).close()  # free again


def test_the_journal_gives_back_one_conversation_and_keeps_the_rest(tmp_path: Path) -> None:
    journal = UnsavedJournal(tmp_path)
    said = [Unsaid(c, 2, "user", f"line of {c}", "said", datetime(2024, 1, 1, 10, 0)) for c in ("a", "b", "a")]
    journal.add(said)
    with journal.path.open("a", encoding="utf-8") as out:
        out.write('{"conversation": "a", "text": "half a li')  # a crash while writing
    assert journal.take("a") == [said[0], said[2]]
    assert journal.take("a") == []
    assert journal.take("b") == [said[1]]
    assert journal.path.read_text(encoding="utf-8") == '{"conversation": "a", "text": "half a li\n'
