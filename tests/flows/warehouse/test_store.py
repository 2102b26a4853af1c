"""The warehouse of record on SQLite and on a real PostgreSQL: its schema, runs, locks and
one-transaction writes. Figures are small hand-made metrics tables; no Prefect."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from tests.flows.warehouse.records import FACTS, QUARTER, finish, metrics_frame, start
from vcc.flows.warehouse.store import (
    MIGRATIONS,
    SCHEMA_REVISION,
    QuarterLocked,
    Warehouse,
    WarehouseError,
)
from vcc.flows.warehouse.tables import metadata, run_locks


def test_schema_is_made_by_the_migrations(warehouse: Warehouse) -> None:
    tables = set(inspect(warehouse.engine).get_table_names())
    assert {"runs", "metrics", "report_versions", "approvals", "circulations",
            "circulated_instances", "run_locks", "alembic_version"} <= tables  # fmt: skip
    Warehouse(warehouse.url)  # opening again finds it at the newest revision


def test_the_migrations_make_exactly_the_tables_the_code_declares(warehouse: Warehouse) -> None:
    # tables.py is what the code reads and writes; the migrations are what a warehouse holds.
    with warehouse.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def _alembic() -> AlembicConfig:
    settings = AlembicConfig()
    settings.set_main_option("script_location", str(MIGRATIONS))
    return settings


def test_the_schema_revision_a_warehouse_is_checked_against_is_the_newest_migration() -> None:
    # Opening a current warehouse compares its revision with SCHEMA_REVISION instead of loading
    # Alembic: a new migration must move it on.
    assert ScriptDirectory.from_config(_alembic()).get_current_head() == SCHEMA_REVISION


def test_a_warehouse_an_older_vcc_made_is_upgraded_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'older.sqlite'}"
    engine = create_engine(url)
    settings = _alembic()
    with engine.begin() as connection:  # as vcc left it before migration 0002
        settings.attributes["connection"] = connection
        command.upgrade(settings, "0001")
    assert "qaf_samples" not in inspect(engine).get_table_names()
    assert Warehouse(url)._schema_revision() == SCHEMA_REVISION
    assert "qaf_samples" in inspect(engine).get_table_names()


def test_a_run_is_recorded_with_its_metrics_and_first_version(warehouse: Warehouse) -> None:
    start(warehouse, "run-1")
    (running,) = warehouse.list_runs(QUARTER)
    assert running["status"] == "running" and running["pid"] == os.getpid()
    frame = metrics_frame(("R6-UPDATE", 40, 30), ("R9-OUTCOME", 0, 0))
    plan = finish(warehouse, "run-1", frame, "a" * 64)
    assert (plan.version, plan.action, plan.label) == (1, "new", "First issue (version 1)")
    run = warehouse.run("run-1")
    assert run is not None
    assert run["status"] == "succeeded" and run["version"] == 1
    assert json.loads(run["timings"]) == {"extract": 1.5}
    stored = warehouse.metrics_of("run-1")
    assert stored[["measure_id", "eligible", "met"]].values.tolist() == [
        ["R6-UPDATE", 40, 30],
        ["R9-OUTCOME", 0, 0],
    ]
    assert stored["rate"].tolist()[0] == 0.75 and pd.isna(stored["rate"].tolist()[1])
    assert warehouse.table("run_locks") == []  # released


def test_a_second_run_of_the_same_quarter_is_refused_while_the_first_holds_the_lock(
    warehouse: Warehouse,
) -> None:
    start(warehouse, "run-1")
    with pytest.raises(QuarterLocked) as refused:
        start(warehouse, "run-2")
    assert re.fullmatch(
        r"2025Q1 is being run \(run run-1\) by pid \d+ since \d\d:\d\d, a vcc run; try again "
        "when it finishes",
        str(refused.value),
    )  # a run's refusal says who started it: here an analyst's `vcc run`
    warehouse.start_run("run-3", "2025Q2", FACTS.as_of, "manual", {}, FACTS)  # another quarter
    warehouse.fail_run("run-1", QUARTER, "source police: connection refused")
    start(warehouse, "run-4")  # the failed run released the lock
    assert (warehouse.run("run-1") or {}).get("error") == "source police: connection refused"


def _start_in_another_process(url: str, run_id: str, queue, done) -> None:
    try:
        Warehouse(url).start_run(run_id, QUARTER, FACTS.as_of, "manual", {}, FACTS)
        queue.put("started")
    except QuarterLocked as error:
        queue.put(str(error))
    done.wait(60)  # a run holds its lock while its process lives


def test_two_processes_starting_the_same_quarter_at_once_get_one_lock(warehouse: Warehouse) -> None:
    Warehouse(warehouse.url)  # created before the race; the race is for the lock
    context = multiprocessing.get_context("spawn")
    queue, done = context.Queue(), context.Event()
    workers = [
        context.Process(
            target=_start_in_another_process, args=(warehouse.url, f"r{n}", queue, done)
        )
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    results = sorted(queue.get(timeout=120) for _ in workers)
    done.set()
    for worker in workers:
        worker.join(timeout=60)
    assert results[1] == "started" and "2025Q1 is being run (run r" in results[0]


def test_a_lock_left_by_a_killed_process_is_taken_over(warehouse: Warehouse) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    start(warehouse, "killed")
    with warehouse.transaction() as connection:  # as if the run's process had been killed
        connection.execute(run_locks.update().values(pid=int(dead.stdout)))
    start(warehouse, "next")
    assert (warehouse.run("killed") or {}).get("status") == "abandoned"
    assert [lock["run_id"] for lock in warehouse.table("run_locks")] == ["next"]
    assert warehouse.table("run_locks")[0]["host"] == socket.gethostname()


def test_a_failed_publish_records_nothing(warehouse: Warehouse) -> None:
    start(warehouse, "run-1")
    frame = metrics_frame(("R6-UPDATE", 40, 30))
    plan = warehouse.plan_version(QUARTER, frame, "a" * 64, FACTS, threshold=5)

    def swap_fails() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        warehouse.finish_run("run-1", plan, frame, "a" * 64, "p" * 64, FACTS, {}, swap_fails)
    assert (warehouse.run("run-1") or {}).get("status") == "running"
    assert warehouse.count("metrics") == 0 and warehouse.table("report_versions") == []


def test_an_unreachable_warehouse_is_one_clear_line_without_the_password() -> None:
    with pytest.raises(WarehouseError) as raised:
        Warehouse("postgresql+psycopg://vcc:s3cret@127.0.0.1:1/vcc")
    message = str(raised.value)
    assert message.startswith(
        "the warehouse postgresql+psycopg://vcc:***@127.0.0.1:1/vcc cannot be reached ("
    )
    assert "s3cret" not in message and "\n" not in message
