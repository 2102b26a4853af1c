"""A run of many areas on a real Dask cluster (CONTRACT.md §6.5): a LocalCluster of two worker
processes started here, and a scheduler and worker started as separate processes (``dask
scheduler`` / ``dask worker``), as a deployment runs them. Each area's outputs are those of the
area run alone without a cluster; a failing area stops no other and is named."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER
from vcc.flows.config import load_config
from vcc.flows.errors import AreasFailed
from vcc.flows.run.flow import run_quarter
from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.reports.render import COMPARES_END, COMPARES_START, with_section
from vcc.transforms.quarters import Quarter

pytestmark = pytest.mark.flow
Q = FLOW_QUARTER
AREAS = {"north": ("Northshire", 0.03, 11, 0.05), "south": ("Southshire", 0.015, 12, -0.1)}


def area_toml(name: str, title: str, police_url: str) -> str:
    return (
        f'[areas.{name}]\narea = "{title}"\n'
        'districts = ["Allerdale", "Barrow-in-Furness", "Carlisle", "Copeland", "Eden", '
        '"South Lakeland"]\n'
        f'[areas.{name}.sources.police]\nkind = "sql"\nurl = "{police_url}"\n'
        f'[areas.{name}.sources.cps]\nkind = "files"\npath = "{name}/cps"\n'
        f'[areas.{name}.sources.probation]\nkind = "files"\npath = "{name}/probation"\n'
    )


@pytest.fixture(scope="module")
def areas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small areas of different sizes and compliance, and a third whose police database
    does not exist; their vcc.toml."""
    from vcc.flows.synthetic import generate_sources, write_demo_sources

    root = tmp_path_factory.mktemp("areas")
    canonical = load_config(None).model_copy(update={"sources": {}})
    text = ""
    for name, (title, scale, seed, shift) in AREAS.items():
        sources = generate_sources(Quarter(2024, 1), Quarter.parse(Q), scale=scale, seed=seed,
                                   until=FLOW_AS_OF, compliance_shift=shift)  # fmt: skip
        write_demo_sources(sources, root / name, canonical)
        text += area_toml(name, title, f"sqlite:///{name}/police.sqlite")
    (root / "broken" / "cps").mkdir(parents=True)
    (root / "broken" / "probation").mkdir()
    text += area_toml("broken", "Brokenshire", "sqlite:///broken/no-such.sqlite")
    (root / "vcc.toml").write_text(text)
    return root / "vcc.toml"


def with_cluster(config: Path, address: str, areas: list[str]) -> Path:
    """A copy of ``config`` with only ``areas``, run on the scheduler at ``address``."""
    text = config.read_text()
    kept = "".join(
        "[areas." + block for block in text.split("[areas.")[1:]
        if block.split("]")[0].split(".")[0] in areas
    )  # fmt: skip
    copy = config.with_name(f"vcc-{len(areas)}-{abs(hash(address))}.toml")
    copy.write_text(kept + f'\n[cluster]\naddress = "{address}"\n')
    return copy


def api_url() -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return str(client.api_url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def published_files(folder: Path) -> dict[str, bytes]:
    """Every CSV of a run's folder, by path, and the report's HTML with the run's own id (on its
    cover and in the methodology) taken out, and "How <area> compares" too: two runs differ in
    their id, and the run of many areas adds that section (CONTRACT.md §7.2), which a run of one
    area alone cannot make (it says so in its place), and nothing else.

    The PDF is laid out from exactly this HTML (``reports.render.linked_html``), so comparing the
    HTML compares every word the PDF prints; the PDF's own text is not compared, because the
    section changes its page count and so every "Page n of m"."""
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}
    run_id = json.loads((folder / "manifest.json").read_text())["run_id"]
    html = (folder / f"vcc-{Q}-report.html").read_text()
    assert run_id in html and html.count(COMPARES_START) == 1
    kept = with_section(html, f"{COMPARES_START}{COMPARES_END}")  # the place, emptied
    files["report"] = kept.replace(run_id, "RUN").encode()
    return files


