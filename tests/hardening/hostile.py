"""A real HTTP server on 127.0.0.1 that misbehaves as an LLM endpoint can: it serves an
HTML page, truncated or wrongly shaped JSON, trickles bytes, or never answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMPLETION = {
    "id": "x", "object": "chat.completion", "created": 0, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
_CHUNK = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}
SSE = {
    "sse": [json.dumps({**_CHUNK, "choices": [{"index": 0, "delta": {"content": part}}]}) for part in ("hel", "lo")]
    + [json.dumps({**_CHUNK, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}),
       "[DONE]"],
    "sse_garbage": [json.dumps({**_CHUNK, "choices": [{"index": 0, "delta": {"content": "hi"}}]}), "{not json"],
    "sse_wrong_shape": [json.dumps({**_CHUNK, "choices": [{"index": 0, "delta": {"content": 5}}]})],
}
MODELS = {"object": "list", "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "x"}]}


def reply(mode: str, path: str) -> tuple[str, bytes]:
    """(content type, body) for one mode; ``ok`` answers like a real server."""
    if path.endswith("/models") and mode not in ("html_everywhere",):
        return "application/json", json.dumps(MODELS).encode()
    bodies = {
        "ok": ("application/json", json.dumps(COMPLETION)),
        "html": ("text/html", "<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"),
        "html_everywhere": ("text/html", "<html><body>It works!</body></html>"),
        "html_as_json": ("application/json", "<html><body>It works!</body></html>"),
        "truncated": ("application/json", json.dumps(COMPLETION)[:40]),
        "wrong_shape": ("application/json", json.dumps({"choices": "none", "model": 3})),
        "list": ("application/json", "[1, 2, 3]"),
        "no_choices": ("application/json", json.dumps({**COMPLETION, "choices": []})),
        "null_message": ("application/json", json.dumps({**COMPLETION, "choices": [{"index": 0, "message": None}]})),
        "content_object": ("application/json", json.dumps(
            {**COMPLETION, "choices": [{"index": 0, "message": {"role": "assistant", "content": {"a": 1}}}]})),
    }
    kind, text = bodies[mode]
    return kind, text.encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _answer(self) -> None:
        self.server.requests += 1
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.server.mode
        if mode == "silent":
            self.server.stop.wait(30)
            return
        if mode == "trickle":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "100000")
            self.end_headers()
            for _ in range(100000):
                if self.server.stop.wait(self.server.trickle_s):
                    return
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
            return
        if mode.startswith("sse") and not self.path.endswith("/models"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for event in SSE[mode]:
                self.wfile.write(f"data: {event}\n\n".encode())
                self.wfile.flush()
            return
        kind, body = reply(mode, self.path)
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode = "ok"
    trickle_s = 0.2
    requests = 0

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stop = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@contextmanager
def hostile_server(mode: str, trickle_s: float = 0.2) -> Iterator[_Server]:
    server = _Server()
    server.mode, server.trickle_s = mode, trickle_s
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        time.sleep(0)
