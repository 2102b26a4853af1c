"""The enhanced-rights identification gap and the needs-assessment standard, on hand-worked cases.

Dates used: Thu 29 Feb 2024, Fri 1 Mar, Mon 4 Mar, Tue 5 Mar, Fri 8 Mar, Fri 15 Mar, Mon 18 Mar;
Thu 28 Mar before Good Friday (29 Mar) and Easter Monday (1 Apr); Fri 3 May 2024 before the Early
May bank holiday on Mon 6 May, Tue 7 May, Wed 8 May, Fri 10 May, Mon 20 May.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import source_tables
from tests.conftest import examples
from tests.transforms.test_measures import CALENDAR, DEADLINES, crime, victim
from vcc.transforms.enhanced_gap import (
    IDENTIFICATION_COLUMNS,
    UPDATE_DELAY_COLUMNS,
    identification_by_reason,
    update_delay_by_identification,
)
from vcc.transforms.measures import VNA_ITEMS, compute_instances
from vcc.transforms.needs_assessment import (
    MISSING_ITEM_COLUMNS,
    TIMELINESS_BANDS,
    TIMELINESS_COLUMNS,
    assessment_timeliness,
    missing_items,
)
from vcc.transforms.quarters import Quarter
from vcc.transforms.schema import ENHANCED_OFFENCE_CATEGORIES, OFFENCE_CATEGORIES
from vcc.transforms.victims import enhanced_reasons, owed_enhanced_rights

LATE_AS_OF = dt.date(2024, 12, 31)
Q2 = Quarter(2024, 2)
PERSONAL_IDENTIFIERS = {"victim_id", "crime_ref", "record_key", "urn"}


def instances_for(tables, as_of: dt.date = LATE_AS_OF) -> pd.DataFrame:
    return compute_instances(tables, as_of, DEADLINES, CALENDAR)


def event(crime_ref: str, event_type: str, at: str) -> dict:
    return {"crime_ref": crime_ref, "event_type": event_type, "event_at": at}


def contact(victim_id: str, contact_type: str, at: str) -> dict:
    return {"victim_id": victim_id, "contact_type": contact_type, "contacted_at": at}


def assessment(victim_id: str, at: str, *, missing: tuple[str, ...] = ()) -> dict:
    """A needs assessment recording all five items except those ``missing``."""
    return {"victim_id": victim_id, "completed_at": at} | {
        item: item not in missing for item in VNA_ITEMS
    }


def row(table: pd.DataFrame, column: str, value: str) -> pd.Series:
    (found,) = table.index[table[column] == value]
    return table.loc[found]


# --- Enhanced-rights identification, by reason ------------------------------------------------

IDENTIFICATION_TABLES = dict(
    police__crimes=[
        crime("C1", "2024-03-01T10:00", is_domestic_abuse=True),
        crime("C2", "2024-03-01T10:00"),
        crime("C3", "2024-03-04T10:00", offence_category="rape"),
        crime("C4", "2024-03-04T10:00"),
        crime("C5", "2024-04-02T10:00", is_domestic_abuse=True),  # next quarter
    ],
    police__victims=[
        victim("V1", "C1", enhanced_flag=True),  # domestic abuse, identified
        victim("V2", "C2", age_at_offence=16),  # under 18, missed
        victim("V3", "C3", age_at_offence=15),  # rape and under 18, missed
        victim("V4", "C4", enhanced_flag=True),  # flagged but not owed enhanced rights
        victim("V5", "C1", victim_type="business"),  # not owed the Code
        victim("V6", "C5"),  # reported in 2024Q2
    ],
)


class TestIdentificationByReason:
    def test_each_victim_counts_under_every_reason_and_once_overall(self) -> None:
        table = identification_by_reason(
            source_tables(**IDENTIFICATION_TABLES), Quarter(2024, 1), LATE_AS_OF
        )
        assert list(table.columns) == IDENTIFICATION_COLUMNS
        shown = table[table["owed"] > 0][["reason", "owed", "identified", "missed"]]
        # all first, then most missed first: under-18 (V2, V3), rape (V3), domestic abuse (V1)
        assert shown.values.tolist() == [
            ["all", 3, 1, 2],
            ["under_18", 2, 0, 2],
            ["rape", 1, 0, 1],
            ["domestic_abuse", 1, 1, 0],
        ]
        assert row(table, "reason", "all")["identified_rate"] == pytest.approx(1 / 3)
        assert row(table, "reason", "domestic_abuse")["identified_rate"] == 1.0
        assert (table["quarter"] == "2024Q1").all()

    def test_every_reason_has_a_row_even_with_no_victims(self) -> None:
        table = identification_by_reason(
            source_tables(**IDENTIFICATION_TABLES), Quarter(2024, 1), LATE_AS_OF
        )
        enhanced_offences = {c for c in OFFENCE_CATEGORIES if c in ENHANCED_OFFENCE_CATEGORIES}
        victim_and_crime_reasons = {
            "under_18",
            "vulnerable",
            "intimidated",
            "persistently_targeted",
            "bereaved_family",
            "domestic_abuse",
            "hate_crime",
        }
        assert set(table["reason"]) == {"all"} | victim_and_crime_reasons | enhanced_offences
        hate = row(table, "reason", "hate_crime")
        assert (hate["owed"], hate["missed"]) == (0, 0)
        assert np.isnan(hate["identified_rate"])

    def test_overall_row_agrees_with_enh_identified(self) -> None:
        tables = source_tables(**IDENTIFICATION_TABLES)
        instances = instances_for(tables)
        enh = instances[
            (instances["measure_id"] == "ENH-IDENTIFIED") & (instances["quarter"] == "2024Q1")
        ]
        overall = row(
            identification_by_reason(tables, Quarter(2024, 1), LATE_AS_OF), "reason", "all"
        )
        assert overall["owed"] == len(enh)
        assert overall["identified"] == (enh["status"] == "met").sum()

    def test_crimes_reported_after_as_of_are_left_out(self) -> None:
        # As of Sat 2 Mar, only the crimes of Fri 1 Mar are known: V1 and V2.
        table = identification_by_reason(
            source_tables(**IDENTIFICATION_TABLES), Quarter(2024, 1), dt.date(2024, 3, 2)
        )
        assert row(table, "reason", "all")[["owed", "identified"]].tolist() == [2, 1]
        assert row(table, "reason", "rape")["owed"] == 0

    def test_the_next_quarter_has_its_own_victims(self) -> None:
        table = identification_by_reason(
            source_tables(**IDENTIFICATION_TABLES), Quarter(2024, 2), LATE_AS_OF
        )
        assert row(table, "reason", "all")[["owed", "identified", "missed"]].tolist() == [1, 0, 1]
        assert table["reason"].iloc[1] == "domestic_abuse"


# --- Update delay, identified against not identified ------------------------------------------

UPDATE_TABLES = dict(
    police__crimes=[
        crime("C1", "2024-02-20T10:00", is_domestic_abuse=True),
        crime("C2", "2024-02-20T10:00"),
        crime("C3", "2024-02-20T10:00", offence_category="rape"),
        crime("C4", "2024-02-20T10:00"),
    ],
    police__victims=[
        victim("V1", "C1", enhanced_flag=True),  # identified
        victim("V2", "C2", age_at_offence=16),  # not identified
        victim("V3", "C3"),  # not identified
        victim("V4", "C4"),  # standard: not in these figures
    ],
    police__investigation_events=[
        event("C1", "suspect_arrested", "2024-05-03T09:00"),
        event("C1", "suspect_charged", "2024-05-10T09:00"),
        event("C2", "suspect_arrested", "2024-05-03T09:00"),
        event("C2", "suspect_interviewed", "2024-03-01T09:00"),  # 2024Q1
        event("C3", "suspect_arrested", "2024-05-03T09:00"),
        event("C3", "suspect_interviewed", "2024-05-03T09:00"),
        event("C3", "suspect_bailed", "2024-05-03T09:00"),
        event("C4", "suspect_arrested", "2024-05-03T09:00"),
    ],
    police__victim_contacts=[
        # Fri 3 May -> Tue 7 May: 1 working day over the bank holiday; met
        contact("V1", "suspect_arrested", "2024-05-07T10:00"),
        # same day: 0; met
        contact("V1", "suspect_charged", "2024-05-10T16:00"),
        # Fri 3 May -> Wed 8 May: 2 working days; not met
        contact("V2", "suspect_arrested", "2024-05-08T10:00"),
        contact("V2", "suspect_interviewed", "2024-03-04T10:00"),
        # Fri 3 May -> Fri 10 May: 4 working days; not met
        contact("V3", "suspect_arrested", "2024-05-10T10:00"),
        # Fri 3 May -> Mon 20 May: 10 working days; not met
        contact("V3", "suspect_interviewed", "2024-05-20T10:00"),
        # suspect_bailed: never updated
        contact("V4", "suspect_arrested", "2024-05-20T10:00"),
    ],
)


class TestUpdateDelayByIdentification:
    def delay(self, as_of: dt.date = LATE_AS_OF, quarter: Quarter = Q2) -> pd.DataFrame:
        tables = source_tables(**UPDATE_TABLES)
        return update_delay_by_identification(
            instances_for(tables, as_of), tables, quarter, CALENDAR
        )

    def test_unidentified_enhanced_victims_wait_longer(self) -> None:
        table = self.delay()
        assert list(table.columns) == UPDATE_DELAY_COLUMNS
        assert table["identification"].tolist() == ["identified", "not_identified", "all"]
        counts = table.set_index("identification")[["instances", "met", "not_met", "updated"]]
        assert counts.loc["identified"].tolist() == [2, 2, 0, 2]
        assert counts.loc["not_identified"].tolist() == [4, 0, 4, 3]
        assert counts.loc["all"].tolist() == [6, 2, 4, 5]

    def test_working_day_distribution(self) -> None:
        table = self.delay().set_index("identification")
        figures = [
            "rate",
            "median_working_days",
            "p75_working_days",
            "p90_working_days",
            "within_1_share",
            "within_5_share",
            "never_updated_share",
        ]
        # identified: days [0, 1]
        assert table.loc["identified", figures].tolist() == pytest.approx(
            [1.0, 0.5, 0.75, 0.9, 1.0, 1.0, 0.0]
        )
        # not identified: days [2, 4, 10] among the updated, and one never updated
        assert table.loc["not_identified", figures].tolist() == pytest.approx(
            [0.0, 4.0, 7.0, 8.8, 0.0, 0.5, 0.25]
        )
        # all: days [0, 1, 2, 4, 10] among the updated
        assert table.loc["all", figures].tolist() == pytest.approx(
            [2 / 6, 2.0, 4.0, 7.6, 2 / 6, 4 / 6, 1 / 6]
        )

    def test_pending_instances_are_left_out(self) -> None:
        # As of Fri 3 May the events of that day are due Tue 7 May: all pending.
        table = self.delay(as_of=dt.date(2024, 5, 3)).set_index("identification")
        assert table["instances"].tolist() == [0, 0, 0]
        assert np.isnan(table.loc["all", "median_working_days"])
        assert np.isnan(table.loc["all", "rate"])

    def test_quarter_is_the_event_quarter(self) -> None:
        # The Fri 1 Mar interview, told Mon 4 Mar: 1 working day, met, but V2 was not flagged.
        table = self.delay(quarter=Quarter(2024, 1)).set_index("identification")
        assert table.loc["not_identified", ["instances", "met"]].tolist() == [1, 1]
        assert table.loc["not_identified", "median_working_days"] == 1.0
        assert table.loc["identified", "instances"] == 0


# --- Needs assessment timeliness --------------------------------------------------------------

TIMELINESS_AS_OF = dt.date(2024, 4, 2)  # Tue 2 Apr, the day after Easter Monday

TIMELINESS_TABLES = dict(
    police__crimes=[
        crime("C1", "2024-03-01T10:00"),
        crime("C2", "2024-03-01T10:00", is_domestic_abuse=True),
        crime("C3", "2024-03-28T10:00", is_hate_crime=True),
    ],
    police__victims=[
        victim("V1", "C1"),  # standard, same day: 0
        victim("V2", "C1"),  # standard, Mon 4 Mar: 1
        victim("V3", "C2"),  # enhanced, Tue 5 Mar: 2
        victim("V4", "C2"),  # enhanced, Fri 8 Mar: 5 -> 3-5
        victim("V5", "C1"),  # standard, Fri 15 Mar: 10 -> 6-10
        victim("V6", "C1"),  # standard, Mon 18 Mar: 11 -> 11+
        victim("V7", "C2"),  # enhanced, never assessed
        victim("V8", "C1"),  # standard, assessed the day before the report only
        victim("V9", "C3"),  # enhanced, Thu 28 Mar: due Wed 3 Apr, pending though assessed
    ],
    police__needs_assessments=[
        assessment("V1", "2024-03-01T15:00"),
        assessment("V2", "2024-03-04T10:00"),
        assessment("V3", "2024-03-05T10:00"),
        assessment("V4", "2024-03-08T10:00"),
        assessment("V5", "2024-03-15T10:00"),
        assessment("V6", "2024-03-18T10:00"),
        assessment("V8", "2024-02-29T10:00"),
        assessment("V9", "2024-03-28T15:00"),
    ],
)


class TestAssessmentTimeliness:
    def timeliness(self) -> pd.DataFrame:
        tables = source_tables(**TIMELINESS_TABLES)
        instances = instances_for(tables, TIMELINESS_AS_OF)
        return assessment_timeliness(instances, Quarter(2024, 1), CALENDAR)

    def test_working_days_from_report_to_assessment_in_bands(self) -> None:
        table = self.timeliness()
        assert list(table.columns) == TIMELINESS_COLUMNS
        counts = table.pivot(index="band", columns="rights", values="count")
        assert counts.loc[list(TIMELINESS_BANDS)].values.tolist() == [
            # all, enhanced, standard
            [1, 0, 1],  # 0: V1
            [1, 0, 1],  # 1: V2
            [1, 1, 0],  # 2: V3
            [1, 1, 0],  # 3-5: V4
            [1, 0, 1],  # 6-10: V5
            [1, 0, 1],  # 11+: V6
            [2, 1, 1],  # not_assessed: V7, V8
            [1, 1, 0],  # pending: V9
        ]

    def test_shares_are_of_final_instances_and_pending_is_kept_apart(self) -> None:
        table = self.timeliness().set_index(["rights", "band"])
        assert table.loc[("all", "0"), "share"] == pytest.approx(1 / 8)
        assert table.loc[("all", "not_assessed"), "share"] == pytest.approx(2 / 8)
        assert table.loc[("enhanced", "2"), "share"] == pytest.approx(1 / 3)
        assert table.loc[("standard", "6-10"), "share"] == pytest.approx(1 / 5)
        assert np.isnan(table.loc[("all", "pending"), "share"])
        # within 2 working days (the default deadline): V1, V2, V3 of 8
        assert table.loc[("all", "2"), "cumulative_share"] == pytest.approx(3 / 8)
        # assessed at all by the as-of date: 6 of 8
        assert table.loc[("all", "11+"), "cumulative_share"] == pytest.approx(6 / 8)
        assert np.isnan(table.loc[("all", "not_assessed"), "cumulative_share"])

    def test_a_group_with_no_instances_has_counts_of_zero_and_no_shares(self) -> None:
        tables = source_tables(
            police__crimes=[crime("C1", "2024-03-01T10:00")],
            police__victims=[victim("V1", "C1")],
        )
        table = assessment_timeliness(instances_for(tables), Quarter(2024, 1), CALENDAR)
        enhanced = table[table["rights"] == "enhanced"]
        assert enhanced["count"].tolist() == [0] * len(TIMELINESS_BANDS)
        assert enhanced["share"].isna().all()
        assert row(table[table["rights"] == "all"], "band", "not_assessed")["share"] == 1.0


# --- Needs assessment items -------------------------------------------------------------------

ITEMS_TABLES = dict(
    police__crimes=[crime("C1", "2024-03-01T10:00")],
    police__victims=[victim(v, "C1") for v in ("V1", "V2", "V3", "V4", "V5")],
    police__needs_assessments=[
        assessment("V1", "2024-03-01T15:00"),
        # dated before the report: never matches, though it misses everything
        assessment("V2", "2024-02-29T10:00", missing=VNA_ITEMS),
        # the earlier of two on Mon 4 Mar is the one matched
        assessment(
            "V2",
            "2024-03-04T09:00",
            missing=("special_measures_considered", "contact_preference_recorded"),
        ),
        assessment("V2", "2024-03-04T14:00"),
        assessment("V3", "2024-03-05T10:00", missing=("special_measures_considered",)),
        assessment("V4", "2025-01-06T10:00", missing=VNA_ITEMS),  # after the as-of date
        # V5: no assessment, so no R4-VNA-CONTENT instance
    ],
)


class TestMissingItems:
    def test_items_most_often_missing_first(self) -> None:
        tables = source_tables(**ITEMS_TABLES)
        table = missing_items(instances_for(tables), tables, Quarter(2024, 1), LATE_AS_OF)
        assert list(table.columns) == MISSING_ITEM_COLUMNS
        assert table[["item", "assessments", "missing"]].values.tolist() == [
            ["any", 3, 2],
            ["special_measures_considered", 3, 2],
            ["contact_preference_recorded", 3, 1],
            ["communication_needs_recorded", 3, 0],
            ["vulnerability_recorded", 3, 0],
            ["support_needs_recorded", 3, 0],
        ]
        assert table["missing_share"].tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3, 0, 0, 0])

    def test_any_item_missing_equals_r4_vna_content_not_met(self) -> None:
        tables = source_tables(**ITEMS_TABLES)
        instances = instances_for(tables)
        content = instances[instances["measure_id"] == "R4-VNA-CONTENT"]
        table = missing_items(instances, tables, Quarter(2024, 1), LATE_AS_OF)
        assert row(table, "item", "any")["missing"] == (content["status"] == "not_met").sum()

    def test_instances_from_another_as_of_date_are_refused(self) -> None:
        tables = source_tables(**ITEMS_TABLES)
        instances = instances_for(tables)  # as of 31 Dec 2024
        with pytest.raises(ValueError, match="as-of date"):
            missing_items(instances, tables, Quarter(2024, 1), dt.date(2024, 3, 4))

    def test_no_assessments_gives_zero_counts_and_no_shares(self) -> None:
        tables = source_tables(
            police__crimes=[crime("C1", "2024-03-01T10:00")],
            police__victims=[victim("V1", "C1")],
        )
        table = missing_items(instances_for(tables), tables, Quarter(2024, 1), LATE_AS_OF)
        assert table["missing"].tolist() == [0] * 6
        assert table["missing_share"].isna().all()


def test_outputs_carry_no_personal_identifiers() -> None:
    tables = source_tables(**UPDATE_TABLES)
    instances = instances_for(tables)
    outputs = [
        identification_by_reason(tables, Quarter(2024, 2), LATE_AS_OF),
        update_delay_by_identification(instances, tables, Quarter(2024, 2), CALENDAR),
        assessment_timeliness(instances, Quarter(2024, 2), CALENDAR),
        missing_items(instances, tables, Quarter(2024, 2), LATE_AS_OF),
    ]
    for output in outputs:
        assert not PERSONAL_IDENTIFIERS & set(output.columns)
        text = output.astype("string").to_numpy().ravel().tolist()
        assert not {"V1", "V2", "V3", "V4", "C1", "C2", "C3", "C4"} & set(text)


# --- Properties -------------------------------------------------------------------------------

DAYS_IN_Q1 = st.dates(dt.date(2024, 1, 1), dt.date(2024, 3, 31))


@st.composite
def random_sources(draw):
    """Up to eight victims, each with their own crime reported in 2024Q1 and, maybe, an
    assessment and an investigation event with an update."""
    crimes, victims, assessments, events, contacts = [], [], [], [], []
    for n in range(draw(st.integers(1, 8))):
        reported = draw(DAYS_IN_Q1)
        crimes.append(
            crime(
                f"C{n}",
                f"{reported}T10:00",
                offence_category=draw(st.sampled_from(OFFENCE_CATEGORIES)),
                is_domestic_abuse=draw(st.booleans()),
                is_hate_crime=draw(st.booleans()),
            )
        )
        flags = ("is_vulnerable", "is_intimidated", "is_persistently_targeted")
        victims.append(
            victim(
                f"V{n}",
                f"C{n}",
                victim_type=draw(st.sampled_from(["person", "business_named_contact", "business"])),
                age_at_offence=draw(st.one_of(st.none(), st.integers(0, 90))),
                enhanced_flag=draw(st.booleans()),
                is_bereaved_family=draw(st.booleans()),
                **{flag: draw(st.booleans()) for flag in flags},
            )
        )
        if draw(st.booleans()):
            after = draw(st.integers(-2, 20))
            assessments.append(
                assessment(
                    f"V{n}",
                    f"{reported + dt.timedelta(days=after)}T12:00",
                    missing=tuple(draw(st.sets(st.sampled_from(VNA_ITEMS)))),
                )
            )
        if draw(st.booleans()):
            happened = reported + dt.timedelta(days=draw(st.integers(0, 10)))
            events.append(event(f"C{n}", "suspect_arrested", f"{happened}T09:00"))
            if draw(st.booleans()):
                told = happened + dt.timedelta(days=draw(st.integers(0, 12)))
                contacts.append(contact(f"V{n}", "suspect_arrested", f"{told}T10:00"))
    as_of = draw(st.dates(dt.date(2024, 3, 1), dt.date(2024, 6, 30)))
    tables = source_tables(
        police__crimes=crimes,
        police__victims=victims,
        police__needs_assessments=assessments,
        police__investigation_events=events,
        police__victim_contacts=contacts,
    )
    return tables, as_of


PROPERTY_SETTINGS = settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(random_sources())
def test_enhanced_reasons_hold_exactly_for_victims_owed_enhanced_rights(sources) -> None:
    tables, _ = sources
    joined = tables[("police", "victims")].merge(tables[("police", "crimes")], on="crime_ref")
    assert enhanced_reasons(joined).any(axis=1).equals(owed_enhanced_rights(joined))


def identified_and_missed_add_up_to_owed(tables, instances, as_of):
    table = identification_by_reason(tables, Quarter(2024, 1), as_of)
    assert (table["identified"] + table["missed"] == table["owed"]).all()
    assert (table["identified"] >= 0).all() and (table["missed"] >= 0).all()
    overall = row(table, "reason", "all")
    reasons = table[table["reason"] != "all"]
    assert (reasons["owed"] <= overall["owed"]).all()
    assert reasons["owed"].sum() >= overall["owed"]  # each owed victim has at least one reason
    enh = instances[
        (instances["measure_id"] == "ENH-IDENTIFIED") & (instances["quarter"] == "2024Q1")
    ]
    assert overall["owed"] == len(enh)
    assert overall["identified"] == (enh["status"] == "met").sum()


def timeliness_shares_sum_to_one_and_groups_add_up(instances):
    table = assessment_timeliness(instances, Quarter(2024, 1), CALENDAR)
    counts = table.pivot(index="band", columns="rights", values="count")
    assert (counts["enhanced"] + counts["standard"] == counts["all"]).all()
    vna = instances[(instances["measure_id"] == "R4-VNA") & (instances["quarter"] == "2024Q1")]
    assert counts["all"].sum() == len(vna)
    final = table[table["band"] != "pending"]
    for _, group in final.groupby("rights"):
        if group["count"].sum():
            assert group["share"].sum() == pytest.approx(1.0)
        else:
            assert group["share"].isna().all()


def update_delay_groups_add_up_and_shares_are_ordered(tables, instances):
    table = update_delay_by_identification(instances, tables, Quarter(2024, 1), CALENDAR)
    by_group = table.set_index("identification")
    for column in ("instances", "met", "not_met", "updated"):
        parts = by_group.loc["identified", column] + by_group.loc["not_identified", column]
        assert parts == by_group.loc["all", column]
    shown = table[table["instances"] > 0]
    assert (shown["within_1_share"] <= shown["within_5_share"]).all()
    assert (shown["within_5_share"] + shown["never_updated_share"] <= 1 + 1e-12).all()
    assert (shown["median_working_days"].fillna(0) <= shown["p90_working_days"].fillna(0)).all()


def missing_items_never_exceed_assessments_or_any(tables, instances, as_of):
    items = missing_items(instances, tables, Quarter(2024, 1), as_of)
    assert (items["missing"] <= items["assessments"]).all()
    assert (items["missing"] <= row(items, "item", "any")["missing"]).all()


@PROPERTY_SETTINGS
@given(random_sources())
def test_invariants_of_the_analyses(sources) -> None:
    """One run of the measures per example (it is the slow part), every invariant checked on it."""
    tables, as_of = sources
    instances = instances_for(tables, as_of)
    identified_and_missed_add_up_to_owed(tables, instances, as_of)
    timeliness_shares_sum_to_one_and_groups_add_up(instances)
    update_delay_groups_add_up_and_shares_are_ordered(tables, instances)
    missing_items_never_exceed_assessments_or_any(tables, instances, as_of)
