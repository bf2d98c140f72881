"""Malformed LLM replies and slow servers, from a real HTTP server on 127.0.0.1: every
reply is schema-checked (anything else is an LLMError with a code, handled like an
unreachable server) and one deadline covers connect, reads and retries."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from convmem.errors import LLMError, LLMOutputError, LLMUnavailableError
from convmem.llm import ChatRequest, LLMClient
from convmem.llm.openai_backend import OpenAIBackend
from tests.fixtures import run_cli, tmd_log, write_json
from tests.hardening.hostile import hostile_server

BAD_REPLIES = ["html", "html_everywhere", "html_as_json", "truncated", "wrong_shape", "list",
               "null_message", "content_object"]
SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}


def client(url: str, timeout_s: float = 5.0, retries: int = 0) -> LLMClient:
    return LLMClient(OpenAIBackend("m", url, timeout_s=timeout_s), timeout_s=timeout_s,
                     max_retries=retries, backoff_s=0.05)


@pytest.mark.parametrize("mode", BAD_REPLIES)
def test_a_malformed_reply_is_an_llm_output_error(mode: str) -> None:
    with hostile_server(mode) as server:
        llm = client(server.base_url)
        for call in (
            lambda: llm.complete(ChatRequest.of("hi")),
            lambda: llm.complete_json(ChatRequest.of("hi", json_schema=SCHEMA)),
            lambda: "".join(llm.stream(ChatRequest.of("hi"))),
        ):
            with pytest.raises(LLMOutputError) as caught:
                call()
            assert caught.value.code == "llm_bad_output" and server.base_url in caught.value.message
            assert "\n" not in caught.value.message


def test_a_well_formed_reply_still_parses() -> None:
    with hostile_server("ok") as server:
        assert client(server.base_url).complete(ChatRequest.of("hi")).text == "hello"
    with hostile_server("sse") as server:
        llm = client(server.base_url)
        assert list(llm.stream(ChatRequest.of("hi", purpose="answer"))) == ["hel", "lo"]
        usage = llm.usage()["answer"]
        assert (usage.prompt_tokens, usage.completion_tokens, usage.estimated_calls) == (3, 2, 0)


@pytest.mark.parametrize("mode", ["sse_garbage", "sse_wrong_shape"])
def test_a_malformed_stream_event_is_an_llm_output_error(mode: str) -> None:
    with hostile_server(mode) as server, pytest.raises(LLMOutputError):
        list(client(server.base_url).stream(ChatRequest.of("hi")))


@pytest.mark.parametrize("mode", ["trickle", "silent"])
def test_one_deadline_covers_connect_reads_and_retries(mode: str) -> None:
    with hostile_server(mode, trickle_s=0.1) as server:
        llm = client(server.base_url, timeout_s=1.0, retries=2)
        for call in (lambda: llm.complete(ChatRequest.of("hi")), lambda: list(llm.stream(ChatRequest.of("hi")))):
            started = time.monotonic()
            with pytest.raises(LLMUnavailableError) as caught:
                call()
            waited = time.monotonic() - started
            # A per-read timeout would wait as long as the server trickles (here ~10,000 s).
            assert waited < 4.0, waited
            assert "did not answer within 1s" in caught.value.message


# ---- the CLI, end to end ----------------------------------------------------------------

@pytest.fixture
def ingested(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> Path:
    log = write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))
    assert run_cli(["ingest", str(log)], capsys)[0] == 0
    return tmp_path


def point_llm_at(monkeypatch: pytest.MonkeyPatch, url: str, planner: str = "llm") -> None:
    monkeypatch.setenv("CONVMEM_LLM_BASE_URL", url)
    monkeypatch.setenv("CONVMEM_LLM_MODEL", "m")
    monkeypatch.setenv("CONVMEM_LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("CONVMEM_PLANNER", planner)


@pytest.mark.parametrize("mode", ["html", "html_everywhere", "truncated", "wrong_shape", "trickle"])
def test_ask_against_a_web_server_answers_from_memory_in_one_line(
    ingested: Path, capsys, monkeypatch, mode: str
) -> None:
    context = write_json(ingested / "dialogue.json", [{"speaker": "Ana", "text": "We talked 9 days ago."}])
    with hostile_server(mode, trickle_s=0.1) as server:
        point_llm_at(monkeypatch, server.base_url)
        code, out, err = run_cli(["ask", "What did we talk about in our second session?", "-c", "c",
                                  "--now", "2023-05-14T09:00", "--context", str(context)], capsys)
    assert code == LLMError.exit_code and "[t:4]" in out
    assert err.startswith("error:") and err.count("\n") == 1 and "Traceback" not in err
    assert server.base_url in err


@pytest.mark.parametrize("mode", ["html", "wrong_shape"])
def test_chat_survives_a_malformed_reply_at_every_turn(cli_env: Path, capsys, monkeypatch, mode: str) -> None:
    script = "I adopted a cat called Miso.\nWhat is my cat called?\nAnd what did I adopt?\n/quit\n"
    with hostile_server(mode) as server:
        point_llm_at(monkeypatch, server.base_url, planner="auto")
        monkeypatch.setattr("sys.stdin", io.StringIO(script))
        code, out, err = run_cli(["chat", "--now", "2024-03-01T10:00"], capsys)
    assert code == 0 and "Traceback" not in out + err
    assert out.count("you>") == 4 and "Miso" in out
