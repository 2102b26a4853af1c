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
from vcc.reports.model import ReportData
from vcc.reports.qaf import qaf_finding
from vcc.reports.spc import SIGNAL_WORDS, month_label
from vcc.reports.summary import Change, SummaryRow, change_on, headline, summary_rows
from vcc.transforms.agencies import AGENCIES, agency_label
from vcc.transforms.spc import IMPROVEMENT, spc_judgements, trend_months

WORST_SHOWN = 3  # measures named as furthest below target


@dataclass(frozen=True)
class Move:
    name: str
    points: float
    rate: str
    comparison: str = "previous quarter"  # or "a year before"
    compared_quarter: str = ""


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
    for comparison, back in (("previous quarter", 1), ("a year before", 4)):
        compared = str(data.quarter.shift(-back))
        for row in rows:
            agency = _agency_key(row.agency)
            change = change_on(data, row.measure_id, agency, comparison)
            if not isinstance(change, Change) or not change.significant:
                continue
            points = round(change.points, 1)  # as the summary table prints it
            if points:
                moves.append(Move(_name(row), points, row.rate, comparison, compared))
    return moves


def _moves_sentence(moves: list[Move], word: str) -> str:
    """ "Significant falls: X, down 5.5 points on 2025Q3 (a year before) to 88.3%; ..." """
    parts = [
        f"{m.name}, {word} {abs(m.points):.1f} percentage points on {m.compared_quarter} "
        f"({'the previous quarter' if m.comparison == 'previous quarter' else 'a year before'})"
        f" to {m.rate}"
        for m in moves
    ]
    return "; ".join(parts)


def spc_finding(data: ReportData, rows: list[SummaryRow]) -> str:
    """The month-by-month signals in the quarter's three months, concerns first, in words."""
    spc = data.figures.spc
    if not len(spc.columns) or spc.empty:
        return ""
    judged = spc_judgements(spc, trend_months([str(data.quarter)]))
    names = {(row.measure_id, _agency_key(row.agency)): row for row in rows}
    concerns: list[str] = []
    improvements: list[str] = []
    for item in judged.itertuples():
        row = names.get((item.measure_id, item.agency))
        if row is None or not item.recent:
            continue
        last_month, signals, direction = item.recent[-1]
        what = " and ".join(SIGNAL_WORDS[s] for s in str(signals).split(";") if s in SIGNAL_WORDS)
        text = f"{_name(row)} ({month_label(last_month)}: {what})"
        (improvements if direction == IMPROVEMENT else concerns).append(text)
    if not concerns and not improvements:
        return (
            "Month by month, no measure showed a signal of real change in the quarter's three "
            "months: their ups and downs are within what chance explains."
        )
    parts = []
    if concerns:
        parts.append(f"a concern for {'; '.join(concerns)}")
    if improvements:
        parts.append(f"an improvement for {'; '.join(improvements)}")
    return (
        "Month by month, the charts show real change (more than chance) in the quarter: "
        + ", and ".join(parts)
        + "."
    )


def most_missed_finding(data: ReportData, rows: list[SummaryRow]) -> str:
    """The measure missed most often this quarter, by count: the victims (or complaints) it
    failed, where that count is published."""
    overall = data.metrics[
        (data.metrics["dimension"] == "all") & (data.metrics["group"] == "all")
    ]  # fmt: skip
    names = {(row.measure_id, _agency_key(row.agency)): row for row in rows}
    best = None
    for item in overall.itertuples():
        row = names.get((item.measure_id, item.agency))
        if row is None or row.met in (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE):
            continue
        if item.not_met > 0 and (best is None or item.not_met > best[0]):
            best = (int(item.not_met), row)
    if best is None:
        return ""
    count, row = best
    return (
        f"Missed most often: {_name(row)}, not met {count:,} times this quarter "
        f"({row.rate} met of {row.eligible})."
    )


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
    since = data.quarter.previous()
    moves = _significant_moves(data, rows) if len(data.changes.columns) else []
    falls = sorted((m for m in moves if m.points < 0), key=lambda m: m.points)
    rises = sorted((m for m in moves if m.points > 0), key=lambda m: -m.points)
    if falls:
        findings.append(f"Significant falls: {_moves_sentence(falls, 'down')}.")
    if rises:
        findings.append(f"Significant rises: {_moves_sentence(rises, 'up')}.")
    if len(data.changes.columns) and not moves:
        findings.append(
            f"No rate changed by more than chance would explain since {since} or on a year before."
        )
    for finding in (spc_finding(data, rows), most_missed_finding(data, rows)):
        if finding:
            findings.append(finding)
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
