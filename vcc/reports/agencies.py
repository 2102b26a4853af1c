"""One section per agency (police, CPS, Witness Care Unit, Probation) and the annex tables.

Every figure printed here comes from the published tables (``ReportData.published_figures``,
suppressed by ``transforms.disclosure``), so a section, the annex and ``published-tables.csv``
always agree; only the changes over time are checked here, against the earlier quarter's counts.
Each section's slowest stages come from ``ReportData.stages`` through
``transforms.stages.published_stages``, which applies the same disclosure rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from markupsafe import Markup

from vcc.reports.charts import stage_chart_svg, trend_chart_svg
from vcc.reports.disclosure import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    published_count,
    published_interval,
    published_percent,
)
from vcc.reports.groups import group_label
from vcc.reports.model import ReportData, measure_sort_key
from vcc.reports.names import measure_title, short_name
from vcc.reports.spc import SpcView, spc_view
from vcc.reports.summary import STATUS_WORDS, ShowsStatus, change_on, trend_finding
from vcc.transforms.agencies import AGENCIES, agency_label
from vcc.transforms.catalogue import MEASURES_BY_ID
from vcc.transforms.quarters import Quarter

AGENCY_HEADINGS = {
    "police": "Police",
    "cps": "Crown Prosecution Service",
    "wcu": "Witness Care Unit",
    "probation": "Probation Service",
}
AGENCY_INTROS = {
    "police": "The police owe victims prompt recording of the crime, a written acknowledgement, "
    "a needs assessment and referral to support, updates on the investigation, the offer of a "
    "Victim Personal Statement, and the identification of victims owed enhanced rights.",
    "cps": "The CPS writes to a victim when it decides not to charge, to stop a case or to "
    "alter a charge substantially, and explains the Victims' Right to Review.",
    "wcu": "The Witness Care Unit, run jointly by the police and the CPS, tells victims about "
    "hearings and the outcome of the case, and refers eligible victims to the Victim Contact "
    "Scheme after sentence.",
    "probation": "The Probation Service's Victim Liaison Officers contact victims referred to the "
    "Victim Contact Scheme and tell them before an offender is released.",
}
# The breakdown columns of an agency's table: all, then enhanced status, then each district.
RIGHTS_GROUPS = (("rights", "enhanced", "Enhanced"), ("rights", "standard", "Standard"))


@dataclass(frozen=True)
class MeasureLine(ShowsStatus):
    measure_id: str
    title: str
    right: str
    eligible: str
    rate: str
    interval: str
    target: str
    status: str
    change_previous: str
    change_year: str


@dataclass(frozen=True)
class BreakdownRow:
    measure_id: str
    name: str  # the measure's title, for the board (the code is the annex's)
    cells: list[str]  # rate per column of BreakdownTable.columns


@dataclass(frozen=True)
class StageLine:
    measure_id: str
    title: str
    deadline: str
    actioned: str
    median: str
    p75: str
    p90: str
    after_deadline: str
    no_action: str


@dataclass(frozen=True)
class StageView:
    """An agency's slowest stages: the table's lines (slowest first), the chart, its finding."""

    lines: list[StageLine]
    chart_svg: Markup
    finding: str
    shorter_enhanced: bool = False  # a measure with a shorter deadline for enhanced rights


@dataclass(frozen=True)
class AgencySection:
    key: str
    heading: str
    intro: str
    lines: list[MeasureLine]
    columns: list[str]
    breakdown: list[BreakdownRow]
    chart_svg: Markup
    chart_finding: str
    quarters: list[Quarter]
    stages: StageView | None = None  # None: the figures came without stage distributions
    spc: SpcView | None = None  # None: the figures came without spc.csv


def _key(row: pd.Series) -> tuple[str, str]:
    return row["measure_id"], row["agency"]


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    order = sorted(
        frame.index,
        key=lambda i: measure_sort_key(frame.at[i, "measure_id"], frame.at[i, "agency"]),
    )
    return frame.loc[order]


def _status(rag: str) -> str:
    if rag == SUPPRESSED:
        return "suppressed"
    return rag if rag in STATUS_WORDS else "none"


def _group_columns(published: pd.DataFrame) -> list[tuple[str, str, str]]:
    districts = list(dict.fromkeys(published.loc[published["dimension"] == "district", "group"]))
    return [
        ("all", "all", "All victims"),
        *RIGHTS_GROUPS,
        *(("district", d, d if d != "unknown" else "District unknown") for d in districts),
    ]


def _rate_cell(rows: pd.DataFrame, dimension: str, group: str) -> str:
    match = rows[(rows["dimension"] == dimension) & (rows["group"] == group)]
    if match.empty:
        return NOT_APPLICABLE if dimension != "all" else NOT_AVAILABLE
    return published_percent(match.iloc[0]["rate"], decimals=0)


def agency_sections(data: ReportData, quarters: list[Quarter]) -> list[AgencySection]:
    published = data.published_figures()
    published_stage_table = stages_published(data)
    columns = _group_columns(published)
    sections = []
    for agency in AGENCIES:
        # R12-ACK is reported per source; the police, CPS and probation rows join their agency.
        mine = published[published["agency"] == agency]
        if mine.empty:
            continue
        overall = _ordered(mine[(mine["dimension"] == "all") & (mine["group"] == "all")])
        lines, breakdown = [], []
        for _, row in overall.iterrows():
            measure_id = row["measure_id"]
            lines.append(
                MeasureLine(
                    measure_id=measure_id,
                    title=measure_title(measure_id),
                    right=row["right"],
                    eligible=published_count(row["eligible"]),
                    rate=published_percent(row["rate"]),
                    interval=published_interval(row["ci_low"], row["ci_high"]),
                    target=published_percent(row["target"], decimals=0),
                    status=_status(row["rag"]),
                    change_previous=str(change_on(data, measure_id, agency, "previous quarter")),
                    change_year=str(change_on(data, measure_id, agency, "a year before")),
                )
            )
            rows = mine[mine["measure_id"] == measure_id]
            breakdown.append(
                BreakdownRow(
                    measure_id,
                    measure_title(measure_id),
                    [_rate_cell(rows, d, g) for d, g, _ in columns],
                )  # fmt: skip
            )
        trend = data.trend[data.trend["agency"] == agency]
        finding = trend_finding(_with_trend(data, trend), quarters)
        label = AGENCY_HEADINGS[agency]
        alt = (
            f"Line charts, one per {label} measure, of the compliance rate in each quarter from "
            f"{quarters[0]} to {quarters[-1]}, with its 95% interval and target. {finding}"
        )
        svg = trend_chart_svg(trend, quarters, data.suppression_threshold, alt, show_agency=False)
        stages = None if published_stage_table is None else stage_view(
            data, published_stage_table[published_stage_table["agency"] == agency], label
        )  # fmt: skip
        sections.append(
            AgencySection(
                key=agency,
                heading=label,
                intro=AGENCY_INTROS[agency],
                lines=lines,
                columns=[name for _, _, name in columns],
                breakdown=breakdown,
                chart_svg=Markup(svg),  # our own SVG: matplotlib escapes its text, we the alt text
                chart_finding=finding,
                quarters=quarters,
                stages=stages,
                spc=spc_view(
                    data.figures.spc,
                    agency,
                    str(data.quarter),
                    data.suppression_threshold,
                    {line.measure_id: data.settings_for(line.measure_id).target for line in lines},
                ),
            )
        )
    return sections


# The slowest stages: working days from trigger to action (transforms/stages.py).


def stages_published(data: ReportData) -> pd.DataFrame | None:
    """The quarter's stages as published (ranked, suppressed); None when none were supplied."""
    if not len(data.figures.published_stages.columns):
        return None
    stages = data.figures.published_stages
    return stages[stages["quarter"].astype(str) == str(data.quarter)]


