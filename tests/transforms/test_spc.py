"""Statistical process control (CONTRACT.md §7.1): the Laney p′ chart worked by hand at each
boundary, checked against R's qicharts2, and ``spc.csv`` recomputed from its own counts."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import examples
from vcc.transforms.spc import (
    SPC_COLUMNS,
    in_runs,
    laney_chart,
    monthly_counts,
    spc_table,
    trend_months,
)

# --- the limits ------------------------------------------------------------------------------


def test_limits_worked_by_hand_and_clipped_at_one() -> None:
    # 12 months of 100 eligible, met 80 and 90 by turns: p̄ = 0.85, σ_t = √(0.85·0.15/100);
    # z_t = ±0.05/σ_t, so MR̄ = 0.1/σ_t and 3·σ_t·σ_z = 3·0.1/1.128 = 0.265957...
    chart = laney_chart([80, 90] * 6, [100] * 12)
    assert chart is not None
    assert chart.centre == pytest.approx(0.85)
    assert chart.lower == pytest.approx([0.85 - 0.3 / 1.128] * 12)
    assert round(chart.lower[0], 4) == 0.5840
    assert list(chart.upper) == [1.0] * 12  # 1.1160 clipped to 1
    assert chart.signals == [[]] * 12


def test_lower_limit_clipped_at_zero() -> None:
    chart = laney_chart([10, 20] * 6, [100] * 12)  # p̄ 0.15, limits 0.15 ∓ 0.2660
    assert chart is not None
    assert list(chart.lower) == [0.0] * 12
    assert chart.upper == pytest.approx([0.15 + 0.3 / 1.128] * 12)


def test_limits_widen_with_fewer_eligible() -> None:
    # p̄ = 0.5; n = 25 and 100 by turns: σ_t = 0.1 and 0.05; z_t = (p_t − 0.5)/σ_t
    met = [15, 45] * 6  # rates 0.6 (n 25) and 0.45 (n 100): Σmet 360 / Σn 750 = 0.48
    eligible = [25, 100] * 6
    p = 360 / 750
    sigma = [math.sqrt(p * (1 - p) / n) for n in eligible]
    z = [(m / n - p) / s for m, n, s in zip(met, eligible, sigma, strict=True)]
    sigma_z = sum(abs(b - a) for a, b in zip(z, z[1:], strict=False)) / 11 / 1.128
    chart = laney_chart(met, eligible)
    assert chart is not None
    assert chart.centre == pytest.approx(0.48)
    assert chart.upper == pytest.approx([p + 3 * s * sigma_z for s in sigma])
    assert chart.upper[0] - chart.centre == pytest.approx(2 * (chart.upper[1] - chart.centre))


@pytest.mark.parametrize(
    ("met", "eligible"),
    [
        ([100] * 12, [100] * 12),  # p̄ 1
        ([0] * 12, [100] * 12),  # p̄ 0
        ([80, 90] * 5 + [80], [100] * 11),  # 11 points
    ],
)
def test_no_chart_at_a_centre_of_0_or_1_or_with_fewer_than_12_points(met, eligible) -> None:
    assert laney_chart(met, eligible) is None


def test_twelve_points_are_enough() -> None:
    assert laney_chart([80, 90] * 6, [100] * 12) is not None


# NHS accidents seen within 4 hours over 20 weeks (qicharts2's nhs_accidents, from Mohammed MA
# et al., BMJ Qual Saf 2013;22:362-368) and qicharts2 0.8.1's P′ chart limits of them (qic(i, r,
# n, chart = "pp"): lcl and ucl).
NHS_SEEN = [266501, 264225, 276532, 281461, 269071, 261215, 270409, 279778, 270483, 270320,
            267923, 271478, 255353, 256820, 261835, 259144, 255910, 260863, 264465,
            260989]  # fmt: skip
NHS_ATTENDED = [280443, 276823, 291681, 296155, 282343, 275888, 283867, 295251, 284468, 282529,
                279618, 283932, 266629, 268091, 276803, 271578, 266005, 273520, 278574,
                273772]  # fmt: skip
QICHARTS2_CENTRE = 0.95289971134419116
QICHARTS2_LCL = [0.9401296441775141, 0.94004641862513627, 0.9403780655785402,
                 0.94047300747792362, 0.94017268417608979, 0.94002465678041103,
                 0.94020689402152513, 0.94045399796641838, 0.94022030926792188,
                 0.94017687421815865, 0.94011081930595297, 0.94020834697566502,
                 0.93980301398912502, 0.9398387733905802, 0.94004595428549564,
                 0.93992289402775664, 0.93978766173624928, 0.93996904398143111,
                 0.9400868775214295, 0.93997499652290417]  # fmt: skip
QICHARTS2_UCL = [0.96566977851086822, 0.96575300406324605, 0.96542135710984212,
                 0.9653264152104587, 0.96562673851229253, 0.96577476590797129,
                 0.96559252866685719, 0.96534542472196394, 0.96557911342046043,
                 0.96562254847022366, 0.96568860338242934, 0.96559107571271729,
                 0.96599640869925729, 0.96596064929780212, 0.96575346840288667,
                 0.96587652866062568, 0.96601176095213304, 0.96583037870695121,
                 0.96571254516695282, 0.96582442616547814]  # fmt: skip


def test_limits_agree_with_qicharts2_on_nhs_accidents() -> None:
    chart = laney_chart(NHS_SEEN, NHS_ATTENDED)
    assert chart is not None
    assert chart.centre == pytest.approx(QICHARTS2_CENTRE, abs=1e-15)
    np.testing.assert_allclose(chart.lower, QICHARTS2_LCL, rtol=0, atol=1e-14)
    np.testing.assert_allclose(chart.upper, QICHARTS2_UCL, rtol=0, atol=1e-14)
    # the P′ chart takes the weeks' real variation: no week is outside, where a P chart's
    # limits (about ±0.0012) would put most of them outside
    assert not any("outside" in fired for fired in chart.signals)


# --- the rules -------------------------------------------------------------------------------


def test_a_run_of_seven_on_one_side_is_a_shift_and_six_is_not() -> None:
    # centre exactly 0.9: 7 months at 0.95 then 7 at 0.85 (n 100)
    seven = laney_chart([95] * 7 + [85] * 7, [100] * 14)
    assert seven is not None and seven.centre == pytest.approx(0.9)
    assert all("shift" in fired for fired in seven.signals)
    # 6 above, one on the centre, 6 below: no shift anywhere
    six = laney_chart([95] * 6 + [90] + [85] * 6, [100] * 13)
    assert six is not None and six.centre == pytest.approx(0.9)
    assert not any("shift" in fired for fired in six.signals)


def test_a_point_on_the_centre_breaks_a_run() -> None:
    # 95 ×3, 90 (on the centre 0.9), 95 ×4: runs of 3 and 4 above; then 85 ×7 below; then 90.
    # z = ±1.667 at 95/85 (σ_t = 0.03), MR̄ = (1.667·4 + 3.333)/15 = 0.5556, σ_z = 0.4925,
    # limits 0.9 ∓ 3·0.03·0.4925 = 0.8557 and 0.9443: 0.95 and 0.85 are outside them.
    met = [95, 95, 95, 90, 95, 95, 95, 95] + [85] * 7 + [90]
    chart = laney_chart(met, [100] * 16)
    assert chart is not None and chart.centre == pytest.approx(0.9)
    assert round(chart.upper[0], 4) == 0.9443 and round(chart.lower[0], 4) == 0.8557
    expected = [["outside"]] * 3 + [[]] + [["outside"]] * 4 + [["outside", "shift"]] * 7 + [[]]
    assert chart.signals == expected


def test_seven_rising_points_are_a_trend_and_six_are_not() -> None:
    # 84 then 80, 81, ..., 86 (six rises join seven points), then a fall
    rising = [84, 80, 81, 82, 83, 84, 85, 86, 83, 86, 83, 86]
    chart = laney_chart(rising, [100] * 12)
    assert chart is not None
    trend = ["trend" in fired for fired in chart.signals]
    assert trend == [False] + [True] * 7 + [False] * 4
    six = [84, 80, 81, 82, 83, 84, 85, 83, 86, 83, 86, 83]  # five rises join six points
    chart = laney_chart(six, [100] * 12)
    assert chart is not None
    assert not any("trend" in fired for fired in chart.signals)


def test_an_equal_month_breaks_a_trend_and_falls_count() -> None:
    falling = [90, 89, 88, 87, 87, 86, 85, 84, 83, 90, 85, 90]  # 87 twice: 4 then 5 points
    chart = laney_chart(falling, [100] * 12)
    assert chart is not None
    assert not any("trend" in fired for fired in chart.signals)
    chart = laney_chart([90, 89, 88, 87, 86, 85, 84, 90, 85, 90, 85, 90], [100] * 12)
    assert chart is not None
    assert ["trend" in fired for fired in chart.signals] == [True] * 7 + [False] * 5


def test_a_rate_equal_to_the_centre_made_of_other_counts_is_on_it() -> None:
    # 1 of 3 against a centre of 15 of 45: on the centre, breaking the run of 2 of 3 above it
    met = [2, 2, 2, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    eligible = [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    assert sum(met) / sum(eligible) == pytest.approx(1 / 3)
    chart = laney_chart(met, eligible)
    assert chart is not None
    assert ["shift" in fired for fired in chart.signals] == [False] * 7 + [True] * 7 + [False]


@pytest.mark.parametrize(
    ("direction", "length", "member"),
    [
        ([1] * 7, 7, [True] * 7),
        ([1] * 6, 7, [False] * 6),
        ([1, 1, 1, 0, 1, 1, 1, 1], 4, [False] * 4 + [True] * 4),
        ([-1] * 3 + [1] * 3, 3, [True] * 6),
        ([0] * 8, 3, [False] * 8),
        ([], 3, []),
    ],
)
def test_in_runs(direction, length, member) -> None:
    assert list(in_runs(np.array(direction), length)) == member


# --- assurance -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("met", "target", "assurance"),
    [
        ([80, 90] * 6, 0.50, "pass"),  # lower 0.5840 above the target
        ([80, 90] * 6, 0.90, "hit_and_miss"),  # the target between the limits
        ([40, 50] * 6, 0.90, "fail"),  # upper 0.7160 below the target
        ([40, 50] * 6, 0.45 + 0.3 / 1.128, "hit_and_miss"),  # on the upper limit: not a fail
    ],
)
def test_assurance_from_the_last_point_against_the_target(met, target, assurance) -> None:
    chart = laney_chart(met, [100] * 12)
    assert chart is not None
    assert chart.assurance(target) == assurance


# --- the table -------------------------------------------------------------------------------


def instances(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Instances of R8-HEARING (wcu): (trigger date, status, quarter)."""
    return pd.DataFrame(
        {
            "measure_id": "R8-HEARING",
            "agency": "wcu",
            "trigger_date": pd.to_datetime([r[0] for r in rows]),
            "status": [r[1] for r in rows],
            "quarter": [r[2] for r in rows],
        }
    )


