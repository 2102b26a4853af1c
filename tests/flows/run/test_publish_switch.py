"""The publish step is one atomic switch (issue 14: killed between the two renames of the old
swap, ``<out>/<quarter>`` went missing). A fault (an exception, or SIGKILL of a real process) is
injected before each file-system step of ``publish_folder`` and before the warehouse commits;
whatever the step, ``<out>/<quarter>`` holds either the old complete outputs or the new ones,
the new ones exactly when the warehouse recorded the run, and the next run's ``recover`` leaves
one run folder, no half-made leftovers, and the replaced run archived. With a real SQLite
warehouse, real files and real processes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from vcc.flows.run.publish import publish_folder, recover
from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.flows.warehouse.versions import RunFacts
from vcc.transforms.metrics import METRIC_COLUMNS
from vcc.transforms.quarters import Quarter

QUARTER = "2024Q4"
FACTS = RunFacts(dt.date(2025, 2, 14), "c" * 64, "0.1.0", {})
ARCHIVE_MOVES = 3  # snapshots, the report (a record: issue 27), then the manifest
STEPS = 4 + ARCHIVE_MOVES  # staging renamed, new link made, link renamed over, commit, archive
LEGACY_STEPS = 3 + STEPS  # first an older vcc's real folder becomes a run folder with its link

pytestmark = pytest.mark.slow  # each test runs vcc, or lays out a PDF, in a process of its own


class Fault(OSError):
    """The fault injected at a step (as a full disk or an I/O error would raise)."""


def staged(out: Path, run_id: str) -> Path:
    """A complete staging folder of ``run_id``: a report, metrics, a snapshot and a manifest."""
    staging = out / f".staging-{QUARTER}-{run_id}"
    (staging / "snapshots").mkdir(parents=True)
    for name in ("report.pdf", "metrics.csv", "snapshots/police.crimes.parquet"):
        (staging / name).write_text(f"{name} of {run_id}", encoding="utf-8")
    (staging / "manifest.json").write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    return staging


def outputs_of(run_id: str) -> dict[str, str]:
    made = {n: f"{n} of {run_id}" for n in ("report.pdf", "metrics.csv")}
    made["snapshots/police.crimes.parquet"] = f"snapshots/police.crimes.parquet of {run_id}"
    return {**made, "manifest.json": json.dumps({"run_id": run_id})}


def published(out: Path) -> dict[str, str] | None:
    """What ``<out>/<quarter>`` holds, file by file (None when it is missing)."""
    folder = out / QUARTER
    if not folder.is_dir():
        return None
    return {
        str(path.relative_to(folder)): path.read_text(encoding="utf-8")
        for path in folder.rglob("*")
        if path.is_file()
    }


def recorder(warehouse: Warehouse, run_id: str, step: Callable[[], None] = lambda: None):
    """Start ``run_id`` in the warehouse (taking the quarter's lock); the ``record`` that
    finishes it, calling ``step`` after the switch, before the commit."""
    warehouse.start_run(run_id, QUARTER, FACTS.as_of, "manual", {}, FACTS)
    frame = pd.DataFrame(columns=METRIC_COLUMNS)
    checksum = hashlib.sha256(run_id.encode()).hexdigest()
    plan = warehouse.plan_version(QUARTER, frame, checksum, FACTS, 10)

    def record(switch: Callable[[], None]) -> None:
        def switch_then_step() -> None:
            switch()
            step()

        warehouse.finish_run(run_id, plan, frame, checksum, checksum, FACTS,
                             {"run_id": run_id}, publish=switch_then_step)  # fmt: skip

    return record


def faults_at(at: int, fault: Callable[[], None], setattr: Callable) -> Callable[[], None]:
    """Count the steps (os.replace, os.symlink and the returned commit step); call ``fault``
    before step ``at`` happens. ``setattr`` patches ``os`` (pytest's monkeypatch, or setattr)."""
    count = [0]

    def step() -> None:
        count[0] += 1
        if count[0] == at:
            fault()

    def counted(real: Callable) -> Callable:
        def call(*args, **kwargs):
            step()
            return real(*args, **kwargs)

        return call

    setattr(os, "replace", counted(os.replace))
    setattr(os, "symlink", counted(os.symlink))
    step.count = count  # type: ignore[attr-defined]
    return step


def old_outputs(out: Path, legacy: bool) -> Warehouse:
    """run-1 published: as a run folder and link, or as an older vcc left it, a real folder."""
    warehouse = Warehouse(default_url(out))
    if legacy:
        staging = staged(out, "run-1")
        recorder(warehouse, "run-1")(lambda: os.replace(staging, out / QUARTER))
    else:
        publish_folder(staged(out, "run-1"), out, QUARTER, "run-1", recorder(warehouse, "run-1"))
    assert published(out) == outputs_of("run-1")
    return warehouse


def check_then_next_run(out: Path, warehouse: Warehouse, missing_before_recover=False) -> None:
    """Whatever the fault, the outputs are run-1's or run-2's, run-2's when recorded (a kill
    after the switch, before the commit, leaves run-2's unrecorded); the next run (lock,
    recover, publish) finds run-2's exactly when recorded, and leaves only its own folder and
    the archive. ``missing_before_recover``: a kill while an older vcc's real folder was
    becoming a run folder, the one moment ``<out>/<quarter>`` is missing, until ``recover``."""
    recorded = (warehouse.run("run-2") or {}).get("status") == "succeeded"
    if missing_before_recover:
        assert published(out) is None and not recorded
    elif recorded:
        assert published(out) == outputs_of("run-2")
    else:
        assert published(out) in (outputs_of("run-1"), outputs_of("run-2"))
    next_run = recorder(warehouse, "run-3")  # takes over the lock of a killed run-2
    recover(out, Quarter.parse(QUARTER), warehouse.unfinished)
    assert published(out) == outputs_of("run-2" if recorded else "run-1")
    publish_folder(staged(out, "run-3"), out, QUARTER, "run-3", next_run)
    assert published(out) == outputs_of("run-3")
    assert sorted(p.name for p in out.iterdir()) == [
        f".{QUARTER}-run-3", QUARTER, "archive", "vcc-warehouse.sqlite"
    ]  # fmt: skip
    archived = sorted(p.name for p in (out / "archive").iterdir())
    assert archived == (["run-1", "run-2"] if recorded else ["run-1"])
    for run_id in archived:  # manifest and snapshots kept: its figures stay reproducible
        kept = out / "archive" / run_id
        assert json.loads((kept / "manifest.json").read_text())["run_id"] == run_id
        assert (kept / "snapshots" / "police.crimes.parquet").is_file()
        assert (kept / "report.pdf").read_text() == f"report.pdf of {run_id}"  # a record


@pytest.mark.parametrize("legacy", [False, True], ids=["link", "older-folder"])
def test_a_clean_publish_takes_every_counted_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, legacy: bool
) -> None:
    out = tmp_path / "out"
    warehouse = old_outputs(out, legacy)
    step = faults_at(0, lambda: None, monkeypatch.setattr)
    publish_folder(staged(out, "run-2"), out, QUARTER, "run-2", recorder(warehouse, "run-2", step))
    assert step.count[0] == (LEGACY_STEPS if legacy else STEPS)  # type: ignore[attr-defined]
    assert (out / QUARTER).is_symlink() and published(out) == outputs_of("run-2")
    check_then_next_run(out, warehouse)


@pytest.mark.parametrize(
    ("legacy", "at"),
    [(False, at) for at in range(1, STEPS + 1)] + [(True, at) for at in range(1, LEGACY_STEPS + 1)],
)
def test_an_exception_at_any_step_leaves_old_or_new_complete_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, legacy, at
) -> None:
    out = tmp_path / "out"
    warehouse = old_outputs(out, legacy)
    record = recorder(warehouse, "run-2", faults_at(at, _raise, monkeypatch.setattr))
    committed = at > (LEGACY_STEPS if legacy else STEPS) - ARCHIVE_MOVES  # only archiving left
    try:
        publish_folder(staged(out, "run-2"), out, QUARTER, "run-2", record)
    except Fault:
        assert not committed
        warehouse.fail_run("run-2", QUARTER, "injected")  # as the flow records a failed run
    else:
        assert committed  # the archiving waits for the next run
    monkeypatch.undo()
    check_then_next_run(out, warehouse)


