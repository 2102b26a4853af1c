"""Issue 27: only a missing warehouse file is a new warehouse. One emptied to 0 bytes was taken
for a new one (the approval record lost, the approved run's folder removed); one with a table
dropped passed quick_check and every command then failed as "a fault in vcc". Each is refused in
one line naming the file, and left as it was; an older vcc's is backed up before it migrates."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, text

from tests.flows.warehouse.records import start
from vcc.flows.warehouse.store import (
    MIGRATIONS,
    SCHEMA_REVISION,
    WAREHOUSE_FILE,
    Warehouse,
    WarehouseDamaged,
    WarehouseError,
    default_url,
)

RESTORE = "; vcc wrote nothing to it: restore it from your latest backup"


def made(out: Path) -> Path:
    """A whole warehouse at ``out`` holding one run."""
    start(Warehouse(default_url(out)), "run-1")
    return out / WAREHOUSE_FILE


def refusal(path: Path) -> str:
    with pytest.raises(WarehouseDamaged) as raised:
        Warehouse(f"sqlite:///{path}")
    return str(raised.value)


def test_a_missing_file_is_a_new_warehouse_made_whole_in_one_step(tmp_path):
    Warehouse(default_url(tmp_path))

    assert sorted(p.name for p in tmp_path.iterdir()) == [WAREHOUSE_FILE]  # no draft left
    with sqlite3.connect(tmp_path / WAREHOUSE_FILE) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (SCHEMA_REVISION,)
        ]


def test_an_emptied_warehouse_is_refused_not_taken_for_a_new_one(tmp_path):
    path = made(tmp_path)
    path.write_bytes(b"")

    assert refusal(path) == (
        f"the warehouse {path} is damaged (the file is empty (0 bytes); a new warehouse is made "
        f"only where no file is){RESTORE}"
    )
    assert path.stat().st_size == 0


def test_an_emptied_warehouse_stops_history_in_one_line(tmp_path):
    path = made(tmp_path)
    path.write_bytes(b"")

    command_ = subprocess.run(
        [sys.executable, "-m", "vcc.flows.cli", "history", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert (command_.returncode, command_.stdout) == (1, "")
    assert command_.stderr == (
        f"vcc: error: the warehouse {path} is damaged (the file is empty (0 bytes); a new "
        f"warehouse is made only where no file is){RESTORE}\n"
    )


def test_a_dropped_table_is_found_on_opening(tmp_path):
    path = made(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE circulations")

    assert (
        refusal(path) == f"the warehouse {path} is damaged (table circulations is missing){RESTORE}"
    )


def test_a_dropped_column_is_found_on_opening(tmp_path):
    path = made(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE runs DROP COLUMN timings")

    assert refusal(path) == (
        f"the warehouse {path} is damaged (table runs has lost its column timings){RESTORE}"
    )


def test_a_database_of_another_schema_is_refused(tmp_path):
    path = tmp_path / WAREHOUSE_FILE
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")

    assert refusal(path) == (
        f"the warehouse {path} is damaged (it is not a vcc warehouse: it holds other tables "
        f"(invoices) and none of vcc's){RESTORE}"
    )
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]


def test_a_database_with_vccs_tables_but_no_revision_is_refused(tmp_path):
    path = made(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE alembic_version")

    assert "but no schema revision" in refusal(path)


def test_an_unknown_revision_is_refused_naming_it(tmp_path):
    path = made(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")

    with pytest.raises(WarehouseError) as raised:
        Warehouse(f"sqlite:///{path}")
    assert str(raised.value) == (
        f"the warehouse {path}: its schema revision '0099' is not one this vcc knows (a newer "
        "vcc's?): open it with the vcc that wrote it"
    )


def test_a_dropped_table_is_found_on_postgresql(postgres_database):
    Warehouse(postgres_database)
    engine = create_engine(postgres_database)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE circulated_instances"))
    engine.dispose()

    with pytest.raises(WarehouseDamaged, match=r"\(table circulated_instances is missing\)"):
        Warehouse(postgres_database)


def test_an_older_warehouse_is_backed_up_before_it_migrates(tmp_path):
    path = tmp_path / WAREHOUSE_FILE
    settings = AlembicConfig()
    settings.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        settings.attributes["connection"] = connection
        command.upgrade(settings, "0001")
        connection.execute(
            text("INSERT INTO run_locks VALUES ('2025Q1', 'r', 'h', 1, '2025-01-01')")
        )
    engine.dispose()
    notices: list[str] = []

    Warehouse(f"sqlite:///{path}", notice=notices.append)

    (copy,) = tmp_path.glob(f"{WAREHOUSE_FILE}.backup-*")
    assert notices == [f"vcc: the warehouse is migrated; its copy as it was: {copy}"]
    assert copy.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert db.execute("SELECT quarter FROM run_locks").fetchall() == [("2025Q1",)]


def test_warehouse_backup_copies_the_warehouse_with_sqlites_online_backup(tmp_path):
    from click.testing import CliRunner

    from vcc.flows.cli import main

    path = made(tmp_path)
    target = tmp_path / "copy.sqlite"

    result = CliRunner().invoke(
        main, ["warehouse", "backup", "--out", str(tmp_path), "--to", str(target)]
    )

    assert (result.exit_code, result.output) == (
        0, f"vcc: the warehouse {path} is copied to {target}\n"
    )  # fmt: skip
    assert target.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT run_id, status FROM runs").fetchall() == [("run-1", "running")]
    again = CliRunner().invoke(
        main, ["warehouse", "backup", "--out", str(tmp_path), "--to", str(target)]
    )
    assert again.exit_code == 1 and f"{target} exists already" in again.output


def test_warehouse_backup_of_postgresql_says_what_to_run(postgres_database, tmp_path):
    from click.testing import CliRunner

    from vcc.flows.cli import main

    config = tmp_path / "vcc.toml"
    config.write_text('districts = ["Eden"]\n[warehouse]\nurl_env = "VCC_TEST_WAREHOUSE"\n')

    result = CliRunner().invoke(
        main, ["warehouse", "backup", "--config", str(config)],
        env={"VCC_TEST_WAREHOUSE": postgres_database},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output.startswith("vcc: the warehouse is a PostgreSQL database: back it up")
    assert "pg_dump --format=custom" in result.output
