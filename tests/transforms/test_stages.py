"""The slowest stages (transforms/stages.py): working-day distributions worked by hand.

Each instance table below is small enough to check on a calendar. August 2024: Friday 2,
Saturday 3, Monday 5; Monday 26 is the Summer bank holiday. December 2024: Wednesday 25 and
Thursday 26 are bank holidays, and so is Wednesday 1 January 2025.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE
from vcc.transforms.measures import Deadline
from vcc.transforms.quarters import Quarter
from vcc.transforms.stages import (
    PUBLISHED_STAGE_COLUMNS,
    STAGE_COLUMNS,
    nearest_rank,
    published_stages,
    stage_distributions,
)

Q3, Q4 = Quarter(2024, 3), Quarter(2024, 4)
CALENDAR = WorkingDayCalendar()
DEADLINES = {
    "R2-RECORD": Deadline(1, 1),
    "R4-VNA-CONTENT": Deadline(None, None),
    "R6-UPDATE": Deadline(5, 1),
    "R7-VPS": Deadline(5, 5),
    "R8-HEARING": Deadline(1, 1),
    "R11-CONTACT": Deadline(20, 20),
    "R11-RELEASE": Deadline(None, None),
    "R12-ACK": Deadline(10, 10),
}


def instance(measure_id: str, agency: str, trigger: str, due: str | None, action: str | None,
             status: str, quarter: str = "2024Q3") -> dict:  # fmt: skip
    return {
        "measure_id": measure_id,
        "agency": agency,
        "quarter": quarter,
        "victim_id": "V000001",
        "record_key": "K1",
        "trigger_date": pd.Timestamp(trigger),
        "due_date": pd.Timestamp(due) if due else pd.NaT,
        "action_date": pd.Timestamp(action) if action else pd.NaT,
        "status": status,
        "enhanced": False,
    }


def table(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for column in ("measure_id", "agency", "quarter", "status"):
        frame[column] = frame[column].astype("category")
    return frame


def hearing(trigger: str, due: str, action: str | None, status: str, **kw) -> dict:
    return instance("R8-HEARING", "wcu", trigger, due, action, status, **kw)


# R8-HEARING (1 working day) in 2024Q3, as-of 30 September 2024:
HEARINGS = table(
    hearing("2024-08-02", "2024-08-05", "2024-08-05", "met"),  # Fri -> Mon: 1
    hearing("2024-08-03", "2024-08-05", "2024-08-05", "met"),  # Sat -> Mon: 1
    hearing("2024-08-22", "2024-08-23", "2024-08-27", "not_met"),  # Thu -> Tue over the bank
    #                                                 holiday: Fri 23, Tue 27 = 2, one late
    hearing("2024-08-07", "2024-08-08", "2024-08-07", "met"),  # the same day: 0
    hearing("2024-08-23", "2024-08-27", "2024-08-30", "not_met"),  # Fri -> Fri: Tue to Fri = 4
    hearing("2024-08-12", "2024-08-13", None, "not_met"),  # never notified
    hearing("2024-09-30", "2024-10-01", "2024-09-30", "pending"),  # already notified: left out
    hearing("2024-09-30", "2024-10-01", None, "pending"),  # not yet due: left out
    hearing("2024-06-28", "2024-07-01", "2024-07-05", "not_met", quarter="2024Q2"),  # Q2
)


def row_of(frame: pd.DataFrame, measure_id: str, agency: str) -> pd.Series:
    rows = frame[(frame["measure_id"] == measure_id) & (frame["agency"] == agency)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_hand_worked_hearing_distribution() -> None:
    stages = stage_distributions(HEARINGS, Q3, DEADLINES, CALENDAR)
    assert stages.columns.tolist() == STAGE_COLUMNS
    row = row_of(stages, "R8-HEARING", "wcu")
    # working days of the five actioned final instances: 0, 1, 1, 2, 4
    assert (row["final"], row["met"], row["pending"]) == (6, 3, 2)
    assert (row["actioned"], row["no_action"], row["after_deadline"]) == (5, 1, 2)
    # nearest rank of 5: the median is the 3rd (1), the 75th the 4th (2), the 90th the 5th (4)
    assert row["median_working_days"] == 1
    assert row["p75_working_days"] == 2
    assert row["p90_working_days"] == 4
    assert row["after_deadline_share"] == pytest.approx(0.4)
    assert (row["deadline_standard"], row["deadline_enhanced"]) == (1, 1)
    # days late against each due date (1 working day allowed each): Wed 7 on the trigger day -1,
    # Mon 5 twice 0, Tue 27 for Fri 23 +1, Fri 30 for Tue 27 +3; nearest rank: 0, 1, 3
    assert [row[c] for c in ("median_days_late", "p75_days_late", "p90_days_late")] == [0, 1, 3]


def test_pending_instances_are_left_out_even_when_already_actioned() -> None:
    fast_pending = [hearing("2024-09-30", "2024-10-01", "2024-09-30", "pending")] * 20
    with_them = table(*HEARINGS.to_dict("records"), *fast_pending)
    row = row_of(stage_distributions(with_them, Q3, DEADLINES, CALENDAR), "R8-HEARING",
                 "wcu")  # fmt: skip
    assert (row["actioned"], row["pending"], row["median_working_days"]) == (5, 22, 1)


def test_bank_holidays_and_configured_extra_holidays_are_not_counted() -> None:
    christmas = table(
        # Tue 24 Dec -> Fri 27 Dec: 25 and 26 are bank holidays, so 1 working day
        hearing("2024-12-24", "2024-12-27", "2024-12-27", "met", quarter="2024Q4"),
        # Fri 20 Dec -> Thu 2 Jan: Mon 23, Tue 24, Fri 27, Mon 30, Tue 31, Thu 2 = 6
        hearing("2024-12-20", "2024-12-23", "2025-01-02", "not_met", quarter="2024Q4"),
    )
    row = row_of(stage_distributions(christmas, Q4, DEADLINES, CALENDAR), "R8-HEARING",
                 "wcu")  # fmt: skip
    assert (row["median_working_days"], row["p90_working_days"]) == (1, 6)
    # Friday 2 August -> Tuesday 6 August is 2 working days, 1 when Monday 5 is a local holiday
    one = table(hearing("2024-08-02", "2024-08-05", "2024-08-06", "not_met"))
    plain = stage_distributions(one, Q3, DEADLINES, CALENDAR)
    local = stage_distributions(one, Q3, DEADLINES, WorkingDayCalendar([dt.date(2024, 8, 5)]))
    assert row_of(plain, "R8-HEARING", "wcu")["median_working_days"] == 2
    assert row_of(local, "R8-HEARING", "wcu")["median_working_days"] == 1


def test_after_deadline_uses_each_instances_own_due_date() -> None:
    # R6-UPDATE: 5 working days, 1 for victims owed enhanced rights. Both actioned 3 working
    # days after a Monday trigger: late for the enhanced victim only.
    updates = table(
        instance("R6-UPDATE", "police", "2024-07-01", "2024-07-08", "2024-07-04", "met"),
        instance("R6-UPDATE", "police", "2024-07-01", "2024-07-02", "2024-07-04", "not_met"),
    )
    row = row_of(stage_distributions(updates, Q3, DEADLINES, CALENDAR), "R6-UPDATE",
                 "police")  # fmt: skip
    assert (row["actioned"], row["after_deadline"], row["median_working_days"]) == (2, 1, 3)
    assert (row["deadline_standard"], row["deadline_enhanced"]) == (5, 1)
    # 3 working days against 5 allowed is 2 early; against 1 allowed, 2 late
    assert [row[c] for c in ("median_days_late", "p75_days_late", "p90_days_late")] == [-2, 2, 2]


def test_a_vps_offer_before_the_charge_waited_no_days() -> None:
    offers = table(
        instance("R7-VPS", "police", "2024-07-10", "2024-07-17", "2024-07-01", "met"),
        instance("R7-VPS", "police", "2024-07-10", "2024-07-17", "2024-07-12", "met"),
    )
    row = row_of(stage_distributions(offers, Q3, DEADLINES, CALENDAR), "R7-VPS", "police")
    assert (row["median_working_days"], row["p90_working_days"]) == (0, 2)


def test_every_deadline_measure_has_a_row_and_no_other() -> None:
    complaints = table(
        instance("R12-ACK", "cps", "2024-07-01", "2024-07-15", "2024-07-02", "met"),
        instance("R11-RELEASE", "probation", "2024-07-01", None, "2024-06-28", "met"),
        instance("R4-VNA-CONTENT", "police", "2024-07-01", None, "2024-07-02", "met"),
    )
    stages = stage_distributions(complaints, Q3, DEADLINES, CALENDAR)
    pairs = list(zip(stages["agency"], stages["measure_id"], strict=True))
    # report order: police, CPS, WCU, probation; catalogue order within each. R12-ACK appears
    # for the source that supplied complaints; measures without a deadline have no row.
    assert pairs == [
        ("police", "R2-RECORD"), ("police", "R6-UPDATE"), ("police", "R7-VPS"),
        ("cps", "R12-ACK"), ("wcu", "R8-HEARING"), ("probation", "R11-CONTACT"),
    ]  # fmt: skip
    empty = row_of(stages, "R8-HEARING", "wcu")
    assert (empty["final"], empty["actioned"]) == (0, 0)
    assert np.isnan(empty["p90_working_days"]) and np.isnan(empty["after_deadline_share"])


@pytest.mark.parametrize(
    ("percentile", "expected"), [(50, 3), (75, 13), (90, 21), (100, 34), (10, 0), (1, 0)]
)
def test_nearest_rank_percentiles(percentile: int, expected: int) -> None:
    days = np.array([34, 0, 1, 1, 2, 3, 5, 8, 13, 21])  # ten values, in no order
    # the p-th percentile is the ceil(p% of 10)-th smallest: 5th, 8th, 9th, 10th, 1st, 1st
    assert nearest_rank(days, percentile) == expected


def test_nearest_rank_of_nothing_is_empty() -> None:
    assert np.isnan(nearest_rank(np.array([]), 90))


# Publication: suppression (threshold 5) and the ranking.


def stage(measure_id: str, agency: str, actioned: int, no_action: int, after: int,
          median: float, p75: float, p90: float,
          deadline: tuple[int, int] = (5, 1), allowed: int | None = None) -> dict:  # fmt: skip
    """A stage's row; every instance allowed ``allowed`` working days (the standard deadline)."""
    final = actioned + no_action
    allowed = deadline[0] if allowed is None else allowed
    return {
        "quarter": "2024Q3", "agency": agency, "measure_id": measure_id,
        "deadline_standard": deadline[0], "deadline_enhanced": deadline[1], "final": final,
        "met": actioned - after, "pending": 0, "actioned": actioned, "no_action": no_action,
        "after_deadline": after, "median_working_days": median, "p75_working_days": p75,
        "p90_working_days": p90, "after_deadline_share": after / actioned if actioned else np.nan,
        "median_days_late": median - allowed, "p75_days_late": p75 - allowed,
        "p90_days_late": p90 - allowed,
    }  # fmt: skip


