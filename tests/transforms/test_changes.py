"""Change over time with Newcombe's interval for a difference of proportions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vcc.transforms.changes import compare_quarters, newcombe_interval
from vcc.transforms.metrics import wilson_interval
from vcc.transforms.quarters import Quarter


def test_newcombe_interval_reproduces_the_published_example() -> None:
    # Newcombe (1998), method 10: 56/70 against 48/80 gives 0.2000 (0.0524 to 0.3339).
    low1, high1 = wilson_interval(np.array([56]), np.array([70]))
    low2, high2 = wilson_interval(np.array([48]), np.array([80]))
    low, high = newcombe_interval(np.array([0.8]), low1, high1, np.array([0.6]), low2, high2)
    assert (round(low[0], 4), round(high[0], 4)) == (0.0524, 0.3339)


def metric(quarter: str, met: int, eligible: int) -> dict:
    low, high = wilson_interval(np.array([met]), np.array([eligible]))
    return {
        "quarter": quarter,
        "measure_id": "R8-HEARING",
        "agency": "wcu",
        "dimension": "all",
        "group": "all",
        "eligible": eligible,
        "met": met,
        "rate": met / eligible if eligible else np.nan,
        "ci_low": low[0],
        "ci_high": high[0],
    }


def test_changes_on_previous_quarter_and_a_year_before() -> None:
    metrics = pd.DataFrame(
        [
            metric("2024Q2", 56, 70),
            metric("2024Q1", 48, 80),  # previous quarter: a significant rise of 20 points
            metric("2023Q2", 54, 70),  # a year before: 2.9 points, not significant
        ]
    )
    changes = compare_quarters(metrics, Quarter(2024, 2)).set_index("comparison")
    previous, year = changes.loc["previous quarter"], changes.loc["a year before"]
    assert previous["compared_quarter"] == "2024Q1"
    assert previous["change"] == pytest.approx(0.2) and previous["significant"]
    assert year["compared_quarter"] == "2023Q2"
    assert year["change"] == pytest.approx(2 / 70) and not year["significant"]


def test_no_comparison_where_the_earlier_quarter_has_no_rate() -> None:
    metrics = pd.DataFrame([metric("2024Q2", 5, 10), metric("2024Q1", 0, 0)])
    changes = compare_quarters(metrics, Quarter(2024, 2)).set_index("comparison")
    for comparison in ("previous quarter", "a year before"):
        assert pd.isna(changes.loc[comparison, "significant"])
        assert pd.isna(changes.loc[comparison, "change"])
