"""The client around the scripted fake: retries, caching, JSON validation, accounting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convmem.errors import (
    LLMAuthError,
    LLMError,
    LLMModelNotFoundError,
    LLMOutputError,
    LLMRateLimitError,
    LLMUnavailableError,
)
from convmem.llm import ChatRequest, ChatResponse, FakeChatModel, LLMClient, Message, ResponseCache

PLAN_SCHEMA = {
    "type": "object",
    "properties": {
        "route": {"enum": ["time", "content", "time_content"]},
        "session": {"type": "integer", "minimum": 1},
    },
    "required": ["route"],
    "additionalProperties": False,
}


def _client(fake: FakeChatModel, **options) -> tuple[LLMClient, list[float]]:
    sleeps: list[float] = []
    return LLMClient(fake, sleep=sleeps.append, **options), sleeps


@pytest.mark.parametrize("error_class", [LLMUnavailableError, LLMRateLimitError])
def test_transient_errors_are_retried_with_backoff(error_class: type[LLMError]) -> None:
    fake = FakeChatModel().fail_next(error_class("down"), times=2).enqueue("hello")
    client, sleeps = _client(fake, max_retries=2, backoff_s=0.5)
    response = client.complete(ChatRequest.of("hi"))
    assert response.text == "hello"
    assert fake.calls == 3
    assert sleeps == [0.5, 1.0]
    assert client.usage()["chat"].retries == 2


def test_retries_stop_at_the_limit_and_say_so() -> None:
    fake = FakeChatModel().fail_next(LLMUnavailableError("cannot reach the LLM"), times=5)
    client, sleeps = _client(fake, max_retries=2)
    request = ChatRequest.of("hi", purpose="answer")
    with pytest.raises(LLMUnavailableError, match="gave up after 3 attempts") as caught:
        client.complete(request)
    assert fake.calls == 3 and len(sleeps) == 2
    assert caught.value.request.messages == request.messages  # the caller's data is kept
    assert client.usage()["answer"].failures == 1


@pytest.mark.parametrize(
    "error", [LLMModelNotFoundError("no model"), LLMAuthError("bad key"), LLMOutputError("junk")]
)
def test_permanent_errors_are_not_retried(error: LLMError) -> None:
    fake = FakeChatModel().fail_next(error).enqueue("never reached")
    client, sleeps = _client(fake, max_retries=5)
    with pytest.raises(type(error)) as caught:
        client.complete(ChatRequest.of("hi"))
    assert fake.calls == 1 and sleeps == []
    assert "gave up" not in str(caught.value)


def test_unexpected_exceptions_stay_loud() -> None:
    def broken(request: ChatRequest) -> str:
        raise ZeroDivisionError("bug")

    fake = FakeChatModel().enqueue(broken)
    client, _ = _client(fake, max_retries=3)
    with pytest.raises(ZeroDivisionError):
        client.complete(ChatRequest.of("hi"))
    assert fake.calls == 1


def test_max_tokens_is_always_bounded() -> None:
    fake = FakeChatModel().enqueue("a", "b")
    client, _ = _client(fake, max_tokens=77)
    client.complete(ChatRequest.of("hi"))
    client.complete(ChatRequest.of("hi", max_tokens=5))
    assert [r.max_tokens for r in fake.requests] == [77, 5]


def test_cache_records_then_replays_without_calling_the_backend(tmp_path: Path) -> None:
    fake = FakeChatModel().enqueue("first answer")
    client, _ = _client(fake, cache=ResponseCache(tmp_path / "cache"))
    request = ChatRequest.of("what did we discuss?", system="be brief", purpose="answer")
    first = client.complete(request)
    assert not first.cached and fake.calls == 1

    rerun_fake = FakeChatModel()  # strict and empty: any call would raise
    rerun, _ = _client(rerun_fake, cache=ResponseCache(tmp_path / "cache", mode="replay"))
    again = rerun.complete(
        ChatRequest.of("what did we discuss?", system="be brief", purpose="answer")
    )
    assert again.cached and again.text == "first answer"
    assert rerun_fake.calls == 0
    assert rerun.usage()["answer"].cached_calls == 1
    assert rerun.total_usage().total_tokens == 0  # a rerun costs nothing


def test_cache_is_keyed_by_content(tmp_path: Path) -> None:
    fake = FakeChatModel().enqueue("one", "two", "three", "four")
    client, _ = _client(fake, cache=ResponseCache(tmp_path))
    base = ChatRequest.of("hello")
    assert client.complete(base).text == "one"
    assert client.complete(ChatRequest.of("hello", purpose="other")).text == "one"  # label only
    assert client.complete(ChatRequest.of("hello!")).text == "two"
    assert client.complete(ChatRequest.of("hello", temperature=0.7)).text == "three"
    assert client.complete(ChatRequest.of("hello", max_tokens=9)).text == "four"
    assert fake.calls == 4
    other_model = FakeChatModel(model="another").enqueue("five")
    assert LLMClient(other_model, cache=ResponseCache(tmp_path)).complete(base).text == "five"
    files = sorted(tmp_path.rglob("*.json"))
    assert len(files) == 5
    record = json.loads(files[0].read_text())
    assert record["request"]["backend"] == "fake" and "model" in record["request"]


def test_replay_mode_refuses_to_reach_the_backend_on_a_miss(tmp_path: Path) -> None:
    fake = FakeChatModel().enqueue("never used")
    client, _ = _client(fake, cache=ResponseCache(tmp_path, mode="replay"))
    with pytest.raises(LLMError, match="CONVMEM_LLM_CACHE_MODE=record"):
        client.complete(ChatRequest.of("new question"))
    assert fake.calls == 0


def test_complete_json_returns_validated_value() -> None:
    fake = FakeChatModel().enqueue({"route": "time", "session": 3})
    client, _ = _client(fake)
    response = client.complete_json(ChatRequest.of("plan", json_schema=PLAN_SCHEMA, purpose="plan"))
    assert response.parsed == {"route": "time", "session": 3}
    assert fake.requests[0].json_schema == PLAN_SCHEMA


def test_complete_json_accepts_a_fenced_answer() -> None:
    fake = FakeChatModel().enqueue('Sure:\n```json\n{"route": "content"}\n```')
    client, _ = _client(fake)
    assert client.complete_json(ChatRequest.of("p", json_schema=PLAN_SCHEMA)).parsed == {
        "route": "content"
    }


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I think the route is time.", "is not JSON"),
        ({"route": "weather"}, "does not match its schema"),
        ({"route": "time", "session": 0}, r"at \$.session"),
        ({"route": "time", "extra": 1}, "does not match its schema"),
    ],
)
def test_complete_json_rejects_nonsense(reply: object, reason: str, tmp_path: Path) -> None:
    fake = FakeChatModel().enqueue(reply)
    client, _ = _client(fake, cache=ResponseCache(tmp_path))
    request = ChatRequest.of("plan", json_schema=PLAN_SCHEMA, purpose="plan")
    with pytest.raises(LLMOutputError, match=reason) as caught:
        client.complete_json(request)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.response.text == (reply if isinstance(reply, str) else json.dumps(reply))
    assert caught.value.request == client._bounded(request)
    assert not list(tmp_path.rglob("*.json"))  # a bad answer is never pinned in the cache
    assert client.usage()["plan"].failures == 1


def test_truncated_json_says_to_raise_max_tokens() -> None:
    class Truncating(FakeChatModel):
        def complete(self, request, *, timeout_s=None):
            self.requests.append(request)
            return ChatResponse('{"route": "ti', self.model, 3, 4, finish_reason="length")

    client, _ = _client(Truncating())
    with pytest.raises(LLMOutputError, match="raise max_tokens"):
        client.complete_json(ChatRequest.of("p", json_schema=PLAN_SCHEMA, max_tokens=4))


def test_token_accounting_per_purpose() -> None:
    fake = FakeChatModel().enqueue("one two three four", {"route": "time"}, "five six")
    client, _ = _client(fake)
    client.complete(ChatRequest.of("rewrite this please", purpose="rewrite"))
    client.complete_json(ChatRequest.of("make a plan", json_schema=PLAN_SCHEMA, purpose="plan"))
    client.complete(ChatRequest.of("answer it", purpose="answer"))
    usage = client.usage()
    assert set(usage) == {"rewrite", "plan", "answer"}
    assert usage["rewrite"].calls == 1 and usage["rewrite"].completion_tokens == 5
    assert usage["plan"].prompt_tokens > 0
    total = client.total_usage()
    assert total.calls == 3
    assert total.total_tokens == sum(u.total_tokens for u in usage.values())
    assert total.as_dict()["models"] == ["fake-chat"]


def test_stream_yields_deltas_records_usage_and_caches(tmp_path: Path) -> None:
    fake = FakeChatModel().enqueue("we talked about pottery in July")
    client, _ = _client(fake, cache=ResponseCache(tmp_path))
    request = ChatRequest.of("what did we talk about?", purpose="answer")
    deltas = list(client.stream(request))
    assert len(deltas) > 1 and "".join(deltas) == "we talked about pottery in July"
    usage = client.usage()["answer"]
    assert usage.calls == 1 and usage.completion_tokens > 0
    replayed = client.complete(request)
    assert replayed.cached and replayed.text == "we talked about pottery in July"
    assert fake.calls == 1


def test_stream_retries_before_the_first_delta_only() -> None:
    fake = FakeChatModel().fail_next(LLMUnavailableError("down")).enqueue("fine now")
    client, sleeps = _client(fake, max_retries=1)
    assert "".join(client.stream(ChatRequest.of("hi"))) == "fine now"
    assert fake.calls == 2 and len(sleeps) == 1


def test_stream_broken_half_way_keeps_the_partial_text() -> None:
    class Breaking(FakeChatModel):
        def stream(self, request, *, timeout_s=None):
            yield "half "
            yield "an answer"
            raise LLMUnavailableError("cannot reach the LLM")

    client, sleeps = _client(Breaking(), max_retries=3)
    seen = []
    with pytest.raises(LLMUnavailableError) as caught:
        for delta in client.stream(ChatRequest.of("hi", purpose="answer")):
            seen.append(delta)
    assert seen == ["half ", "an answer"]
    assert caught.value.partial_text == "half an answer"
    assert sleeps == []  # text already shown is not generated again
    usage = client.usage()["answer"]
    assert usage.failures == 1 and usage.completion_tokens > 0 and usage.estimated_calls == 1


def test_abandoned_stream_still_counts_tokens() -> None:
    fake = FakeChatModel().enqueue("one two three four five six")
    client, _ = _client(fake)
    stream = client.stream(ChatRequest.of("hi"))
    assert next(iter(stream)) == "one "
    stream.close()
    assert client.usage()["chat"].calls == 1


def test_requests_are_validated() -> None:
    with pytest.raises(ValueError):
        ChatRequest(())
    with pytest.raises(ValueError):
        Message("tool", "x")
    with pytest.raises(ValueError):
        LLMClient(FakeChatModel()).complete_json(ChatRequest.of("no schema"))


def test_a_damaged_recording_is_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    fake = FakeChatModel().enqueue("first", "second")
    client, _ = _client(fake, cache=cache)
    request = ChatRequest.of("hello")
    client.complete(request)
    (path,) = tmp_path.rglob("*.json")
    path.write_text('{"request": ', encoding="utf-8")  # a half-written file
    assert client.complete(request).text == "second"
    assert json.loads(path.read_text())["response"]["text"] == "second"
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]
