"""The rules of CONTRACT.md §1–§3, each shown on a hand-worked case.

Dates used: Fri 1 Mar 2024, Sat 2 Mar, Mon 4 Mar, Tue 5 Mar, Wed 6 Mar; Fri 3 May 2024 before the
Early May bank holiday on Mon 6 May.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from tests.builders import source_tables
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.measures import Deadline, compute_instances

DEADLINES = {
    "R2-RECORD": Deadline(1, 1),
    "R3-ACK": Deadline(5, 5),
    "R4-VNA": Deadline(2, 2),
    "R4-REFER": Deadline(2, 2),
    "R6-UPDATE": Deadline(5, 1),
    "R6-VCL": Deadline(5, 1),
    "R7-VPS": Deadline(5, 5),
    "R8-HEARING": Deadline(1, 1),
    "R9-OUTCOME": Deadline(1, 1),
    "R11-REFER": Deadline(10, 10),
    "R11-CONTACT": Deadline(20, 20),
    "R12-ACK": Deadline(10, 10),
}
CALENDAR = WorkingDayCalendar()
LATE_AS_OF = dt.date(2024, 12, 31)


def crime(ref: str, reported: str, recorded: str | None = None, **extra) -> dict:
    return {
        "crime_ref": ref,
        "reported_at": reported,
        "recorded_at": recorded or reported,
        "offence_category": "theft",
        "district": "Carlisle",
        **extra,
    }


def victim(victim_id: str, crime_ref: str, **extra) -> dict:
    return {
        "victim_id": victim_id,
        "crime_ref": crime_ref,
        "victim_type": "person",
        "age_at_offence": 40,
        "referral_consent": "given",
        **extra,
    }


def instances_of(measure_id: str, as_of: dt.date = LATE_AS_OF, **tables) -> pd.DataFrame:
    instances = compute_instances(source_tables(**tables), as_of, DEADLINES, CALENDAR)
    chosen = instances[instances["measure_id"] == measure_id]
    return chosen.sort_values(["record_key", "trigger_date", "victim_id"]).reset_index(drop=True)


def statuses(measure_id: str, as_of: dt.date = LATE_AS_OF, **tables) -> list[str]:
    return instances_of(measure_id, as_of, **tables)["status"].tolist()


class TestDueDates:
    @pytest.mark.parametrize(
        ("trigger", "days", "due"),
        [
            ("2024-03-01", 1, "2024-03-04"),  # Friday, N=1: Monday
            ("2024-03-02", 1, "2024-03-04"),  # Saturday, N=1: Monday
            ("2024-03-04", 2, "2024-03-06"),  # Monday, N=2: Wednesday
            ("2024-05-03", 1, "2024-05-07"),  # Friday before the May bank holiday: Tuesday
            ("2024-03-28", 1, "2024-04-02"),  # Thursday before Easter: Tuesday after
            ("2022-09-16", 1, "2022-09-20"),  # one-off: the Queen's State Funeral, 19 Sep 2022
            ("2023-05-05", 1, "2023-05-09"),  # one-off: the Coronation, 8 May 2023
            ("2024-05-06", 1, "2024-05-07"),  # trigger on the bank holiday itself
        ],
    )
    def test_nth_working_day_strictly_after_trigger(self, trigger, days, due) -> None:
        result = CALENDAR.due_dates(pd.Series(pd.to_datetime([trigger])), days)
        assert result.iloc[0] == pd.Timestamp(due)

    def test_configured_extra_holiday_is_not_a_working_day(self) -> None:
        calendar = WorkingDayCalendar(extra_holidays=[dt.date(2024, 3, 4)])
        result = calendar.due_dates(pd.Series(pd.to_datetime(["2024-03-01"])), 1)
        assert result.iloc[0] == pd.Timestamp("2024-03-05")


class TestR2Record:
    def test_recorded_by_next_working_day_is_met(self) -> None:
        result = statuses(
            "R2-RECORD",
            police__crimes=[
                crime("C1", "2024-03-01T22:00", "2024-03-04T09:00"),  # Fri -> Mon: met
                crime("C2", "2024-03-01T10:00", "2024-03-05T09:00"),  # Fri -> Tue: late
                crime("C3", "2024-03-02T10:00", "2024-03-01T09:00"),  # recorded before report
            ],
            police__victims=[victim("V1", "C1"), victim("V2", "C2"), victim("V3", "C3")],
        )
        assert result == ["met", "not_met", "not_met"]

    def test_each_victim_of_a_crime_is_an_instance_and_businesses_are_left_out(self) -> None:
        result = instances_of(
            "R2-RECORD",
            police__crimes=[crime("C1", "2024-03-01T10:00")],
            police__victims=[
                victim("V1", "C1"),
                victim("V2", "C1", victim_type="business_named_contact"),
                victim("V3", "C1", victim_type="business"),
            ],
        )
        assert sorted(result["victim_id"]) == ["V1", "V2"]

    def test_crime_reported_after_as_of_is_ignored(self) -> None:
        result = statuses(
            "R2-RECORD",
            as_of=dt.date(2024, 3, 10),
            police__crimes=[crime("C1", "2024-03-11T10:00")],
            police__victims=[victim("V1", "C1")],
        )
        assert result == []


class TestPending:
    def test_instance_due_after_as_of_is_pending_even_if_already_met(self) -> None:
        # Friday 1 Mar, N=5: due Friday 8 Mar. As of Thursday 7 Mar both are pending.
        tables: dict[str, Any] = dict(
            police__crimes=[crime("C1", "2024-03-01T10:00"), crime("C2", "2024-03-01T11:00")],
            police__victims=[victim("V1", "C1"), victim("V2", "C2")],
            police__victim_contacts=[
                {
                    "victim_id": "V1",
                    "contact_type": "written_acknowledgement",
                    "contacted_at": "2024-03-04T10:00",
                },
            ],
        )
        assert statuses("R3-ACK", dt.date(2024, 3, 7), **tables) == ["pending", "pending"]
        assert statuses("R3-ACK", dt.date(2024, 3, 8), **tables) == ["met", "not_met"]

    def test_action_dated_after_as_of_counts_as_no_action(self) -> None:
        result = statuses(
            "R3-ACK",
            as_of=dt.date(2024, 3, 20),
            police__crimes=[crime("C1", "2024-03-01T10:00")],
            police__victims=[victim("V1", "C1")],
            police__victim_contacts=[
                {
                    "victim_id": "V1",
                    "contact_type": "written_acknowledgement",
                    "contacted_at": "2024-03-21T10:00",
                },
            ],
        )
        assert result == ["not_met"]


class TestEnhancedRights:
    @pytest.mark.parametrize(
        ("crime_extra", "victim_extra", "enhanced"),
        [
            ({}, {}, False),
            ({}, {"enhanced_flag": True}, False),  # the police flag is not the entitlement
            ({}, {"age_at_offence": 17}, True),
            ({}, {"age_at_offence": 18}, False),
            ({"is_domestic_abuse": True}, {}, True),
            ({"is_hate_crime": True}, {}, True),
            ({"offence_category": "stalking_harassment"}, {}, True),
            ({"offence_category": "wounding_gbh"}, {}, False),
            ({}, {"is_intimidated": True}, True),
            ({}, {"is_bereaved_family": True}, True),
        ],
    )
    def test_derived_from_victim_and_crime(self, crime_extra, victim_extra, enhanced) -> None:
        result = instances_of(
            "R2-RECORD",
            police__crimes=[crime("C1", "2024-03-01T10:00", **crime_extra)],
            police__victims=[victim("V1", "C1", **victim_extra)],
        )
        assert result["enhanced"].tolist() == [enhanced]

    def test_enh_identified_counts_owed_victims_the_police_flagged(self) -> None:
        result = instances_of(
            "ENH-IDENTIFIED",
            police__crimes=[
                crime("C1", "2024-03-01T10:00", is_domestic_abuse=True),
                crime("C2", "2024-03-01T10:00"),
            ],
            police__victims=[
                victim("V1", "C1", enhanced_flag=True),
                victim("V2", "C1"),
                victim("V3", "C2", enhanced_flag=True),  # flagged but not owed: no instance
            ],
        )
        assert result[["victim_id", "status"]].values.tolist() == [
            ["V1", "met"],
            ["V2", "not_met"],
        ]


class TestR6Update:
    def test_one_contact_meets_several_events_and_earlier_contacts_never_match(self) -> None:
        result = instances_of(
            "R6-UPDATE",
            police__crimes=[crime("C1", "2024-02-20T10:00")],
            police__victims=[victim("V1", "C1")],
            police__investigation_events=[
                {"crime_ref": "C1", "event_type": "suspect_bailed", "event_at": "2024-03-01T09:00"},
                {"crime_ref": "C1", "event_type": "suspect_bailed", "event_at": "2024-03-04T09:00"},
                {
                    "crime_ref": "C1",
                    "event_type": "suspect_arrested",
                    "event_at": "2024-03-04T09:00",
                },
            ],
            police__victim_contacts=[
                {
                    "victim_id": "V1",
                    "contact_type": "suspect_bailed",
                    "contacted_at": "2024-03-05T10:00",
                },
                # dated before the arrest: it cannot tell the victim of it
                {
                    "victim_id": "V1",
                    "contact_type": "suspect_arrested",
                    "contacted_at": "2024-03-01T10:00",
                },
            ],
        )
        by_key = result.set_index(["record_key", "trigger_date"])["status"]
        assert by_key[("C1:suspect_bailed", pd.Timestamp("2024-03-01"))] == "met"
        assert by_key[("C1:suspect_bailed", pd.Timestamp("2024-03-04"))] == "met"
        assert by_key[("C1:suspect_arrested", pd.Timestamp("2024-03-04"))] == "not_met"

    def test_enhanced_victims_are_owed_one_working_day(self) -> None:
        # Event Friday 1 Mar, contact Tuesday 5 Mar: 2 working days after.
        result = instances_of(
            "R6-UPDATE",
            police__crimes=[
                crime("C1", "2024-02-20T10:00"),
                crime("C2", "2024-02-20T10:00", is_domestic_abuse=True),
            ],
            police__victims=[
                victim("V1", "C1"),
                victim("V2", "C2"),
                victim("V3", "C2", updates_opt_out=True),
            ],
            police__investigation_events=[
                {
                    "crime_ref": "C1",
                    "event_type": "suspect_charged",
                    "event_at": "2024-03-01T09:00",
                },
                {
                    "crime_ref": "C2",
                    "event_type": "suspect_charged",
                    "event_at": "2024-03-01T09:00",
                },
            ],
            police__victim_contacts=[
                {
                    "victim_id": v,
                    "contact_type": "suspect_charged",
                    "contacted_at": "2024-03-05T10:00",
                }
                for v in ("V1", "V2", "V3")
            ],
        )
        assert result[["victim_id", "due_date", "status"]].values.tolist() == [
            ["V1", pd.Timestamp("2024-03-08"), "met"],
            ["V2", pd.Timestamp("2024-03-04"), "not_met"],
        ]


class TestR4:
    def test_content_is_judged_on_the_matched_assessment_even_when_vna_is_pending(self) -> None:
        tables: dict[str, Any] = dict(
            police__crimes=[crime("C1", "2024-03-01T10:00"), crime("C2", "2024-03-01T10:00")],
            police__victims=[victim("V1", "C1"), victim("V2", "C2")],
            police__needs_assessments=[
                {
                    "victim_id": "V1",
                    "completed_at": "2024-03-01T12:00",
                    "communication_needs_recorded": True,
                    "vulnerability_recorded": True,
                    "support_needs_recorded": True,
                    "contact_preference_recorded": True,
                    "special_measures_considered": True,
                },
                {
                    "victim_id": "V2",
                    "completed_at": "2024-03-01T12:00",
                    "communication_needs_recorded": True,
                    "vulnerability_recorded": True,
                    "support_needs_recorded": False,
                    "contact_preference_recorded": True,
                    "special_measures_considered": True,
                },
            ],
        )
        as_of = dt.date(2024, 3, 4)  # R4-VNA due Tue 5 Mar: pending
        assert statuses("R4-VNA", as_of, **tables) == ["pending", "pending"]
        assert statuses("R4-VNA-CONTENT", as_of, **tables) == ["met", "not_met"]

    def test_referral_left_out_when_consent_declined(self) -> None:
        result = instances_of(
            "R4-REFER",
            police__crimes=[crime("C1", "2024-03-01T10:00")],
            police__victims=[
                victim("V1", "C1", referral_consent="declined"),
                victim("V2", "C1", referral_consent="not_recorded"),
            ],
            police__referrals=[{"victim_id": "V2", "referred_at": "2024-03-05T10:00"}],
        )
        assert result[["victim_id", "status"]].values.tolist() == [["V2", "met"]]


class TestR7Vps:
    def test_offer_at_any_date_before_due_counts_and_first_charge_triggers(self) -> None:
        result = instances_of(
            "R7-VPS",
            police__crimes=[crime("C1", "2024-02-01T10:00"), crime("C2", "2024-02-01T10:00")],
            police__victims=[victim("V1", "C1"), victim("V2", "C2")],
            police__investigation_events=[
                {
                    "crime_ref": "C1",
                    "event_type": "suspect_charged",
                    "event_at": "2024-03-04T09:00",
                },
                {
                    "crime_ref": "C1",
                    "event_type": "suspect_charged",
                    "event_at": "2024-03-20T09:00",
                },
                {
                    "crime_ref": "C2",
                    "event_type": "suspect_charged",
                    "event_at": "2024-03-04T09:00",
                },
            ],
            police__vps_offers=[
                {"victim_id": "V1", "offered_at": "2024-02-10T10:00"},  # before the charge
                {"victim_id": "V2", "offered_at": "2024-03-12T10:00"},  # due Mon 11 Mar
            ],
        )
        assert result[["victim_id", "trigger_date", "status"]].values.tolist() == [
            ["V1", pd.Timestamp("2024-03-04"), "met"],
            ["V2", pd.Timestamp("2024-03-04"), "not_met"],
        ]


class TestCps:
    def test_vcl_letter_must_match_urn_victim_and_decision_and_vrr_follows_the_letter(self) -> None:
        tables: dict[str, Any] = dict(
            police__crimes=[crime("C1", "2024-01-01T10:00")],
            police__victims=[victim("V1", "C1"), victim("V2", "C1")],
            cps__cases=[{"urn": "U1", "crime_ref": "C1"}],
            cps__decisions=[
                {
                    "urn": "U1",
                    "victim_id": "V1",
                    "decision_type": "no_charge",
                    "decided_at": "2024-03-01T10:00",
                },
                {
                    "urn": "U1",
                    "victim_id": "V2",
                    "decision_type": "discontinued",
                    "decided_at": "2024-03-01T10:00",
                },
                {
                    "urn": "U1",
                    "victim_id": "GONE",
                    "decision_type": "no_charge",
                    "decided_at": "2024-03-01T10:00",
                },  # not a police victim: no instance
            ],
            cps__vcl_letters=[
                {
                    "urn": "U1",
                    "victim_id": "V1",
                    "decision_type": "no_charge",
                    "sent_at": "2024-03-07T10:00",
                    "vrr_information": False,
                },
                {
                    "urn": "U1",
                    "victim_id": "V2",
                    "decision_type": "no_charge",
                    "sent_at": "2024-03-04T10:00",
                    "vrr_information": True,
                },  # wrong decision
            ],
        )
        assert statuses("R6-VCL", **tables) == ["met", "not_met"]
        vrr = instances_of("R6-VRR", **tables)
        assert vrr[["victim_id", "status"]].values.tolist() == [["V1", "not_met"]]

    def test_hearing_and_vcs_referral(self) -> None:
        tables: dict[str, Any] = dict(
            police__crimes=[crime("C1", "2024-01-01T10:00", offence_category="rape")],
            police__victims=[victim("V1", "C1")],
            cps__cases=[{"urn": "U1", "crime_ref": "C1"}],
            cps__hearings=[
                {
                    "hearing_id": "H1",
                    "urn": "U1",
                    "victim_id": "V1",
                    "hearing_at": "2024-04-01T10:00",
                    "received_at": "2024-03-01T15:00",
                    "victim_notified_at": "2024-03-04T09:00",
                },
            ],
            cps__outcomes=[
                {
                    "urn": "U1",
                    "victim_id": "V1",
                    "outcome_type": "sentence",
                    "outcome_at": "2024-03-01T10:00",
                    "received_at": "2024-03-01T12:00",
                    "sentence_type": "custody",
                    "sentence_months": 12,
                    "vcs_specified_offence": True,
                },
                {
                    "urn": "U1",
                    "victim_id": "V1",
                    "outcome_type": "sentence",
                    "outcome_at": "2024-03-01T10:00",
                    "received_at": "2024-03-01T12:00",
                    "sentence_type": "custody",
                    "sentence_months": 11,
                    "vcs_specified_offence": True,
                },  # under 12 months: no VCS referral owed
            ],
            probation__vcs_referrals=[
                {
                    "referral_id": "P1",
                    "urn": "U1",
                    "victim_id": "V1",
                    "referred_at": "2024-03-15T10:00",
                    "first_contact_at": "2024-05-01T10:00",
                },
            ],
        )
        assert statuses("R8-HEARING", **tables) == ["met"]
        assert statuses("R11-REFER", **tables) == ["met"]  # 10 working days: due Fri 15 Mar
        # 20 working days after Fri 15 Mar, Easter excluded: due Tue 16 Apr
        assert statuses("R11-CONTACT", **tables) == ["not_met"]

    def test_release_notification_must_come_before_the_release_date(self) -> None:
        result = statuses(
            "R11-RELEASE",
            as_of=dt.date(2024, 3, 31),
            police__crimes=[crime("C1", "2023-01-01T10:00")],
            police__victims=[victim("V1", "C1"), victim("V2", "C1"), victim("V3", "C1")],
            cps__cases=[{"urn": "U1", "crime_ref": "C1"}],
            probation__release_notifications=[
                {
                    "urn": "U1",
                    "victim_id": "V1",
                    "release_at": "2024-03-10T10:00",
                    "notified_at": "2024-03-09T10:00",
                },
                {
                    "urn": "U1",
                    "victim_id": "V2",
                    "release_at": "2024-03-10T10:00",
                    "notified_at": "2024-03-10T08:00",
                },  # same day: not before
                {
                    "urn": "U1",
                    "victim_id": "V3",
                    "release_at": "2024-04-10T10:00",
                    "notified_at": "2024-03-09T10:00",
                },  # release after D: not yet an instance
            ],
        )
        assert result == ["met", "not_met"]


def test_complaints_are_reported_per_source_with_the_standard_deadline() -> None:
    result = instances_of(
        "R12-ACK",
        police__complaints=[
            {
                "complaint_id": "K1",
                "received_at": "2024-03-01T10:00",
                "acknowledged_at": "2024-03-15T10:00",
            }
        ],
        probation__complaints=[
            {
                "complaint_id": "K2",
                "received_at": "2024-03-01T10:00",
                "acknowledged_at": "2024-03-18T10:00",
            }
        ],
    )
    assert result[["agency", "status"]].values.tolist() == [
        ["police", "met"],
        ["probation", "not_met"],
    ]
