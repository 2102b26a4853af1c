"""Funnel limits (Spiegelhalter 2005) against values worked by hand from the binomial
distribution, and where a rate falls against them."""

from __future__ import annotations

import numpy as np
import pytest

from vcc.transforms.funnel import (
    additive_limits,
    funnel_limit,
    funnel_limits,
    funnel_position,
    judged_limits,
    overdispersion,
)


def test_limits_of_four_instances_at_one_half_interpolate_between_whole_counts() -> None:
    # Binomial(4, 0.5): F(0..4) = 1/16, 5/16, 11/16, 15/16, 1.
    # upper 95%, p = 0.975: r = 4 (F(3) = 0.9375 < 0.975 <= F(4) = 1);
    #   alpha = (1 - 0.975) / (1 - 0.9375) = 0.4; limit = (4 - 0.4) / 4 = 0.9
    # upper 99.8%, p = 0.999: r = 4; alpha = 0.001 / 0.0625 = 0.016; (4 - 0.016) / 4 = 0.996
    # lower 95%, p = 0.025: r = 0 (F(0) = 0.0625); alpha = (0.0625 - 0.025) / 0.0625 = 0.6;
    #   (0 - 0.6) / 4 < 0, clipped to 0
    limits = funnel_limits(0.5, np.array([4]))
    assert limits["upper_95"][0] == pytest.approx(0.9)
    assert limits["upper_998"][0] == pytest.approx(0.996)
    assert limits["lower_95"][0] == 0.0
    assert limits["lower_998"][0] == 0.0


def test_lower_limits_of_ten_instances_at_four_fifths() -> None:
    # Binomial(10, 0.8): P(3) = 120 * 0.8^3 * 0.2^7 = 0.000786432, P(4) = 210 * 0.8^4 * 0.2^6
    # = 0.005505024, P(5) = 252 * 0.8^5 * 0.2^5 = 0.026424115; F(2) = 0.000077926, so
    # F(3) = 0.000864358, F(4) = 0.006369382, F(5) = 0.032793498.
    # lower 95%, p = 0.025: r = 5; alpha = (0.032793498 - 0.025) / 0.026424115 = 0.294936;
    #   limit = (5 - 0.294936) / 10 = 0.4705064
    # lower 99.8%, p = 0.001: r = 4; alpha = (0.006369382 - 0.001) / 0.005505024 = 0.975363;
    #   limit = (4 - 0.975363) / 10 = 0.3024637
    assert funnel_limit(0.025, 0.8, np.array([10]))[0] == pytest.approx(0.4705064, abs=1e-6)
    assert funnel_limit(0.001, 0.8, np.array([10]))[0] == pytest.approx(0.3024637, abs=1e-6)


def test_limits_narrow_as_the_number_eligible_grows() -> None:
    limits = funnel_limits(0.7, np.array([10, 100, 1000]))
    widths = limits["upper_95"] - limits["lower_95"]
    assert widths[0] > widths[1] > widths[2]
    assert (limits["lower_998"] <= limits["lower_95"]).all()
    assert (limits["upper_95"] <= limits["upper_998"]).all()


def test_no_eligible_has_no_limits_and_an_all_or_nothing_rate_is_its_own_limit() -> None:
    assert np.isnan(funnel_limit(0.975, 0.5, np.array([0]))[0])
    assert funnel_limits(1.0, np.array([7]))["lower_998"][0] == 1.0
    assert funnel_position(np.array([1.0]), funnel_limits(1.0, np.array([7])))[0] == "within"


def test_position_against_the_limits_a_point_on_a_limit_is_within() -> None:
    # at n = 4, p0 = 0.5: limits 0 / 0 / 0.9 / 0.996 (worked above)
    limits = funnel_limits(0.5, np.array([4, 4, 4]))
    assert list(funnel_position(np.array([0.5, 1.0, 0.0]), limits)) == [
        "within",
        "above 99.8%",  # 1.0 > 0.996
        "within",  # 0.0 is on both lower limits
    ]
    # at n = 10, p0 = 0.8: lower limits 0.3025 (99.8%) and 0.4705 (95%)
    ten = funnel_limits(0.8, np.array([10, 10, 10]))
    assert list(funnel_position(np.array([0.4, 0.3, np.nan]), ten)) == [
        "below 95%",
        "below 99.8%",
        "",
    ]


