"""``convmem mcp``: build the MCP server for a store and run it on one transport."""

from __future__ import annotations

import contextlib
import signal

from convmem.compose import build_llm, open_store
from convmem.config import Settings
from convmem.errors import ConfigError
from service.access import check_bind, load_keys
from service.client import running_server
from service.memory import MemoryService
from service.server import bind, exit_cleanly

TRANSPORTS = ("stdio", "http")


def run_mcp(settings: Settings, transport: str, host: str = "127.0.0.1", port: int = 8766) -> None:
    if transport not in TRANSPORTS:
        raise ConfigError(f"--transport {transport!r}: use stdio or http")
    keys = load_keys(settings.service_keys or None)
    if transport == "http":
        check_bind(host, keys)
    remote = running_server(settings.store, settings.api_key)
    service: MemoryService | None = None
    if remote is None:
        service = MemoryService(open_store(settings, create=True), settings, build_llm(settings))
    from service.mcp_server import build_mcp

    mcp = build_mcp(service, keys, settings.api_key, remote.url if remote is not None else "")
    if remote is not None:
        remote.close()
    try:
        if transport == "stdio":
            mcp.run("stdio")
        else:
            _run_http(mcp, host, port)
    finally:
        if service is not None:
            service.close()


def _run_http(mcp: object, host: str, port: int) -> None:
    """Streamable HTTP at /mcp on a socket bound here (port 0 picks a free one)."""
    import sys

    import uvicorn

    sock = bind(host, port)
    app = mcp.streamable_http_app(host=host)  # type: ignore[attr-defined]
    print(f"convmem MCP at http://{host}:{sock.getsockname()[1]}/mcp", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    for signum in (signal.SIGINT, signal.SIGTERM):  # re-raised by uvicorn after shutdown
        signal.signal(signum, exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    sock.close()
