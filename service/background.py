"""Serve a store from a background thread of the process that holds it (``convmem chat``).

A chat holds the store for its whole life; while it does, it also answers the HTTP API on
a free loopback port and leaves the address in ``server.json``, so ``convmem stats``,
``ask``, ``retrieve`` and ``ingest`` in another terminal go through it.  The chat's own
reads and writes take the service's lock, as every request does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from service.access import KeyRing
from service.memory import MemoryService
from service.server import bind, write_server_file


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
