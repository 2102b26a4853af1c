"""The Prefect flow and the ``vcc`` command, run for real on small synthetic sources.

One temporary Prefect server serves the whole session (``prefect_harness``). The sources are the
demo's own: police in SQLite, CPS as a cp1252 file drop with its own names and codes, probation as
CSV and XLSX, with the injected defects that validation must quarantine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER, copy_demo_run
from vcc.flows.errors import EmptyQuarterError, RunDatesError, SourceError
from vcc.flows.run.flow import backfill_quarters, run_quarter
from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.transforms.catalogue import MEASURES
from vcc.transforms.quarters import Quarter

pytestmark = pytest.mark.flow
QUARTER = FLOW_QUARTER
AS_OF = FLOW_AS_OF


@pytest.fixture(scope="session")
def first_run(
    demo_run: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict]:
    """The demo run (``run_quarter(QUARTER, AS_OF, demo_config, out)``), copied: these tests run
    again in its folder."""
    out = tmp_path_factory.mktemp("out") / "out"
    manifest = copy_demo_run(demo_run, out)
    return out / QUARTER, manifest


def test_run_writes_every_output_of_the_contract(first_run: tuple[Path, dict]) -> None:
    folder, manifest = first_run
    names = {path.name for path in folder.iterdir()}
    assert {
        f"vcc-{QUARTER}-report.pdf",
        f"vcc-{QUARTER}-report.html",
        "metrics.csv",
        "published-tables.csv",
        "published-tables.xlsx",
        "changes.csv",
        "enhanced-identification.csv",
        "needs-assessment-timeliness.csv",
        "data-quality.csv",
        "manifest.json",
        "quarantine",
    } <= names
    assert (folder / f"vcc-{QUARTER}-report.pdf").read_bytes().startswith(b"%PDF")
    assert manifest["quarter"] == QUARTER and manifest["as_of"] == AS_OF.isoformat()
    assert json.loads((folder / "manifest.json").read_text())["run_id"] == manifest["run_id"]
    assert not list(folder.parent.glob(".staging-*"))


def test_metrics_have_every_measure_with_all_and_rights_rows(first_run: tuple[Path, dict]) -> None:
    folder, _ = first_run
    metrics = pd.read_csv(folder / "metrics.csv", keep_default_na=False)
    assert metrics.columns.tolist() == [
        "quarter", "measure_id", "right", "agency", "dimension", "group", "eligible", "met",
        "not_met", "pending", "rate", "ci_low", "ci_high", "target", "rag",
    ]  # fmt: skip
    for measure in MEASURES:
        rows = metrics[metrics["measure_id"] == measure.measure_id]
        assert "all" in set(rows["dimension"]), measure.measure_id
        if measure.per_victim:
            assert {"enhanced"} <= set(rows.loc[rows["dimension"] == "rights", "group"])
    volume = metrics[(metrics["measure_id"] == "R2-RECORD") & (metrics["dimension"] == "all")]
    assert volume["eligible"].iloc[0] > 200  # scale 0.05 of ~8,000 victims a quarter


def test_injected_defects_are_quarantined_with_reasons_and_none_lost(
    first_run: tuple[Path, dict],
) -> None:
    folder, manifest = first_run
    quarantined = sum(row["rows_quarantined"] for row in manifest["rows"])
    assert quarantined > 0
    for row in manifest["rows"]:
        assert row["rows_read"] == row["rows_accepted"] + row["rows_quarantined"]
    files = list((folder / "quarantine").glob("*.csv"))
    assert files
    for path in files:
        rows = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        assert (rows["reason"] != "").all(), path.name
    quality = pd.read_csv(folder / "data-quality.csv")
    assert {"rows", "linkage"} <= set(quality["severity"].replace("summary", "rows"))


IDENTIFIERS = re.compile(r"V\d{7}|CR\d{7}|\d{2}CU\d{7}|H\d{7}|P\d{6}")


def test_nothing_circulated_holds_an_identifier(first_run: tuple[Path, dict]) -> None:
    """Victim ids, crime references, URNs, hearing and referral ids stay in analysts' files."""
    folder, _ = first_run
    pdf = PdfReader(folder / f"vcc-{QUARTER}-report.pdf")
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    circulated = {
        "pdf": pdf_text,
        "html": (folder / f"vcc-{QUARTER}-report.html").read_text(),
        "published-tables.csv": (folder / "published-tables.csv").read_text(),
    }
    for name, text in circulated.items():
        assert IDENTIFIERS.search(text) is None, name
    assert IDENTIFIERS.search((folder / "quarantine" / "police.victims.csv").read_text())


