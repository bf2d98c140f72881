"""LangChain in both directions: a LangChain chat model behind our port, and a convmem
retriever behind LangChain's ``BaseRetriever``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatResult

from convmem.errors import LLMError, LLMUnavailableError
from convmem.llm import ChatRequest, ChatResponse, LLMClient, Message
from convmem.llm.langchain_backend import LangChainBackend, from_langchain, to_langchain
from convmem.retrieval.base import Query, Retrieval
from convmem.retrieval.langchain_retriever import ConvmemRetriever
from convmem.storage.loaders import load_file
from convmem.storage.memory import MemoryStore
from tests.fixtures import tmd_log, write_json

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


def test_messages_map_both_ways() -> None:
    request = ChatRequest(
        (Message("system", "be brief"), Message("user", "hi"), Message("assistant", "hello")),
        json_schema=SCHEMA,
    )
    converted = to_langchain(request)
    assert [type(m) for m in converted] == [SystemMessage, SystemMessage, HumanMessage, AIMessage]
    assert '"required": ["n"]' in converted[0].content  # the schema is stated to the model
    assert [from_langchain(m) for m in converted[1:]] == list(request.messages)


def test_complete_through_a_langchain_model_reports_usage() -> None:
    reply = AIMessage(
        content="hello there",
        usage_metadata={"input_tokens": 7, "output_tokens": 2, "total_tokens": 9},
    )
    client = LLMClient(LangChainBackend(GenericFakeChatModel(messages=iter([reply]))))
    response = client.complete(ChatRequest.of("hi", purpose="answer"))
    assert isinstance(response, ChatResponse)
    assert response.text == "hello there"
    assert (response.prompt_tokens, response.completion_tokens) == (7, 2)
    assert not response.tokens_estimated
    assert client.usage()["answer"].total_tokens == 9


def test_structured_answer_through_a_langchain_model() -> None:
    model = FakeListChatModel(responses=['{"n": 4}', "four"])
    client = LLMClient(LangChainBackend(model))
    assert client.complete_json(ChatRequest.of("2+2?", json_schema=SCHEMA)).parsed == {"n": 4}
    with pytest.raises(LLMError, match="not JSON"):
        client.complete_json(ChatRequest.of("2+2 in words?", json_schema=SCHEMA))


def test_stream_through_a_langchain_model() -> None:
    client = LLMClient(
        LangChainBackend(GenericFakeChatModel(messages=iter(["we met on a Tuesday"])))
    )
    deltas = list(client.stream(ChatRequest.of("when?")))
    assert len(deltas) > 1 and "".join(deltas) == "we met on a Tuesday"
    assert client.usage()["chat"].estimated_calls == 1  # the fake reports no usage


def test_a_broken_langchain_stream_keeps_partial_text() -> None:
    model = FakeListChatModel(responses=["abcdef"], error_on_chunk_number=3)
    client = LLMClient(LangChainBackend(model), max_retries=2, sleep=lambda s: None)
    with pytest.raises(LLMError, match="FakeListChatModelError") as caught:
        list(client.stream(ChatRequest.of("x")))
    assert caught.value.partial_text == "abc"


class _Unreachable(BaseChatModel):
    """A provider whose endpoint is down for the first ``failures`` calls."""

    failures: int = 1
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "unreachable"

    def _generate(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        from langchain_core.outputs import ChatGeneration

        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("connection refused")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="back"))])


def test_network_errors_from_a_provider_are_retryable() -> None:
    model = _Unreachable(failures=1)
    client = LLMClient(LangChainBackend(model), max_retries=1, sleep=lambda s: None)
    assert client.complete(ChatRequest.of("x")).text == "back"
    assert model.calls == 2
    with pytest.raises(LLMUnavailableError, match="unreachable"):
        LLMClient(LangChainBackend(_Unreachable(failures=9)), max_retries=0).complete(
            ChatRequest.of("x")
        )


class _FixedRetriever:
    """A convmem retriever that always ranks the same ids (one of them unknown)."""

    name = "fixed"

    def __init__(self) -> None:
        self.queries: list[Query] = []

    def retrieve(self, query: Query) -> Retrieval:
        self.queries.append(query)
        return Retrieval(
            turn_ids=["6", "missing", "1", "2"], scores=[0.9, 0.8, 0.5, 0.1], route="content"
        )


def test_convmem_retriever_as_a_langchain_retriever(store: MemoryStore, tmp_path: Path) -> None:
    store.ingest(load_file(write_json(tmp_path / "5.json", tmd_log(sessions=3))))
    asked_at = datetime(2023, 6, 1, 12, 0)
    inner = _FixedRetriever()
    retriever = ConvmemRetriever(
        retriever=inner,
        store=store,
        conversation_id="5",
        speaker="Ana",
        clock=lambda: asked_at,
        k=3,
    )
    documents = retriever.invoke("what was the topic in session 2?")
    assert inner.queries == [
        Query("5", "what was the topic in session 2?", asked_at, speaker="Ana")
    ]
    assert [d.metadata["turn_id"] for d in documents] == ["6", "1"]  # unknown id dropped, k=3
    first = documents[0]
    turn = {t.turn_id: t for t in store.turns("5")}["6"]
    assert first.page_content == turn.text
    assert first.metadata["session_index"] == 2 and first.metadata["speaker"] == turn.speaker
    assert first.metadata["spoken_at"] == turn.spoken_at.isoformat()
    assert first.metadata["score"] == pytest.approx(0.9) and first.metadata["route"] == "content"
    assert first.id == "5#6"
