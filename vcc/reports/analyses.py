"""The enhanced-rights and needs-assessment sections: the analyses tables of
``transforms.enhanced_gap`` and ``transforms.needs_assessment``, formatted and
disclosure-controlled.

These tables are aggregates beyond ``published-tables.csv``, so the report applies the same rule
to them (``reports.disclosure``): a count from 1 to threshold - 1 prints ``[c]``, with the share,
rate or interval worked from it, and cells that add up to a shown total never hide just one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.reports.disclosure import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    format_count,
    format_interval,
    format_percent,
    format_rate,
    hidden_cells,
    is_small,
    met_is_hidden,
)
from vcc.reports.model import ReportData

_REASON_LABELS = {
    "all": "Every victim owed enhanced rights (counted once)",
    "under_18": "Under 18 at the time of the offence",
    "vulnerable": "Vulnerable",
    "intimidated": "Intimidated",
    "persistently_targeted": "Persistently targeted",
    "bereaved_family": "Bereaved close relative",
    "domestic_abuse": "Domestic abuse",
    "hate_crime": "Hate crime",
    "homicide": "Homicide",
    "attempted_murder": "Attempted murder",
    "wounding_gbh_with_intent": "Wounding or GBH with intent",
    "stalking_harassment": "Stalking or harassment",
    "kidnap_false_imprisonment": "Kidnap or false imprisonment",
    "rape": "Rape",
    "other_sexual_offence": "Other sexual offence",
    "arson_endangering_life": "Arson endangering life",
    "trafficking_modern_slavery": "Trafficking or modern slavery",
    "terrorism": "Terrorism",
}
_IDENTIFICATION_LABELS = {
    "identified": "Identified by the police",
    "not_identified": "Not identified (treated as standard)",
    "all": "All victims owed enhanced rights",
}
_BAND_LABELS = {
    "0": "Same day as the report",
    "1": "1 working day",
    "2": "2 working days",
    "3-5": "3 to 5 working days",
    "6-10": "6 to 10 working days",
    "11+": "11 or more working days",
    "not_assessed": "Not assessed by the data date",
    "pending": "Pending (not yet due)",
}
_ITEM_LABELS = {
    "any": "At least one item missing",
    "communication_needs_recorded": "Communication needs",
    "vulnerability_recorded": "Vulnerability",
    "support_needs_recorded": "Support needs",
    "contact_preference_recorded": "Contact preference",
    "special_measures_considered": "Special measures considered",
}


def reason_label(reason: str) -> str:
    return _REASON_LABELS.get(reason, reason.replace("_", " ").capitalize())


def item_label(item: str) -> str:
    return _ITEM_LABELS.get(item, item.replace("_", " ").capitalize())


def _analysis(data: ReportData, name: str) -> pd.DataFrame | None:
    table = data.analyses.get(name)
    return table if table is not None and len(table) else None


def _int(value: object) -> int:
    return 0 if pd.isna(value) else int(value)  # type: ignore[call-overload]


# Enhanced identification by reason.


@dataclass(frozen=True)
class IdentificationRow:
    reason: str
    owed: str
    identified: str
    missed: str
    rate: str
    interval: str
    overall: bool


def identification_rows(data: ReportData) -> list[IdentificationRow] | None:
    """Each reason's owed, identified and missed: identified + missed = owed, so they are hidden
    together as ``met`` is (``met_is_hidden``). Reason rows overlap, so no total adds them up."""
    table = _analysis(data, "enhanced-identification")
    if table is None:
        return None
    threshold = data.suppression_threshold
    rows = []
    for _, row in table.iterrows():
        owed, identified = _int(row["owed"]), _int(row["identified"])
        hidden = met_is_hidden(owed, identified, threshold)
        rows.append(
            IdentificationRow(
                reason=reason_label(str(row["reason"])),
                owed=format_count(owed, threshold),
                identified=SUPPRESSED if hidden else format_count(identified, threshold),
                missed=SUPPRESSED if hidden else format_count(owed - identified, threshold),
                rate=format_rate(owed, identified, row["identified_rate"], threshold),
                interval=format_interval(
                    owed, identified, row["ci_low"], row["ci_high"], threshold
                ),
                overall=row["reason"] == "all",
            )
        )
    return rows


# Investigation updates for victims owed enhanced rights, by identification.


@dataclass(frozen=True)
class DelayRow:
    group: str
    instances: str
    met: str
    rate: str
    interval: str
    within_5: str
    never_updated: str
    median: str
    p90: str


def _share_hidden(n: int, share: float, threshold: int) -> bool:
    if n == 0 or pd.isna(share):
        return False
    count = round(share * n)
    return is_small(count, threshold) or is_small(n - count, threshold)


def delay_rows(data: ReportData) -> list[DelayRow] | None:
    """R6-UPDATE for enhanced victims by whether the police identified them. ``identified`` and
    ``not_identified`` add up to ``all``, so a figure hidden in one is hidden in the other."""
    table = _analysis(data, "enhanced-update-delay")
    if table is None:
        return None
    threshold = data.suppression_threshold
    table = table.set_index("identification")
    groups = [g for g in ("identified", "not_identified", "all") if g in table.index]
    n = {g: _int(table.at[g, "instances"]) for g in groups}
    met = {g: _int(table.at[g, "met"]) for g in groups}
    hide = {
        "instances": {g: is_small(n[g], threshold) for g in groups},
        "met": {g: met_is_hidden(n[g], met[g], threshold) for g in groups},
        "within_5": {
            g: _share_hidden(n[g], table.at[g, "within_5_share"], threshold) for g in groups
        },
        "never": {
            g: _share_hidden(n[g], table.at[g, "never_updated_share"], threshold) for g in groups
        },  # fmt: skip
    }
    for figure in hide.values():  # secondary: the two parts of "all"
        parts = [figure.get("identified", False), figure.get("not_identified", False)]
        if any(parts):
            figure["identified"] = figure["not_identified"] = True
    rows = []
    for g in groups:
        few = hide["instances"][g]
        hidden_met = few or hide["met"][g]

        def share(column: str, key: str, group: str = g, blank: bool = few) -> str:
            if n[group] == 0:
                return NOT_APPLICABLE
            if blank or hide[key][group]:
                return SUPPRESSED
            return format_percent(table.at[group, column])

        def days(column: str, group: str = g, blank: bool = few) -> str:
            value = table.at[group, column]
            if blank:
                return SUPPRESSED
            return NOT_AVAILABLE if pd.isna(value) else f"{value:.0f}"

        rows.append(
            DelayRow(
                group=_IDENTIFICATION_LABELS.get(g, g),
                instances=SUPPRESSED if few else format_count(n[g], threshold),
                met=SUPPRESSED if hidden_met else format_count(met[g], threshold),
                rate=(
                    NOT_APPLICABLE
                    if n[g] == 0
                    else SUPPRESSED
                    if hidden_met
                    else format_percent(table.at[g, "rate"])
                ),  # fmt: skip
                interval=(
                    NOT_APPLICABLE
                    if n[g] == 0
                    else SUPPRESSED
                    if hidden_met
                    else f"{100 * table.at[g, 'ci_low']:.1f}% to "
                    f"{100 * table.at[g, 'ci_high']:.1f}%"
                ),  # fmt: skip
                within_5=share("within_5_share", "within_5"),
                never_updated=share("never_updated_share", "never"),
                median=days("median_working_days"),
                p90=days("p90_working_days"),
            )
        )
    return rows


# Needs assessments: timeliness bands and missing items.


@dataclass(frozen=True)
class BandRow:
    band: str
    cells: list[str]  # all: number, share, cumulative; enhanced: number, share; standard: ...


TIMELINESS_GROUPS = ("all", "enhanced", "standard")


def timeliness_rows(data: ReportData) -> list[BandRow] | None:
    """Bands down, rights groups across. Bands add up to each group's total, and enhanced +
    standard = all in every band, so both are lines for secondary suppression. A cumulative
    share from the first hidden band on would give the hidden count back, so it is hidden too."""
    table = _analysis(data, "needs-assessment-timeliness")
    if table is None:
        return None
    threshold = data.suppression_threshold
    bands = list(dict.fromkeys(table["band"].astype(str)))
    wide = table.assign(band=table["band"].astype(str)).pivot_table(
        index="band", columns="rights", values="count", aggfunc="sum"
    )
    wide = wide.reindex(index=bands, columns=list(TIMELINESS_GROUPS)).fillna(0)
    counts = wide.to_numpy(dtype=float)
    lines = [[(b, g) for b in range(len(bands))] for g in range(len(TIMELINESS_GROUPS))]
    lines += [[(b, g) for g in range(len(TIMELINESS_GROUPS))] for b in range(len(bands))]
    hidden = hidden_cells(counts, threshold, lines)
    shares = table.assign(band=table["band"].astype(str)).set_index(["rights", "band"])
    rows = []
    cumulative_hidden = False
    for b, band in enumerate(bands):
        cells = []
        for g, group in enumerate(TIMELINESS_GROUPS):
            key = (group, band)
            share = shares["share"].get(key, np.nan)
            if hidden[b, g]:
                cells += [SUPPRESSED, SUPPRESSED]
            else:
                cells += [f"{int(counts[b, g]):,}", format_percent(share)]
            if group == "all":
                cumulative_hidden = cumulative_hidden or bool(hidden[b, g])
                cumulative = shares["cumulative_share"].get(key, np.nan)
                if pd.isna(cumulative):
                    cells.append("")
                else:
                    cells.append(SUPPRESSED if cumulative_hidden else format_percent(cumulative))
        rows.append(BandRow(_BAND_LABELS.get(band, band), cells))
    return rows


@dataclass(frozen=True)
class ItemRow:
    item: str
    missing: str
    share: str
    overall: bool


def missing_item_rows(data: ReportData) -> tuple[list[ItemRow], str] | None:
    """Each item's missing count and share of the assessments; the recorded ones
    (assessments - missing) are people too, so either being small hides both."""
    table = _analysis(data, "needs-assessment-missing-items")
    if table is None:
        return None
    threshold = data.suppression_threshold
    total = _int(table["assessments"].iloc[0])
    rows = []
    for _, row in table.iterrows():
        missing = _int(row["missing"])
        hidden = met_is_hidden(total, missing, threshold)
        rows.append(
            ItemRow(
                item=item_label(str(row["item"])),
                missing=SUPPRESSED if hidden else format_count(missing, threshold),
                share=(
                    NOT_APPLICABLE
                    if total == 0
                    else SUPPRESSED
                    if hidden
                    else format_percent(row["missing_share"])
                ),  # fmt: skip
                overall=row["item"] == "any",
            )
        )
    return rows, format_count(total, threshold)


# Sentences for the sections and the summary, from the same suppressed figures.


def identification_finding(data: ReportData) -> str | None:
    rows = identification_rows(data)
    if not rows:
        return None
    overall = rows[0]
    if SUPPRESSED in (overall.owed, overall.identified) or overall.owed in ("0", NOT_AVAILABLE):
        return None
    sentence = (
        f"The police identified {overall.identified} of the {overall.owed} victims owed enhanced "
        f"rights ({overall.rate}); {overall.missed} were not identified and so risked being "
        "treated as standard victims"
    )
    missed_most = [r for r in rows[1:] if r.missed not in (SUPPRESSED, "0")]
    if missed_most:
        top = missed_most[0]  # the table is ordered by missed, most first
        sentence += f", most often {top.reason.lower()} ({top.missed} missed)"
    return sentence + "."


def delay_finding(data: ReportData) -> str | None:
    rows = delay_rows(data)
    if not rows or len(rows) < 2:
        return None
    identified, missed = rows[0], rows[1]
    if SUPPRESSED in (identified.rate, missed.rate) or NOT_APPLICABLE in (
        identified.rate, missed.rate,
    ):  # fmt: skip
        return None
    return (
        f"Of investigation updates owed to enhanced victims within 1 working day, "
        f"{missed.rate} were on time for victims the police had not identified, against "
        f"{identified.rate} for those they had."
    )
