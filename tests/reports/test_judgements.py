"""The report's judgements of change (CONTRACT.md §7.1): headline findings that name every
significant change both ways, the month-by-month signals and the measure missed most often; and
each agency's SPC charts with their icons in words and small months hidden."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from tests.reports.test_report import METRIC_COLUMNS, a_quarter, metric
from vcc.reports.agencies import agency_sections
from vcc.reports.findings import headline_findings
from vcc.reports.spc import hidden, spc_view
from vcc.transforms.changes import compare_quarters
from vcc.transforms.disclosure import published_tables
from vcc.transforms.metrics import wilson_interval
from vcc.transforms.quarters import Quarter
from vcc.transforms.spc import SPC_COLUMNS, monthly_counts, spc_table, trend_months


def with_trend(rows: list[dict], spc: pd.DataFrame | None = None):
    """a_quarter's report with ``rows`` as the trend (2024Q3 its quarter)."""
    data = a_quarter()
    trend = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    trend["ci_low"], trend["ci_high"] = wilson_interval(trend["met"], trend["eligible"])
    metrics = trend[trend["quarter"] == "2024Q3"].reset_index(drop=True)
    figures = replace(
        data.figures, trend=trend, metrics=metrics,
        changes=compare_quarters(trend, Quarter(2024, 3)), published=published_tables(metrics, 5),
        spc=spc if spc is not None else pd.DataFrame(columns=SPC_COLUMNS),
    )  # fmt: skip
    return replace(data, figures=figures)


def test_every_significant_fall_and_rise_is_named_on_last_quarter_and_a_year_before() -> None:
    rows = [
        # R3-ACK: 60% a year before, 62% last quarter, 82.5% now: up on both
        metric("2023Q3", "R3-ACK", 3, "police", 100, 60),
        metric("2024Q2", "R3-ACK", 3, "police", 100, 62),
        metric("2024Q3", "R3-ACK", 3, "police", 120, 99),
        # R12-ACK (police): 94% a year before, 90% last quarter, 70% now: down on both
        metric("2023Q3", "R12-ACK", 12, "police", 200, 188),
        metric("2024Q2", "R12-ACK", 12, "police", 200, 180),
        metric("2024Q3", "R12-ACK", 12, "police", 200, 140),
        # R6-VCL: level
        *(metric(q, "R6-VCL", 6, "cps", 400, 360) for q in ("2023Q3", "2024Q2", "2024Q3")),
    ]
    findings = headline_findings(with_trend(rows))
    falls = next(f for f in findings if f.startswith("Significant falls"))
    rises = next(f for f in findings if f.startswith("Significant rises"))
    # the larger fall first: 24 points on a year before, then 20 on the previous quarter
    assert falls == (
        "Significant falls: complaint acknowledged (Police), down 24.0 percentage points "
        "on 2023Q3 (a year before) to 70.0%; complaint acknowledged (Police), down 20.0 "
        "percentage points on 2024Q2 (the previous quarter) to 70.0%."
    )
    assert (
        "written acknowledgement of the crime" in rises
        and "up 22.5 percentage points on 2023Q3 (a year before)" in rises
    )
    assert "up 20.5 percentage points on 2024Q2 (the previous quarter)" in rises
    assert not any("CPS letter" in f and "Significant" in f for f in findings)


def test_the_measure_missed_most_often_by_count_is_named() -> None:
    rows = [
        metric("2024Q3", "R3-ACK", 3, "police", 120, 99),  # 21 missed
        metric("2024Q3", "R12-ACK", 12, "police", 5000, 4000),  # 1,000 missed, at 80%
        metric("2024Q3", "R6-VCL", 6, "cps", 40, 38),
    ]
    findings = headline_findings(with_trend(rows))
    assert (
        "Missed most often: complaint acknowledged (Police), not met 1,000 times this "
        "quarter (80.0% met of 5,000)." in findings
    )


