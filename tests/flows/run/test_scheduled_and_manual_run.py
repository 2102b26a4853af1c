"""`vcc serve`'s scheduled run of a quarter while an analyst runs the same quarter by hand (issue
27). The scheduled run is the served deployment's flow with the parameters its schedule gives
(``flows/run/serve.py``), in a process of its own as a served run is; the analyst's is ``vcc
run`` on the same output folder. Both report to the test's Prefect server. The one that comes
second waits for the quarter's lock ([warehouse] lock_wait_seconds), saying in one line whose it
is; the two never write the quarter at once, the outputs are whole, and both runs are recorded."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER
from vcc.flows.checksums import sha256
from vcc.flows.cli import main
from vcc.flows.warehouse.store import Warehouse, default_url

pytestmark = pytest.mark.flow
Q = FLOW_QUARTER

SCHEDULED = """
import datetime as dt, sys
from vcc.flows.run.flow import quarterly_compliance_report

# the served deployment's parameters (serve.quarterly_deployment) with its schedule's
quarterly_compliance_report(config_path=sys.argv[1], out_dir=sys.argv[2],
                            triggered_by="schedule", as_of=dt.date.fromisoformat(sys.argv[3]))
"""


def api_url() -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return str(client.api_url)


def lock_of(out: Path, pid: int) -> tuple[str, dt.datetime]:
    """The run id and time of the quarter's lock once process ``pid`` holds it."""
    database = out / "vcc-warehouse.sqlite"
    deadline = time.monotonic() + 600  # the process's start, on a loaded machine
    while time.monotonic() < deadline:
        if database.exists():  # a new warehouse is linked into place whole
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
                held = connection.execute(
                    "SELECT run_id, acquired_at FROM run_locks WHERE pid = ?", (pid,)
                ).fetchall()
            if held:
                return held[0][0], dt.datetime.fromisoformat(held[0][1])
        time.sleep(0.1)
    raise AssertionError(f"pid {pid} never took the quarter's lock")


def test_a_manual_run_waits_for_the_scheduled_run_of_its_quarter(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    config = demo_config.with_name("vcc-wait.toml")  # beside demo-data/, which it reads
    config.write_text(demo_config.read_text() + "\n[warehouse]\nlock_wait_seconds = 600\n")
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": api_url()}
    scheduled = subprocess.Popen(
        [sys.executable, "-c", SCHEDULED, str(config), str(out), FLOW_AS_OF.isoformat()],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    scheduled_run, since = lock_of(out, scheduled.pid)
    manual = subprocess.Popen(
        [sys.executable, "-m", "vcc.flows.cli", "run", "-q", Q, "--as-of", FLOW_AS_OF.isoformat(),
         "--config", str(config), "--out", str(out)],
        env={**env, "PREFECT_LOGGING_LEVEL": "INFO"},  # as a user's: it prints vcc's progress
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    scheduled_log, _ = scheduled.communicate(timeout=600)
    told, said = manual.communicate(timeout=600)
    assert scheduled.returncode == 0, scheduled_log[-3000:]
    assert manual.returncode == 0, said[-3000:]

    when = f"{since:%H:%M}" if since.date() == dt.date.today() else f"{since:%Y-%m-%d %H:%M}"
    assert (
        f"vcc: {Q} is being run (run {scheduled_run}) by pid {scheduled.pid} since {when}, "
        "a scheduled run of vcc serve; waiting up to 600 s"
    ) in told.splitlines()  # a run's progress lines are its standard output
    # both recorded, the manual run begun only once the scheduled one had finished
    warehouse = Warehouse(default_url(out))
    first, second = warehouse.list_runs(Q)
    assert (first["run_id"], first["triggered_by"], first["status"]) == (
        scheduled_run, "schedule", "succeeded"
    )  # fmt: skip
    assert (second["triggered_by"], second["status"]) == ("manual", "succeeded")
    assert second["started_at"] >= first["finished_at"]
    assert warehouse.table("run_locks") == []
    history = CliRunner().invoke(main, ["history", "-q", Q, "--config", str(config),
                                        "--out", str(out)])  # fmt: skip
    assert history.exit_code == 0, history.output
    for run in (first, second):
        (line,) = [line for line in history.output.splitlines() if line.startswith(run["run_id"])]
        assert run["triggered_by"] in line and "succeeded" in line, history.output
    # the quarter's outputs are the manual run's, whole; the scheduled run's report is kept whole
    for folder, run in ((out / Q, second), (out / "archive" / scheduled_run, first)):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["run_id"] == run["run_id"]
        pdf = folder / f"vcc-{Q}-report.pdf"
        assert sha256(pdf) == manifest["outputs"]["checksums"][pdf.name]
    published = json.loads((out / Q / "manifest.json").read_text())["outputs"]["checksums"]
    for name, checksum in published.items():
        assert sha256(out / Q / name) == checksum, name
