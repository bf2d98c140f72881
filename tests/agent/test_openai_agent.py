"""The agent through the OpenAI-compatible backend against a real llama.cpp server.

The model is a tiny base model, so these tests check plumbing, not quality: an answer
string comes back and streams, the trace counts the server's tokens, a rewrite that is
cut short or makes no sense falls back to the context reading, and the CLI reports a
wrong model name in one line while still answering from memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

import cli
from agent.disambiguate import LLMDisambiguator
from agent.pipeline import Agent
from convmem.config import Settings
from convmem.llm.client import LLMClient
from convmem.llm.openai_backend import OpenAIBackend
from convmem.retrieval.base import Query
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from convmem.types import DialogueTurn
from tests.fixtures import tmd_log, write_json
from tests.llm.llama import LlamaServer, start_server, stop_server

pytestmark = pytest.mark.llm_server

ASKED = datetime(2023, 5, 14, 9, 0)
NINE_DAYS = (
    DialogueTurn("Ana", "I see in my calendar that we talked 9 days ago."),
    DialogueTurn("Ben", "Yes! We did talk then."),
)
FOLLOW_UP = "Can you summarize what we discussed?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    running = start_server(tmp_path_factory.mktemp("llama-agent") / "server.log")
    yield running
    stop_server(running.process)


@pytest.fixture
def memory(store: MemoryStore, tmp_path: Path) -> MemoryStore:
    store.ingest(load_file(write_json(tmp_path / "c.json", tmd_log(sessions=4, turns=4))))
    return store


def client(server: LlamaServer, model: str | None = None) -> LLMClient:
    backend = OpenAIBackend(model or server.model, server.base_url, timeout_s=120)
    return LLMClient(backend, max_retries=0, max_tokens=48)


def agent(memory: MemoryStore, llm: LLMClient, **extra: object) -> Agent:
    settings = Settings.from_env({}, store=memory.root, embedder="hash", planner="rules")
    return Agent(memory, settings, llm, **extra)  # type: ignore[arg-type]


def test_answer_streams_and_the_trace_counts_server_tokens(server: LlamaServer, memory: MemoryStore) -> None:
    deltas: list[str] = []
    result = agent(memory, client(server)).ask(
        Query("c", "What did we talk about in our second session?", ASKED), on_text=deltas.append
    )
    assert result.answer.method == "llm" and result.text.strip() and result.llm_error is None
    assert len(deltas) > 1 and "".join(deltas).strip() == result.text
    assert result.turn_ids == ["4", "5", "6", "7"]
    step = result.trace.get("answer")
    assert [c.purpose for c in step.llm] == ["answer"]
    assert step.llm[0].prompt_tokens > 100 and step.llm[0].completion_tokens > 0
    assert result.trace.tokens == step.tokens


def test_a_cut_rewrite_falls_back_to_the_context(server: LlamaServer, memory: MemoryStore) -> None:
    llm = client(server)
    rewriter = LLMDisambiguator(llm, checked=True, max_tokens=3)  # no JSON fits in 3 tokens
    result = agent(memory, llm, disambiguator=rewriter).ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"))
    assert result.rewrite.method == "context"
    assert any("llm_bad_output" in note for note in result.rewrite.notes), result.rewrite.notes
    assert result.turn_ids == ["0", "1", "2", "3"]
    assert result.trace.get("disambiguate").llm[0].failures == 1


def test_whatever_the_rewrite_says_the_right_session_is_found(server: LlamaServer, memory: MemoryStore) -> None:
    """The base model's rewrite is accepted only if it keeps the time the dialogue names;
    either way the follow-up lands on the session of 9 days ago."""
    result = agent(memory, client(server)).ask(Query("c", FOLLOW_UP, ASKED, NINE_DAYS, "Ana"))
    assert result.trace.get("disambiguate").llm, "the rewrite was not asked for"
    if result.rewrite.method == "llm":
        assert result.rewrite.resolved.grounding.days_ago == 9
    else:
        assert any("used the context" in note for note in result.rewrite.notes)
    assert result.turn_ids == ["0", "1", "2", "3"]
    assert result.text.strip()


def test_cli_ask_with_a_wrong_model_name(
    server: LlamaServer, cli_env: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("CONVMEM_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("CONVMEM_LLM_MODEL", "no-such-model")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    log = write_json(tmp_path / "c.json", tmd_log(sessions=2))
    cli.main(["ingest", str(log)])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        cli.main(["ask", "What did we talk about in our second session?", "-c", "c", "--now", "2023-05-14T09:00"])
    out, err = capsys.readouterr()
    assert exited.value.code == 7 and "[t:4]" in out
    assert err.count("\n") == 1 and "'no-such-model'" in err and server.model in err


def test_cli_chat_with_the_server(server: LlamaServer, cli_env: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CONVMEM_LLM_BASE_URL", server.base_url)
    monkeypatch.setenv("CONVMEM_LLM_MODEL", server.model)
    monkeypatch.setenv("CONVMEM_LLM_MAX_TOKENS", "32")
    script = "I planted tomatoes in the garden today.\nWhat did I plant in the garden?\n/explain\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    cli.main(["chat", "--now", "2024-03-01T10:00"])
    out, _ = capsys.readouterr()
    assert "No LLM configured" not in out and "LLM was unavailable" not in out
    assert "answer: llm;" in out and "tokens" in out
