"""The output files of a run (CONTRACT.md §4), written all-or-nothing.

Everything is written into a staging folder beside ``<out>/<quarter>/``; ``publish`` adds the
manifest and, only when every file is complete, renames it to the run's own folder
``<out>/.<quarter>-<run id>/`` and switches the link ``<out>/<quarter>`` to it in one atomic
rename. So a failed or killed run leaves the previous outputs as they were and nothing
half-written, and ``<out>/<quarter>`` always holds one run's complete outputs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from vcc.flows.checksums import sha256
from vcc.flows.config import Config
from vcc.flows.private import FOLDER_MODE, make_private, private_folder
from vcc.flows.run.pdf import PdfProcess
from vcc.flows.run.people_files import csv_text, write_csv
from vcc.flows.run.progress import progress
from vcc.flows.sources.extract import RawTable
from vcc.flows.sources.snapshot import snapshot_frame
from vcc.flows.version import code_version
from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.versions import RunFacts, VersionPlan
from vcc.transforms.figures import QuarterFigures
from vcc.transforms.quarters import Quarter

if TYPE_CHECKING:
    from vcc.flows.sources.validate import ValidationOutcome  # imports Great Expectations: slow
    from vcc.reports.model import ReportData


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

    def facts(self, snapshots: dict[str, str]) -> RunFacts:
        """What this run's figures were made from."""
        return RunFacts(self.as_of, self.config.fingerprint(), code_version(), snapshots)

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


def data_quality_csv(outcome: ValidationOutcome, as_of: dt.date) -> pd.DataFrame:
    """``data-quality.csv``: per source table its rows read, accepted and quarantined and its
    freshness (the date of its newest record by the as-of date, and the days from it to the
    as-of date; empty for a table without dates of its own), then each failed expectation with
    its count, then the linkage rate of every cross-table link."""
    counts = outcome.table_counts()
    fresh = outcome.freshness(as_of)[["source", "table", "newest_record", "days_before_as_of"]]
    counts = counts.merge(fresh, on=["source", "table"], how="left")
    counts["newest_record"] = counts["newest_record"].map(
        lambda day: day.isoformat() if isinstance(day, dt.date) else ""
    )
    tables = counts.assign(check="rows", severity="summary", failed_rows=counts["rows_quarantined"])
    failures = outcome.quality[outcome.quality["check"] != "rows"]
    linkage = outcome.linkage
    links = pd.DataFrame(
        {
            "source": linkage["source"],
            "table": linkage["table"],
            "check": "linkage: " + linkage["column"] + " -> " + linkage["target"],
            "severity": "linkage",
            "failed_rows": linkage["rows"] - linkage["linked"],
            "detail": linkage["rate"].map(lambda r: "" if pd.isna(r) else f"linkage rate {r:.4f}"),
        }
    )
    columns = [
        "source", "table", "check", "severity", "failed_rows", "rows_read", "rows_accepted",
        "rows_quarantined", "newest_record", "days_before_as_of", "detail",
    ]  # fmt: skip
    quality = pd.concat([tables, failures, links], ignore_index=True).reindex(columns=columns)
    counted = ["failed_rows", "rows_read", "rows_accepted", "rows_quarantined", "days_before_as_of"]
    return quality.astype({column: "Int64" for column in counted})


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
    from vcc.reports.model import ReportData

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
    )


def _render(
    run: RunOutputs,
    data: ReportData,
    context: dict[str, Any],
    staging: Path,
    plan: VersionPlan,
    pdf_process: PdfProcess,
) -> None:
    """Start the PDF in its helper process, then write the HTML and the workbook while it is laid
    out; ``context`` is the report's, made once."""
    from vcc.reports.render import report_html, standalone_html
    from vcc.reports.workbook import write_published_workbook
    from vcc.transforms.quarters import long_date

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
        quarter=str(run.quarter),
        area=config.report.area,
        produced_by=config.report.produced_by,
        as_of=run.as_of,
        threshold=config.disclosure.threshold,
        published_on=long_date(run.extracted_at.date()),
        next_update=long_date(_next_report_date(config, run.quarter)),
    )


def _next_report_date(config: Config, quarter: Quarter) -> dt.date:
    """When the next quarter's report is due (the workbook's cover): its scheduled run, the
    configured working day after that quarter ends (flows.operations.schedule)."""
    from vcc.flows.operations.schedule import quarterly_run_dates
    from vcc.transforms.calendar import WorkingDayCalendar

    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    schedule = config.schedule
    after = quarter.next().end  # the first run after it is the next quarter's
    return quarterly_run_dates(
        after, 1, calendar, schedule.working_days_after_quarter, schedule.time
    )[0].date()


