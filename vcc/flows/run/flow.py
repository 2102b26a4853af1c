"""The Prefect flow ``quarterly-compliance-report``: extract, validate, measure, render, publish.

Each stage is a task; the flow wires them and times them. Figures are made in
``flows/run/figures.py`` by the pure functions of ``transforms/``; files are written by
``flows/run/outputs.py`` into a staging folder that ``<out>/<quarter>/`` is switched to, in one
atomic step, only when everything has succeeded.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from vcc.flows.config import Config, SourceConfig, ValidationSettings, load_config
from vcc.flows.errors import ConfigError, RunDatesError, SourceUnavailable, VccError, one_line
from vcc.flows.manifest import Manifest, RunManifest
from vcc.flows.operations.mail import notify_failure
from vcc.flows.operations.summary import run_summary_markdown
from vcc.flows.run.figures import FigureSettings, quarter_figures
from vcc.flows.run.outputs import RunOutputs, write_outputs
from vcc.flows.run.progress import progress
from vcc.flows.run.publish import publish, recover
from vcc.flows.sources.extract import RETRY_DELAYS_SECONDS, RawTable, extract_source
from vcc.flows.sources.snapshot import load_snapshot, snapshot_as_of
from vcc.flows.sources.validate import ValidationOutcome, validate_extract
from vcc.flows.version import code_version
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.flows.warehouse.store import Warehouse, open_warehouse
from vcc.flows.warehouse.versions import RunFacts, VersionPlan
from vcc.transforms.figures import QuarterFigures
from vcc.transforms.quarters import Quarter, quarter_range, unreportable
from vcc.transforms.schema import CANONICAL


@dataclass
class StageTimer:
    """Wall-clock seconds per stage, for the manifest and the README's figures."""

    seconds: dict[str, float] = field(default_factory=dict)

    def record(self, stage: str, started: float) -> None:
        self.seconds[stage] = round(time.perf_counter() - started, 3)


def _retry_only_transient(task, task_run, state) -> bool:
    """Retry a source read only when the failure may pass (connection refused, locked, timeout)."""
    try:
        state.result()
    except SourceUnavailable:
        return True
    except Exception:
        return False
    return False


@task(
    name="extract-source",
    retries=len(RETRY_DELAYS_SECONDS),
    retry_delay_seconds=list(RETRY_DELAYS_SECONDS),
    retry_condition_fn=_retry_only_transient,
    cache_policy=NO_CACHE,
)
def extract_task(
    name: str, source: SourceConfig, as_of: dt.date, extracted_at: dt.datetime
) -> dict[str, RawTable]:
    logger = get_run_logger()
    tables = extract_source(name, source, as_of, extracted_at=extracted_at)
    for table, raw in tables.items():
        logger.info("%s.%s: %d rows read from %s", name, table, len(raw.frame), raw.origin)
    rows = sum(len(raw.frame) for raw in tables.values())
    progress("%s: %d tables, %s rows read", name, len(tables), f"{rows:,}")
    return tables


@task(name="validate-sources", cache_policy=NO_CACHE)
def validate_task(
    raw: dict[str, dict[str, RawTable]],
    sources: dict[str, SourceConfig],
    districts: list[str],
    extracted_at: dt.datetime,
    rules: ValidationSettings | None = None,
) -> ValidationOutcome:
    logger = get_run_logger()
    outcome = validate_extract(raw, sources, districts, extracted_at, rules)
    for (source_name, table), reasons in outcome.rejected.items():
        if len(reasons):
            logger.info("%s.%s: %d rows quarantined", source_name, table, len(reasons))
    quarantined = sum(len(reasons) for reasons in outcome.rejected.values())
    progress("validated: %s rows quarantined", f"{quarantined:,}")
    return outcome


@task(name="compute-figures", cache_policy=NO_CACHE)
def figures_task(
    accepted: dict[tuple[str, str], pd.DataFrame],
    settings: FigureSettings,
    quarter: Quarter,
    as_of: dt.date,
    reviews: ReviewStore,
) -> QuarterFigures:
    """Every figure of the quarter (``flows.run.figures``): instances of every measure over the
    trend window, then the figures of each quarter, the analyses and the case reviews."""
    figures = quarter_figures(accepted, settings, quarter, as_of, reviews)
    in_quarter = figures.instances[figures.instances["quarter"] == str(quarter)]
    status = in_quarter["status"].value_counts()
    progress(
        "%s instances in %s (%s met, %s not met, %s pending) across %d measures",
        f"{len(in_quarter):,}",
        quarter,
        *(f"{status.get(key, 0):,}" for key in ("met", "not_met", "pending")),
        _measures_reported(figures.metrics, quarter),
    )
    return figures


