"""A run of many areas (CONTRACT.md §6.5): each area's extract → validate → measures → outputs
is one task on a Dask cluster, then the areas are compared, and each area's report gains "How
<area> compares" (``flows/run/area_reports.py``, again one task per area).

Each area's task runs the quarterly flow for that area alone (``quarterly_compliance_report``
with ``area``), exactly as ``vcc run --area NAME`` does, so its outputs in ``<out>/<name>/<Q>/``
are that run's. A worker reads its own area's sources: only names, dates and paths travel
through the scheduler, and only an outcome comes back. A failed area is caught inside its task,
and an area whose worker process died as its task comes back (``area_outcome``), so the others
carry on; the comparison then names it and the run fails once everything else is written,
saying how to rerun the area alone. An area whose worker died is set Crashed on the Prefect
server (``record_crash``). The cluster is a local one of worker processes (one per
CPU core, at most one per area; ``[cluster] workers``), or the running scheduler at ``[cluster]
address``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from distributed import KilledWorker
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.states import Crashed
from prefect_dask import DaskTaskRunner

from vcc.flows.config import ClusterSettings, Config, load_config
from vcc.flows.errors import AreasFailed, ConfigError, one_line
from vcc.flows.manifest import ComparisonManifest
from vcc.flows.run.area_reports import add_section_task, area_sections
from vcc.flows.run.comparison import publish_comparison
from vcc.flows.run.console import CONSOLE_ENV, QUIET, VERBOSE, set_console
from vcc.flows.run.flow import quarterly_compliance_report, reportable_quarter
from vcc.flows.run.progress import progress
from vcc.transforms.quarters import Quarter


@dataclass(frozen=True)
class AreaOutcome:
    """What one area's task reports back: its run and report, or why it failed."""

    name: str
    run_id: str | None = None
    report: str | None = None
    failure: str | None = None


@task(name="run-area", cache_policy=NO_CACHE)
def area_task(
    name: str,
    quarter: Quarter,
    as_of: dt.date,
    config_path: str | None,
    out_dir: str,
    triggered_by: str,
) -> AreaOutcome:
    """One area's whole run, on a worker; a failure is returned, not raised."""

    _quiet_worker_console()
    try:
        manifest = quarterly_compliance_report(
            quarter=str(quarter), as_of=as_of, config_path=config_path, out_dir=out_dir,
            triggered_by=triggered_by, area=name,
        )  # fmt: skip
    except Exception as error:
        return AreaOutcome(name, failure=one_line(error))
    return AreaOutcome(name, run_id=manifest["run_id"], report=manifest["outputs"]["report"])


def _quiet_worker_console() -> None:
    """A worker of a local cluster prints to vcc's terminal: only errors, unless ``vcc run
    --verbose`` asked for every log line (``VCC_CONSOLE``, set by the command). The areas'
    progress is told by the run itself as each area ends; their log lines all reach the Prefect
    server's log of each area's run."""
    if verbosity := os.environ.get(CONSOLE_ENV):
        set_console(VERBOSE if verbosity == VERBOSE else QUIET)


def task_runner(cluster: ClusterSettings, areas: int):
    """The Dask task runner: the scheduler at ``cluster.address``, else a local cluster of
    worker processes, one thread each (an area at a time per worker, for its memory)."""
    if cluster.address:
        return DaskTaskRunner(address=cluster.address)
    workers = cluster.workers or max(1, min(os.cpu_count() or 1, areas))
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                        "dashboard_address": None},
    )  # fmt: skip


def run_areas(
    quarter: str | None,
    as_of: dt.date | None,
    config: Config,
    config_path: str | None,
    out_dir: str | None,
    triggered_by: str,
) -> ComparisonManifest:
    """Run every area of ``config`` on its cluster, then compare them; returns the comparison's
    manifest, or raises ``AreasFailed`` naming the areas that failed (after the rest is written)."""
    if config.warehouse.url_env:
        raise ConfigError(
            "[warehouse] url_env with [areas]: each area keeps its own warehouse in "
            "<out>/<name>/ for now; remove url_env to run many areas"
        )
    runner = task_runner(config.cluster, len(config.areas))
    with _workers_report_to_this_server():
        return many_areas_report.with_options(task_runner=runner)(
            quarter=quarter, as_of=as_of, config_path=config_path, out_dir=out_dir,
            triggered_by=triggered_by,
        )  # fmt: skip


