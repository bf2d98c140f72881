"""The store's open and repair path: damaged or missing vector side, read-only files, a full
disk, a store path that is a file, a DuckDB file that is locked or not a database."""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from convmem.errors import StoreFullError
from convmem.storage.vectors import VectorIndex
from tests.fixtures import jsonl_lines, run_cli, tmd_log, write_json, write_jsonl

QUESTION = ["retrieve", "what about topic 12?", "-c", "c", "--now", "2023-05-20T10:00"]


@pytest.fixture
def ingested(cli_env: Path, tmp_path: Path, capsys) -> Path:
    log = write_json(tmp_path / "c.json", tmd_log(sessions=3, turns=4))
    assert run_cli(["ingest", str(log)], capsys)[0] == 0
    return cli_env


def stats(capsys) -> dict[str, int]:
    code, out, _ = run_cli(["stats", "--json"], capsys)
    assert code == 0
    return json.loads(out)


def test_a_corrupt_vector_index_is_moved_aside_and_rebuilt_by_doctor(ingested: Path, capsys) -> None:
    (ingested / "chroma" / "chroma.sqlite3").write_bytes(b"this is not sqlite" * 64)
    code, _, err = run_cli(QUESTION, capsys)
    assert code == 3 and "run `convmem doctor`" in err and err.count("\n") == 1
    code, out, err = run_cli(["doctor"], capsys)
    assert code == 0 and out.startswith("repaired: 12 turns")
    [aside] = [p for p in ingested.iterdir() if p.name.startswith("chroma.broken-")]
    assert (aside / "chroma.sqlite3").read_bytes().startswith(b"this is not sqlite")  # kept
    assert str(aside) in err
    assert stats(capsys) == {"conversations": 1, "sessions": 3, "turns": 12, "vectors": 12}
    code, out, _ = run_cli(QUESTION, capsys)
    assert code == 0 and "topic 12" in out


def test_a_missing_vector_index_is_named_and_rebuilt(ingested: Path, capsys) -> None:
    shutil.rmtree(ingested / "chroma")
    VectorIndex.forget_open_clients()  # as a new process would find it
    code, _, err = run_cli(QUESTION, capsys)
    assert code == 3 and "is missing" in err and "convmem doctor" in err and "Traceback" not in err
    code, out, _ = run_cli(["doctor"], capsys)
    assert code == 0 and out.startswith("repaired")
    assert stats(capsys)["vectors"] == 12
    assert run_cli(QUESTION, capsys)[0] == 0


def test_doctor_check_only_never_moves_anything(ingested: Path, capsys) -> None:
    (ingested / "chroma" / "chroma.sqlite3").write_bytes(b"junk" * 64)
    code, _, err = run_cli(["doctor", "--check"], capsys)
    assert code == 3 and "convmem doctor" in err
    assert sorted(p.name for p in ingested.iterdir()) == ["chroma", "memory.duckdb"]


