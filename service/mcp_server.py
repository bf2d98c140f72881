"""convmem as an MCP server (the official ``mcp`` SDK), over stdio or streamable HTTP.

Tools: ``remember`` (add turns, optionally with their time), ``recall`` (turns for a query,
with optional after/before/session bounds; phrases like "last week" are grounded
against ``asked_at``), ``ask`` (an answer with its plan and cited turn ids),
``list_sessions``, ``list_conversations`` and ``forget``.

Where the calls go: when a ``convmem serve`` owns the store, every tool is a request to
it (it is the single writer), carrying the caller's API key; otherwise this process opens
the store itself and checks the key's scope the same way the HTTP API does.  Over HTTP
the key comes from the request's ``Authorization: Bearer`` header; over stdio from
``CONVMEM_API_KEY``.
"""

from __future__ import annotations

from typing import Any, Protocol

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from convmem.errors import ConvmemError
from service.access import KeyRing, Scope
from service.client import ServiceClient
from service.memory import MemoryService, NewTurn, parse_moment


class Memory(Protocol):
    def conversations(self) -> list[str]: ...
    def add_turns(self, conversation_id: str, turns: list[dict[str, Any]]) -> dict[str, Any]: ...
    def recall(self, conversation_id: str, query: str, asked_at: str | None = None, after: str | None = None,
               before: str | None = None, session: int | None = None, k: int = 10) -> dict[str, Any]: ...
    def ask(self, conversation_id: str, question: str, asked_at: str | None = None) -> dict[str, Any]: ...
    def sessions(self, conversation_id: str) -> list[dict[str, Any]]: ...
    def forget(self, conversation_id: str) -> dict[str, Any]: ...


class LocalMemory:
    """The tools' view of a store this process holds, limited to one key's scope."""

    def __init__(self, service: MemoryService, scope: Scope) -> None:
        self.service, self.scope = service, scope

    def conversations(self) -> list[str]:
        return self.scope.visible(self.service.conversation_ids())

    def add_turns(self, conversation_id: str, turns: list[dict[str, Any]]) -> dict[str, Any]:
        self.scope.check(conversation_id)
        items = [NewTurn(str(t.get("speaker") or ""), str(t.get("text") or ""),
                         parse_moment(t.get("timestamp"), f"turns[{i}].timestamp"),
                         None if t.get("turn_id") is None else str(t["turn_id"]), t.get("session"))
                 for i, t in enumerate(turns)]
        return self.service.add_turns(conversation_id, items)

    def recall(self, conversation_id: str, query: str, asked_at: str | None = None, after: str | None = None,
               before: str | None = None, session: int | None = None, k: int = 10) -> dict[str, Any]:
        self.scope.check(conversation_id)
        return self.service.recall(conversation_id, query, parse_moment(asked_at, "asked_at"),
                                   parse_moment(after, "after"), parse_moment(before, "before"), session, k)

    def ask(self, conversation_id: str, question: str, asked_at: str | None = None) -> dict[str, Any]:
        self.scope.check(conversation_id)
        return self.service.ask(conversation_id, question, parse_moment(asked_at, "asked_at"))

    def sessions(self, conversation_id: str) -> list[dict[str, Any]]:
        self.scope.check(conversation_id)
        return self.service.sessions(conversation_id)

    def forget(self, conversation_id: str) -> dict[str, Any]:
        self.scope.check(conversation_id)
        return self.service.forget(conversation_id)


def _key(ctx: Context | None, default: str) -> str:
    headers = ctx.headers if ctx is not None else None
    if headers:
        value = headers.get("authorization") or headers.get("Authorization") or ""
        if value.lower().startswith("bearer "):
            return value[7:].strip()
        if headers.get("x-api-key"):
            return str(headers["x-api-key"])
    return default


def build_mcp(service: MemoryService | None, keys: KeyRing, default_key: str = "", server_url: str = "") -> MCPServer:
    """The MCP server over a store held here (``service``) or a running ``convmem serve``."""
    mcp: MCPServer = MCPServer(
        "convmem",
        instructions="Long-term memory of conversations. Times are ISO 8601 in the conversation's local time;"
        " recall grounds phrases like 'last week' or 'two sessions ago' against asked_at.",
    )

    def memory(ctx: Context | None) -> Memory:
        key = _key(ctx, default_key)
        if service is None:
            return ServiceClient(server_url, key)
        return LocalMemory(service, keys.scope_of(key))

    def run(ctx: Context | None, call: Any) -> Any:
        target: Memory | None = None
        try:
            target = memory(ctx)
            return call(target)
        except ConvmemError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None
        finally:
            if isinstance(target, ServiceClient):
                target.close()

    @mcp.tool()
    def remember(conversation_id: str, text: str, speaker: str = "user", timestamp: str | None = None,
                 turn_id: str | None = None, ctx: Context | None = None) -> dict[str, Any]:
        """Store one turn of a conversation. timestamp: ISO 8601 (default: now). A turn_id
        makes a retry harmless: the same id with the same text is stored once."""
        turn = {"speaker": speaker, "text": text, "timestamp": timestamp, "turn_id": turn_id}
        return dict(run(ctx, lambda m: m.add_turns(conversation_id, [turn])))

    @mcp.tool()
    def recall(conversation_id: str, query: str, after: str | None = None, before: str | None = None,
               session: int | None = None, asked_at: str | None = None, k: int = 10,
               ctx: Context | None = None) -> dict[str, Any]:
        """Turns of the conversation that answer the query. after/before (ISO 8601) and
        session bound the search; time phrases in the query ("last week", "in our third
        session") are grounded against asked_at (default: now)."""
        return dict(run(ctx, lambda m: m.recall(conversation_id, query, asked_at, after, before, session, k)))

    @mcp.tool()
    def ask(conversation_id: str, question: str, asked_at: str | None = None,
            ctx: Context | None = None) -> dict[str, Any]:
        """Answer a question from the conversation's memory, citing turns as [t:ID]."""
        return dict(run(ctx, lambda m: m.ask(conversation_id, question, asked_at)))

    @mcp.tool()
    def list_sessions(conversation_id: str, ctx: Context | None = None) -> dict[str, Any]:
        """The conversation's sessions: index, start, end, weekday, number of turns."""
        return {"conversation": conversation_id, "sessions": run(ctx, lambda m: m.sessions(conversation_id))}

    @mcp.tool()
    def list_conversations(ctx: Context | None = None) -> dict[str, Any]:
        """The conversation ids this key may use."""
        return {"conversations": run(ctx, lambda m: m.conversations())}

    @mcp.tool()
    def forget(conversation_id: str, ctx: Context | None = None) -> dict[str, Any]:
        """Delete a conversation from memory (turns and vectors)."""
        return dict(run(ctx, lambda m: m.forget(conversation_id)))

    return mcp
