"""API keys: every endpoint tried with a key for another conversation is refused and
returns none of its turns."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.launch import ROOT, ServerProcess, start_server
from tests.service.conftest import server_env, transcript

KEYS = {"key-for-a-0001": ["a"], "key-for-b-0002": ["b"], "admin-key-0003": ["*"]}
SECRET = "a turn"  # every text of conversation a starts with it


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp_path = tmp_path_factory.mktemp("keyed")
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(KEYS), encoding="utf-8")
    running = start_server(tmp_path / "keyed", server_env(), keys=keys)
    with httpx.Client(base_url=running.url, headers={"Authorization": "Bearer admin-key-0003"}) as admin:
        assert admin.post("/import", content=transcript("a") + transcript("b")).status_code == 200
    yield running
    running.stop()


def _as(server: ServerProcess, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


QUESTION = {"question": "what did we talk about last time?", "asked_at": "2024-03-05T09:00"}
ENDPOINTS = [
    ("GET", "/conversations/a/sessions", None),
    ("GET", "/conversations/a/turns", None),
    ("POST", "/conversations/a/retrieve", QUESTION),
    ("POST", "/conversations/a/ask", QUESTION),
    ("POST", "/conversations/a/ask", {**QUESTION, "stream": True}),
    ("GET", "/conversations/a/export", None),
    ("POST", "/conversations/a/turns", {"turns": [{"speaker": "x", "text": "injected"}]}),
    ("DELETE", "/conversations/a", None),
    ("POST", "/conversations/a/event-times", {"turn_ids": ["t0", "t1"]}),
    ("GET", "/doctor", None),  # the whole store: only a key scoped to "*"
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_other_conversations_key_is_forbidden_everywhere(keyed: ServerProcess, method: str, path: str, body: object) -> None:
    with _as(keyed, "key-for-b-0002") as b:
        response = b.request(method, path, json=body)
        assert response.status_code == 403 and SECRET not in response.text
    with _as(keyed, None) as anonymous:
        response = anonymous.request(method, path, json=body)
        assert response.status_code == 401 and SECRET not in response.text
    with _as(keyed, "admin-key-0003") as admin:  # nothing was written or deleted
        assert admin.get("/stats").json()["turns"] == 24


def test_lists_and_stats_show_only_the_keys_conversations(keyed: ServerProcess) -> None:
    with _as(keyed, "key-for-b-0002") as b:
        assert b.get("/conversations").json() == {"conversations": ["b"]}
        assert b.get("/stats").json()["turns"] == 12
        own = b.post("/conversations/b/retrieve", json=QUESTION).json()
        assert own["turn_ids"] and all(t["conversation"] == "b" for t in own["turns"])
        assert "a turn" not in b.get("/conversations/b/export").text
        # an import naming another conversation is refused whole: nothing of it is written
        refused = b.post("/import", content=transcript("b", 16) + transcript("a", 16))
        assert refused.status_code == 403
        times = b.post("/conversations/b/event-times", json={"turn_ids": ["t0"]})
        assert times.status_code == 200 and times.json()["conversation"] == "b"
    with _as(keyed, "admin-key-0003") as admin:
        assert admin.get("/stats").json()["turns"] == 24
        assert admin.get("/doctor").json() == {"turns": 24, "vectors": 24, "missing_vectors": 0,
                                               "orphan_vectors": 0, "healthy": True}
    with _as(keyed, "wrong-key-9999") as wrong:
        assert wrong.get("/conversations").status_code == 401


def test_non_loopback_bind_without_keys_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "serve", "--host", "0.0.0.0", "--port", "0",
         "--store", str(tmp_path / "s")],
        env={**server_env(), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--keys" in lines[0] and not (tmp_path / "s" / "server.json").exists()


def test_loopback_without_keys_is_open(tmp_path: Path) -> None:
    running = start_server(tmp_path / "open", server_env())
    try:
        with _as(running, None) as anyone:
            assert anyone.get("/conversations").status_code == 200
    finally:
        running.stop()