def test_months_of_the_trend_window() -> None:
    assert trend_months(["2024Q4", "2025Q1"]) == [
        "2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03",
    ]  # fmt: skip


def test_monthly_counts_leave_out_pending_and_fill_empty_months() -> None:
    rows = [
        ("2025-01-31", "met", "2025Q1"),
        ("2025-01-02", "not_met", "2025Q1"),
        ("2025-03-30", "pending", "2025Q1"),  # not final: in neither count
        ("2024-12-31", "met", "2024Q4"),  # outside the window
    ]
    counts = monthly_counts(instances(rows), ["2025Q1"], [("R8-HEARING", "wcu"), ("R2", "police")])
    assert counts.to_dict("list") == {
        "measure_id": ["R8-HEARING"] * 3 + ["R2"] * 3,
        "agency": ["wcu"] * 3 + ["police"] * 3,
        "month": ["2025-01", "2025-02", "2025-03"] * 2,
        "eligible": [2, 0, 0, 0, 0, 0],
        "met": [1, 0, 0, 0, 0, 0],
    }


def test_a_month_with_no_one_eligible_is_not_plotted() -> None:
    months = trend_months(["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"])  # 15 months
    eligible = [100] * 15
    eligible[5] = eligible[9] = eligible[10] = 0  # 12 points left
    met = [80, 90] * 7 + [80]
    counts = pd.DataFrame(
        {"measure_id": "R8-HEARING", "agency": "wcu", "month": months, "eligible": eligible,
         "met": [m if n else 0 for m, n in zip(met, eligible, strict=True)]}
    )  # fmt: skip
    table = spc_table(counts, {"R8-HEARING": 0.9})
    assert list(table.columns) == SPC_COLUMNS
    blank = table.loc[[5, 9, 10]]
    assert blank[["rate", "centre", "lower", "upper"]].isna().all().all()
    assert (blank["signals"] == "").all()
    plotted = table.drop(index=[5, 9, 10])
    chart = laney_chart(plotted["met"], plotted["eligible"])  # the points, consecutive
    assert chart is not None
    assert plotted["centre"].tolist() == pytest.approx([chart.centre] * 12)
    assert plotted["lower"].tolist() == pytest.approx(list(chart.lower))
    assert set(table["assurance"]) == {"hit_and_miss"}