def _measures_reported(metrics: pd.DataFrame, quarter: Quarter) -> int:
    """The measures the report and the email count: one per measure and agency (``R12-ACK`` is
    reported once per source that supplies complaints), as the summary table lists them."""
    headline = metrics[(metrics["dimension"] == "all") & (metrics["quarter"] == str(quarter))]
    return len(headline[["measure_id", "agency"]].drop_duplicates())


@task(name="write-outputs", cache_policy=NO_CACHE)
def outputs_task(run: RunOutputs) -> tuple[Path, VersionPlan]:
    staging, plan = write_outputs(run)
    progress("outputs written as %s", plan.label)
    get_run_logger().info("outputs written to %s", staging)
    return staging, plan


def run_as_of(as_of: dt.date | None, output_root: Path, from_snapshot: str | None) -> dt.date:
    """The run's as-of date: the one asked for, else today; for a run from an earlier run's
    snapshots, that run's own as-of date, which a later one may not exceed (the snapshots hold
    nothing after it, and would read as actions missing)."""
    if not from_snapshot:
        return as_of or dt.date.today()
    taken = snapshot_as_of(output_root, from_snapshot)
    if as_of is not None and as_of > taken:
        raise RunDatesError(
            f"run {from_snapshot}'s snapshots hold the sources up to {taken}: an as-of date after "
            f"it ({as_of}) is not allowed with --from-snapshot"
        )
    return as_of or taken


def reportable_quarter(
    quarter: str | None, as_of: dt.date, earliest: dt.date = dt.date.min
) -> Quarter:
    """The quarter a run reports (default: the last complete one on the as-of date); refuses
    one not begun by that date, an as-of date after today, or one before ``[validation]
    earliest_date`` (every date in the sources would be implausible)."""
    target = Quarter.parse(quarter) if quarter else Quarter.last_complete(as_of)
    if problem := unreportable(target, as_of, dt.date.today()):
        raise RunDatesError(problem)
    if earliest > as_of:
        raise RunDatesError(
            f"[validation] earliest_date {earliest} is after the as-of date {as_of}: every date "
            "up to the as-of date would be quarantined as implausible"
        )
    return target


@flow(name="quarterly-compliance-report", log_prints=True)
def quarterly_compliance_report(
    quarter: str | None = None,
    as_of: dt.date | None = None,
    config_path: str | None = None,
    out_dir: str | None = None,
    triggered_by: str = "manual",
    from_snapshot: str | None = None,
    area: str | None = None,
) -> RunManifest:
    """Produce the Victims' Code compliance report of one quarter (default: the last complete
    quarter, as a scheduled run wants); returns its manifest. A configuration of many areas
    runs them all and compares them (``flows/run/areas.py``); ``area`` runs one of them alone,
    into ``<out>/<area>/``."""
    logger = get_run_logger()
    config = load_config(Path(config_path) if config_path else None)
    output_root = Path(out_dir) if out_dir else config.output_dir
    if config.areas and area is None:
        # Not at the top: areas.py imports this module, whose flow each area's task runs.
        from vcc.flows.run.areas import run_areas

        if from_snapshot:
            raise ConfigError("--from-snapshot reruns one area: name it with --area")
        return run_areas(quarter, as_of, config, config_path, out_dir, triggered_by)
    if area is not None:
        config, output_root = config.for_area(area), output_root / area
    as_of_date = run_as_of(as_of, output_root, from_snapshot)
    target_quarter = reportable_quarter(quarter, as_of_date, config.validation.earliest_date)
    # the Victims' Code version of the quarter, its deadlines settled into the configuration
    catalogue = config.catalogue(target_quarter.start)
    config = config.settled(catalogue)
    extracted_at = dt.datetime.now()
    run_id = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    progress("run %s: quarter %s, as of %s", run_id, target_quarter, as_of_date)
    warehouse = open_warehouse(config, output_root, lambda line: progress("%s", line))
    warehouse.start_run(
        run_id,
        str(target_quarter),
        as_of_date,
        triggered_by,
        {"quarter": quarter, "as_of": as_of, "config_path": config_path, "out_dir": out_dir,
         "from_snapshot": from_snapshot},
        RunFacts(as_of_date, config.fingerprint(), code_version(), {}),
    )  # fmt: skip
    try:  # from here on, however the run ends, it releases the quarter's lock
        for line in recover(output_root, target_quarter, warehouse.unfinished):
            logger.warning("a killed run of %s: %s", target_quarter, line)
        manifest = _produce(
            run_id, target_quarter, as_of_date, extracted_at, config,
            FigureSettings.of(config, catalogue), output_root, triggered_by, from_snapshot,
            warehouse, one_of_areas=area is not None,
        )  # fmt: skip
    except BaseException as error:
        reason = one_line(error)
        warehouse.fail_run(run_id, str(target_quarter), reason)
        if triggered_by == "schedule":
            _notify_failure(config, str(target_quarter), run_id, reason)
        raise
    _publish_artifact(manifest, target_quarter)
    return manifest


