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


# --- overdispersion (CONTRACT.md §7.2) -----------------------------------------------------------
# Real areas differ more than chance explains (practice, systems, demand), so with many areas most
# fall outside exact binomial limits. Spiegelhalter (2005, "Handling over-dispersion of
# performance indicators", Qual Saf Health Care 14:347-351) widens the limits by an additive
# random effect: on the arcsine scale, where an area's rate has variance 1/(4n), each area's true
# rate varies around p0 with variance τ², estimated by DerSimonian and Laird's method of moments
# from winsorised z-scores (the default of NHS-R's FunnelPlotR).
Z_95 = 1.959964  # the contract's two-sided normal quantiles
Z_998 = 3.090232
MIN_AREAS_FOR_TAU2 = 10  # fewer areas say too little about their spread
WINSOR_PERCENTILES = (10.0, 90.0)


def overdispersion(met: np.ndarray, eligible: np.ndarray) -> tuple[float, float]:
    """φ and τ² of one measure over the areas with anyone eligible (``met``/``eligible`` of
    every area, hidden ones included): NaN and 0.0 with fewer than ``MIN_AREAS_FOR_TAU2``.

        z_i = (asin √p_i − asin √p0) · 2√n_i,  winsorised at the 10th and 90th percentiles
        φ   = Σ z_w² / I
        τ²  = max(0, (I·φ − (I − 1)) / (Σw − Σw²/Σw)),  w_i = 4·n_i
    """
    n = np.asarray(eligible, dtype=float)
    m = np.asarray(met, dtype=float)
    counted = n > 0
    n, m = n[counted], m[counted]
    areas = len(n)
    if areas < MIN_AREAS_FOR_TAU2:
        return float("nan"), 0.0
    p0 = m.sum() / n.sum()
    z = (np.arcsin(np.sqrt(m / n)) - np.arcsin(np.sqrt(p0))) * 2 * np.sqrt(n)
    low, high = np.percentile(z, WINSOR_PERCENTILES)  # linear interpolation (numpy's default)
    phi = float(np.sum(np.clip(z, low, high) ** 2) / areas)
    w = 4 * n
    tau2 = max(0.0, (areas * phi - (areas - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    return phi, float(tau2)


def additive_limits(p0: float, eligible: np.ndarray, tau2: float) -> dict[str, np.ndarray]:
    """The four limits widened by the between-area variance ``tau2``:
    sin²(asin √p0 ± z·√(1/(4n) + τ²)), the angle clipped to [0, π/2] (NaN where eligible is 0)."""
    n = np.asarray(eligible, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    centre = np.arcsin(np.sqrt(p0))
    spread = np.sqrt(1 / (4 * safe_n) + tau2)

    def limit(z: float) -> np.ndarray:
        angle = np.clip(centre + z * spread, 0.0, np.pi / 2)
        return np.where(n > 0, np.sin(angle) ** 2, np.nan)

    return {
        "lower_998": limit(-Z_998),
        "lower_95": limit(-Z_95),
        "upper_95": limit(Z_95),
        "upper_998": limit(Z_998),
    }


def judged_limits(p0: float, eligible: np.ndarray, tau2: float) -> dict[str, np.ndarray]:
    """The limits areas are judged against: additive when ``tau2`` is above 0, else exact
    binomial."""
    return additive_limits(p0, eligible, tau2) if tau2 > 0 else funnel_limits(p0, eligible)
