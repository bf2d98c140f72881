"""``convmem serve``: open the store once, listen, and leave the address in the store.

The server binds its socket before it writes ``server.json`` into the store directory
(its URL and process id), so a client that reads the file can connect at once; the file
is removed when the server stops.  CLI commands find it there and go through the server
instead of opening DuckDB, which this process holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from convmem.compose import build_llm, open_store
from convmem.config import Settings
from convmem.errors import ConfigError
from service.access import KeyRing, check_bind, load_keys
from service.memory import MemoryService

SERVER_FILE = "server.json"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def write_server_file(store: Path, url: str) -> Path:
    path = store / SERVER_FILE
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    temp.replace(path)
    return path


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8765, keys: KeyRing | None = None,
          log_level: str = "warning", on_ready: Any = None) -> None:
    """Run the HTTP API until interrupted (SIGINT/SIGTERM stop it cleanly)."""
    import uvicorn

    from service.app import create_app

    ring = keys if keys is not None else load_keys(settings.service_keys or None)
    check_bind(host, ring)
    memory = open_store(settings, create=True)
    service = MemoryService(memory, settings, build_llm(settings))
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{actual}"
    config = uvicorn.Config(create_app(service, ring), log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    marker = write_server_file(settings.store, url)
    if on_ready is not None:
        on_ready(url)
    # uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown; with these handlers the
    # re-raised signal ends the process through the ``finally`` below (closing the store).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, exit_cleanly)
    try:
        server.run(sockets=[sock])
    finally:
        with contextlib.suppress(OSError):
            marker.unlink()
        sock.close()
        service.close()


def exit_cleanly(signum: int, frame: Any) -> None:
    sys.exit(0)
