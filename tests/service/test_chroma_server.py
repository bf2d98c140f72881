"""The vector side on a real Chroma server (`chroma run` on loopback)."""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from convmem.storage.memory import CHROMA_DIR, MemoryStore
from service.launch import start_chroma, start_server
from tests.fixtures import run_cli, tmd_log, write_json
from tests.service.conftest import server_env, transcript

pytestmark = pytest.mark.chroma_server
CHROMA = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMA).exists():
        pytest.skip("chromadb's `chroma` command is not installed")
    try:
        process, url = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield url
    process.terminate()
    process.wait(20)


def test_cli_ingest_doctor_and_retrieve_on_a_chroma_server(
    chroma_url: str, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVMEM_CHROMA_URL", chroma_url)
    log = write_json(tmp_path / "12.json", tmd_log(sessions=3))
    assert run_cli(["ingest", str(log)], capsys)[0] == 0
    assert not (cli_env / CHROMA_DIR).exists()  # nothing embedded in the store directory
    code, out, _ = run_cli(["stats", "--json"], capsys)
    assert code == 0 and '"vectors": 12' in out
    code, out, _ = run_cli(["retrieve", "red bicycle photo", "-c", "12", "--retriever", "semantic@3", "--json"], capsys)
    assert code == 0 and '"5"' in out  # the turn that shared the photo
    code, out, _ = run_cli(["doctor", "--check"], capsys)
    assert code == 0 and out.startswith("ok")


def test_two_stores_share_one_chroma_server_without_mixing(chroma_url: str, tmp_path: Path, hash_embedder) -> None:
    first = MemoryStore(tmp_path / "one", hash_embedder, chroma_url=chroma_url)
    second = MemoryStore(tmp_path / "two", hash_embedder, chroma_url=chroma_url)
    try:
        from convmem.storage.loaders.jsonl import load_jsonl

        first.ingest(load_jsonl(Path("a"), transcript("a").splitlines()))
        second.ingest(load_jsonl(Path("b"), transcript("b", 5).splitlines()))
        assert (first.stats().vectors, second.stats().vectors) == (12, 5)
        # a failed ingest leaves nothing on the server either (the journal as embedded)
        def fail() -> None:
            raise RuntimeError("crash before commit")

        first.tables.before_commit = fail  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            first.ingest(load_jsonl(Path("c"), transcript("c", 3).splitlines()))
        assert first.stats().vectors == 12 and first.doctor(repair=False).healthy
        second.vectors.delete([f"b#t{i}" for i in range(2)])  # drift on the server
        report = second.doctor()
        assert report.missing_vectors == 2 and report.repaired and second.stats().vectors == 5
    finally:
        first.close()
        second.close()


def test_the_service_runs_on_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    served = start_server(tmp_path / "served", {**server_env(), "CONVMEM_CHROMA_URL": chroma_url})
    try:
        with httpx.Client(base_url=served.url, timeout=60) as client:
            assert client.post("/import", content=transcript("a")).json()["added"] == 12
            found = client.post("/conversations/a/retrieve", json={"question": "item 21 pottery", "retriever": "semantic@3"})
            assert found.status_code == 200 and len(found.json()["turn_ids"]) == 3
            assert client.get("/stats").json()["vectors"] == 12
    finally:
        served.stop()


def test_an_unreachable_chroma_server_is_one_clear_line(cli_env: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CONVMEM_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")
    log = write_json(tmp_path / "12.json", tmd_log(sessions=1))
    code, _, err = run_cli(["ingest", str(log)], capsys)
    assert code == 3 and "Chroma server" in err and len(err.strip().splitlines()) == 1