def write_outputs(run: RunOutputs) -> tuple[Path, VersionPlan]:
    """Write every output file of the run into its staging folder; return that folder and the
    report version the figures are published as."""
    from vcc.flows.sources.suites import build_data_docs  # imports Great Expectations
    from vcc.reports.render import content_fingerprints, report_context

    staging = run.staging_dir
    staging.mkdir(parents=True, mode=FOLDER_MODE)
    make_private(staging)  # owner-only before anything is written in it (flows.private)
    with PdfProcess(staging) as pdf_process:  # it imports WeasyPrint meanwhile
        figures = run.figures
        (staging / "metrics.csv").write_text(metrics_csv(figures.metrics), encoding="utf-8")
        for stem, table in {"changes": figures.changes, **figures.analyses}.items():
            write_csv(four_places(table), staging / f"{stem}.csv")
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
        pdf_process.finish()
        run.timer["render"] = round(time.perf_counter() - started, 3)  # within "outputs"
    return staging, plan


def _revised(previous: Path, staging: Path) -> bool | None:
    """Whether this run changes the figures of an earlier run of the same quarter."""
    if not (previous / "metrics.csv").exists():
        return None
    return (previous / "metrics.csv").read_bytes() != (staging / "metrics.csv").read_bytes()


def _manifest(run: RunOutputs, staging: Path, total_seconds: float) -> dict[str, Any]:
    counts = run.outcome.table_counts()
    return {
        "run_id": run.run_id,
        "quarter": str(run.quarter),
        "as_of": run.as_of.isoformat(),
        "extracted_at": run.extracted_at.isoformat(timespec="seconds"),
        "triggered_by": run.triggered_by,
        "from_snapshot": run.from_snapshot,
        "code_version": code_version(),
        "victims_code": run.config.code.version,  # the Code's catalogue (CONTRACT.md §6.4)
        "python": platform.python_version(),
        "configuration": {
            "files": run.config.files,
            "sha256": run.config.fingerprint(),
            "settings": json.loads(run.config.model_dump_json(exclude={"files", "sources"})),
            "sources": {
                name: {
                    "kind": source.kind,
                    "timezone": source.timezone,
                    "date_format": source.date_format,
                    "tables": {table: raw.origin for table, raw in run.raw.get(name, {}).items()},
                }
                for name, source in run.config.sources.items()
            },
        },
        "rows": counts.to_dict(orient="records"),
        "snapshots": {
            path.name: sha256(path) for path in sorted((staging / "snapshots").glob("*"))
        },
        "outputs": {
            "report": str(run.final_dir / f"{run.report_name}.pdf"),
            "checksums": {
                str(path.relative_to(staging)): sha256(path)
                for path in sorted(staging.rglob("*"))
                if path.is_file() and path.parent.name != "snapshots"
            },
        },
        "timings_seconds": {**run.timer, "total": round(total_seconds, 3)},
        "revised_earlier_figures": _revised(run.final_dir, staging),
    }


def run_folder(output_root: Path, quarter: Quarter | str, run_id: str) -> Path:
    """Where a published run's files live: ``<out>/.<quarter>-<run id>/``, which the link
    ``<out>/<quarter>`` leads to while it is the quarter's current run."""
    return output_root / f".{quarter}-{run_id}"


def publish(
    staging: Path, run: RunOutputs, plan: VersionPlan, total_seconds: float
) -> dict[str, Any]:
    """Add the manifest, then, in the warehouse transaction that records the run, switch
    ``<out>/<quarter>`` to the new outputs in one atomic step: both change or neither does, and
    ``<out>/<quarter>`` never goes missing. The outputs it led to are then archived."""
    manifest = _manifest(run, staging, total_seconds)
    manifest["version"] = {
        "number": plan.version, "edition": plan.edition, "label": plan.label,
        "reasons": plan.reasons,
    }  # fmt: skip
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    def record(switch: Callable[[], None]) -> None:
        run.warehouse.finish_run(
            run.run_id,
            plan,
            run.figures.metrics,
            manifest["outputs"]["checksums"]["metrics.csv"],
            manifest["outputs"]["checksums"][f"{run.report_name}.pdf"],
            run.facts(manifest["snapshots"]),
            manifest,
            publish=switch,
        )

    publish_folder(staging, run.output_root, run.quarter, run.run_id, record)
    return manifest