@flow(name="backfill-quarters", log_prints=True)
def backfill_quarters(
    first: str,
    last: str,
    as_of: dt.date | None = None,
    config_path: str | None = None,
    out_dir: str | None = None,
) -> list[str]:
    """Run every quarter from ``first`` to ``last``, oldest first, each as its own run of the
    quarterly flow; stops at the first quarter that fails. Returns the reports' paths."""
    logger = get_run_logger()
    quarters = quarter_range(Quarter.parse(first), Quarter.parse(last))
    reports = []
    for number, quarter in enumerate(quarters, start=1):
        logger.info("backfill %d/%d: %s", number, len(quarters), quarter)
        manifest = quarterly_compliance_report(
            quarter=str(quarter), as_of=as_of, config_path=config_path, out_dir=out_dir,
            triggered_by="backfill",
        )  # fmt: skip
        reports.append(manifest["outputs"]["report"])
    return reports


def _notify_failure(config: Config, quarter: str, run_id: str, reason: str) -> None:
    logger = get_run_logger()
    try:
        notified = notify_failure(config.mail, quarter, run_id, reason)
    except VccError as error:
        logger.error("could not send the failure notice: %s", error)
        return
    if notified:
        logger.info("failure notice sent to %d address(es)", len(notified))


def _publish_artifact(manifest: Manifest, quarter: Quarter) -> None:
    """A markdown summary of the run in the Prefect UI: version, headline figures as published,
    data quality, and where the report is."""
    create_markdown_artifact(
        key=f"vcc-report-{str(quarter).lower()}",
        markdown=run_summary_markdown(manifest),
        description=f"Victims' Code compliance report {quarter}",
    )


def _produce(
    run_id: str,
    target_quarter: Quarter,
    as_of_date: dt.date,
    extracted_at: dt.datetime,
    config: Config,
    figure_settings: FigureSettings,
    output_root: Path,
    triggered_by: str,
    from_snapshot: str | None,
    warehouse: Warehouse,
    one_of_areas: bool = False,
) -> Manifest:
    """Extract, validate, measure and publish one quarter; returns the manifest."""
    logger = get_run_logger()
    timer = StageTimer()
    started_run = time.perf_counter()
    started = time.perf_counter()
    if from_snapshot:
        raw, earlier = load_snapshot(output_root, from_snapshot)
        extracted_at = dt.datetime.fromisoformat(earlier["extracted_at"])
        logger.info("sources read from the snapshots of run %s", from_snapshot)
    else:
        raw = {
            name: extract_task(name, config.sources[name], as_of_date, extracted_at)
            for name in CANONICAL
            if name in config.sources
        }
    timer.record("extract", started)

    started = time.perf_counter()
    outcome = validate_task(
        raw, dict(config.sources), list(config.districts), extracted_at, config.validation
    )
    timer.record("validate", started)

    started = time.perf_counter()
    figures = figures_task(
        outcome.accepted, figure_settings, target_quarter, as_of_date,
        ReviewStore(warehouse),
    )  # fmt: skip
    timer.record("measures", started)

    run = RunOutputs(
        run_id=run_id,
        quarter=target_quarter,
        as_of=as_of_date,
        extracted_at=extracted_at,
        config=config,
        raw=raw,
        outcome=outcome,
        figures=figures,
        output_root=output_root,
        timer=timer.seconds,
        triggered_by=triggered_by,
        from_snapshot=from_snapshot,
        warehouse=warehouse,
        one_of_areas=one_of_areas,
    )
    started = time.perf_counter()
    try:
        staging, plan = outputs_task(run)
        timer.record("outputs", started)
        manifest = publish(staging, run, plan, time.perf_counter() - started_run)
    except BaseException:
        shutil.rmtree(run.staging_dir, ignore_errors=True)  # nothing half-written survives
        raise
    logger.info("report published: %s", manifest["outputs"]["report"])
    return manifest


def run_quarter(
    quarter: Quarter,
    as_of: dt.date | None,
    config_path: Path | None,
    out_dir: Path | None,
    triggered_by: str = "manual",
    from_snapshot: str | None = None,
    area: str | None = None,
) -> RunManifest:
    """Run the flow for one quarter (the CLI's entry point): every area of a configuration of
    many, or ``area`` alone. The flow's parameters are text, as a deployment passes them."""
    return quarterly_compliance_report(
        quarter=str(quarter),
        as_of=as_of,
        config_path=str(config_path) if config_path else None,
        out_dir=str(out_dir) if out_dir else None,
        triggered_by=triggered_by,
        from_snapshot=from_snapshot,
        area=area,
    )
