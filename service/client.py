"""A client of a running ``convmem serve``, and how CLI commands find one for a store.

While a server owns a store (``convmem serve``, or a chat serving it), DuckDB refuses a
second writer, so every CLI command on that store sends its request to the server named
in the store's ``server.json`` instead.  A file left by a killed server (dead process,
nothing listening) is ignored.  ``reach_store`` is how a command gets either that server
or the store itself, waiting a bounded time while another process holds the store for a
moment (a chat without a server, storing a turn).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from agent.store_access import open_when_free
from convmem.errors import ConvmemError, InputFormatError, NotFoundError
from convmem.types import Conversation, DialogueTurn
from service.access import AuthError, ForbiddenError
from service.memory import turn_json
from service.server import SERVER_FILE

T = TypeVar("T")
ERRORS: dict[int, type[ConvmemError]] = {400: InputFormatError, 401: AuthError, 403: ForbiddenError, 404: NotFoundError}


class ServiceError(ConvmemError):
    code = "service_error"
    exit_code = 9


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_url(store: Path) -> str | None:
    """The URL in ``store/server.json`` when its process is still alive."""
    try:
        info = json.loads((Path(store) / SERVER_FILE).read_text(encoding="utf-8"))
        url, pid = str(info["url"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if _alive(pid) else None


class ServiceClient:
    def __init__(self, url: str, api_key: str = "", timeout_s: float = 120.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = url
        self.http = httpx.Client(base_url=url, headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServiceError(f"the convmem server at {self.url} did not answer ({exc}); is it running?") from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message") or response.text
            except ValueError:
                message = response.text
            if response.status_code == 409:
                from convmem.errors import ConversationConflictError

                raise ConversationConflictError(str(message))
            kind = ERRORS.get(response.status_code, ServiceError)
            error = ServiceError(str(message)) if kind is InputFormatError else kind(str(message))
            raise error
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def ping(self) -> bool:
        try:
            return self.http.get("/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stats(self) -> dict[str, int]:
        result: dict[str, int] = self._call("GET", "/stats")
        return result

    def conversations(self) -> list[str]:
        return list(self._call("GET", "/conversations")["conversations"])

    def sessions(self, conversation_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/conversations/{conversation_id}/sessions")["sessions"])

    def turns(self, conversation_id: str, **params: Any) -> list[dict[str, Any]]:
        clean = {k: v for k, v in params.items() if v is not None}
        return list(self._call("GET", f"/conversations/{conversation_id}/turns", params=clean)["turns"])

    def add_turns(self, conversation_id: str, turns: Sequence[dict[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/conversations/{conversation_id}/turns", json={"turns": list(turns)})
        return result

    def _question(self, question: str, asked_at: str | None, context: Iterable[DialogueTurn], **extra: Any) -> dict[str, Any]:
        return {"question": question, "asked_at": asked_at,
                "context": [{"speaker": t.speaker, "text": t.text} for t in context], **extra}

    def retrieve(self, conversation_id: str, question: str, asked_at: str | None = None,
                 context: Iterable[DialogueTurn] = (), retriever: str = "agent") -> dict[str, Any]:
        body = self._question(question, asked_at, context, retriever=retriever)
        result: dict[str, Any] = self._call("POST", f"/conversations/{conversation_id}/retrieve", json=body)
        return result

    def recall(self, conversation_id: str, query: str, asked_at: str | None = None, after: str | None = None,
               before: str | None = None, session: int | None = None, k: int = 10) -> dict[str, Any]:
        body = {"query": query, "asked_at": asked_at, "after": after, "before": before, "session": session, "k": k}
        result: dict[str, Any] = self._call("POST", f"/conversations/{conversation_id}/recall", json=body)
        return result

    def ask(self, conversation_id: str, question: str, asked_at: str | None = None,
            context: Iterable[DialogueTurn] = ()) -> dict[str, Any]:
        body = self._question(question, asked_at, context)
        result: dict[str, Any] = self._call("POST", f"/conversations/{conversation_id}/ask", json=body)
        return result

    def export(self, conversation_id: str) -> str:
        return str(self._call("GET", f"/conversations/{conversation_id}/export"))

    def import_jsonl(self, text: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/import", content=text.encode("utf-8"),
                                            headers={"content-type": "application/x-ndjson"})
        return result

    def import_conversations(self, conversations: Sequence[Conversation]) -> dict[str, Any]:
        lines = [json.dumps(turn_json(t), ensure_ascii=False) for c in conversations for t in c.turns]
        return self.import_jsonl("\n".join(lines) + "\n")

    def forget(self, conversation_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/conversations/{conversation_id}")
        return result

    def event_times(self, conversation_id: str, turn_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        body = self._call("POST", f"/conversations/{conversation_id}/event-times", json={"turn_ids": list(turn_ids)})
        return dict(body["event_times"])

    def doctor(self) -> dict[str, Any]:
        """The consistency check of both stores (never a repair: that needs the store alone)."""
        result: dict[str, Any] = self._call("GET", "/doctor")
        return result


def reach_store(
    store: Path, api_key: str, open_store: Callable[[], T], wait_s: float,
    on_wait: Callable[[str], None] | None = None,
) -> tuple[ServiceClient | None, T | None]:
    """The server that owns ``store`` or, with none, ``open_store()``; while the store is
    busy (another process holds it for a moment), both are tried again for up to
    ``wait_s`` seconds: a chat that starts serving the store meanwhile is found too."""
    def attempt() -> tuple[ServiceClient | None, T | None]:
        client = running_server(store, api_key)
        return (client, None) if client is not None else (None, open_store())

    return open_when_free(attempt, wait_s, on_wait)


def running_server(store: Path, api_key: str = "") -> ServiceClient | None:
    """A client for the server that owns ``store``, or ``None`` when none is running."""
    url = server_url(store)
    if url is None:
        return None
    client = ServiceClient(url, api_key)
    if client.ping():
        return client
    client.close()
    return None