def test_a_store_path_that_is_a_file(cli_env: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "plain-file"
    path.write_text("hello")
    rows = write_jsonl(tmp_path / "c.jsonl", jsonl_lines("c"))
    for args in (["stats"], ["ingest", str(rows)], ["chat"]):
        code, _, err = run_cli([*args, "--store", str(path)], capsys)
        assert code == 3 and "is a file, not a directory" in err and err.count("\n") == 1
    assert path.read_text() == "hello"


def test_a_duckdb_file_that_is_not_a_database_says_so(cli_env: Path, capsys) -> None:
    cli_env.mkdir()
    (cli_env / "memory.duckdb").write_bytes(b"not a database" * 100)
    code, _, err = run_cli(["stats"], capsys)
    assert code == 3 and "not a readable DuckDB database" in err and "close other" not in err


def test_a_store_locked_by_another_process_names_it(ingested: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CONVMEM_STORE_WAIT_S", "0.3")  # the bounded wait, then the error
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " time.sleep(60)", str(ingested / "memory.duckdb")], stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, _, err = run_cli(["stats"], capsys)
        assert code == 3 and f"in use by process {holder.pid}" in err and "waited 0.3 s" in err
    finally:
        holder.kill()
        holder.wait()


def test_a_read_only_store_opens_for_reading_with_a_note(ingested: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    real = duckdb.connect

    def refuse_writes(path: str, read_only: bool = False, **kw):  # what a read-only mount does
        if not read_only and path.endswith("memory.duckdb"):
            raise duckdb.IOException(f'IO Error: Cannot open file "{path}": Read-only file system')
        return real(path, read_only=read_only, **kw)

    monkeypatch.setattr("convmem.storage.tables.duckdb.connect", refuse_writes)
    code, out, err = run_cli(QUESTION, capsys)
    assert code == 0 and "topic 12" in out and "opened read-only" in err
    rows = write_jsonl(tmp_path / "more.jsonl", jsonl_lines("more"))
    code, _, err = run_cli(["ingest", str(rows)], capsys)
    assert code == 3 and "is open read-only, so it cannot store new turns" in err
    assert err.count("\n") == 2  # the note and the error
    monkeypatch.setattr("convmem.storage.tables.duckdb.connect", real)
    assert stats(capsys)["turns"] == 12


def _full_disk(monkeypatch: pytest.MonkeyPatch, times: int = 1) -> list[int]:
    calls = [times]
    real = VectorIndex.upsert

    def upsert(self, turns, vectors) -> None:
        if calls[0] > 0:
            calls[0] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, turns, vectors)

    monkeypatch.setattr(VectorIndex, "upsert", upsert)
    return calls


def test_a_full_disk_during_ingest_is_one_line_and_stores_nothing(ingested: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    _full_disk(monkeypatch)
    rows = write_jsonl(tmp_path / "more.jsonl", jsonl_lines("more"))
    code, _, err = run_cli(["ingest", str(rows)], capsys)
    assert code == 3 and "disk holding" in err and "is full" in err and err.count("\n") == 1
    assert stats(capsys) == {"conversations": 1, "sessions": 3, "turns": 12, "vectors": 12}
    assert run_cli(["ingest", str(rows)], capsys)[0] == 0  # the same call, once there is space
    assert stats(capsys)["turns"] == 17


def test_the_chat_keeps_a_line_it_could_not_store(cli_env: Path, capsys, monkeypatch) -> None:
    _full_disk(monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO("I planted tulips by the gate.\n\n/quit\n"))
    code, out, _ = run_cli(["chat", "--now", "2024-03-01T10:00"], capsys)
    assert code == 0 and "is full" in out and "Enter alone sends them again" in out
    code, out, _ = run_cli(["show", "chat"], capsys)
    assert code == 0 and out.count("I planted tulips by the gate.") == 1


def test_store_full_is_retryable_and_has_a_code() -> None:
    assert StoreFullError("x").retryable and StoreFullError.code == "store_full"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_real_full_disk(tmp_path: Path, capsys, cli_env: Path, monkeypatch) -> None:
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        store = mount / "store"
        codes, err = [], ""
        for i in range(8):
            rows = [{"conversation": f"c{i}", "speaker": "u", "text": f"turn {n} " + "words " * 40,
                     "timestamp": f"2024-01-01T{n // 60 % 24:02d}:{n % 60:02d}"} for n in range(600)]
            code, _, err = run_cli(["ingest", str(write_jsonl(tmp_path / f"c{i}.jsonl", rows)),
                                    "--store", str(store)], capsys)
            codes.append(code)
            if code:
                break
        assert codes[-1] == 3 and "is full" in err and "Traceback" not in err, err
        subprocess.run(["mount", "-o", "remount,size=200m", str(mount)], check=True)
        # A write cut short by a full disk may leave Chroma's files damaged: doctor rebuilds.
        code, out, err = run_cli(["doctor", "--store", str(store)], capsys)
        assert code == 0 and out.startswith(("ok", "repaired")), err
        code, out, err = run_cli(["doctor", "--check", "--store", str(store)], capsys)
        assert code == 0 and out.startswith("ok"), err
    finally:
        VectorIndex.forget_open_clients()  # Chroma holds files open in this process
        gc.collect()
        for _ in range(10):
            if subprocess.run(["umount", str(mount)], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        else:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
