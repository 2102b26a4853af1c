"""Publish the comparison of a run of many areas to ``<out>/comparison/<Q>/`` and record it in
the warehouse of ``<out>`` as a run of the quarter (CONTRACT.md §6.5).

The figures are each compared area's published run (its ``metrics.csv``), read from disk after
the areas have finished; an area that failed is missing from the comparison and named in it. The
folder is written to a staging folder and swapped in by the transaction that records the run,
as a single area's outputs are: both change or neither does. The warehouse keeps the areas' all
rows as the run's metrics (dimension ``area``, group the area's name), so a later comparison is
a revision when they change, and the manifest holds the published comparison with each area's
funnel position and the areas missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vcc.flows.checksums import RELEASE_FOLDER, sha256
from vcc.flows.config import Config
from vcc.flows.errors import AreasFailed, one_line
from vcc.flows.manifest import ComparisonManifest
from vcc.flows.operations.schedule import next_report_date
from vcc.flows.run.people_files import write_csv
from vcc.flows.run.progress import progress
from vcc.flows.run.release import ReleaseFacts, write_comparison_release
from vcc.flows.version import code_version
from vcc.flows.warehouse.store import open_warehouse
from vcc.flows.warehouse.versions import RunFacts
from vcc.reports.comparison import comparison_context, render_comparison
from vcc.reports.model import quarter_period
from vcc.transforms.comparison import compare_areas, published_comparison
from vcc.transforms.metrics import METRIC_COLUMNS
from vcc.transforms.quarters import Quarter

if TYPE_CHECKING:
    from vcc.flows.run.areas import AreaOutcome

COMPARISON_FOLDER = "comparison"


def publish_comparison(
    config: Config,
    output_root: Path,
    quarter: Quarter,
    as_of: dt.date,
    outcomes: Sequence[AreaOutcome],
    triggered_by: str,
) -> tuple[ComparisonManifest, pd.DataFrame]:
    """Write and record the comparison of the areas that succeeded; its manifest and the
    comparison table (unsuppressed, ``transforms.comparison.compare_areas``)."""
    run_id = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    done = [outcome.name for outcome in outcomes if not outcome.failure]
    missing = {outcome.name: outcome.failure or "" for outcome in outcomes if outcome.failure}
    warehouse = open_warehouse(config, output_root)
    facts = RunFacts(as_of, config.fingerprint(), code_version(), {})
    warehouse.start_run(
        run_id, str(quarter), as_of, triggered_by,
        {"quarter": str(quarter), "areas": list(config.areas)}, facts,
    )  # fmt: skip
    if not done:
        reason = "no area succeeded: " + "; ".join(f"{a}: {r}" for a, r in missing.items())
        warehouse.fail_run(run_id, str(quarter), reason)
        raise AreasFailed(reason)
    folder = output_root / COMPARISON_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".staging-{quarter}-{run_id}"
    try:
        metrics = {
            name: pd.read_csv(output_root / name / str(quarter) / "metrics.csv") for name in done
        }
        table = compare_areas(metrics, quarter, config.comparison.overdispersion)
        published = published_comparison(table, config.disclosure.threshold)
        staging.mkdir()
        csv = staging / "comparison.csv"
        write_csv(published, csv)
        pdf = staging / f"vcc-{quarter}-comparison.pdf"
        titles = {name: area.area for name, area in config.areas.items()}
        context = comparison_context(
            table, quarter, titles, missing, config.disclosure.threshold, config.report,
            dt.date.today(), config.comparison.overdispersion,
            {name: list(area.similar) for name, area in config.areas.items()},
        )  # fmt: skip
        render_comparison(context, pdf)
        release_sha256 = _write_release(config, staging, quarter, as_of, published, titles, missing)
        area_rows = _area_rows(metrics, quarter)
        metrics_sha256 = sha256(csv)
        plan = warehouse.plan_version(
            str(quarter), area_rows, metrics_sha256, facts, config.disclosure.threshold
        )
        manifest: ComparisonManifest = {
            "run_id": run_id,
            "quarter": str(quarter),
            "as_of": as_of.isoformat(),
            "areas": {o.name: {"run_id": o.run_id, "failure": o.failure} for o in outcomes},
            "missing_areas": missing,
            "comparison": published.to_dict("records"),
            "outputs": {
                "report": str(folder / str(quarter) / pdf.name),
                "checksums": {
                    csv.name: metrics_sha256,
                    pdf.name: sha256(pdf),
                    **{
                        f"{RELEASE_FOLDER}/{path.name}": sha256(path)
                        for path in sorted((staging / RELEASE_FOLDER).iterdir())
                    },
                },
                "release_sha256": release_sha256,
            },
            "version": {"number": plan.version, "label": plan.label},
            # figures differ from the comparison last recorded (a rerun's may stay the same)
            "revised_earlier_figures": bool(plan.history) and plan.action != "same",
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        final = folder / str(quarter)
        retired = folder / f".retired-{quarter}-{run_id}"

        def swap() -> None:
            if final.exists():
                os.replace(final, retired)
            os.replace(staging, final)

        warehouse.finish_run(
            run_id, plan, area_rows, metrics_sha256, manifest["outputs"]["checksums"][pdf.name],
            facts, manifest, publish=swap,
        )  # fmt: skip
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        warehouse.fail_run(run_id, str(quarter), one_line(error))
        raise
    progress("comparison of %d areas: %s", len(done), manifest["outputs"]["report"])
    return manifest, table


def _write_release(
    config: Config,
    staging: Path,
    quarter: Quarter,
    as_of: dt.date,
    published: pd.DataFrame,
    titles: dict[str, str],
    missing: dict[str, str],
) -> str:
    """The comparison's open release, ``release/`` (flows/run/release.py); its checksum."""
    facts = ReleaseFacts(
        area="every area compared",
        producer=config.report.produced_by,
        quarter=quarter,
        period=quarter_period(quarter, as_of),
        as_of=as_of,
        published_on=dt.date.today(),
        next_update=next_report_date(config, quarter),
        threshold=config.disclosure.threshold,
        settings=config.release,
        report_version="",
        code_version=code_version(),
    )
    catalogue = config.catalogue(quarter.start)
    return write_comparison_release(
        staging / RELEASE_FOLDER, published, catalogue, facts, titles, missing
    )


def _area_rows(metrics: dict[str, pd.DataFrame], quarter: Quarter) -> pd.DataFrame:
    """Each area's all rows of ``quarter`` as rows of metrics.csv's shape, grouped by area."""
    rows = [
        frame[(frame["quarter"] == str(quarter)) & (frame["dimension"] == "all")].assign(
            dimension="area", group=name
        )
        for name, frame in metrics.items()
    ]
    return pd.concat(rows, ignore_index=True)[METRIC_COLUMNS]
