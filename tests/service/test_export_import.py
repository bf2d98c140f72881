"""Export every conversation from one server, import into an empty store behind another:
the same stats, sessions and retrieval results."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.launch import start_server
from tests.fixtures import run_cli, tmd_log, write_json
from tests.service.conftest import server_env


def test_export_then_import_gives_the_same_memory(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, copy = tmp_path / "source", tmp_path / "copy"
    sim = tmp_path / "sim.jsonl"
    assert run_cli(["generate", "conversations", "--sessions", "8", "--seed", "3", "--out", str(sim)], capsys)[0] == 0
    log = write_json(tmp_path / "12.json", tmd_log(sessions=4))
    assert run_cli(["ingest", str(sim), str(log), "--store", str(source)], capsys)[0] == 0
    first, second = start_server(source, server_env()), start_server(copy, server_env())
    try:
        with httpx.Client(base_url=first.url, timeout=60) as a, httpx.Client(base_url=second.url, timeout=60) as b:
            a.post("/conversations/12/turns", json={"turns": [  # a turn added over the API, too
                {"speaker": "Ana", "text": "One more thing about the garden", "timestamp": "2023-06-01T08:00"}]})
            conversations = a.get("/conversations").json()["conversations"]
            assert len(conversations) == 2
            for conversation in conversations:
                exported = a.get(f"/conversations/{conversation}/export").text
                assert b.post("/import", content=exported).status_code == 200
            assert b.get("/stats").json() == a.get("/stats").json()
            for conversation in conversations:
                assert b.get(f"/conversations/{conversation}/sessions").json() == a.get(f"/conversations/{conversation}/sessions").json()
                assert b.get(f"/conversations/{conversation}/turns").json() == a.get(f"/conversations/{conversation}/turns").json()
                texts = [t["text"] for t in a.get(f"/conversations/{conversation}/turns").json()["turns"]]
                questions = [
                    "What did we talk about last time?", "What did we discuss two sessions ago?",
                    "What did we talk about in our third session?", "what did we say last week?",
                    *(" ".join(text.split()[:6]) + "?" for text in texts[3::17][:6]),
                ]
                for question in questions:
                    body = {"question": question, "asked_at": "2025-01-01T12:00"}
                    for retriever in ("agent", "semantic@10", "bm25@10"):
                        want = a.post(f"/conversations/{conversation}/retrieve", json={**body, "retriever": retriever}).json()
                        got = b.post(f"/conversations/{conversation}/retrieve", json={**body, "retriever": retriever}).json()
                        assert (got["turn_ids"], got["route"]) == (want["turn_ids"], want["route"]), (question, retriever)
                        assert want["turn_ids"] or retriever != "semantic@10"
            # importing the same export again changes nothing
            again = b.post("/import", content=a.get(f"/conversations/{conversations[0]}/export").text).json()
            assert again["added"] == 0 and b.get("/stats").json() == a.get("/stats").json()
    finally:
        first.stop()
        second.stop()
