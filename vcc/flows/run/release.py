"""The open release of a run, ``<out>/<quarter>/release/`` (CONTRACT.md §7.4), written into the
run's staging folder with its other outputs, so it is published (or not) with them in the one
atomic switch of ``flows/run/outputs.py``.

Built from the published tables alone: ``published_tables`` (the report's figures after
disclosure control), the changes on earlier quarters as the report's summary shows them, and,
when the run wrote them, ``spc.csv`` and ``feedback.csv`` put through disclosure control
(``transforms/release.py``). Never ``metrics.csv``, the instances or the quarantine.

``SHA256SUMS`` lists the SHA-256 of every other file of the release; its own SHA-256 is the
release's checksum, which ``vcc approve`` records beside the PDF's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vcc.flows.checksums import CHECKSUMS
from vcc.reports.open_data import (
    CHANGES_FIELDS,
    COMPLIANCE_FIELDS,
    FEEDBACK_FIELDS,
    MEASURES_FIELDS,
    SPC_FIELDS,
    OpenTable,
    PackageFacts,
    comparison_fields,
    data_package,
)
from vcc.reports.release import PageFacts, comparison_page_html, page_html
from vcc.transforms.catalogue import Catalogue
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE
from vcc.transforms.quarters import Quarter
from vcc.transforms.release import published_changes, published_feedback, published_spc
from vcc.transforms.settings import MeasureSettings, ReleaseSettings


@dataclass(frozen=True)
class ReleaseFacts:
    """Who publishes the release, for which area and period, and when."""

    area: str
    producer: str
    quarter: Quarter
    period: str  # "1 July to 30 September 2026"
    as_of: dt.date
    published_on: dt.date
    next_update: dt.date | None
    threshold: int
    settings: ReleaseSettings
    report_version: str
    code_version: str  # vcc's


def slug(text: str) -> str:
    """ONS-style names: lower-case words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "area"


def _measures_table(catalogue: Catalogue, measures: dict[str, MeasureSettings]) -> pd.DataFrame:
    rows = []
    for m in catalogue.measures:
        settings = measures.get(m.measure_id, MeasureSettings())
        deadlines = settings.deadline_standard, settings.deadline_enhanced
        standard, enhanced = (
            (m.deadline_standard, m.deadline_enhanced) if deadlines == (None, None) else deadlines
        )
        rows.append(
            {
                "measure_id": m.measure_id,
                "right": str(m.right),
                "right_name": catalogue.rights.get(m.right, ""),
                "agency": m.agency,
                "title": m.title,
                "description": m.description,
                "deadline_standard": "" if standard is None else str(standard),
                "deadline_enhanced": "" if enhanced is None else str(enhanced),
                "target": f"{settings.target:.2f}",
            }
        )
    return pd.DataFrame(rows)


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def quarter_tables(
    published: pd.DataFrame,
    changes: pd.DataFrame,
    catalogue: Catalogue,
    measures: dict[str, MeasureSettings],
    facts: ReleaseFacts,
    run_folder: Path,
) -> dict[str, OpenTable | None]:
    """The release's tables of one area's quarter; ``spc`` and ``feedback`` only when the run
    wrote ``spc.csv`` and ``feedback.csv`` into ``run_folder``."""
    threshold = facts.threshold
    compliance = published.astype("string").fillna("")
    compliance.insert(0, "area", facts.area)
    tables: dict[str, OpenTable | None] = {
        "compliance": OpenTable(
            "victims-code-compliance",
            f"Victims' Code compliance, {facts.area}, {facts.quarter}",
            "Duties met on time under each measure of the Victims' Code, overall and by "
            "breakdown (one row per measure, agency, breakdown and group).",
            COMPLIANCE_FIELDS,
            compliance,
            ("measure_id", "agency", "dimension", "group"),
        ),
        "changes": OpenTable(
            "change-on-earlier-quarters",
            f"Change on earlier quarters, {facts.area}, {facts.quarter}",
            "Each measure's overall rate against the previous quarter and the same quarter a "
            "year before, with Newcombe's 95% interval of the change.",
            CHANGES_FIELDS,
            published_changes(changes, threshold),
            ("measure_id", "agency", "comparison"),
        ),
        "measures": OpenTable(
            "measures",
            "The measures and what each counts",
            f"Every measure of the Victims' Code version followed ({catalogue.version}), with "
            "its deadlines and target.",
            MEASURES_FIELDS,
            _measures_table(catalogue, measures),
            ("measure_id",),
        ),
        "spc": None,
        "feedback": None,
    }
    if (spc := _read_csv(run_folder / "spc.csv")) is not None:
        tables["spc"] = OpenTable(
            "monthly-process-control",
            f"Month-by-month process control, {facts.area}",
            "Each measure's monthly rate on a Laney p' chart: centre line, process limits, "
            "special-cause signals and assurance against the target (counts are not published).",
            SPC_FIELDS,
            published_spc(spc, threshold),
            ("measure_id", "agency", "month"),
        )
    if (feedback := _read_csv(run_folder / "feedback.csv")) is not None:
        overall = published[published["dimension"] == "all"]
        hidden = set(overall.loc[overall["rate"].isin([CONFIDENTIAL, NOT_APPLICABLE]),
                                 "measure_id"])  # fmt: skip
        tables["feedback"] = OpenTable(
            "victims-feedback",
            f"What victims said, {facts.area}, {facts.quarter}",
            "Victims' answers to the survey beside the agencies' records of the same right.",
            FEEDBACK_FIELDS,
            published_feedback(feedback, threshold, hidden),
            ("question_id",),
        )
    return tables


