"""Start ``convmem serve`` as a child process and wait until it listens.

Used by the tests and the load benchmark, which need a real server on a free loopback
port; the child stops on ``stop()`` (SIGTERM, then SIGKILL after a grace period) or
``kill()`` (SIGKILL, as a crash would).  ``start_chroma`` starts a ``chroma run`` server
the same way, for the vector side on a server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from service.server import SERVER_FILE

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    url: str
    store: Path

    def stop(self, grace_s: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(grace_s)
        return int(self.process.returncode)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def start_server(
    store: Path, env: dict[str, str] | None = None, keys: Path | None = None,
    host: str = "127.0.0.1", port: int = 0, timeout_s: float = 120.0, log: Path | None = None,
) -> ServerProcess:
    """``convmem serve --store STORE --port 0`` in a child; returns once it has an address."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    marker = store / SERVER_FILE
    marker.unlink(missing_ok=True)
    args = [sys.executable, "-c", "import cli; cli.main()", "serve", "--store", str(store),
            "--host", host, "--port", str(port)]
    if keys is not None:
        args += ["--keys", str(keys)]
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), child_env.get("PYTHONPATH", "")) if p)
    out = open(log, "a+b") if log is not None else tempfile.TemporaryFile()  # noqa: SIM115 - the child writes it
    process = subprocess.Popen(args, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out.seek(0)
            err = out.read().decode(errors="replace")
            raise RuntimeError(f"convmem serve exited with {process.returncode}: {err.strip()[-2000:]}")
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
            if int(info["pid"]) == process.pid:
                return ServerProcess(process, str(info["url"]), store)
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"convmem serve did not start within {timeout_s:.0f} s")


def start_chroma(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``chroma run`` on a free loopback port, its data in ``work``; returns it and its URL."""
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen([chroma, "run", "--path", str(work / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("chroma run did not start within 60 s")
