"""A record of how one question was answered: each step's input, output, latency and LLM use.

The agent's steps (disambiguate, plan, retrieve, answer) each run inside
``AgentTrace.step``; the step's LLM calls and tokens are read as the difference of the
client's per-purpose usage before and after, so nothing has to thread token counts
through the planners and answerers, and a step that falls back after a failed call still
shows the failure.  ``/explain`` in the chat and ``ask --json`` read this record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from convmem.llm.types import PurposeUsage


class UsageSource(Protocol):
    def usage(self) -> dict[str, PurposeUsage]: ...


@dataclass(frozen=True)
class LLMCalls:
    """LLM use of one step for one purpose ("rewrite", "plan", "answer")."""

    purpose: str
    calls: int
    failures: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    models: tuple[str, ...] = ()

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose, "calls": self.calls, "failures": self.failures,
            "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
            "latency_ms": round(self.latency_ms, 1), "models": list(self.models),
        }


@dataclass
class TraceStep:
    name: str
    input: dict[str, Any]
    output: dict[str, Any] = field(default_factory=dict)
    latency_ms: float = 0.0
    llm: list[LLMCalls] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""  # set when the step raised

    @property
    def tokens(self) -> int:
        return sum(c.total_tokens for c in self.llm)

    @property
    def llm_calls(self) -> int:
        return sum(c.calls + c.failures for c in self.llm)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "input": self.input, "output": self.output,
            "latency_ms": round(self.latency_ms, 1), "tokens": self.tokens,
            "llm": [c.as_dict() for c in self.llm], "notes": list(self.notes),
            **({"error": self.error} if self.error else {}),
        }


@dataclass
class AgentTrace:
    conversation_id: str
    request: str
    asked_at: datetime
    steps: list[TraceStep] = field(default_factory=list)

    @contextmanager
    def step(
        self,
        name: str,
        input: dict[str, Any],
        llm: UsageSource | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> Iterator[TraceStep]:
        """Time a step and attribute to it the LLM use that happened inside it."""
        record = TraceStep(name, input)
        self.steps.append(record)
        before = llm.usage() if llm is not None else {}
        started = clock()
        try:
            yield record
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            record.latency_ms = (clock() - started) * 1000.0
            if llm is not None:
                record.llm = usage_delta(before, llm.usage())

    def get(self, name: str) -> TraceStep | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def latency_ms(self) -> float:
        return sum(s.latency_ms for s in self.steps)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.steps)

    @property
    def llm_calls(self) -> int:
        return sum(s.llm_calls for s in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "request": self.request,
            "asked_at": self.asked_at.isoformat(),
            "latency_ms": round(self.latency_ms, 1),
            "tokens": self.tokens,
            "llm_calls": self.llm_calls,
            "steps": [s.as_dict() for s in self.steps],
        }


def usage_delta(before: dict[str, PurposeUsage], after: dict[str, PurposeUsage]) -> list[LLMCalls]:
    """Per purpose, what was spent between two ``LLMClient.usage()`` snapshots."""
    spent = []
    for purpose in sorted(after):
        now, then = after[purpose], before.get(purpose, PurposeUsage())
        calls, failures = now.calls - then.calls, now.failures - then.failures
        if calls == 0 and failures == 0:
            continue
        spent.append(LLMCalls(
            purpose=purpose,
            calls=calls,
            failures=failures,
            prompt_tokens=now.prompt_tokens - then.prompt_tokens,
            completion_tokens=now.completion_tokens - then.completion_tokens,
            latency_ms=now.latency_ms - then.latency_ms,
            models=tuple(sorted(now.models)),
        ))
    return spent
