"""The shipped fake behaves like a model, and the composition root builds the client."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from convmem.compose import build_llm
from convmem.config import Settings
from convmem.errors import ConfigError, LLMError
from convmem.llm import ChatRequest, FakeChatModel, LLMClient
from convmem.llm.fake import minimal_instance


def test_fake_records_requests_and_answers_in_order() -> None:
    fake = FakeChatModel(["a", {"k": 1}, lambda request: request.messages[-1].content.upper()])
    client = LLMClient(fake)
    texts = [client.complete(ChatRequest.of(q)).text for q in ("x", "y", "echo me")]
    assert texts == ["a", '{"k": 1}', "ECHO ME"]
    assert [r.messages[-1].content for r in fake.requests] == ["x", "y", "echo me"]
    assert fake.pending == 0


def test_strict_fake_refuses_unscripted_calls() -> None:
    with pytest.raises(LLMError, match="enqueue"):
        FakeChatModel().complete(ChatRequest.of("unexpected"))


@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "object",
            "properties": {"a": {"enum": ["x", "y"]}, "b": {"type": "integer", "minimum": 3}},
            "required": ["a", "b"],
            "additionalProperties": False,
        },
        {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 2},
        {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        {"type": ["null", "number"], "exclusiveMinimum": 0},
    ],
)
def test_lenient_fake_answers_schema_valid_json(schema: dict) -> None:
    client = LLMClient(FakeChatModel(strict=False))
    response = client.complete_json(ChatRequest.of("anything", json_schema=schema))
    jsonschema.validate(response.parsed, schema)
    assert response.parsed == minimal_instance(schema)


def test_no_llm_configured_means_none(settings: Settings) -> None:
    assert build_llm(settings) is None


def test_build_llm_wraps_the_chosen_backend_once(settings: Settings, tmp_path: Path) -> None:
    client = build_llm(
        settings.with_overrides(
            llm_backend="fake",
            llm_cache_dir=str(tmp_path / "c"),
            llm_max_tokens=33,
            llm_max_retries=4,
        )
    )
    assert isinstance(client, LLMClient)
    assert client.backend.name == "fake" and client.max_retries == 4
    assert client.cache is not None and client.cache.mode == "record"
    client.complete(ChatRequest.of("hello"))
    assert client.backend.requests[0].max_tokens == 33
    assert list((tmp_path / "c").rglob("*.json"))


def test_build_llm_openai_from_the_environment() -> None:
    settings = Settings.from_env(
        {"CONVMEM_LLM_BASE_URL": "http://127.0.0.1:9/v1", "CONVMEM_LLM_MODEL": "m"}
    )
    client = build_llm(settings)
    assert client is not None and client.backend.name == "openai"
    assert client.cache is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"llm_backend": "gpt"}, "not one of openai, transformers, fake"),
        ({"llm_backend": "openai", "llm_base_url": "http://127.0.0.1:9/v1"}, "CONVMEM_LLM_MODEL"),
        ({"llm_backend": "transformers"}, "CONVMEM_LLM_MODEL"),
        (
            {"llm_backend": "fake", "llm_cache_dir": "/tmp/x", "llm_cache_mode": "sometimes"},
            "record",
        ),
    ],
)
def test_bad_llm_settings_say_what_to_fix(
    settings: Settings, overrides: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_llm(settings.with_overrides(**overrides))