def publish(*rows: dict) -> pd.DataFrame:
    return published_stages(pd.DataFrame(list(rows), columns=STAGE_COLUMNS), threshold=5)


def test_published_figures_print_in_full() -> None:
    out = publish(stage("R6-UPDATE", "police", 20, 5, 6, 1, 3, 6))
    assert out.columns.tolist() == PUBLISHED_STAGE_COLUMNS
    row = out.iloc[0]
    assert (row["actioned"], row["no_action"], row["after_deadline_share"]) == ("20", "5", "0.3000")
    assert (row["median_working_days"], row["p75_working_days"], row["p90_working_days"]) == (
        "1", "3", "6",
    )  # fmt: skip
    assert (row["deadline_standard"], row["deadline_enhanced"], row["shown"]) == ("5", "1", True)


def test_percentiles_of_fewer_actioned_than_the_threshold_are_withheld() -> None:
    row = publish(stage("R8-HEARING", "wcu", 4, 10, 0, 1, 1, 2)).iloc[0]
    assert [row[c] for c in ("median_working_days", "p75_working_days", "p90_working_days")] == [
        CONFIDENTIAL
    ] * 3
    # 4 actioned is a small count; the 10 without action would give it back from eligible
    assert (row["actioned"], row["no_action"], row["after_deadline_share"]) == (CONFIDENTIAL,) * 3
    assert not row["shown"]


