"""The report's section "What victims told us" (CONTRACT.md §7.3): the victims' survey beside the
records, formatted from figures already made and disclosure-controlled in
``transforms.feedback`` (the report computes none).

Per question mapped to a measure: what the records say (the measure's ``all`` rate and interval,
as the published tables print it) and what victims say (the share answering yes of those who
answered yes or no, with its Wilson interval); the gap is called out only where Newcombe's
interval excludes zero, and only when both sides may be printed. Breakdowns by the respondents'
own offence group, age band and sex show the questions answered most often, each group's share
saying yes out of the number who answered; groups whose every figure is withheld are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vcc.reports.disclosure import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    is_small,
    published_count,
    published_interval,
    published_percent,
)
from vcc.reports.groups import OFFENCE_GROUP_WORDS
from vcc.reports.model import ReportData
from vcc.reports.names import short_name
from vcc.reports.summary import in_sentence
from vcc.transforms.catalogue import load_catalogue

_SYMBOLS = (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE)
BREAKDOWN_QUESTIONS = 4  # the questions answered most often, shown in each breakdown
DIMENSION_WORDS = {
    "offence_group": "Offence group",
    "age_band": "Age band",
    "sex": "Sex",
}
GROUP_WORDS = {
    **OFFENCE_GROUP_WORDS,
    "female": "Female",
    "male": "Male",
    "unknown": "Not given",
}


@dataclass(frozen=True)
class FeedbackRow:
    question_id: str
    measure: str  # "Victim Personal Statement offered (Right 7)", or "Not mapped ..."
    question: str  # the question's words, else its id
    answered: str
    victims: str  # share saying yes
    victims_interval: str
    records: str
    records_interval: str
    difference: str  # the gap when significant, else why it is not called out


def _words(data: ReportData) -> tuple[dict[str, Any], dict[int, str]]:
    catalogue = data.catalogue if data.catalogue is not None else load_catalogue()
    return catalogue.by_id, dict(catalogue.rights)


def _gap_words(gap: str, low: str, high: str, significant: str, records: str) -> str:
    if SUPPRESSED in (gap, records):
        return SUPPRESSED
    if gap in ("", NOT_APPLICABLE) or records in _SYMBOLS or significant == "":
        return "not compared"
    points = 100 * float(gap)
    if significant != "true":
        return "no significant difference"
    direction = "lower" if points < 0 else "higher"
    return (
        f"{abs(points):.1f} points {direction} ({100 * float(low):+.1f} to "
        f"{100 * float(high):+.1f})"
    )


def question_words(questions: dict[str, str], question_id: str) -> str:
    """A survey question's words as configured, else its id in words (``q_local``: "Question
    q local, whose words are not configured")."""
    if questions.get(question_id):
        return questions[question_id]
    return f"Question {question_id.replace('_', ' ')}, whose words are not configured"


def feedback_rows(data: ReportData) -> list[FeedbackRow]:
    """One row per question answered in the quarter, mapped ones first in catalogue order."""
    feedback = data.figures.feedback
    if feedback is None:
        return []
    measures, _ = _words(data)
    records = feedback.published_records.set_index("measure_id")
    rows = []
    for row in feedback.published.astype("string").fillna("").astype(str).to_dict("records"):
        measure_id = row["measure_id"] if row["measure_id"] not in ("", "<NA>") else ""
        definition = measures.get(measure_id)
        if measure_id:
            title = definition.title if definition is not None else measure_id
            label = f"{title} (Right {row['right']})"  # words: the code is the annex's
        else:
            label = "Not mapped to a measure"
        if measure_id in records.index:
            said = records.loc[measure_id]
            rate = published_percent(str(said["rate"]))
            interval = published_interval(str(said["ci_low"]), str(said["ci_high"]))
        else:
            rate = interval = NOT_AVAILABLE
        rows.append(
            FeedbackRow(
                question_id=row["question_id"],
                measure=label,
                question=question_words(feedback.questions, row["question_id"]),
                answered=published_count(row["answered"]),
                victims=published_percent(row["rate"]),
                victims_interval=published_interval(row["ci_low"], row["ci_high"]),
                records=rate,
                records_interval=interval,
                difference=_gap_words(
                    row["gap"], row["gap_low"], row["gap_high"], row["significant"], rate
                ),
            )
        )
    return rows


