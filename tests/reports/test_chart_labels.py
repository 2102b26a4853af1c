"""The charts' labels stand clear (issue 28): no two text boxes overlap, and none lies on a data
mark, as the figure is laid out at print size (``tests/reports/chart_geometry.py``). The panels
below are the report's hard cases: a rate that crosses its target inside a wide interval (the
complaints panel), a rate rising into its target (an end value that sat on the line), a rate well
above target, one far below it, one near 100%, and quarters missing from a series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.reports.chart_geometry import collisions
from vcc.reports.charts import stage_figure, trend_figure
from vcc.transforms.metrics import METRIC_COLUMNS, wilson_interval
from vcc.transforms.quarters import Quarter

QUARTERS = [
    Quarter.parse(q)
    for q in ("2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")
]

# (measure, agency, eligible each quarter, met each quarter); None: no eligible that quarter
SERIES = {
    "complaints crossing the target, wide interval": (
        "R12-ACK", "police", [70, 66, 75, 72, 80, 77, 90, 99], [63, 59, 68, 63, 72, 65, 80, 87],
    ),
    "rising into the target": (
        "R1-INTERPRET", "police", [330, 340, 350, 352, 349, 360, 300, 356],
        [211, 227, 251, 254, 258, 275, 226, 292],
    ),
    "well above target": (
        "R2-RECORD", "police", [8000] * 8, [7560, 7550, 7570, 7565, 7555, 7585, 7600, 7590],
    ),
    "far below target": (
        "R4-VNA-CONTENT", "police", [7000] * 8, [4760, 4700, 4730, 4690, 4720, 4700, 4660, 4730],
    ),
    "near 100%": ("R2-RECORD", "cps", [40] * 8, [39, 40, 38, 40, 40, 39, 40, 40]),
    "gaps": (
        "R11-RELEASE", "probation", [40, 0, 45, 44, 0, 41, 43, 46], [30, 0, 35, 34, 0, 33, 34, 36],
    ),
    "on the target": ("R7-VPS", "police", [900] * 8, [810, 815, 805, 812, 808, 810, 811, 810]),
}  # fmt: skip


def trend_rows(names: list[str]) -> pd.DataFrame:
    rows = []
    for name in names:
        measure_id, agency, eligible, met = SERIES[name]
        for quarter, n, k in zip(QUARTERS, eligible, met, strict=True):
            bounds = wilson_interval(np.array([k]), np.array([n])) if n else ([None], [None])
            low, high = bounds[0][0], bounds[1][0]
            rows.append({
                "quarter": str(quarter), "measure_id": measure_id, "right": 0, "agency": agency,
                "dimension": "all", "group": "all", "eligible": n, "met": k, "not_met": n - k,
                "pending": 0, "rate": k / n if n else None, "ci_low": low, "ci_high": high,
                "target": 0.9, "rag": "red",
            })  # fmt: skip
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))


@pytest.mark.parametrize("name", list(SERIES))
def test_a_panels_labels_meet_no_line_band_marker_or_other_text(name):
    figure = trend_figure(trend_rows([name]), QUARTERS, threshold=5)
    assert collisions(figure) == []
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "Target 90%" in texts  # the labels are there, not dropped to make room
    assert any(text.endswith("%") and text != "Target 90%" for text in texts)


def test_a_full_grid_of_panels_stands_clear():
    figure = trend_figure(trend_rows(list(SERIES)), QUARTERS, threshold=5)
    assert collisions(figure) == []


def test_the_geometry_check_finds_a_label_on_a_line():
    # the check itself: a label written over the rate line is found
    figure = trend_figure(trend_rows(["far below target"]), QUARTERS, threshold=5)
    ax = figure.axes[0]
    ax.text(3, 4730 / 7000, "on the line", ha="center", va="center")
    assert any("'on the line' overlaps a data mark" in found for found in collisions(figure))


# The slowest stages of the demo's police (issue 28, page 8): "deadline" and "75% within" fell
# at one place (R10-PROPERTY's 10 days) and stacked, the leader of one through the other.
POLICE_STAGES = [  # measure, deadlines (standard, enhanced), median, p75, p90; None: withheld
    ("R10-PROPERTY", 10, 10, 6, 10, 16), ("R6-UPDATE", 5, 1, 2, 4, 5),
    ("R5-COMPENSATION", 5, 5, 3, 5, 6), ("R2-RECORD", 1, 1, 1, 1, 1), ("R4-VNA", 2, 2, 1, 2, 2),
    ("R4-REFER", 2, 2, 1, 2, 2), ("R1-INTERPRET", 5, 5, 3, 5, 5), ("R3-ACK", 5, 5, 3, 4, 5),
    ("R7-VPS", 5, 5, 1, 4, 5), ("R12-ACK", 10, 10, None, None, None),
]  # fmt: skip


def published_stage_rows(rows) -> pd.DataFrame:
    """Stages as ``transforms.stages.published_stages`` hands them to the chart (text)."""
    return pd.DataFrame(
        [
            {"measure_id": m, "deadline_standard": str(standard),
             "deadline_enhanced": str(enhanced),
             **{column: "[c]" if value is None else str(value) for column, value in
                zip(("median_working_days", "p75_working_days", "p90_working_days"),
                    (median, p75, p90), strict=True)}}
            for m, standard, enhanced, median, p75, p90 in rows
        ]
    )  # fmt: skip


def test_the_stage_charts_labels_stand_apart_and_name_a_shared_place_once():
    figure = stage_figure(published_stage_rows(POLICE_STAGES), threshold=5)
    assert collisions(figure) == []
    labels = [t.get_text() for t in figure.axes[0].texts if getattr(t, "arrow_patch", None)]
    # the deadline and the 75th percentile of the top stage share 10 days: one label names both
    assert "75% within and deadline" in labels
    assert {"median", "90% within", "enhanced rights' deadline"} <= set(labels)


def test_stage_labels_close_together_take_lines_their_leaders_do_not_cross():
    # marks 1 day apart on a 3-day axis: the labels cannot share a line
    close = [("R2-RECORD", 2, 1, 1, 2, 3), ("R4-VNA", 2, 2, 1, 2, 2)]
    figure = stage_figure(published_stage_rows(close), threshold=5)
    assert collisions(figure) == []