def spc_rows(measure_id: str, agency: str, met: list[int], eligible: list[int]) -> pd.DataFrame:
    months = trend_months(["2022Q4", "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1",
                           "2024Q2", "2024Q3"])  # fmt: skip
    counts = pd.DataFrame({"measure_id": measure_id, "agency": agency, "month": months,
                           "eligible": eligible, "met": met})  # fmt: skip
    return spc_table(counts, {measure_id: 0.9})


def test_signals_in_the_quarters_months_are_told_in_words_concerns_first() -> None:
    # R3-ACK falls below its centre for its last 8 months: a shift, a concern;
    # R6-VCL rises through its last 7 months: a trend, an improvement
    r3 = spc_rows("R3-ACK", "police", [90, 92] * 8 + [80] * 8, [100] * 24)
    r6 = spc_rows("R6-VCL", "cps", [80, 84] * 8 + [80, 81, 82, 83, 84, 85, 86, 87], [100] * 24)
    rows = [metric("2024Q3", "R3-ACK", 3, "police", 300, 240),
            metric("2024Q3", "R6-VCL", 6, "cps", 300, 258)]  # fmt: skip
    findings = headline_findings(with_trend(rows, pd.concat([r3, r6], ignore_index=True)))
    finding = next(f for f in findings if f.startswith("Month by month"))
    assert finding == (
        "Month by month, the charts show real change (more than chance) in the quarter: a concern "
        "for written acknowledgement of the crime (September 2024: outside the limits "
        "and in a run of 7 or more on one side of the centre), and an improvement for "
        "CPS letter on a decision not to charge, to stop or to alter a charge (September 2024: "
        "in a run of 7 or more rising or falling)."
    )


def test_months_that_could_give_a_small_count_back_are_hidden() -> None:
    counts = pd.DataFrame({"eligible": [0, 3, 40, 40, 40], "met": [0, 3, 38, 2, 20]})
    # 3 eligible; 2 not met (38 of 40); 2 met; a month of none and a month of 20 and 20 stay
    assert hidden(counts, 5).tolist() == [False, True, True, True, False]


def test_each_agency_section_has_spc_charts_with_icons_in_words() -> None:
    r3 = spc_rows("R3-ACK", "police", [90, 92] * 8 + [80] * 7 + [2], [100] * 23 + [3])
    rows = [metric("2024Q3", "R3-ACK", 3, "police", 203, 162)]
    data = with_trend(rows, r3)
    view = spc_view(data.figures.spc, "police", "2024Q3", 5, {"R3-ACK": 0.9})
    assert view is not None and view.hidden_months == 1  # 2 of 3 in the last month
    line = view.lines[0]
    assert (line.variation_icon, line.variation) == ("▼", "Special cause: concern")
    # the last month's 3 eligible give it wide limits: the target lies within them
    assert line.assurance == "Hit and miss: the target lies between the limits"
    assert "<title>Statistical process control charts" in view.chart_svg
    # the alt text names the measure in words, not its code
    assert (
        "Written acknowledgement of the crime: Special cause: concern; Hit and miss: the target "
        "lies between the limits."
    ) in view.chart_svg
    police = next(
        s for s in agency_sections(data, [Quarter(2024, 2), Quarter(2024, 3)]) if s.key == "police"
    )
    assert police.spc is not None and police.spc.lines[0].measure_id == "R3-ACK"


@pytest.mark.parametrize("empty", [pd.DataFrame(), pd.DataFrame(columns=SPC_COLUMNS)])
def test_no_spc_rows_no_chart(empty) -> None:
    assert spc_view(empty, "police", "2024Q3", 5, {}) is None


def test_monthly_counts_use_the_contracts_months() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}", trend_months(["2024Q3"])[0])
    empty = pd.DataFrame(columns=["measure_id", "agency", "trigger_date", "status", "quarter"])
    counts = monthly_counts(empty, ["2024Q3"], [("R3-ACK", "police")])
    assert counts["eligible"].tolist() == [0, 0, 0]
