"""`convmem chat` as a real child process, fed through a stdin pipe, its output read as it
comes, and waits that end as soon as the expected text appears (bounded by a deadline)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from service.launch import ROOT
from tests.service.conftest import server_env

DEADLINE_S = 120.0  # the most any one expected piece of output may take (a loaded machine)


class ChatProcess:
    def __init__(self, store: Path, *args: str, env: dict[str, str] | None = None) -> None:
        child_env = {**server_env(), **(env or {}), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import cli; cli.main()", "chat", "--store", str(store), *args],
            env=child_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self._text = ""
        self._seen = 0  # how far ``expect`` has read
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while chunk := os.read(fd, 4096):
            with self._lock:
                self._text += chunk.decode("utf-8", errors="replace")

    @property
    def output(self) -> str:
        with self._lock:
            return self._text

    def expect(self, *pieces: str) -> str:
        """Wait until each of ``pieces`` has appeared, in order, after what was already
        expected; returns the output read up to the last of them."""
        deadline = time.monotonic() + DEADLINE_S
        for piece in pieces:
            while True:
                text = self.output
                found = text.find(piece, self._seen)
                if found >= 0:
                    self._seen = found + len(piece)
                    break
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"the chat ended (exit {self.process.returncode}) before {piece!r}:\n{text}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {piece!r} from the chat within {DEADLINE_S:.0f} s:\n{text}")
                time.sleep(0.02)
        return self.output[: self._seen]

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((line + "\n").encode("utf-8"))
        self.process.stdin.flush()

    def say(self, line: str, *replies: str) -> str:
        """Send a line, wait for ``replies`` and the next prompt (the line is handled)."""
        self.send(line)
        return self.expect(*replies, "you> ")

    def quit(self) -> int:
        self.send("/quit")
        code = self.process.wait(DEADLINE_S)
        self._reader.join(DEADLINE_S)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class StoreHolder:
    """Another process holding the store's DuckDB file read-write until ``release``."""

    def __init__(self, store: Path) -> None:
        code = ("import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
                " sys.stdin.readline(); c.close()")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(store / "memory.duckdb")],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "held"
        self.pid = self.process.pid

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self.process.wait(DEADLINE_S)