def test_published_tables_suppress_small_counts(first_run: tuple[Path, dict]) -> None:
    folder, _ = first_run
    published = pd.read_csv(folder / "published-tables.csv", dtype=str, keep_default_na=False)
    counts = pd.to_numeric(published["eligible"], errors="coerce")
    assert not ((counts > 0) & (counts < 5)).any()


def test_rerun_with_same_inputs_is_byte_identical(
    first_run: tuple[Path, dict], demo_config: Path
) -> None:
    folder, _ = first_run
    before = (folder / "metrics.csv").read_bytes()
    manifest = run_quarter(Quarter.parse(QUARTER), AS_OF, demo_config, folder.parent)
    assert (folder / "metrics.csv").read_bytes() == before
    assert manifest["revised_earlier_figures"] is False


def test_rerun_from_an_earlier_runs_snapshot_reproduces_its_figures(
    first_run: tuple[Path, dict], demo_config: Path
) -> None:
    folder, manifest = first_run
    before = (folder / "metrics.csv").read_bytes()
    run_quarter(
        Quarter.parse(QUARTER), AS_OF, demo_config, folder.parent
    )  # replaces, and archives, the first
    # without --as-of, the snapshots' own as-of date: the figures as they were published
    again = run_quarter(
        Quarter.parse(QUARTER), None, demo_config, folder.parent, from_snapshot=manifest["run_id"]
    )
    assert again["from_snapshot"] == manifest["run_id"] and again["as_of"] == str(AS_OF)  # type: ignore[typeddict-item]
    assert (folder / "metrics.csv").read_bytes() == before
    later = AS_OF + dt.timedelta(days=1)
    with pytest.raises(RunDatesError, match=f"hold the sources up to {AS_OF}: an as-of date after"):
        run_quarter(
            Quarter.parse(QUARTER),
            later,
            demo_config,
            folder.parent,
            from_snapshot=manifest["run_id"],
        )
    assert (folder.parent / "archive").is_dir()


