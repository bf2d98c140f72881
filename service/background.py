"""Serve a store from a background thread of the process that holds it (``convmem chat``).

A serving chat holds the store for its whole life; while it does, it also answers the
HTTP API on a free loopback port and leaves the address in ``server.json``, so every CLI
command in another terminal goes through it (``service.remote_store``).  The chat's own
reads and writes take the service's lock, as every request does.  A chat that does not
serve (``--no-serve``) holds the store only while it handles a line instead
(``agent.store_access``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from convmem.config import Settings
from convmem.storage.memory import MemoryStore
from service.access import KeyRing
from service.memory import MemoryService
from service.server import bind, write_server_file


def serve_held(memory: MemoryStore, settings: Settings, llm: Any, stack: contextlib.ExitStack) -> threading.RLock:
    """Serve ``memory`` (open for a chat's life) until ``stack`` closes, then close it;
    returns the lock the chat's own lines are handled under.  When serving cannot start
    (no loopback port, say) the ``ConvmemError`` is raised with ``memory`` closed."""
    service = MemoryService(memory, settings, llm)
    with contextlib.ExitStack() as held:
        held.callback(memory.close)
        held.enter_context(serving(service))
        stack.push(held.pop_all())
    return service.lock


@contextlib.contextmanager
def serving(service: MemoryService, keys: KeyRing | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    import uvicorn

    from service.app import create_app

    sock = bind(host, 0)
    url = f"http://{host}:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(service, keys or KeyRing()), log_level="error",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="convmem-serve", daemon=True)
    thread.start()
    marker = write_server_file(service.store.root, url)
    try:
        yield url
    finally:
        with contextlib.suppress(OSError):
            marker.unlink()
        server.should_exit = True
        thread.join(10)
        sock.close()
