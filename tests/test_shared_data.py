"""The dev data beside the checkout: the foundation's acceptance numbers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from convmem.embed.hashing import HashEmbedder
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from tests.conftest import shared_path

pytestmark = pytest.mark.shared_data


def test_tmd_logs_ingest_to_the_published_counts(tmp_path: Path) -> None:
    logs = shared_path("tmd", "ConversationData")
    with MemoryStore(tmp_path / "s", HashEmbedder(64)) as store:
        store.ingest(load_paths([logs]))
        stats = store.stats()
        assert (stats.conversations, stats.turns, stats.vectors) == (12, 7463, 7463)
        sessions = store.sessions("26")
        assert len(sessions) == 20
        assert sessions[0].start.date() == datetime(2023, 5, 8).date() and sessions[0].weekday == "Monday"
        assert sessions[-1].start.date() == datetime(2023, 10, 22).date() and sessions[-1].weekday == "Sunday"
        turn = store.turns("26", 1)[0]
        assert turn.turn_id == "0" and turn.spoken_at == datetime(2023, 5, 8, 1, 56, 4)


def test_locomo_dev_conversations_load(tmp_path: Path) -> None:
    convs = load_paths([shared_path("locomo")])
    assert [c.conversation_id for c in convs] == ["26", "30"]
    assert all(c.turns[0].turn_id == "D1:1" for c in convs)
    for conv in convs:
        times = [t.spoken_at for t in conv.turns]
        assert times == sorted(times)
