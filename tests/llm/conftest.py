"""Fixtures for the ``llm_server`` tests: real llama.cpp servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llm.llama import LlamaServer, start_server, stop_server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = start_server(tmp_path_factory.mktemp("llama") / "server.log")
    yield server
    stop_server(server.process)


@pytest.fixture
def doomed_llama_server(tmp_path: Path) -> Iterator[LlamaServer]:
    """A server of its own, for a test that kills it."""
    server = start_server(tmp_path / "server.log")
    yield server
    stop_server(server.process)