def test_five_actioned_show_their_percentiles() -> None:
    row = publish(stage("R8-HEARING", "wcu", 5, 0, 0, 1, 1, 2)).iloc[0]
    assert (row["p90_working_days"], row["actioned"], row["after_deadline_share"]) == (
        "2", "5", "0.0000",
    )  # fmt: skip


def test_a_small_count_without_action_hides_the_actioned_count_and_its_percentiles() -> None:
    row = publish(stage("R3-ACK", "police", 120, 3, 10, 2, 4, 7)).iloc[0]
    assert (row["actioned"], row["no_action"], row["after_deadline_share"]) == (CONFIDENTIAL,) * 3
    # 120 actioned is enough for percentiles, but they would stand beside a hidden count
    assert [row[c] for c in ("median_working_days", "p75_working_days", "p90_working_days")] == [
        CONFIDENTIAL
    ] * 3
    assert not row["shown"]


@pytest.mark.parametrize(("after", "hidden"), [(0, False), (2, True), (5, False), (38, True)])
def test_share_after_the_deadline_follows_the_rule_for_met(after: int, hidden: bool) -> None:
    # 40 actioned: 2 late or 2 on time (38 late) are small counts the share would give back
    row = publish(stage("R6-VCL", "cps", 40, 0, after, 1, 2, 3)).iloc[0]
    assert (row["after_deadline_share"] == CONFIDENTIAL) is hidden