@pytest.fixture(scope="module")
def local_cluster_run(
    prefect_harness, areas: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """Every area run on a LocalCluster of two worker processes started by the test."""
    from distributed import LocalCluster

    out = tmp_path_factory.mktemp("out-local")
    os.environ["PREFECT_API_URL"] = api_url()  # the workers report to the test's server
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:  # fmt: skip
            config = with_cluster(areas, cluster.scheduler_address, ["north", "south", "broken"])
            with pytest.raises(AreasFailed) as failed:
                run_quarter(Quarter.parse(Q), FLOW_AS_OF, config, out)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
    yield out, str(failed.value)


def test_a_failing_area_stops_no_other_and_is_named(local_cluster_run: tuple[Path, str]) -> None:
    out, message = local_cluster_run
    assert message.startswith("1 of 3 areas failed: broken: source police:")
    assert "\n" not in message
    for name in ("north", "south"):
        assert (out / name / Q / f"vcc-{Q}-report.pdf").is_file()
    assert not (out / "broken" / Q).exists()
    comparison = pd.read_csv(out / "comparison" / Q / "comparison.csv", dtype=str)
    assert set(comparison["area"]) == {"north", "south"}
    pdf = PdfReader(out / "comparison" / Q / f"vcc-{Q}-comparison.pdf")
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Areas missing from this comparison" in text and "Brokenshire: source police" in text
    # the comparison is part of the warehouse record of the run, in <out>
    runs = Warehouse(default_url(out)).list_runs(Q)
    assert [run["status"] for run in runs] == ["succeeded"]
    assert "broken" in runs[0]["manifest"] and "comparison.csv" in runs[0]["manifest"]


def test_comparison_rows_follow_the_areas_own_figures(local_cluster_run: tuple[Path, str]) -> None:
    out, _ = local_cluster_run
    comparison = pd.read_csv(out / "comparison" / Q / "comparison.csv", dtype=str)
    for name in ("north", "south"):
        metrics = pd.read_csv(out / name / Q / "metrics.csv")
        every = metrics[(metrics["quarter"] == Q) & (metrics["dimension"] == "all")]
        row = every[every["measure_id"] == "R2-RECORD"].iloc[0]
        mine = comparison[(comparison["area"] == name) & (comparison["measure_id"] == "R2-RECORD")]
        assert mine["eligible"].iloc[0] == str(row["eligible"])  # crimes recorded: not small
    # the benchmark is every area's: Σmet / Σeligible
    both = pd.concat(pd.read_csv(out / n / Q / "metrics.csv") for n in ("north", "south"))
    r2 = both[(both["quarter"] == Q) & (both["dimension"] == "all")
              & (both["measure_id"] == "R2-RECORD")]  # fmt: skip
    p0 = r2["met"].sum() / r2["eligible"].sum()
    assert set(comparison.loc[comparison["measure_id"] == "R2-RECORD", "all_areas_rate"]) == {
        f"{p0:.4f}"
    }


def test_each_area_report_says_how_it_compares(local_cluster_run: tuple[Path, str]) -> None:
    """CONTRACT.md §7.2: each area's own report gains "How <area> compares", its manifest and its
    warehouse record following the new files (an approval would bind the PDF with the section)."""
    from vcc.flows.operations.circulation import current_report

    out, _ = local_cluster_run
    for name, (title, *_) in AREAS.items():
        folder = out / name / Q
        html = (folder / f"vcc-{Q}-report.html").read_text()
        assert f"How {title} compares</h2>" in html
        assert "no comparison group configured" in html  # neither names a most similar group
        assert "Not compared this quarter (their runs failed): Brokenshire." in html
        assert "added to this report when every area is run together" not in html
        warehouse = Warehouse(default_url(out / name))
        report = current_report(warehouse, out / name, Q)  # the PDF is the manifest's
        version = warehouse.latest_version(Q)
        assert version is not None and version["pdf_sha256"] == report.pdf_sha256
        text = "".join(
            page.extract_text() for page in PdfReader(folder / f"vcc-{Q}-report.pdf").pages
        )
        assert f"How {title} compares" in text


def test_the_routine_commands_take_an_area_and_refuse_to_guess_one(
    local_cluster_run: tuple[Path, str], areas: Path
) -> None:
    from click.testing import CliRunner

    from vcc.flows.cli import main

    out, _ = local_cluster_run
    place = ["--config", str(areas), "--out", str(out)]
    guessed = CliRunner().invoke(main, ["approve", "-q", Q, "--by", "Head of Service", *place])
    assert guessed.exit_code == 1
    assert guessed.output.strip() == (
        "vcc: error: this configuration has 3 areas (north, south, broken): name one with --area"
    )
    approved = CliRunner().invoke(
        main, ["approve", "-q", Q, "--by", "Head of Service", "--area", "north", *place]
    )
    assert approved.exit_code == 0, approved.output
    assert approved.output.startswith(f"vcc: approved {Q} version 1 (run ")
    (approval,) = Warehouse(default_url(out / "north")).table("approvals", Q)
    assert approval["approved_by"] == "Head of Service"
    history = CliRunner().invoke(main, ["history", "-q", Q, "--area", "south", *place])
    assert history.exit_code == 0 and "not approved" in history.output
    unknown = CliRunner().invoke(main, ["history", "--area", "west", *place])
    assert "no area 'west' in the configuration (areas: north, south, broken)" in unknown.output


def test_each_area_is_byte_identical_to_its_run_alone_without_a_cluster(
    local_cluster_run: tuple[Path, str], areas: Path
) -> None:
    out, _ = local_cluster_run
    before = published_files(out / "north" / Q)
    assert len(before) > 5
    run_quarter(
        Quarter.parse(Q), FLOW_AS_OF, areas, out, area="north"
    )  # the same place, no cluster
    assert published_files(out / "north" / Q) == before


@pytest.fixture
def scheduler_processes(prefect_harness, tmp_path: Path) -> Iterator[str]:
    """``dask scheduler`` and one ``dask worker`` as separate processes on free ports, the worker
    told where the Prefect server is, as an operator would start them."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    env = {**os.environ, "PREFECT_API_URL": api_url()}
    logs = (tmp_path / "scheduler.log").open("w"), (tmp_path / "worker.log").open("w")
    scheduler = subprocess.Popen(
        [*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        stdout=logs[0], stderr=logs[0],
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
         "--nthreads", "1", "--no-dashboard"], env=env, stdout=logs[1], stderr=logs[1],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "Starting established connection" not in (tmp_path / "worker.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            assert worker.poll() is None and scheduler.poll() is None
            time.sleep(0.5)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
        for log in logs:
            log.close()


def test_a_run_on_a_scheduler_started_as_its_own_process(
    scheduler_processes: str, areas: Path, local_cluster_run: tuple[Path, str], tmp_path: Path
) -> None:
    config = with_cluster(areas, scheduler_processes, ["north", "south"])
    manifest = run_quarter(Quarter.parse(Q), FLOW_AS_OF, config, tmp_path / "out")
    assert manifest["missing_areas"] == {}  # type: ignore[typeddict-item]
    # the same areas, the same bytes as on the local cluster
    local, _ = local_cluster_run
    for name in ("north", "south"):
        assert published_files(tmp_path / "out" / name / Q) == published_files(local / name / Q)
    assert (tmp_path / "out" / "comparison" / Q / "comparison.csv").read_bytes() == (
        local / "comparison" / Q / "comparison.csv"
    ).read_bytes()
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}", manifest["run_id"])


def test_vcc_serve_runs_every_area_and_compares_them(
    areas: Path, local_cluster_run: tuple[Path, str], tmp_path: Path
) -> None:
    """A real ``vcc serve`` of a configuration of many areas: a run of its deployment (as the
    schedule or the UI starts one) runs every area on a local cluster, then the comparison."""
    config = areas.with_name("vcc-served.toml")
    kept = "".join("[areas." + block for block in areas.read_text().split("[areas.")[1:]
                   if not block.startswith("broken"))  # fmt: skip
    config.write_text(kept + "\n[cluster]\nworkers = 1\n")
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # its own server and database
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen(
        [sys.executable, "-m", "vcc.flows.cli", "serve", "--config", str(config), "--out",
         str(out)], env=env, stdout=log, stderr=log, cwd=config.parent,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while "vcc: deployments" not in (tmp_path / "serve.log").read_text():
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-2000:]
            time.sleep(0.5)
        served = json.loads((out / ".vcc-serve.json").read_text())["api_url"]
        started = subprocess.run(
            [sys.executable, "-c",
             "import sys; from prefect.deployments import run_deployment; "
             "run = run_deployment('quarterly-compliance-report/quarterly', parameters="
             "{'quarter': sys.argv[1], 'as_of': sys.argv[2]}, timeout=600); "
             "print(run.state.type.value)", Q, FLOW_AS_OF.isoformat()],
            env={**env, "PREFECT_API_URL": served}, capture_output=True, text=True, timeout=700,
        )  # fmt: skip
    finally:
        serve.terminate()
        serve.wait(timeout=60)
        log.close()

    said = started.stdout.strip().splitlines()
    assert said and said[-1] == "COMPLETED", started.stderr[-2000:]
    local, _ = local_cluster_run
    for name in ("north", "south"):
        assert published_files(out / name / Q) == published_files(local / name / Q)
    comparison = pd.read_csv(out / "comparison" / Q / "comparison.csv", dtype=str)
    assert set(comparison["area"]) == {"north", "south"}
    (run,) = Warehouse(default_url(out)).list_runs(Q)
    assert run["triggered_by"] == "deployment" and run["status"] == "succeeded"


def prefect_states() -> set[tuple[str, str]]:
    """The states of the latest many-areas run's area tasks and areas' flow runs, as (task name,
    state) and (area, state), from the Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterId,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        (parent,) = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["many-areas-report"])),
            sort=FlowRunSort.START_TIME_DESC, limit=1,
        )  # fmt: skip
        areas = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])
            )
        )
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[parent.id]))
        )
    states = {(run.parameters["area"], run.state_type.value) for run in areas if run.state_type}
    return states | {
        (run.name.rsplit("-", 1)[0], run.state_type.value) for run in tasks
        if run.name.startswith("run-area") and run.state_type
    }  # fmt: skip


