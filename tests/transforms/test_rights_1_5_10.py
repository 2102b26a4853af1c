"""The measures of CONTRACT.md §6.2 (Rights 1, 5 and 10), each rule on a hand-worked case, with
the catalogue's default deadlines (5, 5, 10 and 10 working days).

Dates used: Fri 1 Mar 2024, Sat 2 Mar, Mon 4 Mar, Wed 6 Mar, Mon 11 Mar, Fri 15 Mar; Fri 3 May
2024 before the Early May bank holiday on Mon 6 May.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import source_tables
from tests.conftest import examples
from tests.transforms.test_measures import crime, victim
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.catalogue import load_catalogue
from vcc.transforms.measures import compute_instances
from vcc.transforms.metrics import summarise
from vcc.transforms.support import unsupported_measures

CALENDAR = WorkingDayCalendar()
LATE_AS_OF = dt.date(2024, 12, 31)


def instances_of(
    measure_id: str, as_of: dt.date = LATE_AS_OF, settings=None, **tables
) -> pd.DataFrame:
    instances = compute_instances(source_tables(**tables), as_of, {}, CALENDAR, settings=settings)
    chosen = instances[instances["measure_id"] == measure_id]
    return chosen.sort_values(["record_key", "trigger_date", "victim_id"]).reset_index(drop=True)


def assessment(victim_id: str, completed: str, needed: bool | None) -> dict:
    return {"victim_id": victim_id, "completed_at": completed, "interpreter_needed": needed}


def contact(victim_id: str, at: str, interpreter: bool | None = None, kind="general_update"):
    return {
        "victim_id": victim_id,
        "contact_type": kind,
        "contacted_at": at,
        "interpreter_used": interpreter,
    }


ONE_VICTIM: dict[str, Any] = {
    "police__crimes": [crime("C1", "2024-03-01T10:00")],
    "police__victims": [victim("V1", "C1")],
}


class TestR1Interpret:
    def test_met_by_an_interpreted_contact_within_five_working_days_of_the_assessment(self) -> None:
        found = instances_of(
            "R1-INTERPRET",
            **ONE_VICTIM,
            police__needs_assessments=[assessment("V1", "2024-03-04T09:00", True)],
            police__victim_contacts=[
                contact("V1", "2024-03-06T09:00", interpreter=False),  # no interpreter
                contact("V1", "2024-03-11T09:00", interpreter=True),  # 5th working day
            ],
        )
        row = found.iloc[0]
        assert len(found) == 1 and row["status"] == "met"
        assert row["trigger_date"] == pd.Timestamp("2024-03-04")  # the assessment, not the report
        assert row["due_date"] == pd.Timestamp("2024-03-11")
        assert row["action_date"] == pd.Timestamp("2024-03-11")

    @pytest.mark.parametrize(("used", "status"), [("2024-05-13", "met"), ("2024-05-14", "not_met")])
    def test_the_bank_holiday_is_not_a_working_day(self, used, status) -> None:
        # assessed Fri 3 May; Mon 6 May is a bank holiday: due Mon 13 May
        found = instances_of(
            "R1-INTERPRET",
            police__crimes=[crime("C1", "2024-05-02T10:00")],
            police__victims=[victim("V1", "C1")],
            police__needs_assessments=[assessment("V1", "2024-05-03T09:00", True)],
            police__victim_contacts=[contact("V1", f"{used}T09:00", interpreter=True)],
        )
        assert found["status"].tolist() == [status]
        assert found["due_date"].tolist() == [pd.Timestamp("2024-05-13")]

    def test_only_the_assessment_matched_under_r4_vna_decides_the_need(self) -> None:
        # the first assessment on or after the report says no interpreter; an earlier one (before
        # the report) and a later one say yes: no instance
        found = instances_of(
            "R1-INTERPRET",
            **ONE_VICTIM,
            police__needs_assessments=[
                assessment("V1", "2024-02-20T09:00", True),
                assessment("V1", "2024-03-04T09:00", False),
                assessment("V1", "2024-03-08T09:00", True),
            ],
            police__victim_contacts=[contact("V1", "2024-03-05T09:00", interpreter=True)],
        )
        assert found.empty

    def test_a_contact_before_the_assessment_does_not_meet_it(self) -> None:
        found = instances_of(
            "R1-INTERPRET",
            **ONE_VICTIM,
            police__needs_assessments=[assessment("V1", "2024-03-06T09:00", True)],
            police__victim_contacts=[contact("V1", "2024-03-05T09:00", interpreter=True)],
        )
        assert found["status"].tolist() == ["not_met"]

    def test_pending_until_the_due_date_has_passed(self) -> None:
        tables = {
            **ONE_VICTIM,
            "police__needs_assessments": [assessment("V1", "2024-03-04T09:00", True)],
            "police__victim_contacts": [contact("V1", "2024-03-05T09:00", interpreter=True)],
        }
        assert instances_of("R1-INTERPRET", dt.date(2024, 3, 8), **tables)["status"].tolist() == [
            "pending"
        ]
        assert instances_of("R1-INTERPRET", dt.date(2024, 3, 11), **tables)["status"].tolist() == [
            "met"
        ]

    def test_an_assessment_after_the_as_of_date_is_not_known(self) -> None:
        found = instances_of(
            "R1-INTERPRET",
            dt.date(2024, 3, 3),
            police__crimes=[crime("C1", "2024-03-01T10:00"), crime("C2", "2024-03-01T10:00")],
            police__victims=[victim("V1", "C1"), victim("V2", "C2")],
            police__needs_assessments=[
                assessment("V1", "2024-03-01T12:00", False),  # makes the data support R1
                assessment("V2", "2024-03-04T09:00", True),  # after D: not known
            ],
        )
        assert found.empty

    def test_the_instance_belongs_to_the_quarter_of_the_assessment(self) -> None:
        found = instances_of(
            "R1-INTERPRET",
            police__crimes=[crime("C1", "2024-03-28T10:00")],
            police__victims=[victim("V1", "C1")],
            police__needs_assessments=[assessment("V1", "2024-04-02T09:00", True)],
        )
        assert found["quarter"].astype(str).tolist() == ["2024Q2"]
        assert found["status"].tolist() == ["not_met"]

    def test_without_the_interpreter_needed_column_it_is_not_supported(self) -> None:
        tables = source_tables(
            **ONE_VICTIM,
            police__needs_assessments=[assessment("V1", "2024-03-04T09:00", None)],
        )
        assert "R1-INTERPRET" in unsupported_measures(load_catalogue(), tables, LATE_AS_OF)
        instances = compute_instances(tables, LATE_AS_OF, {}, CALENDAR)
        assert not (instances["measure_id"] == "R1-INTERPRET").any()


INJURY: dict[str, Any] = {
    "police__crimes": [
        crime("C1", "2024-03-01T10:00", offence_category="assault_with_injury"),
        crime("C2", "2024-03-01T11:00", offence_category="theft"),
    ],
    "police__victims": [victim("V1", "C1"), victim("V2", "C2")],
}


class TestR5Compensation:
    @pytest.mark.parametrize(("told", "status"), [("2024-03-08", "met"), ("2024-03-11", "not_met")])
    def test_victims_of_injury_are_told_within_five_working_days(self, told, status) -> None:
        found = instances_of(
            "R5-COMPENSATION",
            **INJURY,
            police__victim_contacts=[
                contact("V1", f"{told}T09:00", kind="compensation_information"),
                contact("V2", "2024-03-04T09:00", kind="compensation_information"),
            ],
        )
        # the theft victim is not in the default categories
        assert found["victim_id"].tolist() == ["V1"]
        assert found["status"].tolist() == [status]
        assert found["due_date"].tolist() == [pd.Timestamp("2024-03-08")]

    def test_another_kind_of_contact_does_not_meet_it(self) -> None:
        found = instances_of(
            "R5-COMPENSATION",
            **INJURY,
            police__victim_contacts=[
                contact("V1", "2024-03-04T09:00", kind="general_update"),
                contact("V2", "2024-03-04T09:00", kind="compensation_information"),
            ],
        )
        assert found["status"].tolist() == ["not_met"]

    def test_the_categories_are_configurable(self) -> None:
        found = instances_of(
            "R5-COMPENSATION",
            settings={"R5-COMPENSATION": {"categories": ["theft"]}},
            **INJURY,
            police__victim_contacts=[
                contact("V2", "2024-03-04T09:00", kind="compensation_information")
            ],
        )
        assert found["victim_id"].tolist() == ["V2"]
        assert found["status"].tolist() == ["met"]

    def test_no_compensation_contact_known_by_the_as_of_date_means_not_supported(self) -> None:
        tables = source_tables(
            **INJURY,
            police__victim_contacts=[
                contact("V1", "2024-04-10T09:00", kind="compensation_information")
            ],
        )
        catalogue = load_catalogue()
        assert "R5-COMPENSATION" in unsupported_measures(catalogue, tables, dt.date(2024, 4, 9))
        assert "R5-COMPENSATION" not in unsupported_measures(catalogue, tables, LATE_AS_OF)


def claim(claim_id: str, completed: str | None, paid: str | None, victim_id="V1", urn="U1"):
    return {
        "claim_id": claim_id,
        "urn": urn,
        "victim_id": victim_id,
        "received_at": "2024-05-01T09:00",
        "completed_at": completed,
        "paid_at": paid,
    }


class TestR10Expenses:
    @pytest.mark.parametrize(("paid", "status"), [("2024-05-20", "met"), ("2024-05-21", "not_met")])
    def test_paid_within_ten_working_days_of_a_completed_claim(self, paid, status) -> None:
        # completed Fri 3 May; the bank holiday on Mon 6 May does not count: due Mon 20 May
        found = instances_of(
            "R10-EXPENSES",
            **ONE_VICTIM,
            cps__expense_claims=[claim("E1", "2024-05-03T15:00", f"{paid}T10:00")],
        )
        assert found["status"].tolist() == [status]
        assert found["due_date"].tolist() == [pd.Timestamp("2024-05-20")]
        assert found["record_key"].tolist() == ["E1"]

    def test_a_claim_never_completed_is_not_counted_and_one_paid_before_is_not_met(self) -> None:
        found = instances_of(
            "R10-EXPENSES",
            **ONE_VICTIM,
            cps__expense_claims=[
                claim("E1", None, "2024-05-03T10:00"),
                claim("E2", "2024-05-03T15:00", "2024-05-02T10:00"),
            ],
        )
        assert found["record_key"].tolist() == ["E2"]
        assert found["status"].tolist() == ["not_met"]

    def test_pending_then_a_payment_after_the_as_of_date_counts_as_none(self) -> None:
        tables = {
            **ONE_VICTIM,
            "cps__expense_claims": [claim("E1", "2024-05-03T15:00", "2024-05-21T10:00")],
        }
        assert instances_of("R10-EXPENSES", dt.date(2024, 5, 17), **tables)["status"].tolist() == [
            "pending"
        ]
        # by D = 20 May the claim is due and the payment of the 21st not yet known: not met
        assert instances_of("R10-EXPENSES", dt.date(2024, 5, 20), **tables)["status"].tolist() == [
            "not_met"
        ]

    def test_without_the_table_it_is_not_supported(self) -> None:
        tables = source_tables(**ONE_VICTIM)
        del tables[("cps", "expense_claims")]
        del tables[("police", "property")]
        left_out = unsupported_measures(load_catalogue(), tables, LATE_AS_OF)
        assert {"R10-EXPENSES", "R10-PROPERTY"} <= set(left_out)
        instances = compute_instances(tables, LATE_AS_OF, {}, CALENDAR)
        assert not instances["measure_id"].isin(["R10-EXPENSES", "R10-PROPERTY"]).any()


def item(item_id: str, released: str | None, returned: str | None, victim_id="V1"):
    return {
        "item_id": item_id,
        "crime_ref": "C1",
        "victim_id": victim_id,
        "seized_at": "2024-02-20T09:00",
        "released_at": released,
        "returned_at": returned,
    }


class TestR10Property:
    @pytest.mark.parametrize(("back", "status"), [("2024-03-15", "met"), ("2024-03-18", "not_met")])
    def test_returned_within_ten_working_days_of_release(self, back, status) -> None:
        # released on Saturday 2 March: the 10th working day after it is Friday 15 March
        found = instances_of(
            "R10-PROPERTY",
            **ONE_VICTIM,
            police__property=[item("P1", "2024-03-02T11:00", f"{back}T16:00")],
        )
        assert found["status"].tolist() == [status]
        assert found["due_date"].tolist() == [pd.Timestamp("2024-03-15")]

    def test_an_item_still_held_or_of_a_business_victim_is_not_counted(self) -> None:
        found = instances_of(
            "R10-PROPERTY",
            police__crimes=[crime("C1", "2024-03-01T10:00")],
            police__victims=[victim("V1", "C1"), victim("B1", "C1", victim_type="business")],
            police__property=[
                item("P1", None, None),
                item("P2", "2024-03-04T10:00", "2024-03-05T10:00", victim_id="B1"),
                item("P3", "2024-03-04T10:00", "2024-03-05T10:00"),
            ],
        )
        assert found["record_key"].tolist() == ["P3"]
        assert found["status"].tolist() == ["met"]


class TestBreakdowns:
    def test_offence_group_and_domestic_abuse_rows_for_victim_measures_only(self) -> None:
        tables = source_tables(
            police__crimes=[
                crime("C1", "2024-03-01T10:00", offence_category="wounding_gbh"),
                crime("C2", "2024-03-01T10:00", offence_category="shoplifting"),
                crime(
                    "C3", "2024-03-01T10:00", offence_category="terrorism", is_domestic_abuse=True
                ),
            ],  # fmt: skip
            police__victims=[victim("V1", "C1"), victim("V2", "C2"), victim("V3", "C3")],
            police__complaints=[{"complaint_id": "K1", "received_at": "2024-03-01T09:00"}],
        )
        instances = compute_instances(tables, LATE_AS_OF, {}, CALENDAR)
        metrics = summarise(instances, ["2024Q1"], {}, ["Carlisle"], ["police"])
        r2 = metrics[metrics["measure_id"] == "R2-RECORD"].set_index(["dimension", "group"])
        assert r2.loc[("offence_group", "violence_with_injury"), "eligible"] == 1
        assert r2.loc[("offence_group", "theft"), "eligible"] == 1
        assert r2.loc[("offence_group", "other"), "eligible"] == 1  # terrorism
        assert r2.loc[("domestic_abuse", "true"), "eligible"] == 1
        assert r2.loc[("domestic_abuse", "false"), "eligible"] == 2
        groups = r2.loc["offence_group"].index.tolist()
        assert groups == ["violence_with_injury", "theft", "other"]  # the contract's order
        complaints = metrics[metrics["measure_id"] == "R12-ACK"]
        assert complaints["dimension"].tolist() == ["all"]
        # no optional data at all: Rights 1, 5 and 10 have no rows
        assert (
            not metrics["measure_id"]
            .isin(["R1-INTERPRET", "R5-COMPENSATION", "R10-EXPENSES", "R10-PROPERTY"])
            .any()
        )


days = st.integers(0, 60).map(lambda n: (dt.date(2024, 3, 1) + dt.timedelta(n)).isoformat())
maybe_days = st.one_of(st.none(), days)


@st.composite
def random_rights_data(draw) -> dict:
    victims = [f"V{n}" for n in range(3)]
    return {
        "police__crimes": [
            crime(
                f"C{n}",
                f"{draw(days)}T10:00",
                offence_category=draw(st.sampled_from(["assault_with_injury", "theft", "robbery"])),
            )
            for n in range(3)
        ],  # fmt: skip
        "police__victims": [victim(v, f"C{n}") for n, v in enumerate(victims)],
        "police__needs_assessments": [
            assessment(draw(st.sampled_from(victims)), f"{draw(days)}T09:00", draw(st.booleans()))
            for _ in range(draw(st.integers(1, 5)))
        ],
        "police__victim_contacts": [
            contact(
                draw(st.sampled_from(victims)),
                f"{draw(days)}T12:00",
                interpreter=draw(st.booleans()),
                kind=draw(st.sampled_from(["general_update", "compensation_information"])),
            )
            for _ in range(draw(st.integers(1, 8)))
        ],
        "police__property": [
            {
                **item(
                    f"P{n}",
                    *(f"{d}T11:00" if d else None for d in (draw(maybe_days), draw(maybe_days))),
                ),
                "victim_id": draw(st.sampled_from(victims)),
            }
            for n in range(draw(st.integers(0, 4)))
        ],  # fmt: skip
        "cps__expense_claims": [
            claim(
                f"E{n}",
                *(f"{d}T11:00" if d else None for d in (draw(maybe_days), draw(maybe_days))),
                victim_id=draw(st.sampled_from(victims)),  # type: ignore[misc]
            )
            for n in range(draw(st.integers(0, 4)))
        ],  # fmt: skip
    }


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=random_rights_data(), as_of_days=st.integers(0, 90))
def test_the_rules_of_section_1_hold_for_the_new_measures(tables, as_of_days) -> None:
    as_of = dt.date(2024, 3, 1) + dt.timedelta(as_of_days)
    instances = compute_instances(source_tables(**tables), as_of, {}, CALENDAR)
    new = instances[instances["measure_id"].isin(
        ["R1-INTERPRET", "R5-COMPENSATION", "R10-EXPENSES", "R10-PROPERTY"]
    )]  # fmt: skip
    limit = pd.Timestamp(as_of)
    assert (new["trigger_date"] <= limit).all()  # nothing triggered after D
    acted = new[new["action_date"].notna()]
    assert (acted["action_date"] >= acted["trigger_date"]).all()  # never before the trigger
    assert (acted["action_date"] <= limit).all()  # nothing known after D
    assert (new["due_date"] > new["trigger_date"]).all()
    assert ((new["status"] == "pending") == (new["due_date"] > limit)).all()
    met = new[new["status"] == "met"]
    assert (met["action_date"] <= met["due_date"]).all()
