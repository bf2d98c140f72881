from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb

from convmem.storage.migrations import MIGRATIONS, current_version, migrate


def test_blank_database_gets_every_migration_in_order(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    applied = migrate(con)
    assert applied == [m.name for m in MIGRATIONS]
    assert current_version(con) == MIGRATIONS[-1].version
    rows = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]
    assert migrate(con) == []


def test_old_database_is_brought_forward_with_its_data(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    migrate(con, MIGRATIONS[:1])
    con.execute(
        "INSERT INTO turns VALUES ('c', '0', 0, 1, 0, 'A', 'hello', TIMESTAMP '2024-02-29 18:30:00')"
    )
    assert migrate(con) == [m.name for m in MIGRATIONS[1:]]
    row = con.execute("SELECT weekday, part_of_day, text FROM turns_t").fetchone()
    assert row == ("Thursday", "evening", "hello")


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    from convmem.storage.migrations import Migration

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("bad migration")

    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    migrate(con)
    with contextlib.suppress(RuntimeError):
        migrate(con, (*MIGRATIONS, Migration(99, "broken", broken)))
    assert current_version(con) == MIGRATIONS[-1].version
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "half" not in tables
