"""The output files of a run (CONTRACT.md §4), written all-or-nothing.

Everything is written into a staging folder beside ``<out>/<quarter>/``; ``publish``
(``publish.py``) adds the manifest and, only when every file is complete, renames it to the
run's own folder ``<out>/.<quarter>-<run id>/`` and switches the link ``<out>/<quarter>`` to it
in one atomic rename. So a failed or killed run leaves the previous outputs as they were and nothing
half-written, and ``<out>/<quarter>`` always holds one run's complete outputs.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from vcc.flows.checksums import RELEASE_FOLDER, sha256
from vcc.flows.config import Config
from vcc.flows.operations.schedule import next_report_date
from vcc.flows.private import FOLDER_MODE, make_private
from vcc.flows.run.pdf import PdfProcess
from vcc.flows.run.people_files import csv_text, write_csv
from vcc.flows.run.progress import progress
from vcc.flows.run.release import ReleaseFacts, quarter_tables, write_release
from vcc.flows.sources.extract import RawTable
from vcc.flows.sources.snapshot import snapshot_frame
from vcc.flows.sources.suites import build_data_docs
from vcc.flows.sources.validate import ValidationOutcome, data_quality_csv
from vcc.flows.version import code_version
from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.versions import RunFacts, VersionPlan
from vcc.reports.model import ReportData, quarter_period
from vcc.reports.render import (
    ReportContext,
    content_fingerprints,
    report_context,
    report_html,
    standalone_html,
)
from vcc.reports.workbook import write_published_workbook
from vcc.transforms.catalogue import load_catalogue
from vcc.transforms.figures import QuarterFigures
from vcc.transforms.quarters import Quarter, long_date


@dataclass
class RunOutputs:
    run_id: str
    quarter: Quarter
    as_of: dt.date
    extracted_at: dt.datetime
    config: Config
    raw: dict[str, dict[str, RawTable]]
    outcome: ValidationOutcome
    figures: QuarterFigures
    output_root: Path
    timer: dict[str, float]
    triggered_by: str
    warehouse: Warehouse  # decides the report's version
    from_snapshot: str | None = None
    findings: list[str] = field(default_factory=list)  # the report's headline findings, as drawn
    one_of_areas: bool = False  # an area of many: its report keeps a place for how it compares

    def facts(self, snapshots: dict[str, str]) -> RunFacts:
        """What this run's figures were made from: the as-of date, the configuration (its
        hash, and its settings by section to say which changed), the code, each source table's
        snapshot checksum and rows read."""
        rows = {
            f"{source}.{table}": len(raw.frame)
            for source, tables in self.raw.items()
            for table, raw in tables.items()
        }
        return RunFacts(
            self.as_of, self.config.fingerprint(), code_version(), snapshots, rows,
            self.config.fingerprinted_settings(),
        )  # fmt: skip

    @property
    def final_dir(self) -> Path:
        return self.output_root / str(self.quarter)

    @property
    def staging_dir(self) -> Path:
        return self.output_root / f".staging-{self.quarter}-{self.run_id}"

    @property
    def report_name(self) -> str:
        return f"vcc-{self.quarter}-report"


def four_places(frame: pd.DataFrame) -> pd.DataFrame:
    """Analysts' CSV form: every float column to 4 decimal places, empty when undefined."""
    text = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            text[column] = frame[column].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    return text


def metrics_csv(metrics: pd.DataFrame) -> str:
    """``metrics.csv``: counts as integers, rates and bounds to 4 places, empty when undefined."""
    text = four_places(metrics)
    text["target"] = metrics["target"].map(lambda v: f"{v:.2f}")
    return csv_text(text)


def _write_quarantine(run: RunOutputs, folder: Path) -> dict[str, int]:
    """Every rejected row as it arrived, with a ``reason`` column."""
    folder.mkdir()
    written = {}
    for (source, table), reasons in run.outcome.rejected.items():
        if not len(reasons):
            continue
        rows = run.raw[source][table].frame.loc[reasons.index]
        rows = rows.assign(reason=reasons.to_numpy())
        write_csv(rows, folder / f"{source}.{table}.csv")
        written[f"{source}.{table}"] = len(rows)
    return written


def _write_snapshots(run: RunOutputs, folder: Path) -> dict[str, str]:
    """The extract exactly as read, so any figure can be traced to the data it came from."""
    folder.mkdir()
    checksums = {}
    for source, tables in run.raw.items():
        for table, raw in tables.items():
            path = folder / f"{source}.{table}.parquet"
            snapshot_frame(raw.frame).to_parquet(path, index=False)
            checksums[path.name] = sha256(path)
    return checksums


def _report_data(run: RunOutputs, counts: pd.DataFrame, quality: pd.DataFrame) -> ReportData:
    """The report's figures and provenance, before its version is known."""
    config = run.config
    return ReportData(
        figures=run.figures,
        produced_on=run.extracted_at.date(),
        settings=config.report,
        measure_settings=dict(config.measures),
        data_quality=counts,
        suppression_threshold=config.disclosure.threshold,
        code_version=code_version(),
        run_id=run.run_id,
        quality=quality,
        one_of_areas=run.one_of_areas,
    )