def kill_the_worker_running(area: Path, killed: list[int]) -> None:
    """SIGKILL the worker process computing ``area``: the process that holds its quarter's lock
    in ``<area>/vcc-warehouse.sqlite`` (a run takes it as it starts, before it reads a source)."""
    database = area / "vcc-warehouse.sqlite"
    deadline = time.monotonic() + 600  # the workers' start, on a loaded machine
    while time.monotonic() < deadline:
        if database.exists():  # a new warehouse is linked into place whole
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
                held = connection.execute("SELECT pid FROM run_locks").fetchall()
            if held:
                os.kill(held[0][0], signal.SIGKILL)
                killed.append(held[0][0])
                return
        time.sleep(0.05)


def test_an_area_whose_worker_dies_is_named_and_reruns_alone(
    prefect_harness, areas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """South's worker process is killed (SIGKILL) while it computes south. Dask reruns a task
    whose worker died up to ``distributed.scheduler.allowed-failures`` times (3 by default), and
    a rerun that succeeds makes a whole run; here none is allowed, as when the worker dies each
    time: north still publishes, the comparison names south and why, the run fails naming south,
    and south then runs alone."""
    import dask
    from click.testing import CliRunner
    from distributed import LocalCluster

    from vcc.flows.cli import main

    out = tmp_path / "out"
    killed: list[int] = []
    monkeypatch.setenv("PREFECT_API_URL", api_url())  # the workers and the rerun report to it
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                     dashboard_address=None) as cluster,
    ):  # fmt: skip
        config = with_cluster(areas, cluster.scheduler_address, ["north", "south"])
        killer = threading.Thread(target=kill_the_worker_running, args=(out / "south", killed))
        killer.start()
        with pytest.raises(AreasFailed) as failed:
            run_quarter(Quarter.parse(Q), FLOW_AS_OF, config, out)
        killer.join()

    assert killed, "south's worker was never seen holding its lock"
    assert str(failed.value) == (
        "1 of 2 areas failed: south: its worker process died during the run (the others and the "
        f"comparison are in {out}); rerun an area alone with vcc run --quarter {Q} --area NAME"
    )
    assert (out / "north" / Q / f"vcc-{Q}-report.pdf").is_file()
    assert not (out / "south" / Q).exists()
    comparison = pd.read_csv(out / "comparison" / Q / "comparison.csv", dtype=str)
    assert set(comparison["area"]) == {"north"}
    pdf = PdfReader(out / "comparison" / Q / f"vcc-{Q}-comparison.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "Southshire: its worker process died during the run" in text
    manifest = json.loads((out / "comparison" / Q / "manifest.json").read_text())
    assert manifest["missing_areas"] == {"south": "its worker process died during the run"}
    # the Prefect server tells it too: south's flow run and task crashed, north's completed
    assert prefect_states() == {
        ("run-area", "CRASHED"), ("run-area", "COMPLETED"),
        ("south", "CRASHED"), ("north", "COMPLETED"),
    }  # fmt: skip
    # the killed run of south is told apart from a live one, and the rerun takes its lock over
    place = ["--config", str(config), "--out", str(out), "--area", "south"]
    history = CliRunner().invoke(main, ["history", "-q", Q, *place])
    assert f"dead (pid {killed[0]} is gone)" in history.output, history.output
    rerun = CliRunner().invoke(main, ["run", "--quarter", Q, "--as-of", FLOW_AS_OF.isoformat(),
                                      *place])  # fmt: skip
    assert rerun.exit_code == 0, rerun.output
    assert (out / "south" / Q / f"vcc-{Q}-report.pdf").is_file()
    runs = Warehouse(default_url(out / "south")).list_runs(Q)
    assert sorted(run["status"] for run in runs) == ["abandoned", "succeeded"]


def test_each_area_and_the_comparison_publish_a_valid_open_release(
    local_cluster_run: tuple[Path, str],
) -> None:
    from frictionless import validate

    from vcc.flows.checksums import sha256

    out, _ = local_cluster_run
    for folder in (out / "north" / Q, out / "south" / Q, out / "comparison" / Q):
        report = validate(folder / "release" / "datapackage.json")
        assert report.valid, (folder, report.flatten(["rowNumber", "fieldName", "type", "note"]))
    north = pd.read_csv(out / "north" / Q / "release" / "victims-code-compliance.csv")
    assert set(north["area"]) == {"Northshire"}
    comparison = out / "comparison" / Q
    manifest = json.loads((comparison / "manifest.json").read_text())
    assert manifest["outputs"]["release_sha256"] == sha256(comparison / "release" / "SHA256SUMS")
    assert manifest["outputs"]["checksums"]["release/index.html"] == sha256(
        comparison / "release" / "index.html"
    )
    published = pd.read_csv(comparison / "comparison.csv", dtype=str, keep_default_na=False)
    rows = pd.read_csv(comparison / "release" / "comparison-between-areas.csv", dtype=str,
                       keep_default_na=False)  # fmt: skip
    pd.testing.assert_frame_equal(rows, published)
    page = (comparison / "release" / "index.html").read_text()
    assert "compared between 2 areas" in page and "Northshire" in page and "Southshire" in page
    assert "Not compared this quarter: Brokenshire (" in page
