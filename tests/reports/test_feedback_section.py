"""The report's section "What victims told us" (CONTRACT.md §7.3) on the hand-made quarter of
tests/reports/test_report.py, with a hand-made survey beside its records.

The records (test_report.py): R3-ACK 99 of 120 (82.5%, 74.7% to 88.3%); R8-HEARING 3 of 3 (hidden:
below the threshold of 5); R12-ACK police 50/45, CPS 12/12, probation 20/12 (pooled 82 of 69; CPS's
12 of 12 hides its met, 0 not met is not small, so all show).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.reports.pdf_structure import table_problems
from tests.reports.test_report import THRESHOLD, a_quarter, revised
from vcc.flows.run.figures import FigureSettings, feedback_figures
from vcc.reports.feedback import feedback_rows, feedback_view, largest_gap
from vcc.reports.findings import headline_findings
from vcc.reports.render import render_report, report_context, template
from vcc.transforms.catalogue import load_catalogue

MAPPING = {"q_told_what_next": "R3-ACK", "q_told_hearings": "R8-HEARING", "q_complaint": "R12-ACK"}


def survey() -> dict[tuple[str, str], pd.DataFrame]:
    """40 responses in 2024Q3: q_told_what_next 12 yes of 40 (30.0%, far below the records'
    82.5%); q_told_hearings 2 yes 1 no (too few to print); q_complaint 30 of 40; q_local (not
    mapped) 20 of 40. Half are female, half male; offence group theft for all."""
    responses, answers = [], []
    for number in range(40):
        response_id = f"S{number:03d}"
        responses.append(
            {
                "response_id": response_id,
                "responded_at": pd.Timestamp(2024, 8, 1 + number % 28),
                "crime_ref": None,
                "offence_group": "theft",
                "age_band": "25-64",
                "sex": "female" if number % 2 else "male",
                "ethnicity": None,
                "has_disability": None,
            }  # fmt: skip
        )
        said = {
            "q_told_what_next": "yes" if number < 12 else "no",
            "q_complaint": "yes" if number < 30 else "no",
            "q_local": "yes" if number < 20 else "no",
        }
        if number < 3:
            said["q_told_hearings"] = "yes" if number < 2 else "no"
        answers += [{"response_id": response_id, "question_id": q, "answer": a}
                    for q, a in said.items()]  # fmt: skip
    return {
        ("feedback", "responses"): pd.DataFrame(responses),
        ("feedback", "answers"): pd.DataFrame(answers),
    }


def settings() -> FigureSettings:
    return FigureSettings(
        catalogue=load_catalogue("2021-04"), measures={}, districts=[], sources=[],
        extra_holidays=[], trend_quarters=8, threshold=THRESHOLD, feedback_questions=MAPPING,
    )  # fmt: skip


def with_feedback():
    data = a_quarter()
    figures = feedback_figures(
        survey(), settings(), data.metrics, data.quarter, dt.date(2024, 10, 15)
    )
    return revised(data, feedback=figures)


@pytest.fixture(scope="module")
def data():
    return with_feedback()


def test_without_a_survey_the_report_says_feedback_was_not_supplied() -> None:
    html = template("report.html.j2").render(**report_context(a_quarter()))
    section = html.split('id="feedback-heading"', 1)[1].split("</section>", 1)[0]
    assert "Feedback was not supplied" in section
    assert "<table" not in section


def test_records_say_and_victims_say_side_by_side(data) -> None:
    rows = {row.question_id: row for row in feedback_rows(data)}
    assert list(rows) == ["q_told_what_next", "q_told_hearings", "q_complaint", "q_local"]
    acknowledged = rows["q_told_what_next"]
    assert acknowledged.measure == "Written acknowledgement of the crime (Right 3)"
    assert acknowledged.question.startswith("After you reported the crime")
    # 12 of 40: Wilson 18.1% to 45.4%; records 99 of 120: 82.5% (74.7% to 88.3%)
    assert (acknowledged.answered, acknowledged.victims) == ("40", "30.0%")
    assert acknowledged.victims_interval == "18.1% to 45.4%"
    assert (acknowledged.records, acknowledged.records_interval) == ("82.5%", "74.7% to 88.3%")
    # Wilson 12/40: 0.180748 to 0.454300; 99/120: 0.747243 to 0.882595. Gap -0.525: Newcombe
    # lower -0.525 - sqrt(0.119252² + 0.057595²) = -0.657431, upper
    # -0.525 + sqrt(0.154300² + 0.077757²) = -0.352215: significant, 52.5 points lower
    assert acknowledged.difference == "52.5 points lower (-65.7 to -35.2)"


def test_small_numbers_are_withheld_on_both_sides(data) -> None:
    rows = {row.question_id: row for row in feedback_rows(data)}
    hearings = rows["q_told_hearings"]  # 3 answered; records 3 of 3
    assert (hearings.answered, hearings.victims, hearings.records) == ("[c]", "[c]", "[c]")
    assert hearings.difference == "[c]"


def test_a_gap_that_is_not_significant_is_not_called_out(data) -> None:
    rows = {row.question_id: row for row in feedback_rows(data)}
    # 30 of 40 (75.0%) against R12-ACK pooled over its three sources, 69 of 82 = 0.8415 as
    # published (printed from the 4-place figure, as every published rate): 84.2%
    complaint = rows["q_complaint"]
    assert (complaint.victims, complaint.records) == ("75.0%", "84.2%")
    assert complaint.difference == "no significant difference"
    local = rows["q_local"]  # not mapped: nothing to compare with
    assert (local.measure, local.records, local.difference) == (
        "Not mapped to a measure", "[x]", "not compared")  # fmt: skip


def test_the_headline_findings_name_the_largest_significant_gap(data) -> None:
    finding = largest_gap(data)
    assert finding == (
        "Largest significant gap between victims and records: written acknowledgement of the "
        "crime. 30.0% of victims who answered said yes, against 82.5% in the records: "
        "52.5 percentage points fewer."
    )
    assert finding in headline_findings(data)


def test_breakdowns_show_groups_whose_counts_allow(data) -> None:
    view = feedback_view(data)
    assert view["responses"] == "40"
    assert view["columns"][0] == "Written acknowledgements"  # its short name, not its code
    assert view["asked"][0].startswith("Written acknowledgements: After you reported the crime")
    by = {b["dimension"]: b for b in view["breakdowns"]}
    assert set(by) == {"Offence group", "Age band", "Sex"}
    sexes = {row["group"]: row["cells"] for row in by["Sex"]["rows"]}
    # q_told_what_next: the 12 yes are S000-S011, 6 female (odd) and 6 male, of 20 each
    assert sexes["Female"][0] == "30.0% of 20"
    # q_told_hearings by sex: 2 and 1 answered, withheld
    assert sexes["Male"][view["columns"].index("Hearing notifications")] == "[c]"


@pytest.mark.slow
def test_the_sections_tables_pass_the_pdf_table_checks(data, tmp_path: Path) -> None:
    render_report(data, tmp_path / "report.pdf")
    tables, problems = table_problems(tmp_path / "report.pdf")
    assert not problems, "\n".join(problems[:20])
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(tmp_path / "report.pdf").pages)
    assert "What the records say and what victims say, by right" in text
    assert "Victims saying yes, by sex" in text


def test_a_survey_without_responses_in_the_quarter_says_so() -> None:
    data = a_quarter()
    figures = feedback_figures(
        survey(), settings(), data.metrics, data.quarter.previous(), dt.date(2024, 10, 15)
    )  # the survey's responses are all dated in 2024Q3
    html = template("report.html.j2").render(**report_context(revised(data, feedback=figures)))
    section = html.split('id="feedback-heading"', 1)[1].split("</section>", 1)[0]
    assert "0 responses dated" in section
    assert "No survey question was answered in this period." in section
    assert "<table" not in section
