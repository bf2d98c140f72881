"""The LLM port: our own request/response types, one client that adds retries, timeouts,
caching, token accounting and JSON validation, one module per backend, and a fake.

Callers get an ``LLMClient`` from ``convmem.compose.build_llm`` (or build one around the
fake in a test) and never touch a provider SDK.  Backends are imported from their own
modules, so importing this package loads neither ``openai``, ``transformers`` nor
``langchain_core``.
"""

from convmem.llm.cache import ResponseCache
from convmem.llm.client import LLMClient
from convmem.llm.fake import FakeChatModel
from convmem.llm.types import ChatBackend, ChatRequest, ChatResponse, Message, PurposeUsage

__all__ = [
    "ChatBackend",
    "ChatRequest",
    "ChatResponse",
    "FakeChatModel",
    "LLMClient",
    "Message",
    "PurposeUsage",
    "ResponseCache",
]