def test_too_few_points_leave_the_chart_blank() -> None:
    months = trend_months(["2024Q1", "2024Q2", "2024Q3", "2024Q4"])
    counts = pd.DataFrame(
        {"measure_id": "R8-HEARING", "agency": "wcu", "month": months,
         "eligible": [100] * 11 + [0], "met": [80, 90] * 5 + [80, 0]}
    )  # fmt: skip
    table = spc_table(counts, {})
    assert table["rate"].notna().sum() == 11
    assert table[["centre", "lower", "upper"]].isna().all().all()
    assert (table["signals"] == "").all() and (table["assurance"] == "").all()


# --- property: spc.csv recomputed from its own counts ----------------------------------------


def recompute(table: pd.DataFrame, target: float) -> pd.DataFrame:
    """§7.1 again, written from the contract's words, with Python fractions for the sides."""
    from fractions import Fraction

    out = table.copy()
    points = out[out["eligible"] > 0]
    n, met = points["eligible"].tolist(), points["met"].tolist()
    expected = {column: [math.nan] * len(out) for column in ("centre", "lower", "upper")}
    signals = [""] * len(out)
    assurance = ""
    p = Fraction(sum(met), sum(n)) if n else Fraction(0)
    if len(n) >= 12 and 0 < p < 1:
        pf = float(p)
        sig = [math.sqrt(pf * (1 - pf) / k) for k in n]
        z = [(m / k - pf) / s for m, k, s in zip(met, n, sig, strict=True)]
        mr = sum(abs(z[i] - z[i - 1]) for i in range(1, len(z))) / (len(z) - 1)
        lo = [min(max(pf - 3 * s * mr / 1.128, 0), 1) for s in sig]
        hi = [min(max(pf + 3 * s * mr / 1.128, 0), 1) for s in sig]
        rates = [Fraction(m, k) for m, k in zip(met, n, strict=True)]
        fired: list[list[str]] = [[] for _ in n]
        for i, r in enumerate(rates):
            if float(r) > hi[i] or float(r) < lo[i]:
                fired[i].append("outside")
        for i in range(len(n)):
            for side in (1, -1):
                for start in range(max(0, i - 6), i + 1):
                    window = rates[start : start + 7]
                    shifted = len(window) == 7 and all((r - p) * side > 0 for r in window)
                    if shifted and "shift" not in fired[i]:
                        fired[i].append("shift")
            for start in range(max(0, i - 6), i + 1):
                window = rates[start : start + 7]
                steps = list(zip(window, window[1:], strict=False))
                trending = len(window) == 7 and (
                    all(b > a for a, b in steps) or all(b < a for a, b in steps)
                )
                if trending and "trend" not in fired[i]:
                    fired[i].append("trend")
        index = points.index
        for column, values in (("centre", [pf] * len(n)), ("lower", lo), ("upper", hi)):
            for row, value in zip(index, values, strict=True):
                expected[column][out.index.get_loc(row)] = value
        for row, f in zip(index, fired, strict=True):
            signals[out.index.get_loc(row)] = ";".join(f)
        assurance = "pass" if lo[-1] > target else "fail" if hi[-1] < target else "hit_and_miss"
    for column, values in expected.items():
        out[column] = values
    out["signals"], out["assurance"] = signals, assurance
    return out


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.integers(0, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
        min_size=12,
        max_size=24,
    ),
    st.floats(0.5, 0.99),
)
def test_spc_recomputed_from_its_own_counts(points, target) -> None:
    months = [f"{2023 + i // 12}-{i % 12 + 1:02d}" for i in range(len(points))]
    counts = pd.DataFrame(
        {"measure_id": "R6-VCL", "agency": "cps", "month": months,
         "eligible": [n for n, _ in points], "met": [m for _, m in points]}
    )  # fmt: skip
    table = spc_table(counts, {"R6-VCL": target})
    again = recompute(counts, target)
    for column in ("centre", "lower", "upper"):
        np.testing.assert_allclose(table[column], again[column], rtol=0, atol=1e-12)
    assert table["signals"].tolist() == again["signals"].tolist()
    assert table["assurance"].tolist() == again["assurance"].tolist()