def publish_folder(
    staging: Path,
    output_root: Path,
    quarter: Quarter | str,
    run_id: str,
    record: Callable[[Callable[[], None]], None],
) -> None:
    """Make the complete ``staging`` folder the quarter's current outputs: ``record(switch)``
    records the run in one transaction and calls ``switch`` inside it, before committing. The
    switch renames ``staging`` to the run's folder, then replaces the link ``<out>/<quarter>``
    in one atomic rename; if recording fails the link leads back to the previous outputs. Those
    are archived once the run is recorded (if that fails, by the next run's ``recover``)."""
    final = output_root / str(quarter)
    folder = run_folder(output_root, quarter, run_id)
    previous: list[Path] = []

    def switch() -> None:
        os.replace(staging, folder)  # complete: named as a run's folder, not yet current
        previous.extend(_current(final, str(quarter)))
        _point(final, folder)  # the one step that publishes

    try:
        record(switch)
    except BaseException:
        _unpublish(final, folder, previous)
        raise
    for retired in previous:  # the run is published and recorded: tidying may wait
        try:
            _archive(retired, output_root / "archive")
            shutil.rmtree(retired, ignore_errors=True)
        except OSError:
            pass  # left for the next run's ``recover`` to archive


def _point(final: Path, folder: Path) -> None:
    """Make ``final`` a link to ``folder`` (beside it) in one step: a new link renamed over the
    old one, which ``rename(2)`` does atomically."""
    link = final.parent / f".link-{final.name}-{folder.name}"
    link.unlink(missing_ok=True)
    os.symlink(folder.name, link)
    os.replace(link, final)


def _current(final: Path, quarter: str) -> list[Path]:
    """The run folder ``final`` leads to now (none before a quarter's first run). Outputs an
    older vcc left as a real folder first become a run folder of their own, so the switch can
    replace a link: a kill in between leaves no ``final``, and ``recover`` puts it back."""
    if final.is_symlink():
        return [final.parent / os.readlink(final)]
    if not final.is_dir():
        return []
    folder = run_folder(final.parent, quarter, _run_id_of(final) or "earlier")
    os.replace(final, folder)
    try:
        _point(final, folder)
    except BaseException:
        os.replace(folder, final)
        raise
    return [folder]


def _unpublish(final: Path, folder: Path, previous: list[Path]) -> None:
    """Undo a publication whose recording failed: ``final`` leads back to what it led to."""
    if final.is_symlink() and os.readlink(final) == folder.name:
        if previous:
            _point(final, previous[0])
        else:
            final.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    (final.parent / f".link-{final.name}-{folder.name}").unlink(missing_ok=True)


def _run_id_of(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _archive(retired: Path, archive: Path) -> None:
    """Keep a replaced run's manifest and snapshots, so that its figures stay reproducible
    (``vcc run --from-snapshot RUN_ID``), and its report: a PDF that was approved or circulated
    is a record (its SHA-256 is in the manifest; ``vcc show`` and ``vcc history`` name it)."""
    manifest = retired / "manifest.json"
    if not manifest.exists():
        return
    run_id = json.loads(manifest.read_text(encoding="utf-8"))["run_id"]
    kept = private_folder(private_folder(archive) / run_id)
    if (retired / "snapshots").exists():
        os.replace(retired / "snapshots", kept / "snapshots")
    for report in retired.glob("*.pdf"):
        os.replace(report, kept / report.name)
    # the manifest last: while the retired folder has it, it still has something to archive
    os.replace(manifest, kept / "manifest.json")
    make_private(kept)  # case data: owner-only (flows.private)


def recover(
    output_root: Path, quarter: Quarter, unfinished: Callable[[str], bool] = lambda run_id: False
) -> list[str]:
    """Tidy what a killed run of ``quarter`` left behind; call it holding the quarter's lock.
    ``unfinished(run_id)``: the warehouse knows the run and it did not succeed.

    A staging folder or a half-made link is removed. If ``<out>/<quarter>`` is missing (a kill
    while an older vcc's folder became a run folder) or leads to an unfinished run (a kill after
    the switch, before the warehouse recorded it), it is led back to the newest other run folder.
    Run folders it does not lead to are removed if unfinished, else archived."""
    done = []
    leftovers = [
        *output_root.glob(f".staging-{quarter}-*"),
        *output_root.glob(f".link-{quarter}-*"),
    ]
    for leftover in sorted(leftovers):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        done.append(f"removed the half-made {leftover.name}")
    final = output_root / str(quarter)
    folders = sorted(path for path in output_root.glob(f".{quarter}-*") if path.is_dir())
    finished = [f for f in folders if not unfinished(_run_id_of(f) or "")]
    current = (final.parent / os.readlink(final)) if final.is_symlink() else None
    if not final.is_dir() or (current is not None and current not in finished):
        if finished:
            _point(final, finished[-1])
            current = finished[-1]
            done.append(f"restored the previous outputs from {current.name}")
        elif final.is_symlink():
            final.unlink()
            current = None
    for folder in folders:
        if folder == current:
            continue
        if folder in finished:
            _archive(folder, output_root / "archive")
            done.append(f"archived {folder.name}")
        else:
            done.append(f"removed {folder.name}, never recorded")
        shutil.rmtree(folder, ignore_errors=True)
    return done