def _days(value: str) -> str:
    """A whole number of working days, in words."""
    return "1 working day" if value == "1" else f"{value} working days"


def deadline_text(standard: str, enhanced: str) -> str:
    if standard == enhanced:
        return standard
    return f"{standard} ({enhanced})"  # DOMAIN.md's "N (1)": 1 for enhanced rights


def _deadline_words(standard: str, enhanced: str) -> str:
    words = f"a deadline of {_days(standard)}"
    if standard != enhanced:
        words += f" ({enhanced} for victims owed enhanced rights)"
    return words


def _share(text: str) -> str:
    """A published share (``0.1234``) as a percentage; GSS symbols as they are."""
    try:
        return f"{100 * float(text):.1f}%"
    except ValueError:
        return text


def _stage_name(measure_id: str) -> str:
    """What the stage is, in the words of a caption ("Slowest: hearing notifications, ..."): the
    catalogue's ``stage``, else the measure's title."""
    definition = MEASURES_BY_ID.get(measure_id)
    return (
        definition.stage if definition and definition.stage else measure_title(measure_id).lower()
    )


def stage_finding(stages: pd.DataFrame, threshold: int) -> str:
    """What the chart shows, in a sentence or two: the stage furthest past its deadline at the
    90th percentile (``published_stages`` ranks it first), or, when none is past it, the one
    nearest to it; and the stage most often actioned late when that is another one."""
    shown = stages[stages["shown"].astype(bool)]
    if shown.empty:
        if (stages["p90_working_days"] == NOT_APPLICABLE).all():
            return "No instance of these measures was actioned this quarter."
        return (
            f"Too few instances were actioned this quarter to show any percentile (fewer than "
            f"{threshold} for each measure)."
        )
    slowest = shown.iloc[0]
    p90 = str(slowest["p90_working_days"])
    within = "on the day of the trigger" if p90 == "0" else f"within {_days(p90)}"
    days_late = int(slowest["p90_days_late"])  # against each instance's own due date
    opening = "Furthest past its deadline" if days_late > 0 else (
        "No stage's 90th percentile was past its deadline; nearest to it"
    )  # fmt: skip
    finding = (
        f"{opening}: {_stage_name(slowest['measure_id'])}, 90% "
        f"actioned {within} against "
        f"{_deadline_words(slowest['deadline_standard'], slowest['deadline_enhanced'])}"
    )
    if days_late > 0:
        finding += f", up to {_days(str(days_late))} after their own due date"
    late = str(slowest["after_deadline_share"])
    finding += f"; {_share(late)} were actioned after it." if _share(late) != late else "."
    shares = shown.assign(
        _late=pd.to_numeric(shown["after_deadline_share"], errors="coerce")
    ).dropna(subset=["_late"])
    if len(shares):
        worst = shares.sort_values("_late", ascending=False, kind="stable").iloc[0]
        if worst["measure_id"] != slowest["measure_id"] and worst["_late"] > 0:
            finding += (
                f" Most often late: {_stage_name(worst['measure_id'])}, "
                f"{_share(worst['after_deadline_share'])} of those "
                f"actioned after the deadline."
            )
    return finding


