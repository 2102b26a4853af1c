"""What a drawn sample is written as: its case review pack (PDF: each case's record, events and
timeline) and its review form (XLSX: a row per case and agency reviewed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from vcc.flows.config import Config
from vcc.flows.qaf.form import FormCase, write_form
from vcc.flows.warehouse.reviews import Sample
from vcc.transforms.matching import local_date
from vcc.transforms.qaf import instance_outcomes
from vcc.transforms.quarters import Quarter
from vcc.transforms.sampling import ROUTE_LABELS, Stratum
from vcc.transforms.victims import enhanced_reasons

if TYPE_CHECKING:  # the pack's renderer loads WeasyPrint: imported only when a pack is drawn
    # Inside: WeasyPrint, 4,612 ms; only drawing a pack needs it, not vcc review
    from vcc.reports.pack import PackCase


@dataclass(frozen=True)
class PackInputs:
    """What the pack and form of a drawn sample are written from."""

    quarter: Quarter
    design: pd.DataFrame  # transforms.sampling.design_table
    cases: pd.DataFrame  # the drawn frame rows, in case order
    tables: dict  # the run's validated canonical tables
    instances: pd.DataFrame  # the run's instances.parquet
    records: pd.DataFrame  # transforms.qaf.case_records, with case_number


def write_sample_files(
    pack: Path,
    form: Path,
    config: Config,
    sample: Sample,
    inputs: PackInputs,
    progress: Callable[[str], None],
) -> None:
    """The sample's case review pack and review form, each unless it is already there (a form a
    reviewer may be filling in is never overwritten)."""
    if not pack.is_file():
        progress(f"writing the case review pack of {sample.size} cases (about a second a case)")
        write_pack(pack, config, sample, inputs)
    if not form.is_file():
        write_review_form(form, config, sample, inputs.cases, inputs.records)


def write_review_form(
    path: Path, config: Config, sample: Sample, cases: pd.DataFrame, records: pd.DataFrame
) -> None:
    about = [
        ("Sample", sample.sample_id),
        ("Quarter", sample.quarter),
        ("Cases", str(sample.size)),
        ("Drawn on", f"{sample.drawn_at:%Y-%m-%d}, seed {sample.seed}"),
        ("From run", sample.run_id),
        ("Area", config.report.area),
    ]
    write_form(path, form_cases(cases, records), about, config.qaf.pack_marking)


def form_cases(cases: pd.DataFrame, records: pd.DataFrame) -> list[FormCase]:
    """The rows a sample's form has: each case and agency reviewed, in case order."""
    joined = records.merge(
        cases[["victim_id", "crime_ref", "route", "enhanced"]], on="victim_id", how="left"
    ).sort_values("case_number", kind="stable")
    return [
        FormCase(
            int(row.case_number),
            str(row.victim_id),
            str(row.crime_ref),
            str(row.agency),
            ROUTE_LABELS[str(row.route)],
            bool(row.enhanced),
        )  # fmt: skip
        for row in joined.itertuples(index=False)
    ]


# The events of a victim's case the pack lists: (table, its date column, who acted, the words).
VICTIM_EVENTS: list[tuple[tuple[str, str], str, str, Callable[[Any], str]]] = [
    (("cps", "decisions"), "decided_at", "CPS",
     lambda r: f"decision: {str(r.decision_type).replace('_', ' ')} (case {r.urn})"),
    (("cps", "hearings"), "hearing_at", "Court",
     lambda r: f"hearing {r.hearing_id} (case {r.urn})"),
    (("cps", "outcomes"), "outcome_at", "Court", lambda r: _describe_outcome(r)),
    (("probation", "vcs_referrals"), "referred_at", "Probation",
     lambda r: f"referred to the Victim Contact Scheme ({r.referral_id})"),
    (("probation", "release_notifications"), "release_at", "Probation",
     lambda r: "offender released"),
]  # fmt: skip


