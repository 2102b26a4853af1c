"""The synthetic data of Rights 1, 5 and 10 (CONTRACT.md §6.1): present, varying as a report should
find it, with faults for validation, and leaving every table of §2 exactly as it was."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.flows.synthetic.test_synthetic import eight_quarters, on_time, victims_owed_the_code  # noqa: F401
from vcc.flows.synthetic import generate_sources
from vcc.flows.synthetic.rights_data import COMPENSATION_CATEGORIES
from vcc.transforms.quarters import Quarter


@pytest.fixture(scope="module")
def two_quarters():
    return generate_sources(
        Quarter(2024, 1), Quarter(2024, 2), scale=0.1, seed=7, until=dt.date(2025, 3, 31)
    )


def test_the_new_columns_and_tables_are_there(two_quarters) -> None:
    police, cps = two_quarters["police"], two_quarters["cps"]
    needed = police["needs_assessments"]["interpreter_needed"]
    assert 0.02 <= needed.mean() <= 0.08 and needed.isna().any()
    assert police["victim_contacts"]["interpreter_used"].any()
    assert (police["victim_contacts"]["contact_type"] == "compensation_information").any()
    assert len(police["property"]) > 100 and police["property"]["released_at"].isna().any()
    assert len(cps["expense_claims"]) > 50 and cps["expense_claims"]["completed_at"].isna().any()


def test_the_new_tables_have_faults_for_validation(two_quarters) -> None:
    items = two_quarters["police"]["property"]
    assert items["item_id"].duplicated().any()
    victims = set(two_quarters["police"]["victims"]["victim_id"])
    assert (~items["victim_id"].isin(victims)).any()
    claims = two_quarters["cps"]["expense_claims"]
    assert (~claims["urn"].isin(set(two_quarters["cps"]["cases"]["urn"]))).any()


def test_the_tables_of_section_2_are_as_before_the_new_data(two_quarters) -> None:
    from vcc.flows.synthetic import generate as g

    window = g.Window(g.Quarter.parse("2024Q1"), g.Quarter.parse("2024Q2"), dt.date(2025, 3, 31))
    streams = dict(
        zip(
            g.STAGES,
            g.np.random.SeedSequence(7).spawn(len(g.STAGES)),
            strict=True,
        )
    )
    rng = {stage: g.np.random.default_rng(stream) for stage, stream in streams.items()}
    # the streams of section 2 as they were spawned before the new data existed; any stream at
    # all for the new data, which the tables of section 2 must not depend on
    rng["rights"] = g.np.random.default_rng(0)
    clean, _ = g._clean_sources(rng, window, 0.1)
    before = g.inject_defects(rng["defects"], clean)
    for source, tables in before.items():
        for table, frame in tables.items():
            now = two_quarters[source][table][frame.columns][: len(frame)]
            pd.testing.assert_frame_equal(now, frame, obj=f"{source}.{table}")


def test_compensation_information_is_better_for_enhanced_victims_and_worse_in_barrow(
    eight_quarters,  # noqa: F811
) -> None:
    police = eight_quarters["police"]
    victims = victims_owed_the_code(police)
    victims = victims[victims["offence_category"].isin(COMPENSATION_CATEGORIES)]
    told = police["victim_contacts"].query("contact_type == 'compensation_information'")
    first = told.groupby("victim_id")["contacted_at"].min()
    victims["met"] = on_time(victims["reported_at"], victims["victim_id"].map(first), 5)
    by_enhanced = victims.groupby("enhanced")["met"].mean()
    assert by_enhanced[True] - by_enhanced[False] >= 0.05
    by_district = victims.groupby("district")["met"].mean()
    assert by_district.idxmin() == "Barrow-in-Furness"


def test_expenses_are_paid_later_over_the_quarters(eight_quarters) -> None:  # noqa: F811
    claims = eight_quarters["cps"]["expense_claims"].drop_duplicates("claim_id")
    claims = claims[claims["completed_at"].notna()]
    claims = claims.assign(
        met=on_time(claims["completed_at"], claims["paid_at"], 10),
        quarter=claims["completed_at"].dt.to_period("Q").astype(str),
    )
    by_quarter = claims.groupby("quarter")["met"].mean()
    assert by_quarter["2024Q1"] - by_quarter["2025Q4"] >= 0.05
