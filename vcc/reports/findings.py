"""The headline findings on the summary page, written from the data by fixed rules so that the same
figures always give the same words:

1. how many measures met their target (``summary.headline``);
2. the largest statistically significant fall on the previous quarter, and 3. the largest rise;
4. the measures furthest below target;
5. the enhanced-rights identification gap, and what it cost victims in timeliness;
6. with case reviews in, the theme with the lowest weighted share rated met (``qaf.qaf_finding``);
7. with a victims' survey, the largest significant gap between what victims and the records say
   (``feedback.largest_gap``).

A rule with nothing to say (no significant change, no measure below target, no analysis table)
says nothing. Only published figures are used: a change whose rates the tables hide is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from vcc.reports.analyses import delay_finding, identification_finding
from vcc.reports.disclosure import NOT_APPLICABLE, NOT_AVAILABLE, SUPPRESSED
from vcc.reports.model import ReportData, previous_quarter
from vcc.reports.qaf import qaf_finding
from vcc.reports.summary import Change, SummaryRow, change_on, headline, summary_rows
from vcc.transforms.agencies import AGENCIES, agency_label

WORST_SHOWN = 3  # measures named as furthest below target


@dataclass(frozen=True)
class Move:
    name: str
    points: float
    rate: str


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


def _name(row: SummaryRow) -> str:
    """R12-ACK is reported per source, so its name needs the agency to be unambiguous."""
    owner = f", {row.agency}" if row.measure_id == "R12-ACK" else ""
    return f"{row.measure_id} ({in_sentence(row.title)}{owner})"


def _significant_moves(data: ReportData, rows: list[SummaryRow]) -> list[Move]:
    moves = []
    for row in rows:
        agency = _agency_key(row.agency)
        change = change_on(data, row.measure_id, agency)
        if not isinstance(change, Change) or not change.significant:
            continue
        points = round(change.points, 1)  # as the summary table prints it
        if points:
            moves.append(Move(_name(row), points, row.rate))
    return moves


def _agency_key(label: str) -> str:
    return next((key for key in AGENCIES if agency_label(key) == label), label)


def _published_rate(row: SummaryRow) -> float | None:
    if row.rate in (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE):
        return None
    return float(row.rate.rstrip("%"))


def headline_findings(
    data: ReportData, rows: list[SummaryRow] | None = None, headline_text: str | None = None
) -> list[str]:
    """The report's key findings; ``rows`` and ``headline_text`` are ``summary_rows(data)`` and
    ``headline(data)`` when the caller has them already (the report prints both too)."""
    rows = summary_rows(data) if rows is None else rows
    headline_text = headline(data) if headline_text is None else headline_text
    findings = [headline_text.split(". ")[0].rstrip(".") + "."]
    since = previous_quarter(data.quarter)
    moves = _significant_moves(data, rows) if len(data.changes.columns) else []
    falls = sorted((m for m in moves if m.points < 0), key=lambda m: m.points)
    rises = sorted((m for m in moves if m.points > 0), key=lambda m: -m.points)
    if falls:
        m = falls[0]
        findings.append(
            f"Largest significant fall since {since}: {m.name}, down {abs(m.points):.1f} "
            f"percentage points to {m.rate}."
        )
    if rises:
        m = rises[0]
        findings.append(
            f"Largest significant rise since {since}: {m.name}, up {m.points:.1f} "
            f"percentage points to {m.rate}."
        )
    if len(data.changes.columns) and not moves:
        findings.append(f"No rate changed by more than chance would explain since {since}.")
    below = []
    for row in rows:
        rate, target = _published_rate(row), _published_rate_text(row.target)
        if rate is not None and target is not None and rate < target and row.status == "red":
            below.append((rate - target, row))
    below.sort(key=lambda item: item[0])
    if below:
        named = "; ".join(
            f"{_name(row)} {row.rate} against {row.target}" for _, row in below[:WORST_SHOWN]
        )
        findings.append(f"Furthest below target: {named}.")
    gap = identification_finding(data)
    if gap:
        cost = delay_finding(data)
        findings.append(gap + (f" {cost}" if cost else ""))
    reviews = qaf_finding(data)
    if reviews:
        findings.append(reviews)
    from vcc.reports.feedback import largest_gap  # it uses in_sentence from here

    voice = largest_gap(data)
    if voice:
        findings.append(voice)
    return findings


def _published_rate_text(text: str) -> float | None:
    try:
        return float(text.rstrip("%"))
    except ValueError:
        return None
