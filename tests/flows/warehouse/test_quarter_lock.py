"""One lock per quarter for run, approve, circulate, sample and review import (issue 14: a run
during circulation sent unapproved figures). Another real process holds the lock while a real
``vcc`` command tries: it waits ``[warehouse] lock_wait_seconds`` then refuses in one line naming
the holder, goes ahead when the holder finishes, takes over from a holder killed with SIGKILL,
and releases the lock however it ends. (A run refused by a circulation: test_operations.py.)"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.flows.cli.published import QUARTER, published_quarter
from tests.flows.qaf.test_review import EXPECTED, a_sample
from vcc.flows.qaf.form import write_form
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.flows.warehouse.store import QuarterLocked, Warehouse, default_url

HOLD = """
import sys
from vcc.flows.warehouse.store import Warehouse

with Warehouse(sys.argv[1]).holding(sys.argv[2], sys.argv[3]):
    print("held", flush=True)
    sys.stdin.readline()  # until the test says so, or the process is killed
"""

pytestmark = pytest.mark.slow  # each test runs vcc, or lays out a PDF, in a process of its own


@contextmanager
def holder(out: Path, operation: str) -> Iterator[subprocess.Popen]:
    """Another process holding ``QUARTER``'s lock for ``operation``, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, default_url(out), QUARTER, operation],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    try:
        assert process.stdout.readline() == "held\n"
        yield process
    finally:
        if process.poll() is None:
            process.stdin.write("\n")
            process.stdin.flush()
        process.wait(timeout=60)


def vcc(*args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "vcc.flows.cli", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def config(tmp_path: Path, wait: float) -> Path:
    path = tmp_path / f"wait-{wait:g}.toml"
    path.write_text(
        f'[warehouse]\nlock_wait_seconds = {wait}\n\n[mail]\nhost = "127.0.0.1"\nport = 1\n'
        'sender = "vcc@opfcc.example.org"\ndistribution = ["chair@partnership.example.org"]\n',
        encoding="utf-8",
    )  # port 1: were anything sent, it would fail
    return path


def since(out: Path) -> str:
    """When the lock was taken, as the refusal says it (the time alone on the same day)."""
    (lock,) = Warehouse(default_url(out)).table("run_locks")
    taken: dt.datetime = lock["acquired_at"]
    return f"{taken:%H:%M}" if taken.date() == dt.date.today() else f"{taken:%Y-%m-%d %H:%M}"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    published_quarter(out)
    return out


@pytest.fixture
def form(tmp_path: Path, out: Path) -> Path:
    """The review form of a sample of ``QUARTER`` recorded in the warehouse."""
    a_sample(ReviewStore(Warehouse(default_url(out))), QUARTER)
    path = tmp_path / "form.xlsx"
    write_form(path, EXPECTED, [("Sample", f"{QUARTER}-1"), ("Quarter", QUARTER)], "OFFICIAL")
    return path


@pytest.mark.parametrize(
    ("operation", "doing"),
    [("circulate", "being circulated"), ("review import", "having a review form imported")],
)
def test_each_operation_refuses_while_another_holds_the_quarter(
    out: Path, tmp_path: Path, form: Path, operation, doing
) -> None:
    place = ["--config", str(config(tmp_path, 0)), "--out", str(out)]
    commands = {
        "approve": ["approve", "-q", QUARTER, "--by", "Head of Service", *place],
        "circulate": ["circulate", "-q", QUARTER, *place],
        "sample": ["sample", "-q", QUARTER, "--seed", "1", *place],
        "review import": ["review", "import", str(form), *place],
    }
    with holder(out, operation) as holding:
        for name, args in commands.items():
            if name == operation:
                continue
            tried = vcc(*args)
            _, errors = tried.communicate(timeout=120)
            assert tried.returncode == 1, name
            assert errors == (
                f"vcc: error: {QUARTER} is {doing} by pid {holding.pid} since {since(out)}; "
                "try again when it finishes\n"
            ), name
    warehouse = Warehouse(default_url(out))
    assert warehouse.table("approvals") == [] and warehouse.table("circulations") == []
    assert warehouse.table("qaf_imports") == [] and len(warehouse.table("qaf_samples")) == 1
    assert warehouse.table("run_locks") == []


def test_a_command_waits_for_the_holder_to_finish_then_goes_ahead(
    out: Path, tmp_path: Path
) -> None:
    with holder(out, "sample") as holding:
        waiting = vcc("approve", "-q", QUARTER, "--by", "Head of Service",
                      "--config", str(config(tmp_path, 600)), "--out", str(out))  # fmt: skip
        assert waiting.stderr is not None
        told = waiting.stderr.readline()
        assert told == (
            f"vcc: {QUARTER} is being sampled by pid {holding.pid} since {since(out)}; "
            "waiting up to 600 s\n"
        )
        assert waiting.poll() is None  # still waiting while the sample goes on
    output, errors = waiting.communicate(timeout=120)
    assert (waiting.returncode, errors) == (0, "")
    assert output == f"vcc: approved {QUARTER} version 1 (run {QUARTER}-run-2) by Head of Service\n"
    warehouse = Warehouse(default_url(out))
    assert len(warehouse.table("approvals")) == 1 and warehouse.table("run_locks") == []


def test_a_holder_killed_with_sigkill_is_taken_over(out: Path, tmp_path: Path) -> None:
    with holder(out, "circulate") as killed:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
        assert len(Warehouse(default_url(out)).table("run_locks")) == 1  # left behind
        approving = vcc("approve", "-q", QUARTER, "--by", "Head of Service",
                        "--config", str(config(tmp_path, 0)), "--out", str(out))  # fmt: skip
        output, errors = approving.communicate(timeout=120)
    assert (approving.returncode, errors) == (0, "")
    assert Warehouse(default_url(out)).table("run_locks") == []


def test_the_lock_is_released_when_the_operation_fails(out: Path, tmp_path: Path) -> None:
    (out / QUARTER / "manifest.json").write_text(
        json.dumps({"run_id": "not-recorded", "outputs": {}}), encoding="utf-8"
    )
    place = ["--config", str(config(tmp_path, 0)), "--out", str(out)]
    for args in (["approve", "-q", QUARTER, "--by", "X"], ["circulate", "-q", QUARTER]):
        failed = vcc(*args, *place)
        _, errors = failed.communicate(timeout=120)
        assert failed.returncode == 1 and "is not in the warehouse" in errors
        assert Warehouse(default_url(out)).table("run_locks") == []


def test_two_processes_racing_for_a_quarter_get_one_lock_and_the_other_a_refusal(out: Path) -> None:
    warehouse = Warehouse(default_url(out))
    with holder(out, "approve") as holding:
        with pytest.raises(QuarterLocked) as refused, warehouse.holding(QUARTER, "circulate"):
            pass
        assert str(refused.value).startswith(f"{QUARTER} is being approved by pid {holding.pid}")
        with warehouse.holding("2025Q1", "circulate"):  # another quarter is free
            assert {lock["quarter"] for lock in warehouse.table("run_locks")} == {
                QUARTER, "2025Q1"
            }  # fmt: skip
    with warehouse.holding(QUARTER, "circulate"):
        (lock,) = warehouse.table("run_locks")
        assert (lock["operation"], lock["pid"]) == ("circulate", os.getpid())
