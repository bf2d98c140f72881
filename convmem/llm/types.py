"""The LLM port: our own request and response types and the backend protocol.

Everything above ``convmem/llm`` speaks these types only, so no OpenAI, LangChain or
transformers object ever leaks into planners, answerers or evaluation, and a backend can
be swapped (or replaced by the fake) without touching a caller.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"message role {self.role!r} is not one of {', '.join(ROLES)}")


@dataclass(frozen=True)
class ChatRequest:
    """One call to a chat model, complete enough to be replayed from a cache.

    ``max_tokens`` left as ``None`` is filled in by the client from its configured default,
    so every request that reaches a backend is bounded.  ``purpose`` labels the call
    ("plan", "rewrite", "answer"...) for token accounting; it does not change the answer,
    so it is not part of the cache key.
    """

    messages: tuple[Message, ...]
    max_tokens: int | None = None
    temperature: float = 0.0
    json_schema: dict[str, Any] | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    purpose: str = "chat"

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", tuple(self.messages))
        object.__setattr__(self, "stop", tuple(self.stop))
        if not self.messages:
            raise ValueError("a chat request needs at least one message")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, not {self.max_tokens}")

    @classmethod
    def of(cls, prompt: str, *, system: str = "", **options: Any) -> ChatRequest:
        """A one-question request: an optional system message and one user message."""
        messages = [Message("system", system)] if system else []
        messages.append(Message("user", prompt))
        return cls(tuple(messages), **options)

    def canonical(self, backend: str, model: str) -> dict[str, Any]:
        """Everything that determines the answer, as plain JSON values."""
        return {
            "backend": backend,
            "model": model,
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "json_schema": self.json_schema,
            "stop": list(self.stop),
            "seed": self.seed,
        }

    def cache_key(self, backend: str, model: str) -> str:
        text = json.dumps(
            self.canonical(backend, model),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChatResponse:
    """What came back.  ``parsed`` holds the validated JSON when a schema was asked for;
    ``tokens_estimated`` says the backend reported no usage and the counts are ~4 chars
    per token."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float = 0.0
    cached: bool = False
    parsed: Any = None
    finish_reason: str = ""  # stop | length | "" when unknown
    tokens_estimated: bool = False

    def to_record(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": self.latency_ms,
            "finish_reason": self.finish_reason,
            "tokens_estimated": self.tokens_estimated,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ChatResponse:
        return cls(
            text=str(record["text"]),
            model=str(record["model"]),
            prompt_tokens=int(record["prompt_tokens"]),
            completion_tokens=int(record["completion_tokens"]),
            latency_ms=float(record.get("latency_ms", 0.0)),
            finish_reason=str(record.get("finish_reason", "")),
            tokens_estimated=bool(record.get("tokens_estimated", False)),
        )


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model adapter.  ``name`` and ``model`` are part of every cache key.

    ``stream`` yields text deltas; a generator may ``return`` the final ``ChatResponse``
    (with the server's token usage), which the client picks up from ``StopIteration``.
    A backend that returns nothing gets estimated counts.  Backends raise only
    ``convmem.errors`` LLM errors; retries, caching and accounting are the client's job.
    """

    name: str
    model: str

    def complete(self, request: ChatRequest, *, timeout_s: float | None = None) -> ChatResponse: ...

    def stream(self, request: ChatRequest, *, timeout_s: float | None = None) -> Iterator[str]: ...


def estimate_tokens(text: str) -> int:
    """About four characters per token: good enough for budgets when a server is silent."""
    return math.ceil(len(text) / 4) if text else 0


def prompt_text(messages: Sequence[Message]) -> str:
    return "\n".join(f"{m.role}: {m.content}" for m in messages)


def schema_instruction(schema: dict[str, Any]) -> Message:
    """For backends without constrained decoding: state the schema; the client validates."""
    return Message(
        "system",
        "Answer with one JSON value and nothing else. It must validate against this JSON "
        "schema: " + json.dumps(schema, sort_keys=True),
    )


@dataclass
class PurposeUsage:
    """Running totals for one purpose (or for all of them)."""

    calls: int = 0  # answers delivered, fresh or cached
    cached_calls: int = 0
    prompt_tokens: int = 0  # fresh calls only: a replayed answer costs nothing
    completion_tokens: int = 0
    estimated_calls: int = 0  # fresh calls whose counts were estimated
    retries: int = 0
    failures: int = 0
    latency_ms: float = 0.0
    models: set[str] = field(default_factory=set)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: PurposeUsage) -> None:
        self.calls += other.calls
        self.cached_calls += other.cached_calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.estimated_calls += other.estimated_calls
        self.retries += other.retries
        self.failures += other.failures
        self.latency_ms += other.latency_ms
        self.models |= other.models

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "estimated_calls": self.estimated_calls,
            "retries": self.retries,
            "failures": self.failures,
            "latency_ms": round(self.latency_ms, 1),
            "models": sorted(self.models),
        }
