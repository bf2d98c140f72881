"""The MCP server, driven by the SDK's own client against real server processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from service.launch import ROOT, start_server
from tests.service.conftest import server_env

ASKED = "2024-03-05T09:00"


def _stdio(store: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-c", "import cli; cli.main()", "mcp", "--store", str(store)],
        env={**server_env(), "PYTHONPATH": str(ROOT), **env}, cwd=str(ROOT),
    )


def _data(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


async def _exercise(client: Client) -> dict[str, Any]:
    """Every tool once, on a conversation the client builds itself."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert names >= {"remember", "recall", "ask", "list_sessions", "list_conversations", "forget"}
    for day, (text, speaker) in enumerate([
        ("I started a pottery class on Monday", "Ana"), ("The glaze cracked in the kiln", "Ana"),
        ("We hiked up to the lake", "Ben"), ("My sister visits in June", "Ben"),
    ]):
        stored = _data(await client.call_tool("remember", {
            "conversation_id": "m", "text": text, "speaker": speaker,
            "timestamp": f"2024-02-{5 + day * 7:02d}T18:00", "turn_id": f"d{day}"}))
        assert stored["added"] == 1
    again = _data(await client.call_tool("remember", {"conversation_id": "m", "text": "I started a pottery class on Monday",
                                                      "speaker": "Ana", "timestamp": "2024-02-05T18:00", "turn_id": "d0"}))
    assert again["added"] == 0 and again["skipped"] == 1
    sessions = _data(await client.call_tool("list_sessions", {"conversation_id": "m"}))["sessions"]
    assert len(sessions) == 4
    # "last week" grounded against asked_at: the turn of 2024-02-26 (a Monday) only
    last_week = _data(await client.call_tool("recall", {"conversation_id": "m", "query": "what did we say last week?",
                                                        "asked_at": ASKED}))
    assert [t["turn_id"] for t in last_week["turns"]] == ["d3"] and last_week["route"] == "time"
    bounded = _data(await client.call_tool("recall", {"conversation_id": "m", "query": "pottery kiln glaze",
                                                      "after": "2024-02-10T00:00", "before": "2024-02-15T00:00"}))
    assert [t["turn_id"] for t in bounded["turns"]] == ["d1"]
    in_session = _data(await client.call_tool("recall", {"conversation_id": "m", "query": "hike", "session": 3}))
    assert [t["turn_id"] for t in in_session["turns"]] == ["d2"]
    answer = _data(await client.call_tool("ask", {"conversation_id": "m", "question": "What did we talk about last time?",
                                                  "asked_at": ASKED}))
    assert answer["turn_ids"] == ["d3"] and "[t:d3]" in answer["answer"]
    listed = _data(await client.call_tool("list_conversations", {}))["conversations"]
    forgotten = _data(await client.call_tool("forget", {"conversation_id": "m"}))
    assert forgotten["removed"] == 4
    gone = await client.call_tool("list_sessions", {"conversation_id": "m"})
    assert gone.is_error and "not_found" in gone.content[0].text
    return {"listed": listed}


def test_stdio_server_holding_the_store(tmp_path: Path) -> None:
    async def main() -> dict[str, Any]:
        async with Client(_stdio(tmp_path / "store")) as client:
            return await _exercise(client)

    assert anyio.run(main)["listed"] == ["m"]


def test_stdio_server_goes_through_a_running_convmem_serve(tmp_path: Path) -> None:
    served = start_server(tmp_path / "store", server_env())
    try:
        async def main() -> dict[str, Any]:
            async with Client(_stdio(served.store)) as client:
                return await _exercise(client)

        assert anyio.run(main)["listed"] == ["m"]
        assert httpx.get(f"{served.url}/stats").json()["turns"] == 0  # forgotten through the server
    finally:
        served.stop()


@pytest.fixture
def mcp_http(tmp_path: Path) -> Any:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"key-for-a-0001": ["a"], "key-for-b-0002": ["b", "m"]}), encoding="utf-8")
    log = tmp_path / "mcp.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "import cli; cli.main()", "mcp", "--transport", "http", "--port", "0",
             "--keys", str(keys), "--store", str(tmp_path / "store")],
            env={**server_env(), "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    url = None
    while url is None and time.monotonic() < deadline and process.poll() is None:
        found = re.search(r"(http://127\.0\.0\.1:\d+/mcp)", log.read_text(errors="replace"))
        url = found.group(1) if found else None
        time.sleep(0.1)
    assert url is not None, log.read_text(errors="replace")
    yield url
    process.terminate()
    process.wait(20)


def _http(url: str, key: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
    return Client(streamable_http_client(url, http_client=http))


def test_streamable_http_server_and_key_scopes(mcp_http: str) -> None:
    async def main() -> None:
        async with _http(mcp_http, "key-for-b-0002") as b:
            await _exercise(b)
        async with _http(mcp_http, "key-for-a-0001") as a:
            stored = _data(await a.call_tool("remember", {"conversation_id": "a", "text": "a secret about the garden",
                                                          "speaker": "Ana", "timestamp": "2024-01-01T10:00"}))
            assert stored["added"] == 1
        async with _http(mcp_http, "key-for-b-0002") as b:
            assert _data(await b.call_tool("list_conversations", {}))["conversations"] == []
            calls = [
                ("remember", {"conversation_id": "a", "text": "injected"}),
                ("recall", {"conversation_id": "a", "query": "garden secret"}),
                ("recall", {"conversation_id": "a", "query": "garden", "after": "2023-01-01T00:00"}),
                ("ask", {"conversation_id": "a", "question": "what is the secret?"}),
                ("list_sessions", {"conversation_id": "a"}),
                ("forget", {"conversation_id": "a"}),
            ]
            for name, arguments in calls:
                result = await b.call_tool(name, arguments)
                text = " ".join(getattr(c, "text", "") for c in result.content)
                assert result.is_error and "forbidden" in text and "secret" not in text.replace("the secret?", ""), name
        async with _http(mcp_http, "key-for-a-0001") as a:
            assert len(_data(await a.call_tool("list_sessions", {"conversation_id": "a"}))["sessions"]) == 1
        async with _http(mcp_http, "not-a-key-000") as nobody:
            result = await nobody.call_tool("list_conversations", {})
            assert result.is_error and "unauthorized" in result.content[0].text

    anyio.run(main)