def _render(
    run: RunOutputs,
    data: ReportData,
    context: ReportContext,
    staging: Path,
    plan: VersionPlan,
    pdf_process: PdfProcess,
) -> None:
    """Start the PDF in its helper process, then write the HTML and the workbook while it is laid
    out; ``context`` is the report's, made once."""
    progress("rendering the report (PDF and HTML)…")
    versioned = replace(data, version_label=plan.label, revisions=plan.revisions)
    html = report_html(versioned, context)  # the template rendered once, for both files
    pdf_process.write(html, staging / f"{run.report_name}.pdf")
    (staging / f"{run.report_name}.html").write_text(standalone_html(html), encoding="utf-8")
    config = run.config
    write_published_workbook(
        run.figures.published,
        staging / "published-tables.xlsx",
        title=config.report.title,
        quarter=run.quarter,
        area=config.report.area,
        produced_by=config.report.produced_by,
        as_of=run.as_of,
        threshold=config.disclosure.threshold,
        published_on=long_date(run.extracted_at.date()),
        next_update=long_date(next_report_date(config, run.quarter)),
    )


def _write_release(run: RunOutputs, staging: Path, plan: VersionPlan) -> None:
    """The open release, ``release/`` (flows/run/release.py), from the published tables (and
    ``spc.csv`` and ``feedback.csv`` when the run wrote them) alone."""
    started = time.perf_counter()
    config, figures = run.config, run.figures
    facts = ReleaseFacts(
        area=config.report.area,
        producer=config.report.produced_by,
        quarter=run.quarter,
        period=quarter_period(run.quarter, run.as_of),
        as_of=run.as_of,
        published_on=run.extracted_at.date(),
        next_update=next_report_date(config, run.quarter),
        threshold=config.disclosure.threshold,
        settings=config.release,
        report_version=plan.label,
        code_version=code_version(),
    )
    catalogue = figures.catalogue or load_catalogue()
    tables = quarter_tables(
        figures.published, figures.changes, catalogue, dict(config.measures),
        facts, staging,
    )  # fmt: skip
    fy_label = run.quarter.financial_year_label()
    write_release(staging / RELEASE_FOLDER, tables, catalogue, facts, fy_label)
    run.timer["release"] = round(time.perf_counter() - started, 3)  # within "outputs"


def write_outputs(run: RunOutputs) -> tuple[Path, VersionPlan]:
    """Write every output file of the run into its staging folder; return that folder and the
    report version the figures are published as."""
    staging = run.staging_dir
    staging.mkdir(parents=True, mode=FOLDER_MODE)
    make_private(staging)  # owner-only before anything is written in it (flows.private)
    with PdfProcess(staging) as pdf_process:  # it imports WeasyPrint meanwhile
        figures = run.figures
        (staging / "metrics.csv").write_text(metrics_csv(figures.metrics), encoding="utf-8")
        tables = {"changes": figures.changes, "spc": figures.spc, **figures.analyses}
        for stem, table in tables.items():
            write_csv(four_places(table), staging / f"{stem}.csv")
        if figures.feedback is not None:  # the victims' survey (CONTRACT.md §7.3), if supplied
            feedback = figures.feedback
            write_csv(four_places(feedback.table), staging / "feedback.csv")
            write_csv(feedback.published, staging / "published-feedback.csv")
        # Text from the sources or the configuration never runs as a formula (people_files).
        write_csv(figures.published, staging / "published-tables.csv")
        counts = run.outcome.table_counts()
        for source, table, read in counts[["source", "table", "rows_read"]].itertuples(index=False):
            # rows read = rows accepted + rows quarantined, against what extraction really read
            if read != len(run.raw[source][table].frame):
                raise AssertionError(
                    f"{source}.{table}: rows were lost between extract and validate"
                )
        quality = data_quality_csv(run.outcome, run.as_of)
        write_csv(quality, staging / "data-quality.csv")
        snapshots = _write_snapshots(run, staging / "snapshots")
        data = _report_data(run, counts, quality)
        context = report_context(data)  # drawn once: for the fingerprint, then for the files
        run.findings = list(context["findings"])  # the manifest keeps them for the email
        plan = run.warehouse.plan_version(
            str(run.quarter),
            figures.metrics,
            sha256(staging / "metrics.csv"),
            run.facts(snapshots),
            run.config.disclosure.threshold,
            content_fingerprints(context),
        )
        started = time.perf_counter()
        _render(run, data, context, staging, plan, pdf_process)
        # while the PDF is laid out on the other core: the files it does not need
        _write_quarantine(run, staging / "quarantine")
        figures.instances.to_parquet(staging / "instances.parquet", index=False)
        for personal in ("quarantine", "instances.parquet", "snapshots"):
            make_private(staging / personal)
        build_data_docs(run.outcome, staging / "data-docs", run_name=run.run_id)
        _write_release(run, staging, plan)
        pdf_process.finish()
        run.timer["render"] = round(time.perf_counter() - started, 3)  # within "outputs"
    return staging, plan
