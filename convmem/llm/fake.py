"""A scripted chat model that ships with the library, for tests, demos and smoke evaluations.

Queue the replies a conversation should get, run the code, then read ``requests`` to see
exactly what was asked.  Errors can be scripted too, so retry and failure paths are tested
through the real client rather than through mocks of it.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import Any

from convmem.errors import LLMError
from convmem.llm.types import ChatRequest, ChatResponse, estimate_tokens, prompt_text

Reply = str | dict[str, Any] | list[Any] | Callable[[ChatRequest], Any]


class FakeChatModel:
    """``enqueue`` texts, JSON values (dicts/lists, sent as JSON text) or callables of the
    request; ``fail_next`` raises a given error on the next call(s).

    With an empty queue a ``strict`` fake raises (a test should know every call it
    causes); a lenient one answers with ``default_text``, or with the smallest value that
    satisfies the request's JSON schema, so a demo can run end to end with no model.
    """

    name = "fake"

    def __init__(
        self,
        replies: tuple[Reply, ...] | list[Reply] = (),
        *,
        model: str = "fake-chat",
        strict: bool = True,
        default_text: str = "(no answer: the fake chat model has nothing queued)",
    ) -> None:
        self.model = model
        self.strict = strict
        self.default_text = default_text
        self.requests: list[ChatRequest] = []
        self._replies: deque[Reply] = deque(replies)
        self._errors: deque[LLMError] = deque()

    # ---- scripting ----------------------------------------------------------------------
    def enqueue(self, *replies: Reply) -> FakeChatModel:
        self._replies.extend(replies)
        return self

    def fail_next(self, error: LLMError, times: int = 1) -> FakeChatModel:
        self._errors.extend([error] * times)
        return self

    @property
    def pending(self) -> int:
        return len(self._replies)

    @property
    def calls(self) -> int:
        return len(self.requests)

    # ---- ChatBackend --------------------------------------------------------------------
    def complete(self, request: ChatRequest, *, timeout_s: float | None = None) -> ChatResponse:
        text = self._next_text(request)
        return ChatResponse(
            text=text,
            model=self.model,
            prompt_tokens=estimate_tokens(prompt_text(request.messages)),
            completion_tokens=min(estimate_tokens(text), request.max_tokens or 1 << 30),
            finish_reason="stop",
        )

    def stream(self, request: ChatRequest, *, timeout_s: float | None = None) -> Iterator[str]:
        response = self.complete(request, timeout_s=timeout_s)
        return _chunks(response)

    # ---- internals ----------------------------------------------------------------------
    def _next_text(self, request: ChatRequest) -> str:
        self.requests.append(request)
        if self._errors:
            raise self._errors.popleft()
        if self._replies:
            reply = self._replies.popleft()
            if callable(reply):
                reply = reply(request)
            return reply if isinstance(reply, str) else json.dumps(reply)
        if self.strict:
            raise LLMError(
                f"the fake chat model has no reply queued for this {request.purpose!r} request;"
                " enqueue() one first"
            )
        if request.json_schema is not None:
            return json.dumps(minimal_instance(request.json_schema))
        return self.default_text


def _chunks(response: ChatResponse) -> Generator[str, None, ChatResponse]:
    """Word-sized deltas, then the usage, as a streaming server would send them."""
    yield from (piece for piece in re.findall(r"\s*\S+\s*|\s+", response.text))
    return response


def minimal_instance(schema: dict[str, Any]) -> Any:
    """The smallest value that satisfies common JSON-schema shapes (enum, const, objects
    with required properties, bounded arrays and strings, numbers with a minimum)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return minimal_instance(schema[key][0])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: minimal_instance(properties.get(name, {})) for name in schema.get("required", [])
        }
    if kind == "array":
        return [minimal_instance(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        return "x" * schema.get("minLength", 0)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    return None