def test_missing_table_stops_the_run_naming_it_and_leaves_outputs_alone(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(demo_config.parent, broken)
    hearings = next((broken / "demo-data" / "cps").glob("hearings*"))
    hearings.unlink()
    out = tmp_path / "out"
    (out / QUARTER).mkdir(parents=True)
    (out / QUARTER / "metrics.csv").write_text("earlier run\n")
    with pytest.raises(SourceError, match=r"source cps, table hearings"):
        run_quarter(Quarter.parse(QUARTER), AS_OF, broken / demo_config.name, out)
    assert (out / QUARTER / "metrics.csv").read_text() == "earlier run\n"
    assert sorted(p.name for p in out.iterdir()) == [QUARTER, "vcc-warehouse.sqlite"]
    (failed,) = Warehouse(default_url(out)).list_runs(QUARTER)
    assert failed["status"] == "failed" and failed["error"].startswith("source cps, table hearings")
    assert Warehouse(default_url(out)).count("metrics") == 0


def test_a_quarter_before_the_sources_begin_publishes_nothing(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    # the demo sources begin in 2024Q1: a report of 2022Q1, all zeros, would read as nothing owed
    with pytest.raises(EmptyQuarterError, match=r"^no Victims' Code duty fell in 2022Q1 in the"):
        run_quarter(Quarter.parse("2022Q1"), AS_OF, demo_config, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vcc-warehouse.sqlite"]
    (failed,) = Warehouse(default_url(tmp_path)).list_runs("2022Q1")
    assert failed["status"] == "failed" and "they may not reach back that far" in failed["error"]


def test_backfill_flow_runs_each_quarter_oldest_first(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    # the flow behind the "backfill" deployment, with the parameters a deployment run passes
    reports = backfill_quarters(
        "2024Q3", QUARTER, as_of=AS_OF, config_path=str(demo_config), out_dir=str(tmp_path)
    )
    assert reports == [str(tmp_path / q / f"vcc-{q}-report.pdf") for q in ("2024Q3", QUARTER)]
    runs = Warehouse(default_url(tmp_path)).list_runs()
    assert [(r["quarter"], r["status"], r["triggered_by"]) for r in runs] == [
        ("2024Q3", "succeeded", "backfill"),
        (QUARTER, "succeeded", "backfill"),
    ]
    q3 = pd.read_csv(tmp_path / "2024Q3" / "metrics.csv")
    assert set(q3["quarter"]) == {"2024Q3"}


def _vcc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "vcc.flows.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def test_cli_reports_a_bad_quarter_and_a_missing_config_in_one_line(tmp_path: Path) -> None:
    bad_quarter = _vcc("run", "--quarter", "2024Q5")
    assert bad_quarter.returncode == 2 and "YYYYQn" in bad_quarter.stderr
    missing = _vcc("run", "--quarter", "2024Q4", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"vcc: error: configuration file {tmp_path / 'nope.toml'} does not exist"
    ]


def test_cli_run_end_to_end_and_a_source_error_as_one_line(
    prefect_harness, demo_config: Path, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    out = tmp_path / "out"
    done = _vcc(
        "run",
        "--quarter",
        QUARTER,
        "--as-of",
        AS_OF.isoformat(),
        "--config",
        str(demo_config),
        "--out",
        str(out),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert f"report: {out / QUARTER / f'vcc-{QUARTER}-report.pdf'}" in done.stdout

    broken = tmp_path / "broken.toml"
    broken.write_text('[sources.police]\nkind = "files"\npath = "nowhere"\n')
    failed = _vcc("run", "--quarter", QUARTER, "--config", str(broken), "--out", str(out), env=env)
    assert failed.returncode == 1
    errors = [line for line in failed.stderr.splitlines() if line.startswith("vcc: error")]
    assert len(errors) == 1
    assert errors[0].startswith("vcc: error: source police") and "nowhere" in errors[0]
    assert "Traceback" not in failed.stderr


def test_the_extract_task_tries_a_locked_database_again(prefect_harness, demo_config: Path) -> None:
    import datetime as dt
    import sqlite3
    import threading

    from prefect import flow
    from prefect.client.orchestration import get_client

    from vcc.flows.config import load_config
    from vcc.flows.run.flow import extract_task

    config = load_config(demo_config)
    police = config.sources["police"]
    assert police.url is not None
    unwaiting = police.model_copy(update={"url": police.url + "?timeout=0"})
    config = config.model_copy(update={"sources": {**config.sources, "police": unwaiting}})
    holder = sqlite3.connect(police.url.removeprefix("sqlite:///"), isolation_level=None,
                             check_same_thread=False)  # fmt: skip
    holder.execute("BEGIN EXCLUSIVE")  # released after 1 s, before the first retry (2 s)

    def release_the_lock() -> None:
        holder.rollback()
        holder.close()

    release = threading.Timer(1.0, release_the_lock)

    @flow
    def extract_police():
        release.start()
        return extract_task(
            "police",
            config.sources["police"],
            AS_OF,
            dt.datetime(2025, 2, 15, 7),
            return_state=True,
        )

    state = extract_police()
    release.join()
    assert state is not None
    assert state.is_completed() and len(state.result()["crimes"].frame) > 0
    with get_client(sync_client=True) as client:
        task_run = client.read_task_run(state.state_details.task_run_id)
    assert task_run.run_count == 2  # failed once on the lock, then read it
