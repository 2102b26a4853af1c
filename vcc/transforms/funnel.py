"""Funnel-plot control limits for comparing areas (Spiegelhalter 2005, "Funnel plots for comparing
institutional performance", Statistics in Medicine 24:1185-1202).

Each area's rate met / eligible is judged against the all-areas rate p0 = Σmet / Σeligible: an
area "in control" with n eligible has met ~ Binomial(n, p0). Its limits are the binomial
quantiles of that distribution, as rates, with Spiegelhalter's interpolation (his §A.1.1) so that
the limits are smooth in n instead of stepping with each whole count:

    r_p   = the smallest r with F(r) >= p        (F the Binomial(n, p0) distribution function)
    alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))
    limit = (r_p - alpha) / n

for p = 0.025 and 0.975 (95% limits) and p = 0.001 and 0.999 (99.8%), clipped to [0, 1]. The
exact quantile is used rather than the normal approximation p0 ± z·sqrt(p0(1-p0)/n) because most
areas are small and rates near 0 or 1 are common, where the normal limits fall outside [0, 1]
and are too narrow on the side that matters.

No area is ranked: an area's *position* only says whether its rate lies outside a pair of limits
(a point on a limit is within it).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

# (lower, upper) tail probabilities of each pair of limits
LIMITS_95 = (0.025, 0.975)
LIMITS_998 = (0.001, 0.999)

WITHIN = "within"
ABOVE_95 = "above 95%"
ABOVE_998 = "above 99.8%"
BELOW_95 = "below 95%"
BELOW_998 = "below 99.8%"
POSITIONS = (BELOW_998, BELOW_95, WITHIN, ABOVE_95, ABOVE_998)


def funnel_limit(p: float, p0: float, eligible: np.ndarray) -> np.ndarray:
    """The rate below which a share ``p`` of areas with ``eligible`` instances would fall if each
    met its instances with probability ``p0`` (NaN where eligible is 0)."""
    n = np.asarray(eligible, dtype=float)
    if p0 <= 0.0 or p0 >= 1.0:
        # every area in control meets all or none: the limits are p0 itself
        return np.where(n > 0, float(p0), np.nan)
    safe_n = np.where(n > 0, n, 1.0)
    r = binom.ppf(p, safe_n, p0)  # the smallest r with F(r) >= p
    at_r = binom.cdf(r, safe_n, p0)
    below_r = binom.cdf(r - 1, safe_n, p0)
    step = at_r - below_r
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(step > 0, (at_r - p) / step, 0.0)
    limit = np.clip((r - alpha) / safe_n, 0.0, 1.0)
    return np.where(n > 0, limit, np.nan)


def funnel_limits(p0: float, eligible: np.ndarray) -> dict[str, np.ndarray]:
    """The four limits around ``p0`` at each number eligible: ``lower_998``, ``lower_95``,
    ``upper_95``, ``upper_998``."""
    return {
        "lower_998": funnel_limit(LIMITS_998[0], p0, eligible),
        "lower_95": funnel_limit(LIMITS_95[0], p0, eligible),
        "upper_95": funnel_limit(LIMITS_95[1], p0, eligible),
        "upper_998": funnel_limit(LIMITS_998[1], p0, eligible),
    }


def funnel_position(rate: np.ndarray, limits: dict[str, np.ndarray]) -> np.ndarray:
    """Where each rate falls against its limits: one of ``POSITIONS``, or "" with no rate."""
    rate = np.asarray(rate, dtype=float)
    position = np.select(
        [
            np.isnan(rate),
            rate > limits["upper_998"],
            rate > limits["upper_95"],
            rate < limits["lower_998"],
            rate < limits["lower_95"],
        ],
        ["", ABOVE_998, ABOVE_95, BELOW_998, BELOW_95],
        default=WITHIN,
    )
    return position.astype(object)