def _stage_alt(stages: pd.DataFrame, label: str, quarter: Quarter, finding: str) -> str:
    parts = []
    for row in stages.itertuples(index=False):
        deadline = deadline_text(row.deadline_standard, row.deadline_enhanced)
        if row.shown:
            parts.append(
                f"{short_name(row.measure_id)}: median {row.median_working_days}, 75th percentile "
                f"{row.p75_working_days}, 90th percentile {row.p90_working_days}, deadline "
                f"{deadline}"
            )
        else:
            parts.append(f"{short_name(row.measure_id)}: percentiles withheld, deadline {deadline}")
    return (
        f"Bar chart of the working days from trigger to action of each {label} measure with a "
        f"deadline, {quarter}, latest first against its deadline: the median, the 75th and 90th "
        f"percentiles and the deadline. {'; '.join(parts)}. {finding}"
    )


def stage_view(data: ReportData, stages: pd.DataFrame, label: str) -> StageView:
    lines = [
        StageLine(
            measure_id=row.measure_id,
            title=measure_title(row.measure_id),
            deadline=deadline_text(row.deadline_standard, row.deadline_enhanced),
            actioned=_count_text(row.actioned),
            median=row.median_working_days,
            p75=row.p75_working_days,
            p90=row.p90_working_days,
            after_deadline=_share(row.after_deadline_share),
            no_action=_count_text(row.no_action),
        )
        for row in stages.itertuples(index=False)
    ]
    finding = stage_finding(stages, data.suppression_threshold) if len(stages) else ""
    svg = ""  # no chart when every stage is withheld or empty: the table and finding say it
    if stages["shown"].astype(bool).any():
        alt = _stage_alt(stages, label, data.quarter, finding)
        salt = f"vcc-stages-{stages['agency'].iloc[0]}"
        svg = stage_chart_svg(stages, data.suppression_threshold, alt, salt)
    # our own SVG: matplotlib escapes its text, and _with_alt_text the alt text
    shorter = bool((stages["deadline_standard"] != stages["deadline_enhanced"]).any())
    return StageView(lines=lines, chart_svg=Markup(svg), finding=finding, shorter_enhanced=shorter)


def _count_text(text: str) -> str:
    try:
        return f"{int(text):,}"
    except ValueError:
        return text


def _with_trend(data: ReportData, trend: pd.DataFrame) -> ReportData:
    return replace(data, figures=replace(data.figures, trend=trend))


# Annex: every published figure of the all, rights and district breakdowns.


@dataclass(frozen=True)
class AnnexRow:
    group: str
    eligible: str
    met: str
    rate: str
    interval: str
    status: str


@dataclass(frozen=True)
class AnnexTable:
    measure_id: str
    agency: str
    title: str
    rows: list[AnnexRow]


ANNEX_DIMENSIONS = ("all", "rights", "district", "domestic_abuse")  # offence groups: the CSV


def annex_tables(data: ReportData) -> list[AnnexTable]:
    published = data.published_figures()
    shown = published[published["dimension"].isin(ANNEX_DIMENSIONS)]
    tables = []
    overall = _ordered(shown[shown["dimension"] == "all"])
    for _, head in overall.iterrows():
        rows = shown[
            (shown["measure_id"] == head["measure_id"]) & (shown["agency"] == head["agency"])
        ]
        tables.append(
            AnnexTable(
                measure_id=head["measure_id"],
                agency=agency_label(head["agency"]),
                title=measure_title(head["measure_id"]),
                rows=[
                    AnnexRow(
                        group=(
                            f"District: {r['group']}"
                            if r["dimension"] == "district"
                            else group_label(r["dimension"], r["group"])
                        ),
                        eligible=published_count(r["eligible"]),
                        met=published_count(r["met"]),
                        rate=published_percent(r["rate"]),
                        interval=published_interval(r["ci_low"], r["ci_high"]),
                        status=STATUS_WORDS[_status(r["rag"])],
                    )
                    for _, r in rows.iterrows()
                ],
            )
        )
    return tables