def _case_events(tables: dict, victim_id: str, crime_ref: str, cut: pd.Timestamp) -> list:
    """The investigation and court events of a case up to ``cut``, oldest first: the crime's
    investigation events, then each of VICTIM_EVENTS recorded for the victim."""
    # Inside: WeasyPrint, 4,612 ms; only drawing a pack needs it, not vcc review
    from vcc.reports.pack import CaseEvent

    investigation = tables[("police", "investigation_events")]
    sources = [
        (investigation[investigation["crime_ref"] == crime_ref], "event_at", "Police",
         lambda r: str(r.event_type).replace("_", " ")),
    ]  # fmt: skip
    for table, column, agency, describe in VICTIM_EVENTS:
        frame = tables.get(table)
        if frame is not None:
            sources.append((frame[frame["victim_id"] == victim_id], column, agency, describe))
    events: list[tuple[pd.Timestamp, str, str]] = []
    for rows, column, agency, describe in sources:
        if rows.empty:
            continue
        for row, day in zip(rows.itertuples(index=False), local_date(rows[column]), strict=True):
            if pd.notna(day) and day <= cut:
                events.append((day, agency, describe(row)))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [CaseEvent(day.date(), agency, text) for day, agency, text in events]


def _describe_outcome(row: Any) -> str:
    if row.outcome_type != "sentence":
        return f"verdict (case {row.urn})"
    sentence = str(row.sentence_type).replace("_", " ") if pd.notna(row.sentence_type) else ""
    if pd.notna(row.sentence_months):
        sentence += f", {float(row.sentence_months):g} months"
    return f"sentence: {sentence or 'type not recorded'} (case {row.urn})"


def write_pack(path: Path, config: Config, sample: Sample, inputs: PackInputs) -> None:
    """The case review pack: the sample's design and, per case, its record and timeline up to
    the end of the quarter (or the as-of date, if earlier)."""
    # Inside: WeasyPrint, 4,612 ms; only drawing a pack needs it, not vcc review
    from vcc.reports.pack import PackData, render_pack

    cut = pd.Timestamp(min(inputs.quarter.end, sample.as_of))
    sampled = inputs.instances[inputs.instances["victim_id"].isin(inputs.cases["victim_id"])]
    timelines = sampled.assign(outcome=instance_outcomes(sampled))
    data = PackData(
        area=config.report.area,
        produced_by=config.report.produced_by,
        marking=config.qaf.pack_marking,
        quarter=inputs.quarter,
        sample_id=sample.sample_id,
        run_id=sample.run_id,
        seed=sample.seed,
        as_of=sample.as_of,
        drawn_at=sample.drawn_at,
        frame_size=sample.frame_size,
        design=inputs.design,
        cases=[
            _pack_case(case, inputs, timelines, cut)
            for case in inputs.cases.itertuples(index=False)
        ],
    )
    render_pack(data, path)


def _pack_case(
    case: Any, inputs: PackInputs, timelines: pd.DataFrame, cut: pd.Timestamp
) -> PackCase:
    """One sampled case as the pack shows it."""
    # Inside: WeasyPrint, 4,612 ms; only drawing a pack needs it, not vcc review
    from vcc.reports.pack import PackCase

    tables = inputs.tables
    victims, crimes = tables[("police", "victims")], tables[("police", "crimes")]
    urns = tables[("cps", "cases")]
    joined = victims[victims["victim_id"] == case.victim_id].merge(crimes, on="crime_ref")
    victim = joined.iloc[0]
    reasons = enhanced_reasons(joined).iloc[0]
    reported = local_date(joined["reported_at"]).iloc[0]
    records = inputs.records
    return PackCase(
        number=int(case.case_number),
        victim_id=str(case.victim_id),
        crime_ref=str(case.crime_ref),
        route=ROUTE_LABELS[case.route],
        stratum=Stratum.from_key(case.stratum).label,
        weight=float(case.weight),
        enhanced=bool(case.enhanced),
        enhanced_reasons=[r.replace("_", " ") for r in reasons.index[reasons.to_numpy()]],
        police_flagged_enhanced=bool(pd.notna(flag := victim["enhanced_flag"]) and flag),
        offence=str(victim["offence_category"]).replace("_", " "),
        district=str(victim["district"]),
        reported=reported.date() if pd.notna(reported) else None,
        urns=sorted(urns.loc[urns["crime_ref"] == case.crime_ref, "urn"].astype(str)),
        events=_case_events(tables, case.victim_id, case.crime_ref, cut),
        timeline=timelines[timelines["victim_id"] == case.victim_id],
        agencies=records.loc[records["victim_id"] == case.victim_id, "agency"].tolist(),
    )
