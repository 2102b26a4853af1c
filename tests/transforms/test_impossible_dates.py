"""Issue 14: an action dated before the victim's crime was reported never meets a duty, whatever
the measure, even those that ignore the on-or-after rule (R7-VPS takes an offer "at any date")."""

from __future__ import annotations

import datetime as dt

from tests.transforms.test_measures import crime, statuses, victim

CHARGED = {"crime_ref": "C1", "event_type": "suspect_charged", "event_at": "2024-03-04T09:00"}


def test_a_vps_offer_dated_before_the_crime_was_reported_is_no_offer() -> None:
    result = statuses(
        "R7-VPS",
        police__crimes=[crime("C1", "2024-02-01T10:00"), crime("C2", "2024-02-01T10:00")],
        police__victims=[victim("V1", "C1"), victim("V2", "C2")],
        police__investigation_events=[CHARGED, {**CHARGED, "crime_ref": "C2"}],
        police__vps_offers=[
            {"victim_id": "V1", "offered_at": "1900-01-01T00:00"},  # a system's "unknown"
            {"victim_id": "V2", "offered_at": "2024-01-31T10:00"},  # the day before the report
        ],
    )
    assert result == ["not_met", "not_met"]


def test_a_later_genuine_vps_offer_still_counts_beside_a_placeholder() -> None:
    result = statuses(
        "R7-VPS",
        police__crimes=[crime("C1", "2024-02-01T10:00")],
        police__victims=[victim("V1", "C1")],
        police__investigation_events=[CHARGED],
        police__vps_offers=[
            {"victim_id": "V1", "offered_at": "1900-01-01T00:00"},
            {"victim_id": "V1", "offered_at": "2024-02-01T12:00"},  # the day of the report
        ],
    )
    assert result == ["met"]


def test_a_release_notification_dated_before_the_crime_was_reported_is_none() -> None:
    result = statuses(
        "R11-RELEASE",
        as_of=dt.date(2024, 3, 31),
        police__crimes=[crime("C1", "2023-01-01T10:00")],
        police__victims=[victim("V1", "C1"), victim("V2", "C1")],
        cps__cases=[{"urn": "U1", "crime_ref": "C1"}],
        probation__release_notifications=[
            {
                "urn": "U1",
                "victim_id": "V1",
                "release_at": "2024-03-10T10:00",
                "notified_at": "1900-01-01T00:00",
            },
            {
                "urn": "U1",
                "victim_id": "V2",
                "release_at": "2024-03-10T10:00",
                "notified_at": "2024-03-09T10:00",
            },
        ],
    )
    assert result == ["not_met", "met"]


def test_an_action_before_the_report_never_meets_a_duty_triggered_before_it() -> None:
    # A hearing record received before the crime's report date (bad data): a notification
    # between the two is on or after the trigger, but before the report, so it is no action.
    result = statuses(
        "R8-HEARING",
        police__crimes=[crime("C1", "2024-03-10T10:00")],
        police__victims=[victim("V1", "C1")],
        cps__cases=[{"urn": "U1", "crime_ref": "C1"}],
        cps__hearings=[
            {
                "hearing_id": "H1",
                "urn": "U1",
                "victim_id": "V1",
                "hearing_at": "2024-03-20T10:00",
                "received_at": "2024-03-04T10:00",
                "victim_notified_at": "2024-03-04T12:00",
            }
        ],
    )
    assert result == ["not_met"]
