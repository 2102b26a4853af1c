"""Issue 27: an approved or circulated report is a record. When a later run replaces a run's
outputs, its PDF is kept with its manifest and snapshots in ``<out>/archive/<run id>/``, and
``vcc history`` and ``vcc show`` name where it is, with its SHA-256. A run whose process was
killed is shown dead, not running."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from tests.flows.cli.published import QUARTER, published_quarter
from vcc.flows.operations.circulation import approve
from vcc.flows.operations.history import history_text, show_text
from vcc.flows.run.publish import _archive
from vcc.flows.warehouse.store import Warehouse, default_url

REPORT = f"vcc-{QUARTER}-report.pdf"


def replaced(out):
    """The published quarter's run 2 approved, then replaced by a run 3 (its folder archived,
    as publishing a new run does)."""
    published_quarter(out)
    warehouse = Warehouse(default_url(out))
    approve(warehouse, out, QUARTER, "Head of Service", None)
    _archive(out / QUARTER, out / "archive")
    (out / QUARTER / "manifest.json").write_text(json.dumps({"run_id": f"{QUARTER}-run-3"}))
    return warehouse


def test_a_replaced_runs_report_is_kept_in_the_archive_with_its_checksum(tmp_path):
    out = tmp_path / "out"
    replaced(out)

    kept = out / "archive" / f"{QUARTER}-run-2" / REPORT
    assert kept.read_bytes() == b"%PDF-1.7 a report \x02"
    manifest = json.loads((kept.parent / "manifest.json").read_text())
    assert manifest["outputs"]["checksums"][REPORT] == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert not (out / QUARTER / REPORT).exists()


def test_show_of_a_superseded_run_says_so_and_where_its_report_is(tmp_path):
    out = tmp_path / "out"
    warehouse = replaced(out)
    kept = out / "archive" / f"{QUARTER}-run-2" / REPORT
    sha = hashlib.sha256(kept.read_bytes()).hexdigest()

    text = show_text(warehouse, f"{QUARTER}-run-2", out)

    assert (
        f"superseded by run {QUARTER}-run-3; this run's report is kept at {kept} (SHA-256 {sha})"
    ) in text


def test_show_of_the_current_run_names_its_published_report(tmp_path):
    out = tmp_path / "out"
    published_quarter(out)
    pdf = out / QUARTER / REPORT

    text = show_text(Warehouse(default_url(out)), f"{QUARTER}-run-2", out)

    assert f"{pdf} (SHA-256 {hashlib.sha256(pdf.read_bytes()).hexdigest()})" in text


def test_history_names_where_each_approved_report_is_kept(tmp_path):
    out = tmp_path / "out"
    warehouse = replaced(out)
    kept = out / "archive" / f"{QUARTER}-run-2" / REPORT
    sha = hashlib.sha256(kept.read_bytes()).hexdigest()

    text = history_text(warehouse, None, out)

    assert text.split("Approved or circulated reports:\n", 1)[1] == (
        f"  {QUARTER} First issue (version 1): {kept} (SHA-256 {sha[:16]}…)\n\n"
    )


def test_a_killed_run_is_shown_dead_not_running(tmp_path):
    out = tmp_path / "out"
    Warehouse(default_url(out))
    killed = subprocess.run(
        [sys.executable, "-c", (
            "import os, signal, sys\n"
            "from tests.flows.warehouse.records import start\n"
            "from vcc.flows.warehouse.store import Warehouse\n"
            f"start(Warehouse({default_url(out)!r}), 'run-killed')\n"
            "print(os.getpid(), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n"
        )],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr
    pid = int(killed.stdout)
    warehouse = Warehouse(default_url(out))

    (row,) = [
        line for line in history_text(warehouse, None, out).splitlines() if "run-killed" in line
    ]
    assert f"dead (pid {pid} is gone)" in row
    assert f"Status         dead (pid {pid} is gone), started by manual" in show_text(
        warehouse, "run-killed", out
    )


def test_a_live_run_is_shown_running(tmp_path):
    from tests.flows.warehouse.records import start

    warehouse = Warehouse(default_url(tmp_path))
    start(warehouse, "run-live")  # this process: alive

    assert "Status         running, started by manual" in show_text(warehouse, "run-live", tmp_path)
