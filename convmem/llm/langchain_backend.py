"""Any LangChain chat model behind our port.

For users whose model is already wrapped by a LangChain integration.  LangChain types
stay inside this module: callers pass and receive our ``ChatRequest``/``ChatResponse``.
``max_tokens`` and ``temperature`` are settings of the LangChain model itself (its
constructor), since ``BaseChatModel`` has no common way to pass them per call; ``stop``
is passed through.  A JSON schema is stated in a system message and validated by the
client.  Errors from a provider are wrapped as ``LLMError`` unless they are plainly a
network failure or timeout, which become the retryable ``LLMUnavailableError``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from convmem.errors import LLMError, LLMUnavailableError
from convmem.llm.types import ChatRequest, ChatResponse, Message, schema_instruction

_CLASSES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}


class LangChainBackend:
    name = "langchain"

    def __init__(self, chat_model: BaseChatModel, model: str = "") -> None:
        self.chat_model = chat_model
        self.model = model or _model_name(chat_model)

    def complete(self, request: ChatRequest, *, timeout_s: float | None = None) -> ChatResponse:
        try:
            message = self.chat_model.invoke(to_langchain(request), stop=list(request.stop) or None)
        except LLMError:
            raise
        except Exception as exc:
            raise self._mapped(exc) from exc
        text = _text(message.content)
        prompt, completion = _usage(message)
        return ChatResponse(
            text=text,
            model=self.model,
            prompt_tokens=prompt or 0,
            completion_tokens=completion or 0,
            finish_reason=_finish(message),
            tokens_estimated=prompt is None,
        )

    def stream(
        self, request: ChatRequest, *, timeout_s: float | None = None
    ) -> Generator[str, None, ChatResponse | None]:
        messages = to_langchain(request)
        parts: list[str] = []
        prompt = completion = None
        try:
            for chunk in self.chat_model.stream(messages, stop=list(request.stop) or None):
                chunk_prompt, chunk_completion = _usage(chunk)
                if chunk_prompt is not None:
                    prompt = (prompt or 0) + chunk_prompt
                    completion = (completion or 0) + (chunk_completion or 0)
                delta = _text(chunk.content)
                if delta:
                    parts.append(delta)
                    yield delta
        except LLMError:
            raise
        except Exception as exc:
            raise self._mapped(exc) from exc
        if prompt is None:
            return None
        return ChatResponse(
            text="".join(parts),
            model=self.model,
            prompt_tokens=prompt,
            completion_tokens=completion or 0,
        )

    def _mapped(self, exc: Exception) -> LLMError:
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
        if isinstance(exc, ConnectionError | TimeoutError):
            return LLMUnavailableError(
                f"the LangChain model {self.model} is unreachable ({reason}); check its endpoint"
            )
        return LLMError(
            f"the LangChain model {self.model} failed ({reason}); check its configuration"
        )


def to_langchain(request: ChatRequest) -> list[BaseMessage]:
    messages: list[Message] = list(request.messages)
    if request.json_schema is not None:
        messages.insert(0, schema_instruction(request.json_schema))
    return [_CLASSES[m.role](content=m.content) for m in messages]


def from_langchain(message: BaseMessage) -> Message:
    role = {"system": "system", "human": "user", "ai": "assistant"}.get(message.type)
    if role is None:
        raise ValueError(f"no convmem role for a LangChain {message.type!r} message")
    return Message(role, _text(message.content))


def _text(content: Any) -> str:
    """LangChain content is a string or a list of blocks; only the text parts are ours."""
    if isinstance(content, str):
        return content
    pieces = []
    for block in content or ():
        if isinstance(block, str):
            pieces.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            pieces.append(str(block.get("text", "")))
    return "".join(pieces)


def _usage(message: Any) -> tuple[int | None, int | None]:
    usage = getattr(message, "usage_metadata", None)
    if not usage:
        return None, None
    return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))


def _finish(message: Any) -> str:
    metadata = getattr(message, "response_metadata", None) or {}
    return str(metadata.get("finish_reason") or metadata.get("stop_reason") or "")


def _model_name(chat_model: BaseChatModel) -> str:
    for attribute in ("model_name", "model"):
        value = getattr(chat_model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return chat_model._llm_type
