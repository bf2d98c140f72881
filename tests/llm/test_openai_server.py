"""The OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from convmem.errors import LLMModelNotFoundError, LLMUnavailableError
from convmem.llm import ChatRequest, LLMClient, ResponseCache
from convmem.llm.openai_backend import OpenAIBackend
from tests.llm.llama import LlamaServer, free_port

pytestmark = pytest.mark.llm_server

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 16},
        "part_of_day": {"enum": ["morning", "afternoon", "evening"]},
    },
    "required": ["city", "part_of_day"],
    "additionalProperties": False,
}


def _client(server: LlamaServer, **options) -> LLMClient:
    backend = OpenAIBackend(server.model, server.base_url, timeout_s=60)
    return LLMClient(backend, max_retries=0, **options)


def test_plain_completion(llama_server: LlamaServer) -> None:
    client = _client(llama_server)
    response = client.complete(
        ChatRequest.of("Say hello.", system="You are brief.", max_tokens=16, purpose="answer")
    )
    assert response.text.strip()
    assert response.model == llama_server.model
    assert 0 < response.completion_tokens <= 16 and response.prompt_tokens > 0
    assert not response.tokens_estimated and response.finish_reason in ("stop", "length")
    assert (
        client.usage()["answer"].total_tokens == response.prompt_tokens + response.completion_tokens
    )


def test_streaming_deltas_concatenate_to_the_answer(llama_server: LlamaServer) -> None:
    client = _client(llama_server)
    request = ChatRequest.of("Name three colours.", max_tokens=24, purpose="answer")
    whole = client.complete(request)
    deltas = list(client.stream(request))
    assert len(deltas) > 1
    assert "".join(deltas) == whole.text  # greedy decoding: the same answer both ways
    usage = client.usage()["answer"]
    assert usage.calls == 2 and usage.completion_tokens > whole.completion_tokens


def test_structured_output_falls_back_to_json_object(llama_server: LlamaServer) -> None:
    client = _client(llama_server)
    request = ChatRequest.of(
        "Where and when did we meet? Answer as JSON.",
        json_schema=ANSWER_SCHEMA,
        max_tokens=64,
        purpose="plan",
    )
    response = client.complete_json(request)
    jsonschema.validate(response.parsed, ANSWER_SCHEMA)
    assert client.backend.schema_mode == "json_object"  # llama.cpp rejected json_schema
    second = client.complete_json(request)  # remembered: no second rejection needed
    jsonschema.validate(second.parsed, ANSWER_SCHEMA)


def test_recorded_server_traffic_replays_with_no_server(
    llama_server: LlamaServer, tmp_path: Path
) -> None:
    request = ChatRequest.of("Say one word.", max_tokens=8)
    recorded = _client(llama_server, cache=ResponseCache(tmp_path)).complete(request)
    offline = OpenAIBackend(llama_server.model, f"http://127.0.0.1:{free_port()}/v1")
    replayed = LLMClient(offline, cache=ResponseCache(tmp_path, mode="replay")).complete(request)
    assert replayed.cached and replayed.text == recorded.text


def test_short_timeout_raises_unavailable(llama_server: LlamaServer) -> None:
    client = _client(llama_server)
    client.complete(ChatRequest.of("Hi.", max_tokens=2))  # model name checked, server warm
    with pytest.raises(LLMUnavailableError, match=r"did not answer within 0\.05s") as caught:
        client.complete(ChatRequest.of("Tell a long story.", max_tokens=120), timeout_s=0.05)
    assert "CONVMEM_LLM_TIMEOUT_S" in str(caught.value)


def test_wrong_model_name_lists_the_served_models(llama_server: LlamaServer) -> None:
    backend = OpenAIBackend("no-such-model", llama_server.base_url)
    with pytest.raises(LLMModelNotFoundError) as caught:
        LLMClient(backend, max_retries=3).complete(ChatRequest.of("Hi.", max_tokens=2))
    message = str(caught.value)
    assert "'no-such-model'" in message and llama_server.model in message
    assert "CONVMEM_LLM_MODEL" in message and "\n" not in message


def test_unreachable_port_raises_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    sleeps: list[float] = []
    client = LLMClient(OpenAIBackend("any", url), max_retries=2, sleep=sleeps.append)
    with pytest.raises(LLMUnavailableError, match="cannot reach the LLM at") as caught:
        client.complete(ChatRequest.of("Hi.", max_tokens=2))
    assert url in str(caught.value) and "gave up after 3 attempts" in str(caught.value)
    assert len(sleeps) == 2
    with pytest.raises(LLMUnavailableError):
        list(client.stream(ChatRequest.of("Hi.", max_tokens=2)))


def test_server_killed_mid_stream_raises_unavailable(doomed_llama_server: LlamaServer) -> None:
    client = _client(doomed_llama_server)
    stream = client.stream(
        ChatRequest.of("Write a very long story about the sea.", max_tokens=1500)
    )
    received = [next(stream)]
    doomed_llama_server.process.kill()
    doomed_llama_server.process.wait()
    with pytest.raises(LLMUnavailableError, match="broke off its answer") as caught:
        received.extend(stream)
    assert caught.value.partial_text == "".join(received)
    assert client.usage()["chat"].failures == 1
