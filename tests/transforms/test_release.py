"""The open release's tables as published (transforms/release.py): disclosure control of the
changes, the monthly process-control chart and the victims' feedback, each worked by hand with
a threshold of 5 (a count from 1 to 4 is hidden)."""

from __future__ import annotations

import math

import pandas as pd

from vcc.transforms.release import published_changes, published_feedback, published_spc

NAN = math.nan


def change_row(measure, eligible, met, compared_eligible, compared_met, significant, **extra):
    rate = met / eligible if eligible else NAN
    compared = compared_met / compared_eligible if compared_eligible else NAN
    if compared_eligible is NAN:
        compared = NAN
    return {
        "quarter": "2026Q3", "measure_id": measure, "agency": "police", "dimension": "all",
        "group": "all", "eligible": eligible, "rate": rate, "comparison": "previous quarter",
        "compared_quarter": "2026Q2", "compared_eligible": compared_eligible,
        "compared_rate": compared, "change": rate - compared, "change_low": -0.1234,
        "change_high": 0.2345, "significant": significant, **extra,
    }  # fmt: skip


def test_a_change_is_published_only_where_both_rates_are() -> None:
    changes = pd.DataFrame(
        [
            change_row("R2-RECORD", 20, 15, 40, 20, True),  # shown: 75% against 50%
            change_row("R3-ACK", 20, 17, 40, 20, False),  # 3 not met now: hidden
            change_row("R4-VNA", 20, 15, 40, 38, False),  # 2 not met before: hidden
            change_row("R4-REFER", 20, 15, NAN, NAN, pd.NA),  # no figure before
            change_row("R7-VPS", 0, 0, 40, 20, pd.NA),  # none eligible now
        ]
        + [{**change_row("R2-RECORD", 6, 3, 6, 3, False), "dimension": "district"}]
    )
    published = published_changes(changes, threshold=5).set_index("measure_id")
    assert list(published.index) == ["R2-RECORD", "R3-ACK", "R4-VNA", "R4-REFER", "R7-VPS"]
    shown = published.loc["R2-RECORD"]
    assert (shown["rate"], shown["compared_rate"], shown["change"]) == (
        "0.7500",
        "0.5000",
        "0.2500",
    )
    assert (shown["change_low"], shown["change_high"], shown["significant"]) == (
        "-0.1234", "0.2345", "true",
    )  # fmt: skip
    hidden_now = published.loc["R3-ACK"]
    assert (hidden_now["rate"], hidden_now["compared_rate"]) == ("[c]", "0.5000")
    assert set(hidden_now[["change", "change_low", "change_high", "significant"]]) == {"[c]"}
    hidden_before = published.loc["R4-VNA"]
    assert (hidden_before["rate"], hidden_before["compared_rate"]) == ("0.7500", "[c]")
    assert hidden_before["change"] == "[c]" and hidden_before["significant"] == "[c]"
    assert set(published.loc["R4-REFER", ["compared_rate", "change", "significant"]]) == {"[x]"}
    assert published.loc["R7-VPS", "rate"] == "[z]" and published.loc["R7-VPS", "change"] == "[z]"


def spc_rows(eligible: list[int], met: list[int]) -> pd.DataFrame:
    months = ["2026-07", "2026-08", "2026-09", "2026-10"][: len(eligible)]
    return pd.DataFrame(
        {
            "measure_id": "R8-HEARING", "agency": "wcu", "month": months,
            "eligible": eligible, "met": met,
            "rate": [m / e if e else NAN for e, m in zip(eligible, met, strict=True)],
            "centre": 0.8, "lower": 0.55, "upper": 0.99, "signals": ["", "outside", "", ""][
                : len(eligible)
            ],
            "assurance": "hit_and_miss",
        }
    )  # fmt: skip


def test_a_small_month_is_hidden_with_a_second_month_of_its_quarter() -> None:
    # July 10 eligible, 10 met; August 3 of 3 (small); September 20 of 25; October 12 of 12
    spc = spc_rows([10, 3, 25, 12], [10, 3, 20, 12])
    published = published_spc(spc, threshold=5).set_index("month")
    assert "eligible" not in published.columns and "met" not in published.columns
    # August is small; July (10) is the smallest other non-empty month of 2026Q3 and goes too
    assert list(published.loc[["2026-07", "2026-08"], "rate"]) == ["[c]", "[c]"]
    assert list(published.loc[["2026-07", "2026-08"], "upper"]) == ["[c]", "[c]"]
    assert published.loc["2026-09", "rate"] == "0.8000"
    assert published.loc["2026-10", "rate"] == "1.0000"  # another quarter: not hidden with them
    # the centre line, signals and assurance are of the whole series: never hidden
    assert set(published["centre"]) == {"0.8000"}
    assert published.loc["2026-08", "signals"] == "outside"
    assert set(published["assurance"]) == {"hit_and_miss"}


def test_blank_limits_stay_blank() -> None:
    spc = spc_rows([20, 20], [15, 14]).assign(centre=NAN, lower=NAN, upper=NAN, assurance=NAN)
    published = published_spc(spc, threshold=5)
    assert set(published["centre"]) == {""} and set(published["assurance"]) == {""}
    assert list(published["rate"]) == ["0.7500", "0.7000"]


def feedback_row(question, measure, answered, yes, records_rate=0.8, significant=False):
    rate = yes / answered if answered else NAN
    return {
        "question_id": question, "right": 7 if measure else NAN, "measure_id": measure or NAN,
        "answered": answered, "yes": yes, "rate": rate, "ci_low": 0.5, "ci_high": 0.9,
        "records_rate": records_rate if measure else NAN,
        "gap": rate - records_rate if measure else NAN, "gap_low": -0.2, "gap_high": 0.1,
        "significant": significant if measure else NAN,
    }  # fmt: skip


def test_victims_answers_are_published_with_small_counts_hidden() -> None:
    feedback = pd.DataFrame(
        [
            feedback_row("q_vps", "R7-VPS", 20, 15),
            feedback_row("q_outcome", "R9-OUTCOME", 12, 10),  # 2 said no: yes hidden
            feedback_row("q_support", "R4-REFER", 3, 3),  # 3 answered
            feedback_row("q_told", "R6-UPDATE", 0, 0),  # no one answered
            feedback_row("q_extra", None, 20, 10),  # not mapped to a measure
            feedback_row("q_letter", "R6-VCL", 20, 10),  # its records' rate is hidden
        ]
    )
    published = published_feedback(feedback, 5, {"R6-VCL"}).set_index("question_id")
    vps = published.loc["q_vps"]
    assert (vps["right"], vps["answered"], vps["yes"], vps["rate"]) == ("7", "20", "15", "0.7500")
    assert (vps["records_rate"], vps["gap"], vps["significant"]) == ("0.8000", "-0.0500", "false")
    outcome = published.loc["q_outcome"]
    assert (outcome["answered"], outcome["yes"], outcome["rate"], outcome["gap"]) == (
        "12", "[c]", "[c]", "[c]",
    )  # fmt: skip
    assert published.loc["q_support", "answered"] == "[c]"
    assert published.loc["q_support", "rate"] == "[c]"
    assert published.loc["q_told", "answered"] == "0" and published.loc["q_told", "rate"] == "[z]"
    extra = published.loc["q_extra"]
    assert (extra["right"], extra["measure_id"], extra["records_rate"]) == ("", "", "")
    assert extra["rate"] == "0.5000"
    letter = published.loc["q_letter"]
    assert letter["rate"] == "0.5000"  # the victims' own figure stands
    assert (letter["records_rate"], letter["gap"], letter["significant"]) == ("[c]", "[c]", "[c]")
