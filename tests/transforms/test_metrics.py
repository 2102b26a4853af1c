"""From instances to metrics: counts, Wilson intervals, RAG, breakdowns, and their invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from vcc.transforms.catalogue import MEASURES, load_catalogue
from vcc.transforms.disclosure import published_tables
from vcc.transforms.metrics import Rating, rag_ratings, summarise, wilson_interval

DISTRICTS = ["Carlisle", "Eden"]


@pytest.mark.parametrize(
    ("met", "eligible", "low", "high"),
    [
        (27, 95, 0.2033, 0.3819),  # worked by hand and by the independent implementation
        (1, 1, 0.2065, 1.0000),
        (0, 2, 0.0000, 0.6576),
        (117, 164, 0.6399, 0.7771),
    ],
)
def test_wilson_interval(met, eligible, low, high) -> None:
    lows, highs = wilson_interval(np.array([met]), np.array([eligible]))
    assert round(lows[0], 4) == low
    assert round(highs[0], 4) == high


def test_wilson_interval_is_empty_without_a_denominator() -> None:
    lows, highs = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(lows[0]) and np.isnan(highs[0])


@pytest.mark.parametrize(
    ("met", "eligible", "rag"),
    [(9, 10, "green"), (8, 10, "amber"), (79, 100, "red"), (9, 9, "none"), (0, 0, "none")],
)
def test_rag_against_target_tolerance_and_minimum(met, eligible, rag) -> None:
    assert rag_ratings(np.array([met]), np.array([eligible]), [Rating(0.9, 0.1, 10)])[0] == rag


def instance(measure_id="R2-RECORD", status="met", quarter="2024Q2", **extra) -> dict:
    row = {
        "measure_id": measure_id,
        "agency": "police",
        "quarter": quarter,
        "victim_id": "V1",
        "status": status,
        "enhanced": False,
        "district": "Carlisle",
        "age_band": "25-64",
        "sex": "female",
        "ethnicity": "white",
        "has_disability": "unknown",
        "offence_group": "theft",
        "domestic_abuse": "false",
    }
    row.update(extra)
    return row


def test_counts_pending_apart_from_eligible_and_rates_met_over_eligible() -> None:
    instances = pd.DataFrame(
        [
            instance(status="met"),
            instance(status="not_met"),
            instance(status="pending"),
            instance(status="met", enhanced=True, district="Eden"),
        ]
    )
    metrics = summarise(instances, ["2024Q2"], {}, DISTRICTS)
    rows = metrics[metrics["measure_id"] == "R2-RECORD"].set_index(["dimension", "group"])
    assert rows.loc[("all", "all"), ["eligible", "met", "not_met", "pending"]].tolist() == [
        3,
        2,
        1,
        1,
    ]
    assert rows.loc[("all", "all"), "rate"] == pytest.approx(2 / 3)
    assert rows.loc[("rights", "standard"), ["eligible", "met", "pending"]].tolist() == [2, 1, 1]
    assert rows.loc[("district", "Eden"), ["eligible", "met"]].tolist() == [1, 1]


def test_every_measure_has_its_all_and_rights_rows_even_when_empty() -> None:
    instances = pd.DataFrame([instance()])
    metrics = summarise(instances, ["2024Q2"], {}, DISTRICTS, complaint_sources=["police"])
    alls = metrics[metrics["dimension"] == "all"]
    # the measures of CONTRACT.md §6.2 only where their optional data supports them
    assert set(alls["measure_id"]) == {m.measure_id for m in MEASURES if not m.requires}
    empty = metrics[(metrics["measure_id"] == "R8-HEARING") & (metrics["dimension"] == "rights")]
    assert empty["group"].tolist() == ["enhanced", "standard"]
    assert empty["eligible"].tolist() == [0, 0] and empty["rate"].isna().all()
    assert metrics.columns.tolist()[:6] == [
        "quarter",
        "measure_id",
        "right",
        "agency",
        "dimension",
        "group",
    ]


def test_a_measure_of_the_catalogue_handed_in_has_its_rows_even_when_empty() -> None:
    instances = pd.DataFrame([instance()])
    catalogue = load_catalogue()
    metrics = summarise(instances, ["2024Q2"], {}, DISTRICTS, ["police"], catalogue)
    alls = metrics[metrics["dimension"] == "all"]
    assert alls["measure_id"].tolist() == [
        m.measure_id if m.agency != "each source" else "R12-ACK" for m in catalogue.measures
    ]
    property_rows = metrics[metrics["measure_id"] == "R10-PROPERTY"]
    assert property_rows["right"].unique().tolist() == [10]
    assert property_rows["eligible"].tolist() == [0, 0, 0]  # all, enhanced, standard


def test_complaints_have_only_the_all_row_per_source() -> None:
    instances = pd.DataFrame(
        [instance("R12-ACK", agency="probation", victim_id=None, district=None)]
    )
    metrics = summarise(instances, ["2024Q2"], {}, DISTRICTS, complaint_sources=["probation"])
    complaints = metrics[metrics["measure_id"] == "R12-ACK"]
    assert complaints[["agency", "dimension", "eligible"]].values.tolist() == [
        ["probation", "all", 1]
    ]


statuses = st.sampled_from(["met", "not_met", "pending"])
random_instances = st.lists(
    st.builds(
        instance,
        measure_id=st.sampled_from(["R2-RECORD", "R6-UPDATE", "R1-INTERPRET", "R10-PROPERTY"]),
        status=statuses,
        enhanced=st.booleans(),
        district=st.sampled_from([*DISTRICTS, None]),
        age_band=st.sampled_from(["0-17", "65+", "unknown"]),
        sex=st.sampled_from(["female", "male", None]),
        offence_group=st.sampled_from(["violence_with_injury", "theft", "fraud", "other"]),
        domestic_abuse=st.sampled_from(["true", "false"]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=examples(60), deadline=None)
@given(random_instances)
def test_invariants_of_any_set_of_instances(rows) -> None:
    metrics = summarise(pd.DataFrame(rows), ["2024Q2"], {}, DISTRICTS)
    assert (metrics["met"] + metrics["not_met"] == metrics["eligible"]).all()
    rated = metrics.dropna(subset=["rate"])
    assert (
        (rated["ci_low"] <= rated["rate"] + 1e-12) & (rated["rate"] <= rated["ci_high"] + 1e-12)
    ).all()
    totals = metrics[metrics["dimension"] == "all"].set_index(["measure_id", "agency"])
    for (measure_id, agency, dimension), groups in metrics.groupby(
        ["measure_id", "agency", "dimension"]
    ):
        for column in ("eligible", "met", "pending"):
            total = totals.loc[(measure_id, agency), column]
            assert groups[column].sum() == total, (measure_id, dimension, column)
    # every breakdown of CONTRACT.md §4 and §6.3 for every measure with a victim
    assert set(metrics["dimension"]) >= {"offence_group", "domestic_abuse"}


groups_of_people = st.lists(
    st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=2, max_size=7
)  # (met, not met) per group of one breakdown


def _breakdown_table(groups: list[tuple[int, int]]) -> pd.DataFrame:
    def row(dimension, group, met, not_met):
        return {
            "quarter": "2024Q2",
            "measure_id": "R2-RECORD",
            "right": 2,
            "agency": "police",
            "dimension": dimension,
            "group": group,
            "eligible": met + not_met,
            "met": met,
            "target": 0.9,
            "rate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "rag": "none",
        }

    rows = [row("district", f"D{i}", met, not_met) for i, (met, not_met) in enumerate(groups)]
    total_met = sum(met for met, _ in groups)
    rows.append(row("all", "all", total_met, sum(not_met for _, not_met in groups)))
    return pd.DataFrame(rows)


@settings(max_examples=examples(150), deadline=None)
@given(groups_of_people)
def test_suppression_never_leaves_a_small_or_recoverable_cell(groups) -> None:
    metrics = _breakdown_table(groups)
    published = published_tables(metrics, threshold=5)
    is_total = (metrics["dimension"] == "all").to_numpy()
    for column in ("eligible", "met"):
        hidden = (published[column] == "[c]").to_numpy()
        values = metrics[column].to_numpy()
        # no count of 1 to 4 people is printed...
        assert not ((values > 0) & (values < 5) & ~hidden).any()
        not_met = (metrics["eligible"] - metrics["met"]).to_numpy()
        if column == "met":
            assert not ((not_met > 0) & (not_met < 5) & ~hidden).any()
        # ...and no hidden group can be worked back from the total and the other groups
        if not hidden[is_total][0]:
            assert hidden[~is_total].sum() != 1
