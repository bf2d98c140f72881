"""The little that dataset generation needs from a language model.

The generators never build clients: they receive any object with ``complete_text``.
Adapting the project's chat port to it is one small class; tests use a scripted object.
Prompts are pure functions of their inputs (see ``content_llm`` and ``simulator.llm_turns``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from convmem.errors import LLMOutputError


class TextModel(Protocol):
    def complete_text(self, system: str, prompt: str) -> str:
        """One exchange: a system message and a user message in, the reply's text out."""
        ...


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, tolerating code fences and prose around it."""
    raw = _FENCE.sub("", text.strip())
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end <= start:
        raise LLMOutputError("the model's reply holds no JSON object")
    try:
        value = json.loads(raw[start : end + 1])
    except json.JSONDecodeError as exc:
        raise LLMOutputError(f"the model's reply is not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise LLMOutputError("the model's reply is not a JSON object")
    return value


def ask_json(model: TextModel, system: str, prompt: str, retries: int = 1) -> dict[str, Any]:
    """Ask for a JSON object; on a malformed reply ask again, saying what was wrong."""
    last: LLMOutputError | None = None
    for _ in range(retries + 1):
        text = model.complete_text(
            system, prompt if last is None else f"{prompt}\n\n{_retry_note(last)}"
        )
        try:
            return parse_json_object(text)
        except LLMOutputError as exc:
            last = exc
    assert last is not None
    raise last


def _retry_note(error: LLMOutputError) -> str:
    return (
        f"Your previous reply could not be used: {error.message}. Reply with one JSON object only."
    )


class ChatClientModel:
    """``TextModel`` over the project's LLM client (``convmem.compose.build_llm``): every
    call goes through its retries, cache and token accounting, labelled ``purpose``."""

    def __init__(self, client: Any, purpose: str = "dataset_gen", max_tokens: int = 2048) -> None:
        self.client = client
        self.purpose = purpose
        self.max_tokens = max_tokens

    def complete_text(self, system: str, prompt: str) -> str:
        from convmem.llm.types import ChatRequest

        request = ChatRequest.of(
            prompt, system=system, purpose=self.purpose, max_tokens=self.max_tokens
        )
        return str(self.client.complete(request).text)
