"""Turning a model's text into JSON that provably matches the schema that was asked for.

Servers differ in how well they enforce a schema (strict JSON-schema decoding, a JSON
grammar, or only a prompt), so the client checks every structured answer itself: nothing
reaches a planner unless it parses and validates.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from convmem.errors import LLMOutputError
from convmem.llm.types import ChatResponse

_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)


def extract_json(text: str) -> Any:
    """Parse the reply, tolerating a Markdown code fence or chatter around one JSON value."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        return json.loads(body)
    except ValueError:
        pass
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    if starts:
        try:
            value, _ = json.JSONDecoder().raw_decode(body[min(starts) :])
            return value
        except ValueError:
            pass
    raise ValueError("no JSON value found")


def validated(response: ChatResponse, schema: dict[str, Any], purpose: str) -> Any:
    """The parsed value, or ``LLMOutputError`` with a one-line reason and a remedy."""
    hint = (
        f"the answer was cut at {response.completion_tokens} tokens; raise max_tokens"
        if response.finish_reason == "length"
        else "check the prompt and the model"
    )
    try:
        value = extract_json(response.text)
    except ValueError:
        raise LLMOutputError(
            f"the LLM's answer to a {purpose!r} request is not JSON"
            f" (starts {_preview(response.text)}); {hint}"
        ) from None
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = error.json_path
        raise LLMOutputError(
            f"the LLM's answer to a {purpose!r} request does not match its schema"
            f" (at {where}: {_one_line(error.message)}); {hint}"
        )
    return value


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _preview(text: str) -> str:
    return repr(_one_line(text, 40)) if text.strip() else "empty"
