"""feedback.csv (CONTRACT.md §7.3) against figures worked by hand.

Wilson 95% (Wilson 1927; z = 1.959964): centre (p + z²/2n)/(1 + z²/n), half-width
z·√(p(1−p)/n + z²/4n²)/(1 + z²/n). Newcombe (1998, method 10) for p1 − p2:
lower d − √((p1 − l1)² + (u2 − p2)²), upper d + √((u1 − p1)² + (p2 − l2)²).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from vcc.transforms.feedback import (
    FEEDBACK_COLUMNS,
    feedback_breakdowns,
    feedback_table,
    published_feedback,
    responses_in_quarter,
)
from vcc.transforms.quarters import Quarter

QUARTER = Quarter.parse("2024Q3")
AS_OF = dt.date(2024, 9, 15)  # a part quarter: responses after 15 September are not counted
MAPPING = {
    "q_vps": "R7-VPS",
    "q_kept_informed": "R6-UPDATE",
    "q_outcome": "R9-OUTCOME",
    "q_complaint": "R12-ACK",
    "q_property": "R10-PROPERTY",  # a measure the data did not support: no metrics row
}
RIGHTS = {"R6-UPDATE": 6, "R7-VPS": 7, "R9-OUTCOME": 9, "R10-PROPERTY": 10, "R12-ACK": 12}


def metric(measure_id: str, agency: str, eligible: int, met: int, dimension: str = "all"):
    return {"quarter": "2024Q3", "measure_id": measure_id, "agency": agency,
            "dimension": dimension, "group": "all" if dimension == "all" else "x",
            "eligible": eligible, "met": met}  # fmt: skip


METRICS = pd.DataFrame(
    [
        metric("R7-VPS", "police", 50, 40),  # 0.8 (Wilson 0.669629 to 0.887562)
        metric("R7-VPS", "police", 7, 1, dimension="sex"),  # a breakdown: never read
        metric("R6-UPDATE", "police", 100, 60),  # 0.6 (0.502003 to 0.690599)
        metric("R9-OUTCOME", "wcu", 30, 20),
        # R12-ACK has a row per source: pooled, 57 of 62 (0.919355; 0.824714 to 0.965062)
        metric("R12-ACK", "police", 50, 45),
        metric("R12-ACK", "cps", 12, 12),
    ]
)


def response(response_id: str, at: str, **attributes) -> dict:
    row = {"response_id": response_id, "responded_at": pd.Timestamp(at), "crime_ref": None,
           "offence_group": None, "age_band": None, "sex": None, "ethnicity": None,
           "has_disability": None}  # fmt: skip
    return row | attributes


def survey() -> tuple[pd.DataFrame, pd.DataFrame]:
    responses: list[dict[str, object]] = []
    answers: list[dict[str, object]] = []

    def respond(response_id: str, at: str, said: dict[str, str], **attributes) -> None:
        responses.append(response(response_id, at, **attributes))
        answers.extend(
            {"response_id": response_id, "question_id": q, "answer": a} for q, a in said.items()
        )

    # q_vps: 6 yes, 4 no, 1 don't know, 1 not applicable in the window -> 6 of 10
    vps = ["yes"] * 6 + ["no"] * 4 + ["dont_know", "not_applicable"]
    for number, answer in enumerate(vps):
        said = {"q_vps": answer}
        said["q_kept_informed"] = "yes"
        if number < 8:
            said["q_complaint"] = "yes" if number < 4 else "no"  # 4 of 8
        if number < 5:
            said["q_overall"] = "yes" if number < 3 else "no"  # unmapped: 3 of 5
        if number < 3:
            said["q_outcome"] = "dont_know" if number < 2 else "not_applicable"  # 0 answered
        respond(
            f"r{number}", f"2024-07-{number + 1:02d} 10:00", said,
            sex="female" if number < 7 else "male", age_band="25-64",
        )  # fmt: skip
    # q_kept_informed: 8 more yes, all yes: 20 of 20
    for number in range(12, 20):
        respond(f"r{number}", "2024-09-15 23:59", {"q_kept_informed": "yes"}, sex="male")
    # not counted: after the as-of date, and before the quarter
    respond("late", "2024-09-16 00:00", {"q_vps": "yes", "q_late_only": "yes"})
    respond("early", "2024-06-30 23:59", {"q_vps": "no", "q_kept_informed": "no"})
    return pd.DataFrame(responses), pd.DataFrame(answers)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    responses, answers = survey()
    result = feedback_table(responses, answers, MAPPING, RIGHTS, METRICS, QUARTER, AS_OF)
    return result.set_index("question_id")


def test_columns_are_the_contracts(table: pd.DataFrame) -> None:
    assert list(table.reset_index().columns) == FEEDBACK_COLUMNS


def test_one_row_per_question_answered_in_the_window_in_catalogue_order(
    table: pd.DataFrame,
) -> None:
    # q_late_only was answered only after the as-of date; q_property never
    assert list(table.index) == ["q_kept_informed", "q_vps", "q_outcome", "q_complaint",
                                 "q_overall"]  # fmt: skip


def test_responses_after_the_as_of_date_and_before_the_quarter_are_left_out() -> None:
    responses, _ = survey()
    kept = responses_in_quarter(responses, QUARTER, AS_OF)["response_id"]
    assert "late" not in set(kept) and "early" not in set(kept)
    assert {"r12", "r0"} <= set(kept)  # 23:59 on the as-of date counts


def test_dont_know_and_not_applicable_are_left_out_and_the_gap_is_not_significant(
    table: pd.DataFrame,
) -> None:
    row = table.loc["q_vps"]
    assert (row["right"], row["measure_id"], row["answered"], row["yes"]) == (7, "R7-VPS", 10, 6)
    # Wilson 6/10: 0.312674 to 0.831820; records 40/50 = 0.8 (0.669629 to 0.887562)
    # gap -0.2: lower -0.2 - sqrt(0.287326² + 0.087562²) = -0.500372,
    #           upper -0.2 + sqrt(0.231820² + 0.130371²) = 0.065964: includes 0
    expected = [0.6, 0.312674, 0.831820, 0.8, -0.2, -0.500372, 0.065964]
    columns = ["rate", "ci_low", "ci_high", "records_rate", "gap", "gap_low", "gap_high"]
    assert row[columns].astype(float).to_numpy() == pytest.approx(expected, abs=1e-6)
    assert not row["significant"]


def test_all_yes_has_a_wilson_interval_to_one_and_a_significant_gap(table: pd.DataFrame) -> None:
    row = table.loc["q_kept_informed"]
    assert (row["answered"], row["yes"], row["rate"]) == (20, 20, 1.0)
    # Wilson 20/20: lower n/(n + z²) = 20/23.841459 = 0.838875, upper 1
    # gap 1 - 0.6 = 0.4: lower 0.4 - sqrt(0.161125² + 0.090599²) = 0.215150,
    #                    upper 0.4 + sqrt(0² + 0.097997²) = 0.497997: excludes 0
    expected = [0.838875, 1.0, 0.6, 0.4, 0.215150, 0.497997]
    columns = ["ci_low", "ci_high", "records_rate", "gap", "gap_low", "gap_high"]
    assert row[columns].astype(float).to_numpy() == pytest.approx(expected, abs=1e-6)
    assert row["significant"]


def test_zero_answered_has_blank_rates_and_no_verdict(table: pd.DataFrame) -> None:
    row = table.loc["q_outcome"]
    assert (row["right"], row["measure_id"], row["answered"], row["yes"]) == (9, "R9-OUTCOME", 0, 0)
    # the records rate is still shown: 20 of 30
    assert row["records_rate"] == pytest.approx(20 / 30)
    for column in ("rate", "ci_low", "ci_high", "gap", "gap_low", "gap_high", "significant"):
        assert pd.isna(row[column]), column


def test_an_unmapped_question_has_blank_right_measure_and_records(table: pd.DataFrame) -> None:
    row = table.loc["q_overall"]
    assert (row["answered"], row["yes"], row["rate"]) == (5, 3, 0.6)
    # Wilson 3/5: 0.230724 to 0.882379
    assert [row["ci_low"], row["ci_high"]] == pytest.approx([0.230724, 0.882379], abs=1e-6)
    for column in ("right", "measure_id", "records_rate", "gap", "gap_low", "gap_high",
                   "significant"):  # fmt: skip
        assert pd.isna(row[column]), column


def test_a_measure_with_a_row_per_agency_is_pooled(table: pd.DataFrame) -> None:
    row = table.loc["q_complaint"]
    # 4 of 8 (0.215216 to 0.784784) against 57 of 62 = 0.919355 (0.824714 to 0.965062)
    # gap -0.419355: lower -0.419355 - sqrt(0.284784² + 0.045707²) = -0.707783,
    #                upper -0.419355 + sqrt(0.284784² + 0.094641²) = -0.119257
    expected = [0.5, 0.919355, -0.419355, -0.707783, -0.119257]
    columns = ["rate", "records_rate", "gap", "gap_low", "gap_high"]
    assert row[columns].astype(float).to_numpy() == pytest.approx(expected, abs=1e-6)
    assert row["significant"]


def test_a_mapped_measure_without_a_metrics_row_keeps_its_right_but_no_records() -> None:
    responses, answers = survey()
    extra = pd.DataFrame([{"response_id": "r0", "question_id": "q_property", "answer": "no"}])
    table = feedback_table(
        responses, pd.concat([answers, extra]), MAPPING, RIGHTS, METRICS, QUARTER, AS_OF
    ).set_index("question_id")
    row = table.loc["q_property"]
    assert (row["right"], row["measure_id"], row["answered"], row["yes"]) == (10, "R10-PROPERTY",
                                                                             1, 0)  # fmt: skip
    assert pd.isna(row["records_rate"]) and pd.isna(row["significant"])


def test_no_response_in_the_quarter_gives_an_empty_table_with_the_columns() -> None:
    responses, answers = survey()
    table = feedback_table(
        responses, answers, MAPPING, RIGHTS, METRICS, Quarter.parse("2023Q1"), AS_OF
    )
    assert table.empty and list(table.columns) == FEEDBACK_COLUMNS


def test_breakdowns_by_the_respondents_own_attributes() -> None:
    responses, answers = survey()
    rows = feedback_breakdowns(responses, answers, QUARTER, AS_OF).set_index(
        ["question_id", "dimension", "group"]
    )
    # q_vps by sex: r0-r6 female (yes x6, no x1), r7-r9 male (no x3), r10-r11 not counted
    assert tuple(rows.loc[("q_vps", "sex", "female"), ["answered", "yes"]]) == (7, 6)
    # r10 and r11 (dont_know, not_applicable) are male too: responses, but not answers counted
    assert tuple(rows.loc[("q_vps", "sex", "male"), ["answered", "yes"]]) == (3, 0)
    assert rows.loc[("q_vps", "sex", "male"), "rate"] == 0
    # age band given by r0-r11 only; r12-r19 left it blank
    assert tuple(rows.loc[("q_kept_informed", "age_band", "unknown"), ["answered", "yes"]]) == (
        8, 8)  # fmt: skip
    assert tuple(rows.loc[("q_kept_informed", "offence_group", "unknown"), ["answered"]]) == (20,)


def test_published_feedback_hides_small_counts_and_what_would_reveal_them(
    table: pd.DataFrame,
) -> None:
    published = published_feedback(table.reset_index(), 5, keys=[]).set_index("question_id")
    # 20 of 20 yes: no "no" to hide, so all is shown; 6 of 10 has 4 no, so yes and the rate go
    assert published.loc["q_kept_informed", ["answered", "yes", "rate", "gap"]].tolist() == [
        "20", "20", "1.0000", "0.4000"]  # fmt: skip
    assert published.loc["q_kept_informed", "significant"] == "true"
    assert published.loc["q_vps", ["answered", "yes", "rate"]].tolist() == ["10", "[c]", "[c]"]
    # 4 of 8 hides yes (4 yes, 4 no), the gap and its verdict
    complaint = published.loc["q_complaint", ["answered", "yes", "rate", "gap", "significant"]]
    assert complaint.tolist() == ["8", "[c]", "[c]", "[c]", "[c]"]
    # 3 of 5: 2 no, hidden; 0 answered: [z]
    assert published.loc["q_overall", "yes"] == "[c]"
    assert published.loc["q_outcome", ["answered", "rate"]].tolist() == ["0", "[z]"]


def test_published_breakdowns_hide_a_second_cell_beside_a_lone_hidden_one() -> None:
    frame = pd.DataFrame(
        {
            "question_id": "q",
            "dimension": "sex",
            "group": ["female", "male", "unknown"],
            "answered": [30, 3, 12],
            "yes": [20, 1, 6],
            "rate": [2 / 3, 1 / 3, 0.5],
            "ci_low": np.nan,
            "ci_high": np.nan,
        }  # fmt: skip
    )
    published = published_feedback(frame, 5, keys=["question_id", "dimension"])
    assert published["answered"].tolist() == ["30", "[c]", "[c]"]


def test_a_quarter_without_responses_publishes_empty_tables() -> None:
    responses, answers = survey()
    quarter = Quarter.parse("2023Q1")
    table = feedback_table(responses, answers, MAPPING, RIGHTS, METRICS, quarter, AS_OF)
    breakdowns = feedback_breakdowns(responses, answers, quarter, AS_OF)
    assert published_feedback(table, 5, keys=[]).empty
    assert published_feedback(breakdowns, 5, keys=["question_id", "dimension"]).empty