def _raise() -> None:
    raise Fault("injected")


KILLED_AT = """
import os, signal, sys
from pathlib import Path
from tests.flows.run.test_publish_switch import QUARTER, faults_at, recorder, staged
from vcc.flows.run.publish import publish_folder
from vcc.flows.warehouse.store import Warehouse, default_url

out, at = Path(sys.argv[1]), int(sys.argv[2])
record = recorder(Warehouse(default_url(out)), "run-2",
                  faults_at(at, lambda: os.kill(os.getpid(), signal.SIGKILL), setattr))
publish_folder(staged(out, "run-2"), out, QUARTER, "run-2", record)
"""


@pytest.mark.parametrize(
    ("legacy", "at"),
    [(False, at) for at in range(1, STEPS + 1)] + [(True, at) for at in range(1, LEGACY_STEPS + 1)],
)
def test_a_process_killed_at_any_step_leaves_old_or_new_complete_outputs(
    tmp_path: Path, legacy, at
) -> None:
    out = tmp_path / "out"
    warehouse = old_outputs(out, legacy)
    killed = subprocess.run([sys.executable, "-c", KILLED_AT, str(out), str(at)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # steps 3 and 4 of the older layout: its folder renamed, its own link not yet in place
    check_then_next_run(out, warehouse, missing_before_recover=legacy and at in (3, 4))
