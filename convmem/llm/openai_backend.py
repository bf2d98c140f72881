"""Any OpenAI-compatible chat server: vLLM in production, llama.cpp's server, or OpenAI.

The only module that imports ``openai``.  It hides the differences between servers that
matter to us:

- structured output: OpenAI and vLLM take ``{"type": "json_schema", ...}``; llama.cpp's
  server rejects that (with HTTP 400/422, or 500 and a validation message) but takes
  ``{"type": "json_object", "schema": ...}``.  The first rejection switches this backend
  to the second form for the rest of its life;
- the model name: some servers answer whatever name is sent, so the name is checked
  once against ``/v1/models`` and a wrong one fails with the served names listed;
- usage in streams: asked for with ``stream_options``; absent, the client estimates it.

Errors become ``convmem.errors`` classes with one-line messages; retries are the
client's job, so the SDK's own retries are off.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Generator
from typing import Any

import openai

from convmem.errors import (
    ConfigError,
    LLMAuthError,
    LLMError,
    LLMModelNotFoundError,
    LLMOutputError,
    LLMRateLimitError,
    LLMUnavailableError,
)
from convmem.llm.replies import (
    CHUNK_SCHEMA,
    COMPLETION_SCHEMA,
    MODELS_SCHEMA,
    checked,
    completion_fields,
    parse_body,
)
from convmem.llm.types import ChatRequest, ChatResponse

OPENAI_URL = "https://api.openai.com/v1"
_SCHEMA_WORDS = ("response_format", "json_schema")


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = "",
        api_key: str = "",
        *,
        timeout_s: float = 60.0,
        verify_model: bool = True,
    ) -> None:
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        if not model:
            raise ConfigError(
                f"CONVMEM_LLM_MODEL is empty; set it to a model served at {self.base_url}"
                f" (GET {self.base_url}/models lists them)"
            )
        self.model = model
        # Local servers need no key, but the SDK insists on one; it never reads the env here.
        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key or "none", timeout=timeout_s, max_retries=0
        )
        self._verified = not verify_model
        self._lock = threading.Lock()
        self.schema_mode = "json_schema"  # becomes "json_object" after the first rejection
        self.stream_usage = True  # becomes False if stream_options is rejected

    # ---- ChatBackend --------------------------------------------------------------------
    def complete(self, request: ChatRequest, *, timeout_s: float | None = None) -> ChatResponse:
        self._verify_model(timeout_s)
        raw = self._create(request, timeout_s, stream=False)
        body = parse_body(
            raw.headers.get("content-type", ""), raw.content, self.base_url, "a chat request",
            COMPLETION_SCHEMA,
        )
        fields = completion_fields(body)
        return ChatResponse(**{**fields, "model": fields["model"] or self.model})

    def stream(
        self, request: ChatRequest, *, timeout_s: float | None = None
    ) -> Generator[str, None, ChatResponse | None]:
        """Opens the stream before returning, so an unreachable server fails right here."""
        self._verify_model(timeout_s)
        chunks = self._create(request, timeout_s, stream=True)
        return self._deltas(chunks, timeout_s)

    # ---- internals ----------------------------------------------------------------------
    def _deltas(
        self, chunks: Any, timeout_s: float | None
    ) -> Generator[str, None, ChatResponse | None]:
        parts: list[str] = []
        usage: dict[str, Any] = {}
        model = self.model
        finish = ""
        events = 0
        try:
            for chunk in chunks:
                events += 1
                data = checked(_plain(chunk), self.base_url, "a streamed chat request", CHUNK_SCHEMA)
                model = data.get("model") or model
                usage = data.get("usage") or usage
                for choice in data.get("choices") or ():
                    finish = choice.get("finish_reason") or finish
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        parts.append(delta)
                        yield delta
            if not events:
                raise LLMOutputError(
                    f"the LLM at {self.base_url} answered a streamed chat request with no events"
                    " (not a server-sent event stream); point CONVMEM_LLM_BASE_URL at the /v1"
                    " address of an OpenAI-compatible server"
                )
        except openai.APIConnectionError as exc:
            if isinstance(exc, openai.APITimeoutError):
                raise self._mapped(exc, timeout_s) from exc
            raise LLMUnavailableError(
                f"the LLM at {self.base_url} broke off its answer after {len(parts)} deltas;"
                " check that the server is still running"
            ) from exc
        except openai.APIError as exc:
            raise self._mapped(exc, timeout_s) from exc
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            raise LLMOutputError(
                f"the LLM at {self.base_url} sent a stream event that is not JSON"
                f" ({_one_line(str(exc), 80)}); point CONVMEM_LLM_BASE_URL at the /v1 address"
                " of an OpenAI-compatible server"
            ) from None
        finally:
            chunks.close()
        if not usage:
            return None
        return ChatResponse(
            text="".join(parts),
            model=model,
            prompt_tokens=usage.get("prompt_tokens") or 0,
            completion_tokens=usage.get("completion_tokens") or 0,
            finish_reason=finish,
        )

    def _create(self, request: ChatRequest, timeout_s: float | None, *, stream: bool) -> Any:
        """Send, dropping each optional feature the server rejects (at most once each)."""
        for fallbacks_left in (2, 1, 0):
            kwargs = self._arguments(request, stream)
            create = (
                self._client.chat.completions.create
                if stream
                else self._client.chat.completions.with_raw_response.create
            )
            try:
                return create(**kwargs, timeout=_timeout(timeout_s))
            except openai.APIStatusError as exc:
                if fallbacks_left and self._falls_back(exc, kwargs):
                    continue
                raise self._mapped(exc, timeout_s) from exc
            except openai.APIError as exc:
                raise self._mapped(exc, timeout_s) from exc
        raise AssertionError("unreachable")

    def _arguments(self, request: ChatRequest, stream: bool) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.json_schema is not None:
            kwargs["response_format"] = self._response_format(request)
        if stream:
            kwargs["stream"] = True
            if self.stream_usage:
                kwargs["stream_options"] = {"include_usage": True}
        return kwargs

    def _response_format(self, request: ChatRequest) -> dict[str, Any]:
        if self.schema_mode == "json_object":
            return {"type": "json_object", "schema": request.json_schema}
        name = re.sub(r"[^A-Za-z0-9_-]", "_", request.purpose)[:64] or "answer"
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": request.json_schema, "strict": True},
        }

    def _falls_back(self, exc: openai.APIStatusError, kwargs: dict[str, Any]) -> bool:
        """Whether a rejection was of an optional feature we can drop and retry without."""
        status = exc.status_code
        if status in (401, 403, 404, 429):
            return False
        detail = _detail(exc).lower()
        rejected = status in (400, 422) or any(word in detail for word in _SCHEMA_WORDS)
        if not rejected:
            return False
        response_format = kwargs.get("response_format", {})
        if response_format.get("type") == "json_schema":
            self.schema_mode = "json_object"
            return True
        if "stream_options" in kwargs and (status in (400, 422) or "stream_options" in detail):
            self.stream_usage = False
            return True
        return False

    def _verify_model(self, timeout_s: float | None) -> None:
        if self._verified:
            return
        with self._lock:
            if self._verified:
                return
            try:
                raw = self._client.models.with_raw_response.list(timeout=_timeout(timeout_s))
                listing = parse_body(
                    raw.headers.get("content-type", ""), raw.content, self.base_url,
                    "the model list (GET /models)", MODELS_SCHEMA,
                )
                served = [model["id"] for model in listing["data"]]
            except openai.NotFoundError:
                served = []  # no /models endpoint: nothing to check against
            except openai.APIError as exc:
                raise self._mapped(exc, timeout_s) from exc
            if served and self.model not in served:
                listed = ", ".join(served[:5]) + (" ..." if len(served) > 5 else "")
                raise LLMModelNotFoundError(
                    f"the LLM at {self.base_url} does not serve model {self.model!r}"
                    f" (it serves: {listed}); set CONVMEM_LLM_MODEL to one of them"
                )
            self._verified = True

    def _mapped(self, exc: openai.APIError, timeout_s: float | None) -> LLMError:
        url = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            waited = f" within {timeout_s:g}s" if timeout_s is not None else " in time"
            return LLMUnavailableError(
                f"the LLM at {url} did not answer{waited}; raise CONVMEM_LLM_TIMEOUT_S or check the server"
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailableError(
                f"cannot reach the LLM at {url}; start the server or unset CONVMEM_LLM_BASE_URL"
            )
        if not isinstance(exc, openai.APIStatusError):
            return LLMUnavailableError(
                f"the LLM at {url} broke off its answer ({_one_line(str(exc))}); check the server"
            )
        status, detail = exc.status_code, _detail(exc)
        if status in (401, 403):
            return LLMAuthError(
                f"the LLM at {url} refused the API key (HTTP {status}); set CONVMEM_LLM_API_KEY"
            )
        if status == 404 or ("model" in detail.lower() and "not found" in detail.lower()):
            return LLMModelNotFoundError(
                f"the LLM at {url} has no model {self.model!r} (HTTP {status}); set CONVMEM_LLM_MODEL"
                f" to a served model (GET {url}/models lists them)"
            )
        if status == 429:
            return LLMRateLimitError(
                f"the LLM at {url} is rate limiting (HTTP 429: {detail}); wait or send fewer requests"
            )
        if status >= 500:
            return LLMUnavailableError(
                f"the LLM at {url} failed (HTTP {status}: {detail}); check the server log"
            )
        return LLMError(
            f"the LLM at {url} rejected the request (HTTP {status}: {detail});"
            " check the model's context size and max_tokens"
        )


def _plain(chunk: Any) -> Any:
    """A stream event as plain JSON values (the SDK builds its objects without checking)."""
    to_dict = getattr(chunk, "to_dict", None)
    return to_dict(warnings=False) if callable(to_dict) else chunk


def _timeout(timeout_s: float | None) -> Any:
    """``None`` means "the client's default" here; to the SDK it would mean "wait forever"."""
    return openai.NOT_GIVEN if timeout_s is None else timeout_s


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return _one_line(str(message))
    return _one_line(exc.message or "")


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
