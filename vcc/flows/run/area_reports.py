""" "How <area> compares" added to each area's own report once a run of many areas has compared
them (CONTRACT.md §7.2).

Each area's run publishes its report with the place for the section holding one sentence (a run
of one area alone cannot compare, and says so). When the comparison is made, the section of each
area is rendered from the comparison table and, as one task per area on the run's Dask cluster,
put in that place: the report's HTML file and its PDF (laid out again from the same HTML) are
rewritten, its manifest's checksums and the warehouse's record of the run and of the report's
version updated to them, in one transaction that replaces the files, holding the quarter's lock.
The area's data files are not touched, so they stay byte-identical to a run of the area alone.
The section is left out of the report's content fingerprint (``reports.render``): the other
areas' figures do not make a new edition of this area's report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import update

from vcc.flows.checksums import sha256
from vcc.flows.config import Config, load_config
from vcc.flows.errors import VccError, one_line
from vcc.flows.warehouse.store import open_warehouse
from vcc.flows.warehouse.tables import report_versions, runs
from vcc.reports.compares import area_compares, compares_section
from vcc.reports.model import quarter_period
from vcc.reports.pdf import write_pdf
from vcc.reports.render import linked_html, standalone_html, with_section
from vcc.transforms.quarters import Quarter


class ReportAltered(VccError):
    """An area's published report is not the file its run produced."""


def area_sections(
    config: Config, table: pd.DataFrame, quarter: Quarter, as_of: dt.date,
    missing: Mapping[str, str],
) -> dict[str, str]:  # fmt: skip
    """Each compared area's "How <area> compares" as HTML, by area name."""
    titles = {name: area.area for name, area in config.areas.items()}
    period = quarter_period(quarter, as_of)
    threshold = config.disclosure.threshold
    return {
        name: compares_section(
            titles[name],
            quarter,
            area_compares(
                table, name, titles, list(config.areas[name].similar), missing, threshold, period
            ),
        )  # fmt: skip
        for name in dict.fromkeys(table["area"])
    }


@task(name="add-how-it-compares", cache_policy=NO_CACHE)
def add_section_task(
    name: str, quarter: Quarter, section: str, config_path: str | None, out_dir: str
) -> tuple[str | None, float]:
    """Add the section to area ``name``'s report, on a worker: why it failed (None if it did
    not), and the seconds it took."""
    started = time.perf_counter()
    failure = None
    try:
        config = load_config(Path(config_path) if config_path else None).for_area(name)
        add_section(config, Path(out_dir) / name, quarter, section)
    except Exception as error:
        failure = one_line(error)
    return failure, round(time.perf_counter() - started, 3)


def add_section(config: Config, area_root: Path, quarter: Quarter, section: str) -> None:
    """Put ``section`` in the place kept for it in the report published in ``area_root``; the
    manifest and the warehouse follow the new files."""
    folder = area_root / str(quarter)
    warehouse = open_warehouse(config, area_root)
    with warehouse.holding(str(quarter), "comparison"):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        checksums = manifest["outputs"]["checksums"]
        pdf = folder / Path(manifest["outputs"]["report"]).name
        html = pdf.with_suffix(".html")
        if sha256(html) != checksums[html.name]:
            raise ReportAltered(f"{html} is not the file run {manifest['run_id']} produced")
        report = with_section(linked_html(html.read_text(encoding="utf-8")), section)
        written = {pdf: folder / f".{pdf.name}.new", html: folder / f".{html.name}.new"}
        try:
            write_pdf(report, written[pdf])
            written[html].write_text(standalone_html(report), encoding="utf-8")
            for final, new in written.items():
                checksums[final.name] = sha256(new)
            written[folder / "manifest.json"] = folder / ".manifest.json.new"
            text = json.dumps(manifest, indent=2) + "\n"
            written[folder / "manifest.json"].write_text(text, encoding="utf-8")
            with warehouse.transaction() as connection:
                connection.execute(
                    update(runs)
                    .where(runs.c.run_id == manifest["run_id"])
                    .values(manifest=json.dumps(manifest, sort_keys=True))
                )
                connection.execute(
                    update(report_versions)
                    .where(report_versions.c.run_id == manifest["run_id"])
                    .values(pdf_sha256=checksums[pdf.name])
                )
                for final, new in written.items():  # inside: a failure rolls the record back
                    os.replace(new, final)
        finally:
            for new in written.values():
                new.unlink(missing_ok=True)
