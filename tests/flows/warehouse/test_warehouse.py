"""The warehouse of record on SQLite and on a real PostgreSQL: runs, locks, versions and
one-transaction writes. Figures are small hand-made metrics tables; no Prefect."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import socket
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import insert, inspect

from vcc.flows.warehouse.store import (
    QuarterLocked,
    RunFacts,
    Warehouse,
    WarehouseError,
    changed_headlines,
    circulations,
    run_locks,
)
from vcc.transforms.metrics import METRIC_COLUMNS

QUARTER = "2025Q1"
FACTS = RunFacts(dt.date(2025, 5, 1), "c" * 64, "0.1.0+abc", {"police.crimes.parquet": "1" * 64})


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request, tmp_path) -> Warehouse:
    if request.param == "sqlite":
        return Warehouse(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    return Warehouse(request.getfixturevalue("postgres_database"))


def metrics_frame(*rows: tuple[str, int, int]) -> pd.DataFrame:
    """`all` rows of measures: (measure_id, eligible, met)."""
    records = [
        {
            "quarter": QUARTER,
            "measure_id": m,
            "right": "Right 6",
            "agency": "police",
            "dimension": "all",
            "group": "all",
            "eligible": eligible,
            "met": met,
            "not_met": eligible - met,
            "pending": 0,
            "rate": met / eligible if eligible else None,
            "ci_low": None,
            "ci_high": None,
            "target": 0.9,
            "rag": "red",
        }  # fmt: skip
        for m, eligible, met in rows
    ]
    return pd.DataFrame(records, columns=METRIC_COLUMNS)


def start(warehouse: Warehouse, run_id: str, facts: RunFacts = FACTS) -> None:
    warehouse.start_run(run_id, QUARTER, facts.as_of, "manual", {"quarter": QUARTER}, facts)


def finish(warehouse: Warehouse, run_id: str, frame: pd.DataFrame, sha: str, facts=FACTS):
    plan = warehouse.plan_version(QUARTER, frame, sha, facts, threshold=5)
    manifest = {"run_id": run_id, "timings_seconds": {"extract": 1.5}}
    warehouse.finish_run(run_id, plan, frame, sha, "p" + sha[1:], facts, manifest, lambda: None)
    return plan


def circulate(warehouse: Warehouse, run_id: str, version: int) -> None:
    with warehouse.transaction() as connection:
        connection.execute(
            insert(circulations).values(
                quarter=QUARTER,
                version=version,
                run_id=run_id,
                recipient="board@example.org",
                pdf_sha256="p" * 64,
                message_id="<1@example.org>",
                sent_at=dt.datetime(2025, 5, 2, 9),
                sent_by="analyst",
            )  # fmt: skip
        )


def test_schema_is_made_by_the_migrations(warehouse):
    tables = set(inspect(warehouse.engine).get_table_names())
    assert {"runs", "metrics", "report_versions", "approvals", "circulations",
            "circulated_instances", "run_locks", "alembic_version"} <= tables  # fmt: skip
    Warehouse(warehouse.url)  # opening again finds it at the newest revision


def test_a_run_is_recorded_with_its_metrics_and_first_version(warehouse):
    start(warehouse, "run-1")
    (running,) = warehouse.list_runs(QUARTER)
    assert running["status"] == "running" and running["pid"] == os.getpid()
    frame = metrics_frame(("R6-UPDATE", 40, 30), ("R9-OUTCOME", 0, 0))
    plan = finish(warehouse, "run-1", frame, "a" * 64)
    assert (plan.version, plan.action, plan.label) == (1, "new", "First issue (version 1)")
    run = warehouse.run("run-1")
    assert run["status"] == "succeeded" and run["version"] == 1
    assert json.loads(run["timings"]) == {"extract": 1.5}
    stored = warehouse.metrics_of("run-1")
    assert stored[["measure_id", "eligible", "met"]].values.tolist() == [
        ["R6-UPDATE", 40, 30],
        ["R9-OUTCOME", 0, 0],
    ]
    assert stored["rate"].tolist()[0] == 0.75 and pd.isna(stored["rate"].tolist()[1])
    assert warehouse.table("run_locks") == []  # released


def test_same_figures_keep_the_version_and_a_draft_is_replaced_not_revised(warehouse):
    start(warehouse, "run-1")
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    start(warehouse, "run-2")
    same = finish(warehouse, "run-2", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    assert (same.version, same.action) == (1, "same")
    start(warehouse, "run-3")
    draft = finish(warehouse, "run-3", metrics_frame(("R6-UPDATE", 40, 31)), "b" * 64)
    assert (draft.version, draft.action, draft.revisions) == (1, "replace", [])
    (version,) = warehouse.table("report_versions", QUARTER)
    assert (version["run_id"], version["metrics_sha256"]) == ("run-3", "b" * 64)


def test_changed_figures_after_circulation_are_a_revision_saying_why(warehouse):
    start(warehouse, "run-1")
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30), ("R9-OUTCOME", 8, 8)), "a" * 64)
    circulate(warehouse, "run-1", 1)
    later = RunFacts(dt.date(2025, 6, 2), FACTS.config_sha256, FACTS.code_version,
                     {"police.crimes.parquet": "2" * 64})  # fmt: skip
    start(warehouse, "run-2", later)
    frame = metrics_frame(("R6-UPDATE", 44, 36), ("R9-OUTCOME", 8, 8))
    plan = finish(warehouse, "run-2", frame, "b" * 64, later)
    assert (plan.version, plan.action, plan.label) == (2, "new", "Revision 1 (version 2)")
    assert plan.reasons == [
        "later data: as of 2 June 2025 (was 1 May 2025)",
        "late or corrected source data (police)",
    ]
    # 30/40 = 75.0% to 36/44 = 81.8%; R9-OUTCOME's 8 of 8 hides met (not met 0 < 5) both times
    assert plan.changes == ["R6-UPDATE: eligible 40 to 44; rate 75.0% to 81.8%"]
    assert [(r.version, r.reasons) for r in plan.revisions] == [(2, plan.reasons)]
    assert [v["version"] for v in warehouse.table("report_versions", QUARTER)] == [1, 2]


def test_configuration_and_code_changes_are_named():
    class Earlier(dict):
        pass

    from vcc.flows.warehouse.store import _reasons

    earlier = Earlier(as_of=FACTS.as_of, config_sha256="d" * 64, code_version="0.0.9",
                      sources_sha256=json.dumps(FACTS.sources_sha256))  # fmt: skip
    assert _reasons(earlier, FACTS) == [
        "configuration change",
        "code change (0.0.9 to 0.1.0+abc)",
    ]


def test_changed_headlines_keep_suppressed_figures_suppressed():
    before = metrics_frame(("R6-UPDATE", 20, 15), ("R7-VPS", 3, 1))
    after = metrics_frame(("R6-UPDATE", 20, 17), ("R7-VPS", 4, 2))
    # 17 met of 20 leaves 3 not met (< 5): the rate is hidden now; R7-VPS's eligible is small
    assert changed_headlines(before, after, threshold=5) == ["R6-UPDATE: rate 75.0% to [c]"]


def test_a_second_run_of_the_same_quarter_is_refused_while_the_first_holds_the_lock(warehouse):
    start(warehouse, "run-1")
    with pytest.raises(QuarterLocked, match=r"2025Q1 is already being run \(run run-1, started"):
        start(warehouse, "run-2")
    warehouse.start_run("run-3", "2025Q2", FACTS.as_of, "manual", {}, FACTS)  # another quarter
    warehouse.fail_run("run-1", QUARTER, "source police: connection refused")
    start(warehouse, "run-4")  # the failed run released the lock
    assert warehouse.run("run-1")["error"] == "source police: connection refused"


def _start_in_another_process(url: str, run_id: str, queue, done) -> None:  # noqa: ANN001
    try:
        Warehouse(url).start_run(run_id, QUARTER, FACTS.as_of, "manual", {}, FACTS)
        queue.put("started")
    except QuarterLocked as error:
        queue.put(str(error))
    done.wait(60)  # a run holds its lock while its process lives


def test_two_processes_starting_the_same_quarter_at_once_get_one_lock(warehouse):
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
    assert results[1] == "started" and "is already being run" in results[0]


def test_a_lock_left_by_a_killed_process_is_taken_over(warehouse):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    start(warehouse, "killed")
    with warehouse.transaction() as connection:  # as if the run's process had been killed
        connection.execute(run_locks.update().values(pid=int(dead.stdout)))
    start(warehouse, "next")
    assert warehouse.run("killed")["status"] == "abandoned"
    assert [lock["run_id"] for lock in warehouse.table("run_locks")] == ["next"]
    assert warehouse.table("run_locks")[0]["host"] == socket.gethostname()


def test_a_failed_publish_records_nothing(warehouse):
    start(warehouse, "run-1")
    frame = metrics_frame(("R6-UPDATE", 40, 30))
    plan = warehouse.plan_version(QUARTER, frame, "a" * 64, FACTS, threshold=5)

    def swap_fails() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        warehouse.finish_run("run-1", plan, frame, "a" * 64, "p" * 64, FACTS, {}, swap_fails)
    assert warehouse.run("run-1")["status"] == "running"
    assert warehouse.count("metrics") == 0 and warehouse.table("report_versions") == []


def test_an_unreachable_warehouse_is_one_clear_line_without_the_password():
    with pytest.raises(WarehouseError) as raised:
        Warehouse("postgresql+psycopg://vcc:s3cret@127.0.0.1:1/vcc")
    message = str(raised.value)
    assert message.startswith("warehouse postgresql+psycopg://vcc:***@127.0.0.1:1/vcc: ")
    assert "s3cret" not in message and "\n" not in message