@contextmanager
def _workers_report_to_this_server() -> Iterator[None]:
    """Worker processes of a local cluster inherit the environment: without PREFECT_API_URL,
    each would start a temporary Prefect server of its own and record its area there. They are
    given the URL of the server this run reports to. (Workers of a running scheduler are started
    by their operator, with PREFECT_API_URL set to the server vcc uses.)"""
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    with get_client(sync_client=True) as client:
        os.environ["PREFECT_API_URL"] = str(client.api_url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@flow(name="many-areas-report", log_prints=True)
def many_areas_report(
    quarter: str | None = None,
    as_of: dt.date | None = None,
    config_path: str | None = None,
    out_dir: str | None = None,
    triggered_by: str = "manual",
) -> ComparisonManifest:
    """Every area's quarterly report, each on a Dask worker, then their comparison."""
    logger = get_run_logger()
    config = load_config(Path(config_path) if config_path else None)
    output_root = Path(out_dir) if out_dir else config.output_dir
    as_of_date = as_of or dt.date.today()  # one as-of date for every area
    target = reportable_quarter(quarter, as_of_date, config.validation.earliest_date)
    progress("%d areas: quarter %s, as of %s", len(config.areas), target, as_of_date)
    futures = {
        area_task.submit(name, target, as_of_date, config_path, str(output_root),
                         triggered_by): name
        for name in config.areas
    }  # fmt: skip
    finished: dict[str, AreaOutcome] = {}
    for number, future in enumerate(as_completed(list(futures)), start=1):  # as each area ends
        outcome = area_outcome(futures[future], future)
        finished[outcome.name] = outcome
        if outcome.failure:
            logger.error("area %s failed (%d/%d): %s", outcome.name, number, len(futures),
                         outcome.failure)  # fmt: skip
        else:
            progress("area %s done (%d/%d): %s", outcome.name, number, len(futures),
                     outcome.report)  # fmt: skip
    outcomes = [finished[name] for name in config.areas]
    manifest, table = publish_comparison(
        config, output_root, target, as_of_date, outcomes, triggered_by
    )
    missing = {outcome.name: outcome.failure or "" for outcome in outcomes if outcome.failure}
    sections = area_sections(config, table, target, as_of_date, missing)
    added = {
        name: add_section_task.submit(name, target, section, config_path, str(output_root))
        for name, section in sections.items()
    }
    failures = [f"{outcome.name}: {outcome.failure}" for outcome in outcomes if outcome.failure]
    for name, adding in added.items():
        try:
            failure, seconds = adding.result()
        except Exception as error:
            failure, seconds = cluster_failure(name, adding, error), 0.0
        if failure:
            logger.error("area %s: how it compares could not be added: %s", name, failure)
            failures.append(f"{name}: how it compares could not be added to its report: {failure}")
        else:
            progress("area %s: how it compares added to its report (%.1f s)", name, seconds)
    if failures:
        raise AreasFailed(
            f"{len(failures)} of {len(outcomes)} areas failed: "
            + "; ".join(failures)
            + f" (the others and the comparison are in {output_root}); rerun an area alone "
            f"with vcc run --quarter {target} --area NAME"
        )
    return manifest


WORKER_DIED = "its worker process died during the run"


def area_outcome(name: str, future: PrefectFuture[AreaOutcome]) -> AreaOutcome:
    """An area's outcome, or its failure when its task never returned one. A task whose worker
    process died (killed, out of memory) is run again on another worker up to
    ``distributed.scheduler.allowed-failures`` times (Dask's default, 3), and a retry that
    succeeds is the area's outcome; past that, Dask gives up on it (``KilledWorker``), and the
    area is missing, not the whole run. Its killed run is taken over by the area's next run."""
    try:
        return future.result()
    except Exception as error:
        return AreaOutcome(name, failure=cluster_failure(name, future, error))


def cluster_failure(area: str, future: PrefectFuture[Any], error: Exception) -> str:
    """Why the cluster gave no result for one of ``area``'s tasks: its worker process died
    (``KilledWorker``; the task, and the area's run if unfinished, are then set Crashed on the
    Prefect server), or the cluster lost it otherwise (its scheduler went away)."""
    if isinstance(error, KilledWorker):
        record_crash(area, future.task_run_id)
        return WORKER_DIED
    return f"the cluster did not finish it: {one_line(error)}"


_UNFINISHED = [StateType.PENDING, StateType.RUNNING, StateType.SCHEDULED, StateType.PAUSED]


def record_crash(area: str, task_run_id: UUID) -> None:
    """The Prefect server's record of an area whose worker process died: its task and its area's
    flow run would say "Running" for ever (the process that would have ended them is gone), so
    both are set Crashed, with the reason, and the server's UI tells what happened. A server that
    cannot be reached only loses this record: the run's own outcome stands."""
    parent = FlowRunContext.get()
    reason = f"area {area}: {WORKER_DIED}"
    try:
        with get_client(sync_client=True) as client:
            client.set_task_run_state(task_run_id, Crashed(message=reason), force=True)
            if parent is None or parent.flow_run is None:
                return
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.flow_run.id]),
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=_UNFINISHED)),
                )
            )
            for run in runs:
                if run.parameters.get("area") == area:
                    client.set_flow_run_state(run.id, Crashed(message=reason), force=True)
    except Exception as error:  # the record only; never the run's outcome
        get_run_logger().warning("could not record area %s as crashed: %s", area, one_line(error))
