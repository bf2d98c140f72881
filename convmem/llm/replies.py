"""What an OpenAI-compatible server sent, checked against a schema before anything reads it.

A URL that points at an ordinary web server answers with an HTML page; a proxy that cuts a
connection leaves truncated JSON; an incompatible server sends a body of another shape.
Each becomes ``LLMOutputError`` (code ``llm_bad_output``) with one line that says what came
back and what to fix, so callers handle it like an unreachable server.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from convmem.errors import LLMOutputError

_USAGE = {
    "type": ["object", "null"],
    "properties": {
        "prompt_tokens": {"type": ["integer", "null"], "minimum": 0},
        "completion_tokens": {"type": ["integer", "null"], "minimum": 0},
    },
}
COMPLETION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["choices"],
    "properties": {
        "model": {"type": ["string", "null"]},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message"],
                "properties": {
                    "message": {
                        "type": "object",
                        "properties": {"content": {"type": ["string", "null"]}},
                    },
                    "finish_reason": {"type": ["string", "null"]},
                },
            },
        },
        "usage": _USAGE,
    },
}
CHUNK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"type": ["string", "null"]},
        "choices": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "delta": {
                        "type": ["object", "null"],
                        "properties": {"content": {"type": ["string", "null"]}},
                    },
                    "finish_reason": {"type": ["string", "null"]},
                },
            },
        },
        "usage": _USAGE,
    },
}
MODELS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "array",
            "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        }
    },
}
_REMEDY = "point CONVMEM_LLM_BASE_URL at the /v1 address of an OpenAI-compatible server"


def parse_body(content_type: str, body: bytes, url: str, what: str, schema: dict[str, Any]) -> Any:
    """The JSON value of a reply, validated against ``schema``; else ``LLMOutputError``."""
    try:
        text = body.decode("utf-8")
        value = json.loads(text)
    except (UnicodeDecodeError, RecursionError, ValueError):
        kind = (content_type or "no content type").split(";")[0].strip()
        looks = "an HTML page, not JSON" if body.lstrip()[:1] == b"<" else f"{len(body)} bytes of {kind} that are not whole JSON"
        raise LLMOutputError(
            f"the LLM at {url} answered {what} with {looks}"
            f" (starts {preview(body)}); {_REMEDY}"
        ) from None
    return checked(value, url, what, schema)


def checked(value: Any, url: str, what: str, schema: dict[str, Any]) -> Any:
    try:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
    except RecursionError:
        error = "nested too deeply"
    if error is not None:
        where = error if isinstance(error, str) else f"at {error.json_path}: {one_line(error.message, 80)}"
        raise LLMOutputError(
            f"the LLM at {url} answered {what} in an unexpected shape ({where}); {_REMEDY}"
        )
    return value


def completion_fields(value: dict[str, Any]) -> dict[str, Any]:
    """text, model, token counts and finish reason of a validated completion."""
    choice = value["choices"][0] if value["choices"] else {}
    usage = value.get("usage") or {}
    return {
        "text": (choice.get("message") or {}).get("content") or "",
        "model": value.get("model") or "",
        "prompt_tokens": usage.get("prompt_tokens") or 0,
        "completion_tokens": usage.get("completion_tokens") or 0,
        "finish_reason": choice.get("finish_reason") or "",
        "tokens_estimated": not usage,
    }


def one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def preview(body: bytes, limit: int = 40) -> str:
    text = body[: limit * 4].decode("utf-8", errors="replace")
    return repr(one_line(text, limit)) if text.strip() else "empty"
