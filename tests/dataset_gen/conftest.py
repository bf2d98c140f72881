"""A small simulated conversation in a real store, shared by the generator tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from convmem.embed.hashing import HashEmbedder
from convmem.storage.loaders import load_paths
from convmem.storage.memory import MemoryStore
from dataset_gen.simulator import SimulationConfig, write_conversations


@dataclass(frozen=True)
class Record:
    turn_id: str
    session: int
    index: int  # in its session
    speaker: str
    text: str
    at: datetime


@dataclass
class SimWorld:
    store: MemoryStore
    path: Path
    conversation_id: str
    records: list[Record]


def read_records(path: Path) -> list[Record]:
    records: list[Record] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        same = [r for r in records if r.session == item["session"]]
        records.append(
            Record(
                item["turn_id"],
                item["session"],
                len(same),
                item["speaker"],
                item["text"],
                datetime.fromisoformat(item["timestamp"]),
            )
        )
    return records


@pytest.fixture(scope="module")
def sim_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimWorld]:
    root = tmp_path_factory.mktemp("sim")
    path = root / "sim.jsonl"
    # Seed 12: two sessions share a day, and two days of the last week have sessions.
    write_conversations(path, SimulationConfig(sessions=24, seed=12, turns_per_session=(8, 14)))
    store = MemoryStore(root / "store", HashEmbedder(64))
    store.ingest(load_paths([path]))
    yield SimWorld(store, path, "sim-0001", read_records(path))
    store.close()
