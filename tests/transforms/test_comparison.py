"""The comparison of areas: all-areas rate, funnel position and disclosure control, on tiny
metrics tables written out here."""

from __future__ import annotations

import pandas as pd
import pytest

from vcc.transforms.comparison import COMPARISON_COLUMNS, compare_areas, published_comparison
from vcc.transforms.quarters import Quarter

Q = "2024Q4"
QUARTER = Quarter(2024, 4)


def metrics(*rows: tuple[str, int, int], quarter: str = Q) -> pd.DataFrame:
    """An area's metrics.csv: the all row of each (measure, eligible, met), with a district row
    and an earlier quarter that the comparison must ignore."""
    records = []
    for measure_id, eligible, met in rows:
        base = dict(measure_id=measure_id, right="R6", agency="police", eligible=eligible, met=met)
        records.append(dict(base, quarter=quarter, dimension="all", group="all"))
        records.append(dict(base, quarter=quarter, dimension="district", group="X"))
        records.append(dict(base, quarter="2024Q3", dimension="all", group="all"))
    return pd.DataFrame(records)


def test_all_areas_rate_and_positions_against_hand_worked_limits():
    # p0 = (4 + 36) / (10 + 40) = 0.8. Alpha at n = 10: limits 0.3025 (99.8%) and 0.4705 (95%)
    # (tests/transforms/test_funnel.py), so 4/10 = 0.4 is below 95% only. Beta's 36/40 = 0.9 is
    # (0.9 - 0.8) / sqrt(0.8 * 0.2 / 40) = 1.58 standard errors above p0: within.
    table = compare_areas({"beta": metrics(("R6-UPDATE", 40, 36)),
                           "alpha": metrics(("R6-UPDATE", 10, 4))}, QUARTER)  # fmt: skip
    assert list(table["area"]) == ["alpha", "beta"]  # by name, never by rate
    assert table["all_areas_rate"].tolist() == [0.8, 0.8]
    assert table["rate"].tolist() == [0.4, 0.9]
    assert table["lower_95"][0] == pytest.approx(0.4705064, abs=1e-6)
    assert table["funnel_position"].tolist() == ["below 95%", "within"]
    # Wilson 95% for 4/10, z² = 3.8415: centre (0.4 + 0.1921) / 1.3841 = 0.4277,
    # half 1.96 * sqrt(0.024 + 0.0096) / 1.3841 = 0.2596 -> 0.1682
    assert table["ci_low"][0] == pytest.approx(0.1682, abs=1e-4)


def test_a_lone_small_area_is_hidden_with_the_smallest_other_and_counts_in_the_benchmark():
    areas = {
        "big": metrics(("R6-UPDATE", 100, 80)),
        "middle": metrics(("R6-UPDATE", 40, 30)),
        "tiny": metrics(("R6-UPDATE", 3, 3)),
    }
    published = published_comparison(compare_areas(areas, QUARTER), threshold=5)
    assert list(published.columns) == COMPARISON_COLUMNS
    rows = published.set_index("area")
    # tiny's 3 is below the threshold; middle (the smallest other) is hidden with it, or
    # p0 = 113/143 and big's counts would give tiny back
    assert rows.loc["tiny", "eligible"] == "[c]" and rows.loc["middle", "eligible"] == "[c]"
    for column in ("met", "rate", "ci_low", "ci_high", "funnel_position"):
        assert rows.loc["tiny", column] == "[c]" and rows.loc["middle", column] == "[c]"
    assert rows.loc["big", "eligible"] == "100" and rows.loc["big", "rate"] == "0.8000"
    assert (rows["all_areas_rate"] == f"{113 / 143:.4f}").all()  # 0.7902


def test_an_area_with_no_eligible_has_no_rate_and_a_tiny_benchmark_is_hidden():
    areas = {"a": metrics(("R7-VPS", 0, 0)), "b": metrics(("R7-VPS", 2, 1))}
    rows = published_comparison(compare_areas(areas, QUARTER), threshold=5).set_index("area")
    assert rows.loc["a", "rate"] == "[z]" and rows.loc["a", "funnel_position"] == "[z]"
    assert rows.loc["b", "eligible"] == "[c]"
    assert (rows["all_areas_rate"] == "[c]").all()  # 1 of 2 over every area
