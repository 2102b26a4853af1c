"""What a run prints (issue 15): by default vcc's own progress, a line per stage, and none of the
INFO lines of Prefect and Great Expectations; ``--verbose`` shows those too; ``--quiet`` only
errors and the report's path. The command runs in a fresh process, as an analyst runs it, with
the flow replaced by one that logs as the real one does (the real flow is run by tests/flows/run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The flow's stand-in: Prefect's own lines, Great Expectations' INFO, vcc's progress (marked as
# flows.run.progress marks it), a warning and an error; it returns a manifest.
PROBE = """
import logging, sys
import vcc.flows.run.flow as flow
from vcc.flows.cli import main
from vcc.flows.run.progress import PROGRESS

def run_quarter(quarter, as_of, config, out, by, from_snapshot=None, area=None):
    def log(level, message, **more):
        named = {"flow_run_name": "loyal-rottweiler", "flow_name": "quarterly-compliance-report"}
        logging.getLogger("prefect.flow_runs").log(level, message, extra=named | more)

    log(logging.INFO, "Beginning flow run 'loyal-rottweiler'")
    logging.getLogger("great_expectations").setLevel(logging.INFO)
    logging.getLogger("great_expectations").info("Created temporary directory for docs")
    log(logging.INFO, "rendering the report", **{PROGRESS: True})
    log(logging.WARNING, "a source is 20 days old")
    log(logging.ERROR, "an error worth seeing")
    log(logging.INFO, "Finished in state Completed()")
    # Prefect's events service, still sending its queue as the process ends (as under load)
    logging.getLogger("EventsWorker").warning("Still processing items: 3 items remaining...")
    return {"revised_earlier_figures": False, "outputs": {"report": "out/2024Q3/report.pdf"}}

flow.run_quarter = run_quarter
main(sys.argv[1:])
"""


def run(*options: str, tmp_path) -> tuple[str, str]:
    arguments = ["run", "--quarter", "2024Q3", "--as-of", "2024-11-01", *options]
    # Prefect's INFO level, as a user has it (the test session sets WARNING)
    environment = os.environ | {
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    done = subprocess.run([sys.executable, "-c", PROBE, *arguments], cwd=tmp_path, text=True,
                          capture_output=True, timeout=300, env=environment)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


@pytest.mark.slow
def test_a_run_prints_vccs_progress_and_hides_prefects_info_lines(tmp_path: Path) -> None:
    stdout, stderr = run(tmp_path=tmp_path)
    assert stdout.splitlines() == [
        "vcc: running 2024Q3",
        "vcc: rendering the report",
        stdout.splitlines()[2],  # done in N s
        "vcc: report: out/2024Q3/report.pdf",
    ]
    assert "Beginning flow run" not in stderr and "Completed()" not in stderr
    assert "temporary directory" not in stderr
    assert "a source is 20 days old" in stderr and "an error worth seeing" in stderr
    assert "Still processing items" not in stderr  # a note of Prefect's exit, not a warning


@pytest.mark.slow
def test_verbose_shows_prefects_and_great_expectations_lines(tmp_path: Path) -> None:
    stdout, stderr = run("--verbose", tmp_path=tmp_path)
    for line in ("Beginning flow run", "Created temporary directory", "rendering the report",
                 "Finished in state Completed()", "Still processing items"):  # fmt: skip
        assert line in stderr, line
    assert "vcc: report: out/2024Q3/report.pdf" in stdout


@pytest.mark.slow
def test_quiet_prints_only_errors_and_the_reports_path(tmp_path: Path) -> None:
    stdout, stderr = run("--quiet", tmp_path=tmp_path)
    assert stdout == "out/2024Q3/report.pdf\n"
    assert "an error worth seeing" in stderr
    assert "a source is 20 days old" not in stderr and "Beginning flow run" not in stderr


@pytest.mark.parametrize("command", ["run", "backfill", "demo"])
def test_quiet_and_verbose_are_offered_where_a_run_is_started(command: str) -> None:
    from vcc.flows.cli import main

    options = {opt for p in main.commands[command].params for opt in p.opts}
    assert {"--quiet", "--verbose"} <= options