def test_nothing_actioned_is_not_applicable() -> None:
    row = publish(stage("R11-CONTACT", "probation", 0, 0, 0, np.nan, np.nan, np.nan)).iloc[0]
    assert (row["actioned"], row["no_action"]) == ("0", "0")
    assert row["p90_working_days"] == NOT_APPLICABLE
    assert row["after_deadline_share"] == NOT_APPLICABLE


def test_stages_rank_latest_first_against_their_own_deadlines() -> None:
    # days late at the 90th percentile, then at the median (here: less the standard deadline):
    out = publish(
        stage("R2-RECORD", "police", 50, 0, 0, 1, 2, 3, (1, 1)),  # 3 - 1 = +2
        stage("R3-ACK", "police", 50, 0, 0, 4, 6, 7, (5, 5)),  # 7 - 5 = +2, median 4 - 5 = -1
        stage("R4-VNA", "police", 3, 0, 0, 9, 9, 99, (2, 2)),  # withheld: last, whatever it hides
        stage("R4-REFER", "police", 50, 0, 0, 2, 3, 6, (2, 2)),  # 6 - 2 = +4: latest
        # 15 working days is the most raw days, but well within its 20: the earliest
        stage("R11-CONTACT", "police", 50, 0, 0, 8, 12, 15, (20, 20)),
        stage("R8-HEARING", "wcu", 30, 0, 0, 1, 1, 2, (1, 1)),
    )
    police = out[out["agency"] == "police"]
    # R2-RECORD and R3-ACK tie at +2; R2-RECORD's median is later against its deadline (0 > -1)
    assert police["measure_id"].tolist() == ["R4-REFER", "R2-RECORD", "R3-ACK", "R11-CONTACT",
                                             "R4-VNA"]  # fmt: skip
    assert police["rank"].tolist() == [1, 2, 3, 4, 5]
    assert out[out["agency"] == "wcu"]["rank"].tolist() == [1]


def test_a_stage_late_for_victims_owed_enhanced_rights_ranks_by_their_shorter_deadline() -> None:
    # R6-UPDATE's victims were all owed enhanced rights (1 working day): 3 days at the 90th
    # percentile is 2 late, though well within the standard 5. R3-ACK is 1 late against its 5.
    out = publish(
        stage("R3-ACK", "police", 50, 0, 0, 4, 5, 6, (5, 5)),
        stage("R6-UPDATE", "police", 50, 0, 0, 1, 2, 3, (5, 1), allowed=1),
    )
    assert out["measure_id"].tolist() == ["R6-UPDATE", "R3-ACK"]
    assert out["p90_days_late"].tolist() == ["2", "1"]


def test_a_stage_with_a_hidden_actioned_count_is_ranked_with_the_withheld() -> None:
    # R6-UPDATE is the latest by far, but its 2 without action hide its actioned count, so
    # neither its percentiles nor its place may say so
    out = publish(
        stage("R3-ACK", "police", 50, 0, 0, 1, 2, 6, (5, 5)),
        stage("R6-UPDATE", "police", 50, 2, 0, 20, 30, 40, (5, 1)),
    )
    assert out["measure_id"].tolist() == ["R3-ACK", "R6-UPDATE"]
    assert (
        out.iloc[1][["actioned", "p90_working_days", "p90_days_late"]].tolist()
        == [CONFIDENTIAL] * 3
    )


def test_no_stage_no_table() -> None:
    out = published_stages(pd.DataFrame(columns=STAGE_COLUMNS), threshold=5)
    assert out.empty and out.columns.tolist() == PUBLISHED_STAGE_COLUMNS