# --- the months add up to metrics.csv --------------------------------------------------------


def test_months_add_up_to_the_quarters_figures() -> None:
    from tests.conftest import GOLDEN
    from vcc.flows.config import load_config
    from vcc.flows.run.figures import FigureSettings, quarter_figures
    from vcc.flows.sources.coerce import coerce_source
    from vcc.flows.sources.extract import extract_source
    from vcc.transforms.quarters import Quarter

    config = load_config(GOLDEN / "data" / "vcc.toml")
    typed = {}
    for name, source in config.sources.items():
        for table, (frame, _problems) in coerce_source(
            extract_source(name, source), source, name
        ).items():
            typed[(name, table)] = frame
    quarter = Quarter.parse("2024Q2")
    catalogue = config.catalogue(quarter.start)
    figures = quarter_figures(
        typed, FigureSettings.of(config.settled(catalogue), catalogue), quarter,
        dt.date(2024, 7, 12),
    )  # fmt: skip
    spc = figures.spc
    assert list(spc.columns) == SPC_COLUMNS
    spc_quarter = spc["month"].map(lambda m: f"{m[:4]}Q{(int(m[5:]) - 1) // 3 + 1}").astype(str)
    by_quarter = spc.groupby(["measure_id", "agency", spc_quarter])[["eligible", "met"]].sum()
    trend = figures.trend.astype({"quarter": str}).set_index(["measure_id", "agency", "quarter"])
    trend = trend[["eligible", "met"]]
    assert len(trend) == len(by_quarter) == 8 * len(figures.metrics.query("dimension == 'all'"))
    pd.testing.assert_frame_equal(
        by_quarter.sort_index(),
        trend.sort_index(),
        check_names=False,
        check_dtype=False,
        check_index_type=False,
    )
    assert figures.trend["eligible"].sum() > 0
    this = by_quarter.xs("2024Q2", level=2)
    all_rows = figures.metrics.query("dimension == 'all'").set_index(["measure_id", "agency"])
    assert this["eligible"].to_dict() == all_rows["eligible"].to_dict()
    assert this["met"].to_dict() == all_rows["met"].to_dict()
