"""The summary table and the headline findings: one row per measure's ``all`` breakdown, with
disclosure control applied, and whether each rate moved meaningfully since the last quarter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from vcc.reports.disclosure import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    format_count,
    format_interval,
    format_met,
    format_percent,
    format_rate,
    mask_suppressed_rates,
    met_is_hidden,
)
from vcc.reports.model import ReportData, measure_sort_key
from vcc.reports.names import capitalised
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import MEASURES_BY_ID
from vcc.transforms.quarters import Quarter

# RAG as a word and a shape, so that it reads without colour (WCAG 2.2, 1.4.1 Use of colour).
STATUS_WORDS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "none": "Not rated",
    "suppressed": SUPPRESSED,
}
STATUS_SHAPES = {"green": "✔", "amber": "▲", "red": "✖", "none": "–", "suppressed": ""}


class ShowsStatus:
    """A line of a table whose RAG status prints as a word and a shape."""

    status: str  # green | amber | red | none | suppressed

    @property
    def status_word(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def status_shape(self) -> str:
        return STATUS_SHAPES[self.status]


@dataclass(frozen=True)
class SummaryRow(ShowsStatus):
    measure_id: str
    right: str
    agency: str
    title: str
    eligible: str
    met: str
    pending: str
    rate: str
    interval: str
    target: str
    status: str  # green | amber | red | none | suppressed
    change: str


@dataclass(frozen=True)
class Change:
    """How a published rate moved between the previous quarter and this one."""

    measure_id: str
    agency: str
    points: float  # percentage points, this quarter minus the previous one
    significant: bool

    def __str__(self) -> str:
        if round(self.points, 1) == 0:
            return "No change"
        direction = "Up" if self.points > 0 else "Down"
        verdict = "significant" if self.significant else "not significant"
        return f"{direction} {abs(self.points):.1f} ({verdict})"


def overall_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``all``/``all`` breakdown of each measure, in catalogue order."""
    rows = frame[(frame["dimension"] == "all") & (frame["group"] == "all")]
    order = sorted(
        rows.index, key=lambda i: measure_sort_key(rows.at[i, "measure_id"], rows.at[i, "agency"])
    )
    return rows.loc[order]


def change_on(
    data: ReportData, measure_id: str, agency: str, comparison: str = "previous quarter"
) -> Change | str:
    """How a measure's ``all`` rate moved on an earlier quarter (``comparison``: ``previous
    quarter`` or ``a year before``), as ``transforms.changes`` found it; the GSS symbol that says
    why there is no change to show where either rate is missing, empty or hidden."""
    changes = data.changes
    if not len(changes.columns):
        return NOT_AVAILABLE
    rows = changes[
        (changes["measure_id"] == measure_id) & (changes["agency"] == agency)
        & (changes["dimension"] == "all") & (changes["comparison"] == comparison)
    ]  # fmt: skip
    if rows.empty:
        return NOT_AVAILABLE
    row = rows.iloc[0]
    earlier = data.trend[
        (data.trend["quarter"] == row["compared_quarter"])
        & (data.trend["measure_id"] == measure_id)
        & (data.trend["agency"] == agency) & (data.trend["dimension"] == "all")
    ]  # fmt: skip
    current = data.metrics[
        (data.metrics["measure_id"] == measure_id) & (data.metrics["agency"] == agency)
        & (data.metrics["dimension"] == "all")
    ]  # fmt: skip
    if earlier.empty or current.empty:
        return NOT_AVAILABLE
    if earlier.iloc[0]["eligible"] == 0 or current.iloc[0]["eligible"] == 0:
        return NOT_APPLICABLE
    if any(met_is_hidden(r["eligible"], r["met"], data.suppression_threshold)
           for r in (earlier.iloc[0], current.iloc[0])):  # fmt: skip
        return SUPPRESSED  # a change would give a hidden rate back
    return Change(
        measure_id=measure_id,
        agency=agency,
        points=100 * float(row["change"]),
        significant=str(row["significant"]).lower() == "true",
    )


def _status(row: pd.Series, threshold: int) -> str:
    if met_is_hidden(row["eligible"], row["met"], threshold):
        return "suppressed"  # the status would hint at the hidden rate
    return row["rag"] if row["rag"] in STATUS_WORDS else "none"


def _title(measure_id: str) -> str:
    definition = MEASURES_BY_ID.get(measure_id)
    return definition.title if definition else measure_id


def summary_rows(data: ReportData) -> list[SummaryRow]:
    threshold = data.suppression_threshold
    rows = []
    for _, row in overall_rows(data.metrics).iterrows():
        eligible, met = row["eligible"], row["met"]
        rows.append(
            SummaryRow(
                measure_id=row["measure_id"],
                right=str(int(row["right"])),
                agency=agency_label(row["agency"]),
                title=_title(row["measure_id"]),
                eligible=format_count(eligible, threshold),
                met=format_met(eligible, met, threshold),
                pending=format_count(row["pending"], threshold),
                rate=format_rate(eligible, met, row["rate"], threshold),
                interval=format_interval(eligible, met, row["ci_low"], row["ci_high"], threshold),
                target=format_percent(row["target"], decimals=0),
                status=_status(row, threshold),
                change=str(change_on(data, row["measure_id"], row["agency"])),
            )
        )
    return rows