# --- overdispersion (CONTRACT.md §7.2) ---------------------------------------------------------
TEN_MET = np.array([50, 55, 60, 65, 70, 75, 80, 85, 90, 95])  # of 100 each: p0 = 725/1000


def test_phi_and_tau2_worked_by_hand() -> None:
    # z_i = (asin √p_i − asin √0.725) · 2√100: −4.6677, −3.6660, ..., 4.6053, 6.5300.
    # 10th percentile at rank 0.9: −4.6677 + 0.9 · (−3.6660 + 4.6677) = −3.7662;
    # 90th at rank 8.1: 4.6053 + 0.1 · (6.5300 − 4.6053) = 4.7978. Winsorised, Σz²/10 = 9.4799;
    # w = 400 each: Σw − Σw²/Σw = 4000 − 400 = 3600; τ² = (94.799 − 9) / 3600 = 0.023833.
    phi, tau2 = overdispersion(TEN_MET, np.full(10, 100))
    assert round(phi, 4) == 9.4799
    assert round(tau2, 6) == 0.023833


def test_limits_widened_by_tau2_worked_by_hand() -> None:
    # asin √0.725 = 1.01969; spread √(1/400 + 0.023833) = 0.16228 at n = 100:
    # sin²(1.01969 ∓ 3.090232 · 0.16228) = 0.2446 and 0.9974; ∓ 1.959964 ·: 0.4157 and 0.9463
    limits = additive_limits(0.725, np.array([100]), 0.02383297500587397)
    assert round(limits["lower_998"][0], 4) == 0.2446
    assert round(limits["lower_95"][0], 4) == 0.4157
    assert round(limits["upper_95"][0], 4) == 0.9463
    assert round(limits["upper_998"][0], 4) == 0.9974
    # wider than the binomial limits, which are about ±0.13 at n = 100
    binomial = funnel_limits(0.725, np.array([100]))
    assert limits["lower_998"][0] < binomial["lower_998"][0]


def test_additive_limits_clip_the_angle_at_0_and_a_right_angle() -> None:
    # n = 1: spread √(0.25 + 0.0238) = 0.5233; 1.0197 ∓ 3.0902 · 0.5233 is −0.60 and 2.64 rad,
    # outside [0, π/2]: clipped, the limits are 0% and 100%, not the sine's way back
    limits = additive_limits(0.725, np.array([1, 0]), 0.02383297500587397)
    assert limits["lower_998"][0] == 0.0 and limits["upper_998"][0] == 1.0
    assert np.isnan(limits["upper_95"][1])


def test_fewer_than_ten_areas_have_no_phi_and_no_tau2() -> None:
    phi, tau2 = overdispersion(TEN_MET[:9], np.full(9, 100))
    assert np.isnan(phi) and tau2 == 0.0
    # an area with no one eligible is not counted among the ten
    phi, tau2 = overdispersion(np.append(TEN_MET[:9], 0), np.append(np.full(9, 100), 0))
    assert np.isnan(phi) and tau2 == 0.0


def test_areas_no_more_spread_than_chance_have_tau2_0_and_binomial_limits() -> None:
    # every area exactly at p0: z = 0, φ = 0, τ² = max(0, (0 − 9)/...) = 0
    phi, tau2 = overdispersion(np.full(10, 72), np.full(10, 80))
    assert phi == 0.0 and tau2 == 0.0
    limits = judged_limits(0.9, np.array([80]), tau2)
    assert limits["lower_95"][0] == funnel_limits(0.9, np.array([80]))["lower_95"][0]
