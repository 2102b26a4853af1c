"""The QAF dip sample (transforms/sampling.py): who is in the frame and by which route, how many
cases each stratum gets, which cases are drawn and what each one weighs, hand-worked."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import source_tables
from tests.conftest import examples
from vcc.transforms.quarters import Quarter
from vcc.transforms.sampling import (
    STRATA,
    Stratum,
    allocate,
    design_table,
    draw_sample,
    qualifies_for_vcs,
    sampling_frame,
    stratum_sizes,
)

Q4 = Quarter(2024, 4)  # 1 October to 31 December 2024
AS_OF = dt.date(2025, 2, 14)


def S(route: str, rights: str) -> Stratum:
    return Stratum.from_key(f"{route}/{rights}")


# --- the frame and the routes -------------------------------------------------------------------


def crime(ref: str, offence: str = "theft") -> dict:
    return {
        "crime_ref": ref,
        "reported_at": "2024-06-03T10:00",
        "recorded_at": "2024-06-03T11:00",
        "offence_category": offence,
        "district": "Carlisle",
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


def hearing(hearing_id: str, victim_id: str, when: str) -> dict:
    return {
        "hearing_id": hearing_id,
        "urn": "U" + victim_id,
        "victim_id": victim_id,
        "hearing_at": when,
        "received_at": "2024-09-02T09:00",
    }


def outcome(victim_id: str, when: str, kind: str = "sentence", **extra) -> dict:
    return {
        "urn": "U" + victim_id,
        "victim_id": victim_id,
        "outcome_type": kind,
        "outcome_at": when,
        "received_at": when,
        "vcs_specified_offence": False,
        **extra,
    }


def decision(victim_id: str, kind: str, when: str) -> dict:
    return {
        "urn": "U" + victim_id,
        "victim_id": victim_id,
        "decision_type": kind,
        "decided_at": when,
    }


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    ids = [f"V{n}" for n in range(1, 10)]
    tables = source_tables(
        police__crimes=[crime(f"C{n}", "rape" if n == 4 else "theft") for n in range(1, 10)],
        police__victims=[
            *[victim(v, f"C{n}") for n, v in enumerate(ids, start=1) if v != "V7"],
            victim("V7", "C7", victim_type="business"),  # a business is not owed the Code
        ],
        cps__cases=[{"urn": "U" + v, "crime_ref": f"C{n}"} for n, v in enumerate(ids, start=1)],
        cps__decisions=[
            decision("V1", "no_charge", "2024-10-07T12:00"),  # not charged
            decision("V5", "discontinued", "2024-11-20T12:00"),  # charged, then dropped
            decision("V6", "no_charge", "2024-09-30T12:00"),  # the quarter before: not in it
        ],
        cps__hearings=[
            hearing("H2", "V2", "2024-10-14T10:00"),  # charged
            hearing("H3", "V3", "2024-08-01T10:00"),
            hearing("H5", "V5", "2024-10-01T10:00"),
            hearing("H7", "V7", "2024-10-15T10:00"),
            hearing("H9", "V9", "2024-12-02T10:00"),
        ],
        cps__outcomes=[
            # convicted: a community sentence in the quarter, heard the quarter before
            outcome("V3", "2024-10-21T15:00", sentence_type="community"),
            # Victim Contact Scheme: a specified offence, 24 months' custody
            outcome("V4", "2024-12-05T15:00", sentence_type="custody", sentence_months=24,
                    vcs_specified_offence=True),
            outcome("V8", "2024-11-11T15:00", kind="verdict"),  # a verdict alone: charged
            # sentenced after the quarter ended: still only charged in Q4
            outcome("V9", "2025-01-13T15:00", sentence_type="custody", sentence_months=30,
                    vcs_specified_offence=True),
        ],
    )  # fmt: skip
    return sampling_frame(tables, Q4, AS_OF)


def test_frame_is_victims_owed_the_code_with_a_cps_decision_hearing_or_outcome_in_the_quarter(
    frame: pd.DataFrame,
) -> None:
    assert frame["victim_id"].tolist() == ["V1", "V2", "V3", "V4", "V5", "V8", "V9"]


def test_route_takes_the_furthest_stage_reached_by_the_end_of_the_quarter(
    frame: pd.DataFrame,
) -> None:
    routes = dict(zip(frame["victim_id"], frame["route"], strict=True))
    assert routes == {
        "V1": "not_charged_or_dropped",
        "V2": "charged",
        "V3": "convicted",
        "V4": "vcs",
        "V5": "not_charged_or_dropped",  # discontinued after charge: dropped, not charged
        "V8": "charged",
        "V9": "charged",
    }


def test_stratum_is_route_and_derived_enhanced_rights(frame: pd.DataFrame) -> None:
    strata = dict(zip(frame["victim_id"], frame["stratum"], strict=True))
    assert strata["V4"] == "vcs/enhanced"  # rape: owed enhanced rights (CONTRACT.md §2)
    assert strata["V3"] == "convicted/standard"


@pytest.mark.parametrize(
    ("sentence", "months", "specified", "eligible"),
    [
        ("custody", 12, True, True),  # 12 months or more
        ("custody", 11, True, False),
        ("hospital_order", None, True, True),
        ("custody", 36, False, False),  # not a specified offence
        ("suspended", 24, True, False),
    ],
)
def test_victim_contact_scheme_eligibility_follows_r11_refer(
    sentence, months, specified, eligible
) -> None:
    outcomes = pd.DataFrame(
        {
            "outcome_type": ["sentence"],
            "sentence_type": pd.array([sentence], dtype="string"),
            "sentence_months": pd.array([months], dtype="Float64"),
            "vcs_specified_offence": pd.array([specified], dtype="boolean"),
        }
    )
    assert qualifies_for_vcs(outcomes).tolist() == [eligible]


# --- allocation ---------------------------------------------------------------------------------

# 200 victims in eight strata; a sample of 40, enhanced strata oversampled twice.
SIZES = {
    S("not_charged_or_dropped", "standard"): 60,
    S("not_charged_or_dropped", "enhanced"): 20,
    S("charged", "standard"): 50,
    S("charged", "enhanced"): 30,
    S("convicted", "standard"): 25,
    S("convicted", "enhanced"): 10,
    S("vcs", "standard"): 3,
    S("vcs", "enhanced"): 2,
}


def test_allocation_hand_worked() -> None:
    # Shares (enhanced x2): 60, 40, 50, 60, 25, 20, 3, 4; total 262. The two VCS strata's quotas
    # 40 x 3/262 = 0.46 and 40 x 4/262 = 0.61 are under one: each gets its one case. The other 38
    # go in proportion to 60, 40, 50, 60, 25, 20 (total 255): 8.94, 5.96, 7.45, 8.94, 3.73, 2.98.
    # Whole parts 8+5+7+8+3+2 = 33; the 5 left go to the largest remainders: .980 (convicted
    # enhanced), .961 (not charged enhanced), then the tie .941 in stratum order (not charged
    # standard, charged enhanced), then .725 (convicted standard).
    assert allocate(SIZES, 40, 2.0) == {
        S("not_charged_or_dropped", "standard"): 9,
        S("not_charged_or_dropped", "enhanced"): 6,
        S("charged", "standard"): 7,
        S("charged", "enhanced"): 9,
        S("convicted", "standard"): 4,
        S("convicted", "enhanced"): 3,
        S("vcs", "standard"): 1,
        S("vcs", "enhanced"): 1,
    }


def test_enhanced_strata_get_the_oversampling_factor_times_their_share() -> None:
    sizes = {S("charged", "standard"): 100, S("charged", "enhanced"): 100}
    allocation = allocate(sizes, 30, 2.0)
    assert allocation[S("charged", "standard")] == 10
    assert allocation[S("charged", "enhanced")] == 20
    assert allocate(sizes, 30, 1.0)[S("charged", "enhanced")] == 15  # no oversampling


def test_a_stratum_never_gets_more_cases_than_it_has() -> None:
    sizes = {S("charged", "standard"): 100, S("vcs", "enhanced"): 3}
    allocation = allocate(sizes, 20, 10.0)  # 20 x 30/130 = 4.6 asked of 3
    assert allocation[S("vcs", "enhanced")] == 3
    assert allocation[S("charged", "standard")] == 17


def test_a_sample_as_large_as_the_frame_takes_everyone() -> None:
    sizes = {S("charged", "standard"): 4, S("convicted", "enhanced"): 2}
    allocation = allocate(sizes, 40, 2.0)
    assert allocation[S("charged", "standard")] == 4
    assert allocation[S("convicted", "enhanced")] == 2


def test_a_sample_smaller_than_the_strata_count_goes_to_the_largest_shares() -> None:
    sizes = {S("charged", "standard"): 50, S("convicted", "standard"): 30, S("vcs", "standard"): 5}
    allocation = allocate(sizes, 2, 1.0)  # quotas 1.18, 0.71, 0.12
    assert allocation[S("charged", "standard")] == 1
    assert allocation[S("convicted", "standard")] == 1
    assert allocation[S("vcs", "standard")] == 0


@settings(max_examples=examples(300), deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=400), min_size=8, max_size=8),
    size=st.integers(min_value=1, max_value=120),
    oversampling=st.floats(min_value=0.25, max_value=5.0),
)
def test_allocation_invariants(sizes, size, oversampling) -> None:
    by_stratum = dict(zip(STRATA, sizes, strict=True))
    present = [s for s in STRATA if by_stratum[s] > 0]
    allocation = allocate(by_stratum, size, oversampling)
    assert sum(allocation.values()) == min(size, sum(sizes))
    for stratum in STRATA:
        assert 0 <= allocation[stratum] <= by_stratum[stratum]
        if stratum in present and size >= len(present):
            assert allocation[stratum] >= 1


# --- the draw and its weights -------------------------------------------------------------------


def frame_of(sizes: dict[Stratum, int]) -> pd.DataFrame:
    rows = [
        {"victim_id": f"V{stratum.key}-{n:03d}", "crime_ref": f"C{stratum.key}-{n:03d}",
         "route": stratum.route, "enhanced": stratum.enhanced, "stratum": stratum.key}
        for stratum, count in sizes.items()
        for n in range(count)
    ]  # fmt: skip
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # the order given does not matter


def test_design_weights_hand_worked() -> None:
    allocation = allocate(SIZES, 40, 2.0)
    drawn = draw_sample(frame_of(SIZES), allocation, seed=2024)
    chosen = drawn[drawn["selected"]]
    weights = chosen.groupby("stratum")["weight"].unique().map(lambda w: round(float(w[0]), 4))
    assert weights.to_dict() == {
        "not_charged_or_dropped/standard": 6.6667,  # 60 victims, 9 sampled
        "not_charged_or_dropped/enhanced": 3.3333,  # 20 / 6
        "charged/standard": 7.1429,  # 50 / 7
        "charged/enhanced": 3.3333,  # 30 / 9
        "convicted/standard": 6.25,  # 25 / 4
        "convicted/enhanced": 3.3333,  # 10 / 3
        "vcs/standard": 3.0,  # 3 / 1
        "vcs/enhanced": 2.0,  # 2 / 1
    }
    assert chosen["weight"].sum() == pytest.approx(200)  # the weights add up to the frame
    assert drawn.loc[~drawn["selected"], "weight"].isna().all()


def test_the_draw_follows_the_allocation() -> None:
    allocation = allocate(SIZES, 40, 2.0)
    drawn = draw_sample(frame_of(SIZES), allocation, seed=7)
    counts = drawn[drawn["selected"]]["stratum"].value_counts().to_dict()
    assert counts == {stratum.key: n for stratum, n in allocation.items() if n}
    assert sorted(drawn["case_number"].dropna()) == list(range(1, 41))


def test_same_frame_and_seed_give_the_same_sample_whatever_the_row_order() -> None:
    allocation = allocate(SIZES, 40, 2.0)
    frame = frame_of(SIZES)
    first = draw_sample(frame, allocation, seed=11)
    again = draw_sample(frame.sample(frac=1.0, random_state=99), allocation, seed=11)
    other = draw_sample(frame, allocation, seed=12)

    def cases(drawn: pd.DataFrame) -> list[tuple[int, str]]:
        chosen = drawn[drawn["selected"]].sort_values("case_number")
        return list(zip(chosen["case_number"], chosen["victim_id"], strict=True))

    assert cases(first) == cases(again)
    assert cases(first) != cases(other)


def test_case_numbers_run_in_stratum_order() -> None:
    allocation = allocate(SIZES, 40, 2.0)
    drawn = draw_sample(frame_of(SIZES), allocation, seed=5)
    chosen = drawn[drawn["selected"]].sort_values("case_number")
    order = [s.key for s in STRATA]
    ranks = chosen["stratum"].map(order.index).tolist()
    assert ranks == sorted(ranks)


def test_design_table_lists_each_non_empty_stratum(frame: pd.DataFrame) -> None:
    sizes = stratum_sizes(frame)
    table = design_table(sizes, allocate(sizes, 3, 2.0))
    assert table["frame"].sum() == len(frame)
    assert table["sample"].sum() == 3
    assert set(table["stratum"]) == set(frame["stratum"])
