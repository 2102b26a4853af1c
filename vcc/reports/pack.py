"""The Quality Assessment Framework's case review pack: one PDF per dip sample, a section per
sampled case with its timeline across agencies and what the records say about each right.

The pack holds case references by necessity, so it is marked (``[qaf] pack_marking``, by default
OFFICIAL-SENSITIVE) at the top and bottom of every page, written outside the quarter's output
folder (``<out>/qaf/<quarter>/sample-<n>/``) and never named in the circulated report. It is
rendered like the report: autoescaped templates, and WeasyPrint reading nothing but the files
under ``reports/static`` (``reports.pdf.StaticOnlyFetcher``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vcc.reports.model import quarter_period
from vcc.reports.pdf import write_pdf
from vcc.reports.render import template
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import MEASURES, MEASURES_BY_ID
from vcc.transforms.qaf import THEME_LABELS, THEMES
from vcc.transforms.quarters import Quarter, long_date

# The twelve rights of the Victims' Code (2020) and who owes each (DOMAIN.md).
RIGHTS: dict[int, tuple[str, str]] = {
    1: ("Understand and be understood", "all agencies"),
    2: ("Crime recorded without unjustified delay", "Police"),
    3: ("Information when reporting", "Police"),
    4: ("Needs assessment and referral to support", "Police"),
    5: ("Information about compensation", "Police"),
    6: ("Information about the investigation and prosecution", "Police; CPS"),
    7: ("Victim Personal Statement", "Police"),
    8: ("Information about the trial", "Witness Care Unit"),
    9: ("Outcome of the case", "Witness Care Unit"),
    10: ("Expenses and property returned", "CPS; Police"),
    11: ("Information about the offender after conviction", "Witness Care Unit; Probation"),
    12: ("Complaints", "all agencies"),
}
_MEASURED_RIGHTS = {m.right for m in MEASURES if m.per_victim}


@dataclass(frozen=True)
class CaseEvent:
    day: dt.date
    agency: str
    event: str


@dataclass(frozen=True)
class PackCase:
    """One sampled case as the pack shows it. ``timeline`` has one row per instance:
    ``measure_id``, ``agency``, ``trigger_date``, ``due_date``, ``action_date``, ``outcome``."""

    number: int
    victim_id: str
    crime_ref: str
    route: str  # label
    stratum: str  # label
    weight: float
    enhanced: bool
    enhanced_reasons: list[str]
    police_flagged_enhanced: bool
    offence: str
    district: str
    reported: dt.date | None
    urns: list[str]
    events: list[CaseEvent]
    timeline: pd.DataFrame
    agencies: list[str]  # agencies the case is reviewed against


@dataclass(frozen=True)
class PackData:
    area: str
    produced_by: str
    marking: str
    quarter: Quarter
    sample_id: str
    run_id: str
    seed: int
    as_of: dt.date
    drawn_at: dt.datetime
    frame_size: int
    design: pd.DataFrame  # transforms.sampling.design_table
    cases: list[PackCase] = field(default_factory=list)


def _day(value: object) -> str:
    """``Thu 3 Oct 2024``: the weekday helps a reviewer count working days."""
    if value is None or pd.isna(value):
        return ""
    day = pd.Timestamp(value)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _timeline_rows(case: PackCase) -> list[dict[str, str]]:
    rows = []
    ordered = case.timeline.sort_values(["trigger_date", "measure_id"], kind="stable")
    for row in ordered.itertuples(index=False):
        definition = MEASURES_BY_ID.get(str(row.measure_id))
        rows.append(
            {
                "measure_id": str(row.measure_id),
                "right": str(definition.right) if definition else "",
                "title": definition.title if definition else str(row.measure_id),
                "agency": agency_label(str(row.agency)),
                "trigger": _day(row.trigger_date),
                "due": _day(row.due_date) or "at once",
                "action": _day(row.action_date) or "none",
                "outcome": str(row.outcome),
            }
        )
    return rows


def _rights_rows(case: PackCase) -> list[dict[str, str]]:
    """What the records say about each of the twelve rights in this case."""
    rows = []
    timeline = case.timeline.assign(
        right=case.timeline["measure_id"].map(
            lambda m: MEASURES_BY_ID[m].right if m in MEASURES_BY_ID else 0
        )
    )
    for number, (title, owed_by) in RIGHTS.items():
        mine = timeline[timeline["right"] == number]
        if len(mine):
            parts = []
            for measure_id, group in mine.groupby("measure_id", sort=True, observed=True):
                counts = group["outcome"].value_counts()
                said = ", ".join(f"{counts[o]} {o}" for o in counts.index)
                parts.append(f"{measure_id}: {said}")
            says = "; ".join(parts)
        elif number in _MEASURED_RIGHTS:
            says = "No instance in the records for this victim."
        else:
            says = "Not measured from the records: for the reviewer to judge from the case file."
        rows.append({"right": str(number), "title": title, "owed_by": owed_by, "says": says})
    return rows


def pack_context(data: PackData) -> dict[str, object]:
    cases = [
        {
            "case": case,
            "reported": _day(case.reported),
            "events": [
                {"day": _day(e.day), "agency": e.agency, "event": e.event} for e in case.events
            ],
            "timeline": _timeline_rows(case),
            "rights": _rights_rows(case),
            "agencies": [agency_label(a) for a in case.agencies],
            "weight": f"{case.weight:.2f}",
        }
        for case in data.cases
    ]
    design = [
        {
            "label": row.label,
            "frame": f"{row.frame:,}",
            "sample": f"{row.sample:,}",
            "weight": "" if pd.isna(row.weight) else f"{row.weight:.2f}",
        }
        for row in data.design.itertuples(index=False)
    ]
    return {
        "data": data,
        "document_title": (
            f"Quality Assessment Framework case review pack: {data.area}, {data.quarter}, "
            f"sample {data.sample_id}"
        ),
        "period": quarter_period(data.quarter),
        "as_of": long_date(data.as_of),
        "drawn_on": long_date(data.drawn_at.date()),
        "cases": cases,
        "design": design,
        "themes": [THEME_LABELS[t] for t in THEMES],
    }


def render_pack(data: PackData, pdf_path: Path) -> None:
    """Write the pack as a tagged PDF (PDF/UA-1), marked on every page."""
    write_pdf(template("pack.html.j2").render(**pack_context(data)), pdf_path)
