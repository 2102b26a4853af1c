"""The operating routine for real: runs recorded in the warehouse, a revision after late data,
approval and circulation through a real SMTP server, a run killed in the middle and two runs of one
quarter at once. Flows run on the session's Prefect harness; the CLI runs as a subprocess."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER, copy_demo_run
from tests.smtp_server import running_smtp_server
from vcc.flows.cli import main
from vcc.flows.config import load_config
from vcc.flows.manifest import Manifest, one_area
from vcc.flows.operations.circulation import CirculationError, approve, circulate
from vcc.flows.run.flow import run_quarter
from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.reports.names import table_words
from vcc.transforms.quarters import Quarter

pytestmark = pytest.mark.flow
QUARTER = FLOW_QUARTER
EARLY = dt.date(2025, 1, 3)  # three days after the quarter: many actions not yet recorded
BOARD = ["chair@partnership.example.org", "analyst@opfcc.example.org"]


def _config_with_mail(demo_config: Path, name: str, port: int) -> Path:
    """The demo configuration, with the distribution list sent through the test's SMTP server."""
    path = demo_config.parent / name
    mail = (
        f'\n[mail]\nhost = "127.0.0.1"\nport = {port}\nsender = "vcc@opfcc.example.org"\n'
        f"distribution = {json.dumps(BOARD)}\n"
    )
    path.write_text(demo_config.read_text(encoding="utf-8") + mail, encoding="utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(path).pages)


def test_approval_circulation_and_a_revision_after_late_data(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    warehouse = Warehouse(default_url(out))
    with running_smtp_server() as smtp:
        config_path = _config_with_mail(demo_config, "with-mail.toml", smtp.port)
        config = load_config(config_path)
        first = one_area(run_quarter(Quarter.parse(QUARTER), EARLY, config_path, out))
        assert first["version"]["label"] == "First issue (version 1)"
        pdf = out / QUARTER / f"vcc-{QUARTER}-report.pdf"

        with pytest.raises(CirculationError, match=r"not approved; check it, then `vcc approve"):
            circulate(warehouse, config, out, QUARTER, "analyst")
        approval, new = approve(warehouse, out, QUARTER, "Head of Victims Services", None)
        assert new and approval["version"] == 1 and approval["run_id"] == first["run_id"]
        assert approve(warehouse, out, QUARTER, "Someone else", None)[1] is False

        sent = circulate(warehouse, config, out, QUARTER, "analyst")
        assert sent.sent == BOARD and len(smtp.messages) == 2
        message = smtp.messages[0]
        assert (
            message["To"] == BOARD[0]
            and f"{QUARTER}: First issue (version 1)" in (message["Subject"])
        )
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_filename() == pdf.name
        assert attachment.get_content() == pdf.read_bytes()
        plain = message.get_body(preferencelist=("plain",))
        assert plain is not None
        body = plain.get_content()
        assert "Crime recorded without delay" in body and "Data quality:" in body
        log = warehouse.table("circulations", QUARTER)
        assert [(row["recipient"], row["version"]) for row in log] == [(r, 1) for r in BOARD]
        (kept,) = warehouse.table("circulated_instances", QUARTER)
        assert kept["sha256"] == first["outputs"]["checksums"]["instances.parquet"]

        again = circulate(warehouse, config, out, QUARTER, "analyst")  # nothing new: no error
        assert (again.sent, again.already) == ([], sorted(BOARD)) and again.last_sent
        assert len(smtp.messages) == 2

        # Six weeks later the late records have arrived: the figures change, so this is a revision.
        second = one_area(run_quarter(Quarter.parse(QUARTER), FLOW_AS_OF, config_path, out))
        assert second["version"]["number"] == 2
        assert second["version"]["reasons"][0] == (
            "later data: as of 14 February 2025 (was 3 January 2025)"
        )
        # which source tables differ, read from the two runs' snapshots and rows
        differ = _tables_that_differ(first, second)
        assert differ, "six weeks of late data change some source table"
        total = len(set(first["snapshots"]) | set(second["snapshots"]))
        listed = second["version"]["reasons"][1]
        assert listed.startswith(
            f"{len(differ)} of {total} source tables differ as read to that date: "
        )
        largest = max(differ, key=lambda name: (abs(differ[name][1] - differ[name][0]), name))
        was, now = differ[largest]
        assert f"{table_words(largest)} {now:,} rows (was {was:,})" in listed
        for change in second["version"]["changes"]:  # e.g. "R12-ACK (police): eligible ..."
            owner = change.split(": ")[0].split(" (", 1)[1].rstrip(")")
            assert owner in ("police", "CPS", "Witness Care Unit", "probation"), change
        text = _pdf_text(pdf)
        assert "Revision 1 (version 2)" in text and "Revisions to the 2024Q4 report" in text
        assert "later data: as of 14 February 2025" in text
        # the summary opens page 2 whatever happens; the revisions follow it
        pages = [page.extract_text() for page in PdfReader(pdf).pages]
        assert "Summary of compliance" not in pages[0].split("Contents")[0]
        assert pages[1].index("Summary of compliance") < pages[1].index("Headline findings")
        revisions = next(n for n, page in enumerate(pages) if "Revisions to the 2024Q4" in page)
        assert revisions >= 1 and "Revisions to the 2024Q4" not in pages[1].split("Notes to")[0]
        with pytest.raises(CirculationError, match=r"was for run .*which a rerun has superseded"):
            circulate(warehouse, config, out, QUARTER, "analyst")
        approve(warehouse, out, QUARTER, "Head of Victims Services", "late CPS results")
        circulate(warehouse, config, out, QUARTER, "analyst")
        assert len(smtp.messages) == 4 and "Revision 1 (version 2)" in smtp.messages[3]["Subject"]
        revision_body = smtp.messages[3].get_body(preferencelist=("plain",))
        assert revision_body is not None
        body = revision_body.get_content()
        sent_on = log[0]["sent_at"]
        assert (
            f"This is Revision 1 (version 2). It replaces version 1 (circulated on "
            f"{sent_on.day} {sent_on:%B %Y}), because of: "
            f"{'; '.join(second['version']['reasons'])}."
        ) in " ".join(body.split())  # the mail client may wrap it
        moved = second["version"]["changes"]
        assert ("Headline figures changed:\n" + "".join(f"  - {c}\n" for c in moved)) in body
        assert second["findings"] and all(finding.endswith(".") for finding in second["findings"])
        assert "Headline findings:\n" + "".join(f"  - {f}\n" for f in second["findings"]) in body

    # A rerun on the same data keeps version 2 and byte-identical figures, but its new PDF is
    # not the one approved: it needs signing off again before it can go out.
    before = (out / QUARTER / "metrics.csv").read_bytes()
    third = run_quarter(Quarter.parse(QUARTER), FLOW_AS_OF, config_path, out)
    assert third["version"]["number"] == 2
    assert (out / QUARTER / "metrics.csv").read_bytes() == before
    with pytest.raises(CirculationError, match="not approved"):
        circulate(warehouse, config, out, QUARTER, "analyst")

    history = CliRunner().invoke(
        main, ["history", "--quarter", QUARTER, "--config", str(config_path), "--out", str(out)]
    )
    assert history.exit_code == 0, history.output
    lines = history.output.splitlines()
    assert lines[0] == f"Runs for {QUARTER} (3):"
    assert sum(" succeeded " in line for line in lines) == 3
    versions = [line for line in lines if line.startswith(f"{QUARTER}  ")][-2:]
    assert "First issue" in versions[0] and "2 recipient(s)" in versions[0]
    assert "Revision 1" in versions[1] and "not approved" in versions[1]
    from prefect.artifacts import Artifact
    from prefect.client.schemas.objects import Artifact as StoredArtifact

    artifact = Artifact.get(f"vcc-report-{QUARTER.lower()}")  # the server's record of it
    assert isinstance(artifact, StoredArtifact) and isinstance(artifact.data, str)
    assert "Revision 1 (version 2)" in artifact.data
    assert "| R2-RECORD Crime recorded without delay | Police |" in artifact.data
    assert (out / QUARTER / f"vcc-{QUARTER}-report.pdf").resolve().as_uri() in artifact.data
    shown = CliRunner().invoke(main, ["show", third["run_id"], "--out", str(out)])
    assert shown.exit_code == 0 and "Report         Revision 1 (version 2)" in shown.output
    manifest = CliRunner().invoke(main, ["show", third["run_id"], "--json", "--out", str(out)])
    assert json.loads(manifest.output)["run_id"] == third["run_id"]

    # Approved again, the rerun is not sent: it changed no word of the report the board has.
    approve(warehouse, out, QUARTER, "Head of Victims Services", None)
    with running_smtp_server() as smtp:
        config = load_config(_config_with_mail(demo_config, "with-mail.toml", smtp.port))
        unchanged = circulate(warehouse, config, out, QUARTER, "analyst")
        assert (unchanged.sent, unchanged.already, smtp.messages) == ([], sorted(BOARD), [])

        # The same figures in a report that says something else (another team produced it) are a
        # new edition of version 2: labelled so, approved, and sent to everyone as such.
        renamed = _config_with_mail(demo_config, "renamed.toml", smtp.port)
        renamed.write_text(
            renamed.read_text(encoding="utf-8").replace(
                'produced_by = "Office of the Police', 'produced_by = "Analysts of the Police'
            ),
            encoding="utf-8",
        )
        fourth = run_quarter(Quarter.parse(QUARTER), FLOW_AS_OF, renamed, out)
        assert fourth["version"] == {
            "number": 2, "edition": 2, "label": "Revision 1 (version 2, edition 2)",
            "reasons": ["figures unchanged", "configuration changed (report)"], "changes": [],
        }  # fmt: skip
        assert (out / QUARTER / "metrics.csv").read_bytes() == before
        text = _pdf_text(pdf)
        assert (
            "Revision 1 (version 2, edition 2): figures unchanged; configuration changed (report)"
            in " ".join(text.split())
        )
        approve(warehouse, out, QUARTER, "Head of Victims Services", "new producer's name")
        sent = circulate(warehouse, load_config(renamed), out, QUARTER, "analyst")
        assert sent.sent == BOARD and len(smtp.messages) == 2
        assert "Revision 1 (version 2, edition 2)" in smtp.messages[0]["Subject"]
        plain = smtp.messages[0].get_body(preferencelist=("plain",))
        assert plain is not None
        body = plain.get_content()
        assert " ".join(body.split()).count(
            "This is edition 2 of version 2, which replaces edition 1 (circulated on "
        ) == 1 and "figures unchanged; configuration changed (report)." in " ".join(body.split())

        # The case: a rerun with an EARLIER data date after circulation. The reasons
        # say the date is earlier, never "later data".
        fifth = one_area(run_quarter(Quarter.parse(QUARTER), EARLY, renamed, out))
        assert fifth["version"]["label"] == "Revision 2 (version 3)"
        reasons = fifth["version"]["reasons"]
        assert reasons[0] == "an earlier data date: as of 3 January 2025 (was 14 February 2025)"
        assert reasons[1].startswith(f"{len(differ)} of {total} source tables differ as read")
        assert not any("later" in reason or "corrected" in reason for reason in reasons)
    log = warehouse.table("circulations", QUARTER)
    assert [(r["version"], r["edition"]) for r in log] == [(1, 1)] * 2 + [(2, 1)] * 2 + [(2, 2)] * 2
    history = CliRunner().invoke(main, ["history", "--quarter", QUARTER, "--out", str(out)])
    listed, kept_reports = history.output.split("Approved or circulated reports:\n")
    assert max(len(line) for line in listed.splitlines()) <= 100
    lines = listed.splitlines()
    (edition,) = [n for n, line in enumerate(lines) if "edition 2)" in line and line[:4] != "    "]
    assert " approved " in lines[edition] and "2 recipient(s)" in lines[edition]
    assert lines[edition + 1] == "    approved by Head of Victims Services"
    # Issue 27: each approved and circulated report is kept where history names it, the
    # replaced ones in the archive, with the SHA-256 its approval recorded.
    approved = {(a["version"], a["pdf_sha256"][:16]) for a in warehouse.table("approvals")}
    places = [line.strip() for line in kept_reports.splitlines() if line.strip()]
    assert len(places) == 3  # version 1, version 2 edition 1 and edition 2
    for place in places:
        path = Path(place.split(": ", 1)[1].rsplit(" (SHA-256 ", 1)[0])
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        assert place.endswith(f"(SHA-256 {sha[:16]}…)")
        assert any(sha.startswith(prefix) for _, prefix in approved)
    # the earlier-data-date rerun made version 3: all three approved reports were replaced
    assert sum("/archive/" in place for place in places) == 3


def _tables_that_differ(first: Manifest, second: Manifest) -> dict[str, tuple[int, int]]:
    """``source.table``: (rows read by the first run, by the second), for each table whose
    snapshot's checksum differs between the two runs' manifests."""

    def rows(manifest: Manifest) -> dict[str, int]:
        return {f"{r['source']}.{r['table']}": r["rows_read"] for r in manifest["rows"]}

    before, after = rows(first), rows(second)
    return {
        name.removesuffix(".parquet"): (
            before[name.removesuffix(".parquet")],
            after[name.removesuffix(".parquet")],
        )
        for name, checksum in second["snapshots"].items()
        if first["snapshots"].get(name) != checksum
    }


def _vcc(*args: str, **kwargs) -> subprocess.Popen:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [sys.executable, "-m", "vcc.flows.cli", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)  # fmt: skip


def _wait_for(condition, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_run_killed_while_writing_leaves_the_last_outputs_and_warehouse_intact(
    demo_run: tuple[Path, dict[str, Any]], demo_config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    copy_demo_run(demo_run, out)  # run_quarter(QUARTER, FLOW_AS_OF, demo_config, out), copied
    folder = out / QUARTER
    before = {path.name: _sha(path) for path in folder.iterdir() if path.is_file()}
    warehouse = Warehouse(default_url(out))
    runs_before, metrics_before = warehouse.list_runs(), warehouse.count("metrics")

    args = ["run", "-q", QUARTER, "--as-of", "2025-02-20", "--config", str(demo_config)]
    killed = _vcc(*args, "--out", str(out), start_new_session=True)
    _wait_for(lambda: any(out.glob(".staging-*")) or killed.poll() is not None)
    os.killpg(killed.pid, signal.SIGKILL)  # in the middle of writing the outputs
    killed.wait()

    assert {path.name: _sha(path) for path in folder.iterdir() if path.is_file()} == before
    assert warehouse.count("metrics") == metrics_before
    runs = warehouse.list_runs()
    assert [r["status"] for r in runs] == [r["status"] for r in runs_before] + ["running"]
    assert [v["version"] for v in warehouse.table("report_versions")] == [1]

    # The next run finds the dead run's lock, takes it over and tidies its staging folder.
    after = run_quarter(Quarter.parse(QUARTER), FLOW_AS_OF, demo_config, out)
    assert after["version"]["number"] == 1
    assert (warehouse.run(runs[-1]["run_id"]) or {}).get("status") == "abandoned"
    assert not list(out.glob(".staging-*"))


def test_a_run_of_a_quarter_being_circulated_waits_then_refuses_in_one_line(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    """The lock is held here, by a circulation in this (live) process, for longer than the run
    waits ([warehouse] lock_wait_seconds, 10 s); test_quarter_lock.py races the other commands."""
    out = tmp_path / "out"
    warehouse = Warehouse(default_url(out))
    args = ["run", "-q", QUARTER, "--as-of", FLOW_AS_OF.isoformat(), "--config", str(demo_config)]
    with warehouse.holding(QUARTER, "circulate"):
        taken = warehouse.table("run_locks")[0]["acquired_at"]
        second = _vcc(*args, "--out", str(out))
        _, errors = second.communicate(timeout=300)
    assert second.returncode == 1
    lines = [line for line in errors.splitlines() if line.startswith("vcc: error")]
    when = f"{taken:%H:%M}" if taken.date() == dt.date.today() else f"{taken:%Y-%m-%d %H:%M}"
    assert lines == [
        f"vcc: error: {QUARTER} is being circulated by pid {os.getpid()} since {when}; try "
        "again when it finishes"
    ]
    assert "Traceback" not in errors
    assert warehouse.list_runs() == [] and warehouse.table("run_locks") == []
    assert not (out / QUARTER).exists()


def test_a_failed_scheduled_run_notifies_with_its_reason_and_a_manual_one_does_not(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    from vcc.flows.errors import SourceError
    from vcc.flows.run.flow import quarterly_compliance_report

    broken = tmp_path / "broken"
    shutil.copytree(demo_config.parent, broken)
    next((broken / "demo-data" / "cps").glob("hearings*")).unlink()
    out = tmp_path / "out"
    with running_smtp_server() as smtp:
        config = broken / "notify.toml"
        config.write_text(
            (broken / demo_config.name).read_text(encoding="utf-8")
            + f'\n[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            'sender = "vcc@opfcc.example.org"\nfailure_notify = ["analyst@opfcc.example.org"]\n',
            encoding="utf-8",
        )
        with pytest.raises(SourceError):
            run_quarter(
                Quarter.parse(QUARTER), FLOW_AS_OF, config, out
            )  # by hand: the analyst sees it
        assert smtp.messages == []
        with pytest.raises(SourceError):
            quarterly_compliance_report(
                quarter=QUARTER, as_of=FLOW_AS_OF, config_path=str(config), out_dir=str(out),
                triggered_by="schedule",
            )  # fmt: skip
    (notice,) = smtp.messages
    assert notice["To"] == "analyst@opfcc.example.org"
    assert notice["Subject"] == f"vcc: scheduled run of {QUARTER} failed"
    assert "Reason: source cps, table hearings" in notice.get_content()
    runs = Warehouse(default_url(out)).list_runs(QUARTER)
    assert [(r["triggered_by"], r["status"]) for r in runs] == [
        ("manual", "failed"), ("schedule", "failed"),
    ]  # fmt: skip
    (scheduled,) = [r for r in runs if r["triggered_by"] == "schedule"]
    assert f"Run id: {scheduled['run_id']}" in notice.get_content()