def _package_facts(facts: ReleaseFacts, catalogue: Catalogue, name: str, title: str):
    settings = facts.settings
    return PackageFacts(
        name=name,
        title=title,
        description=(
            f"How well the criminal justice agencies of {facts.area} met the rights the "
            f"Victims' Code gives victims, {facts.period}, from their records as of "
            f"{facts.as_of.isoformat()}. Published figures only: small numbers are withheld."
        ),
        area=facts.area,
        producer=facts.producer,
        quarter=str(facts.quarter),
        period_start=facts.quarter.start,
        period_end=facts.quarter.end,
        as_of=facts.as_of,
        published_on=facts.published_on,
        next_update=facts.next_update,
        victims_code=catalogue.version,
        victims_code_title=catalogue.title,
        code_version=facts.code_version,
        contact=settings.contact,
        contact_email=settings.contact_email,
        homepage=settings.contact_url,
        threshold=facts.threshold,
    )


def _write(folder: Path, files: dict[str, str]) -> str:
    """Write the release's files and its ``SHA256SUMS``; return the release's checksum."""
    folder.mkdir()
    lines = []
    for name, text in sorted(files.items()):
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
    sums = "".join(lines).encode("utf-8")
    (folder / CHECKSUMS).write_bytes(sums)
    return hashlib.sha256(sums).hexdigest()


def write_release(
    folder: Path,
    tables: dict[str, OpenTable | None],
    catalogue: Catalogue,
    facts: ReleaseFacts,
    fy_label: str,
) -> str:
    """Write one area's release into ``folder`` (made here); return its checksum."""
    files = [t for t in tables.values() if t is not None]
    name = f"vcc-{slug(facts.area)}-{str(facts.quarter).lower()}"
    title = f"Victims' Code compliance, {facts.area}, {facts.quarter}"
    package = data_package(_package_facts(facts, catalogue, name, title), files)
    settings = facts.settings
    page = page_html(
        PageFacts(
            area=facts.area, quarter=str(facts.quarter), fy_label=fy_label, period=facts.period,
            as_of=facts.as_of, published_on=facts.published_on, next_update=facts.next_update,
            producer=facts.producer, contact=settings.contact,
            contact_email=settings.contact_email, contact_url=settings.contact_url,
            next_steps=settings.next_steps, threshold=facts.threshold,
            report_version=facts.report_version,
        ),
        catalogue, tables["compliance"],  # type: ignore[arg-type]
        tables["changes"], tables["spc"], tables["feedback"], files,
    )  # fmt: skip
    contents = {table.path: table.csv() for table in files}
    contents["datapackage.json"] = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    contents["index.html"] = page
    return _write(folder, contents)


def write_comparison_release(
    folder: Path,
    published: pd.DataFrame,
    catalogue: Catalogue,
    facts: ReleaseFacts,
    titles: dict[str, str],
    missing: dict[str, str],
) -> str:
    """The comparison's release: ``comparison.csv`` as published, its Data Package and a page
    saying, measure by measure, which areas lie outside the funnel limits (no league table)."""
    table = OpenTable(
        "comparison-between-areas",
        f"Victims' Code compliance compared between areas, {facts.quarter}",
        "Each area's overall rate of each measure against the rate of every area compared and "
        "the funnel limits at its number eligible (one row per area, measure and agency).",
        comparison_fields(list(published.columns)),
        published.astype("string").fillna(""),
        ("area", "measure_id", "agency"),
    )
    name = f"vcc-comparison-{str(facts.quarter).lower()}"
    package = data_package(_package_facts(facts, catalogue, name, table.title), [table])
    page = comparison_page_html(facts, catalogue, table, titles, missing)
    return _write(
        folder,
        {
            table.path: table.csv(),
            "datapackage.json": json.dumps(package, indent=2, ensure_ascii=False) + "\n",
            "index.html": page,
        },
    )