def significant_changes(data: ReportData) -> list[Change]:
    changes = (
        change_on(data, row["measure_id"], row["agency"])
        for _, row in overall_rows(data.metrics).iterrows()
    )
    return [c for c in changes if isinstance(c, Change) and c.significant]


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


# Names that keep their capitals mid-sentence: "a Victim Liaison Officer", never "victim Liaison".
PROPER_NAMES = (
    "Right to Review", "Victim Liaison Officer", "Victim Personal Statement",
    "Victim Contact Scheme", "Victims' Code",
)  # fmt: skip


def in_sentence(title: str) -> str:
    """A measure's title as it reads inside a sentence: its first word in lower case, unless the
    title opens with a name (``PROPER_NAMES``) or an abbreviation (CPS)."""
    first = title.split(" ", 1)[0]
    if title.startswith(PROPER_NAMES) or not first[1:].islower():
        return title
    return title[:1].lower() + title[1:]


def measure_words(measure_id: str, agency: str, capital: bool = False) -> str:
    """A measure as the board reads it: its title, never its code (codes are for the annex and
    the analysts' files); R12-ACK is reported per source, so it names the agency too."""
    definition = MEASURES_BY_ID.get(measure_id)
    title = definition.title if definition else measure_id
    words = title if capital else in_sentence(title)
    return f"{words} ({agency_label(agency)})" if measure_id == "R12-ACK" else words


def _name(measure_id: str, agency: str) -> str:
    return measure_words(measure_id, agency)


def _join(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def headline(data: ReportData) -> str:
    """One or two sentences a board member can act on: how many measures met their target,
    and which rates moved by more than chance would explain."""
    rows = summary_rows(data)
    if not rows:
        return "No measure has figures for this quarter."
    counts = {key: sum(row.status == key for row in rows) for key in STATUS_WORDS}
    sentence = (
        f"{counts['green']} of the {len(rows)} measures met their target this quarter; "
        f"{counts['amber']} {_was(counts['amber'])} amber and {counts['red']} red"
    )
    # Two different reasons for no status, never added together: too few eligible to rate
    # (rag "none"), and a status withheld by disclosure control, whatever the count beneath it.
    if counts["none"]:
        sentence += f"; {counts['none']} could not be rated (too few instances)"
    if counts["suppressed"]:
        sentence += (
            f"; {counts['suppressed']} {_was(counts['suppressed'])} hidden to protect individuals"
        )
    changes = significant_changes(data)
    since = data.quarter.previous()
    if not changes:
        return sentence + f". No rate changed by a statistically meaningful amount since {since}."
    moves = _join(
        f"{_name(c.measure_id, c.agency)} {'rose' if c.points > 0 else 'fell'} "
        f"{abs(c.points):.1f} points"
        for c in changes
    )
    return sentence + f". Statistically meaningful changes since {since}: {moves}."


def trend_finding(data: ReportData, quarters: list[Quarter]) -> str:
    """Which measures were below (or at or above) target in every quarter shown with a published
    rate: a persistent gap matters more than one quarter's dip."""
    masked = mask_suppressed_rates(data.trend, data.suppression_threshold)
    labels = [str(quarter) for quarter in quarters]
    series = overall_rows(masked[masked["quarter"].isin(labels)].dropna(subset=["rate"]))
    always_below, always_met, not_rated_now = [], [], []
    for (measure_id, agency), rows in series.groupby(["measure_id", "agency"], sort=False):
        if len(rows) < 2:
            continue  # one quarter is not a trend
        if (rows["rate"] < rows["target"]).all():
            always_below.append(_name(measure_id, agency))
        elif (rows["rate"] >= rows["target"]).all():
            always_met.append(_name(measure_id, agency))
        else:
            continue
        # A rate at or above target every quarter is not a status: this quarter's may be "not
        # rated" (too few eligible), and the caption must not read as if it were met.
        now = rows[rows["quarter"] == str(data.quarter)]
        if len(now) and str(now["rag"].iloc[0]) in ("none", ""):
            not_rated_now.append(_name(measure_id, agency))
    if always_below:
        finding = (
            f"{_plural(len(always_below), 'measure was', 'measures were')} below target in every "
            f"quarter shown: {_join(always_below)}."
        )
    else:
        finding = "No measure was below its target in every quarter shown."
    if always_met:
        whose = "its" if len(always_met) == 1 else "their"
        finding += f" {capitalised(_join(always_met))} met {whose} target in every quarter shown."
    if not_rated_now:
        finding += (
            f" Too few were eligible this quarter to rate {_join(not_rated_now)}: "
            f"{'its' if len(not_rated_now) == 1 else 'their'} status is not rated."
        )
    return finding
