"""Real `convmem serve` processes on free loopback ports, over temp stores (hash embedder)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.launch import ServerProcess, start_server


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVMEM_")}
    env.update(CONVMEM_EMBEDDER="hash", ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    return env


def transcript(conversation: str, turns: int = 12, per_session: int = 4, topic: str = "pottery") -> str:
    """JSONL with explicit ids and sessions: one session a day, a turn a minute."""
    rows = []
    for i in range(turns):
        day, minute = 1 + i // per_session, i % per_session
        rows.append({
            "conversation": conversation, "turn_id": f"t{i}", "session": 1 + i // per_session,
            "speaker": "Ana" if i % 2 == 0 else "Ben",
            "text": f"{conversation} turn {i}: we talked about {topic} and item {i * 7}",
            "timestamp": f"2024-03-{day:02d}T10:{minute:02d}:00",
        })
    return "".join(json.dumps(r) + "\n" for r in rows)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    running = start_server(tmp_path / "served", server_env())
    yield running
    running.stop()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http