def largest_gap(data: ReportData) -> str | None:
    """The headline finding: the largest significant gap between what victims and the records
    say, among those the report may print; None when there is none."""
    feedback = data.figures.feedback
    if feedback is None:
        return None
    table, published = feedback.table, feedback.published
    shown = [
        index
        for index, row in enumerate(feedback_rows(data))
        if row.difference not in (SUPPRESSED, "not compared", "no significant difference")
    ]
    if not shown:
        return None
    index = max(shown, key=lambda i: abs(float(table["gap"].iloc[i])))
    row = feedback_rows(data)[index]
    measures, _ = _words(data)
    measure_id = str(published["measure_id"].iloc[index])
    definition = measures.get(measure_id)
    name = in_sentence(definition.title) if definition else measure_id  # words, not the code
    points = 100 * float(table["gap"].iloc[index])
    direction = "fewer" if points < 0 else "more"
    return (
        f"Largest significant gap between victims and records: {name}. {row.victims} of victims "
        f"who answered said yes, against {row.records} in the records: {abs(points):.1f} "
        f"percentage points {direction}."
    )


def _breakdown(data: ReportData, dimension: str, questions: list[str]) -> dict[str, Any] | None:
    feedback = data.figures.feedback
    assert feedback is not None
    rows = feedback.published_breakdowns
    rows = rows[rows["dimension"] == dimension].astype("string").fillna("").astype(str)
    lines = []
    groups = list(dict.fromkeys(rows["group"]))
    for group in sorted(groups, key=lambda g: g == "unknown"):  # "Not given" last
        cells = []
        for question in questions:
            found = rows[(rows["group"] == group) & (rows["question_id"] == question)]
            if found.empty:
                cells.append(NOT_APPLICABLE)
                continue
            cell = found.iloc[0]
            rate = published_percent(cell["rate"])
            cells.append(
                rate if rate in _SYMBOLS else f"{rate} of {published_count(cell['answered'])}"
            )
        if any(cell not in _SYMBOLS for cell in cells):
            lines.append({"group": GROUP_WORDS.get(group, group), "cells": cells})
    if not lines:
        return None
    return {"dimension": DIMENSION_WORDS.get(dimension, dimension), "rows": lines}


def feedback_view(data: ReportData) -> dict[str, Any]:
    """Everything the section prints; ``supplied`` False when no feedback source was."""
    feedback = data.figures.feedback
    if feedback is None:
        return {"supplied": False}
    threshold = data.suppression_threshold
    rows = feedback_rows(data)
    mapped = feedback.table[feedback.table["measure_id"].notna()]
    most = mapped.sort_values("answered", ascending=False, kind="stable")["question_id"]
    questions = [q for q in most if q in set(feedback.breakdowns["question_id"])]
    questions = questions[:BREAKDOWN_QUESTIONS]
    measures = dict(zip(feedback.table["question_id"], feedback.table["measure_id"], strict=True))
    columns = [short_name(str(measures[q])) for q in questions]
    asked = [f"{short_name(str(measures[q]))}: {question_words(feedback.questions, q)}"
             for q in questions]  # fmt: skip
    breakdowns = [
        view
        for dimension in ("offence_group", "age_band", "sex")
        if questions and (view := _breakdown(data, dimension, questions)) is not None
    ]
    responses = feedback.responses
    return {
        "supplied": True,
        "gss": _SYMBOLS,
        "responses": SUPPRESSED if is_small(responses, threshold) else f"{responses:,}",
        "rows": rows,
        "any_rows": bool(rows),
        "finding": largest_gap(data),
        "columns": columns,
        "asked": asked,
        "breakdowns": breakdowns,
    }
