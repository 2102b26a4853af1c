"""Change over time by statistical process control: ``spc.csv`` (CONTRACT.md §7.1).

Each measure's final instances are counted by the month of their trigger date over the months of
the trend window's quarters, and the months with anyone eligible are plotted on a Laney p′ chart
(D. B. Laney, "Improved control charts for attributes", Quality Engineering 14(4), 2002; the
limits of R's qicharts2 P′ chart, checked against its ``nhs_accidents`` data, Mohammed et al.,
BMJ Qual Saf 2013):

    p̄    = Σmet / Σeligible over the points
    σ_t  = √(p̄(1 − p̄) / n_t)                    the binomial spread at the month's n
    z_t  = (p_t − p̄) / σ_t
    MR̄   = mean of |z_t − z_(t−1)|               consecutive points
    σ_z  = MR̄ / 1.128                           the between-month spread (d2 for n = 2)
    limits = p̄ ∓ 3·σ_t·σ_z, clipped to [0, 1]

With p̄ 0 or 1, or fewer than 12 points, there is no chart: the centre, limits, signals and
assurance are blank. Signals (NHS England, "Making Data Count"): ``outside`` a point beyond a
limit; ``shift`` a point in a run of 7 or more consecutive points all strictly above, or all
strictly below, the centre (a point on the centre breaks the run); ``trend`` a point in a run of
7 or more consecutive points each strictly higher than the one before (6 rises in a row), or each
strictly lower. Comparisons with the centre and between months are made on the counts
(met_t·Σn against Σmet·n_t), so that a rate equal to the centre is never judged above it by a
rounding error. Assurance compares the last point's limits with the measure's target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.transforms.matching import MET, NOT_MET

SPC_COLUMNS = [
    "measure_id",
    "agency",
    "month",
    "eligible",
    "met",
    "rate",
    "centre",
    "lower",
    "upper",
    "signals",
    "assurance",
]
MIN_POINTS = 12  # fewer plotted months give no limits
RUN = 7  # points in a run that signals a shift or a trend
D2 = 1.128  # the moving range's bias constant for ranges of two
SIGMAS = 3.0

OUTSIDE, SHIFT, TREND = "outside", "shift", "trend"
PASS, FAIL, HIT_AND_MISS = "pass", "fail", "hit_and_miss"


@dataclass(frozen=True)
class LaneyChart:
    """The chart of one measure's plotted months: its centre, and each point's limits and
    signals (``signals[t]`` the rules point t takes part in, in the contract's order)."""

    centre: float
    lower: np.ndarray
    upper: np.ndarray
    signals: list[list[str]]

    def assurance(self, target: float) -> str:
        """``pass`` when the last point's lower limit is above the target, ``fail`` when its
        upper limit is below it, else ``hit_and_miss``."""
        if self.lower[-1] > target:
            return PASS
        if self.upper[-1] < target:
            return FAIL
        return HIT_AND_MISS


def laney_chart(met: Sequence[int], eligible: Sequence[int]) -> LaneyChart | None:
    """The Laney p′ chart of the points ``met``/``eligible`` (every eligible above 0), or None
    when there is none: fewer than 12 points, or a centre of 0 or 1."""
    met_a = np.asarray(met, dtype=np.int64)
    n = np.asarray(eligible, dtype=np.int64)
    if len(n) < MIN_POINTS:
        return None
    total_met, total_n = int(met_a.sum()), int(n.sum())
    if total_met == 0 or total_met == total_n:
        return None
    centre = total_met / total_n
    sigma = np.sqrt(centre * (1 - centre) / n)
    z = (met_a / n - centre) / sigma
    sigma_z = float(np.mean(np.abs(np.diff(z)))) / D2
    lower = np.clip(centre - SIGMAS * sigma * sigma_z, 0.0, 1.0)
    upper = np.clip(centre + SIGMAS * sigma * sigma_z, 0.0, 1.0)
    rate = met_a / n
    outside = (rate > upper) | (rate < lower)
    # sides and steps by exact integer comparison: met_t/n_t against Σmet/Σn, and month to month
    side = np.sign(met_a * total_n - total_met * n)
    step = np.sign(met_a[1:] * n[:-1] - met_a[:-1] * n[1:])
    shift = in_runs(side, RUN)
    trend = np.zeros(len(n), dtype=bool)
    rising = in_runs(step, RUN - 1)  # 6 steps in one direction join 7 points
    trend[1:] |= rising
    trend[:-1] |= rising
    signals = [
        [name for name, fired in ((OUTSIDE, o), (SHIFT, s), (TREND, t)) if fired]
        for o, s, t in zip(outside, shift, trend, strict=True)
    ]
    return LaneyChart(centre, lower, upper, signals)


def in_runs(direction: np.ndarray, length: int) -> np.ndarray:
    """Which elements of ``direction`` (−1, 0 or +1 each) belong to a run of at least
    ``length`` consecutive equal, non-zero elements (a 0 ends a run)."""
    direction = np.asarray(direction)
    member = np.zeros(len(direction), dtype=bool)
    start = 0
    for end in range(1, len(direction) + 1):
        if end == len(direction) or direction[end] != direction[start]:
            if direction[start] != 0 and end - start >= length:
                member[start:end] = True
            start = end
    return member


def trend_months(quarters: Sequence[str]) -> list[str]:
    """The months (``YYYY-MM``) of ``quarters`` (``YYYYQn``, oldest first), oldest first."""
    months = []
    for quarter in quarters:
        year, number = int(quarter[:4]), int(quarter[-1])
        months += [f"{year:04d}-{month:02d}" for month in range(3 * number - 2, 3 * number + 1)]
    return months


def monthly_counts(
    instances: pd.DataFrame, quarters: Sequence[str], measures: Sequence[tuple[str, str]]
) -> pd.DataFrame:
    """Eligible and met per measure × agency × month of ``quarters``: the final (met or not
    met) instances whose trigger date falls in the month. Every (measure, agency) of
    ``measures`` has a row for every month, 0 where nothing fell."""
    months = trend_months(quarters)
    final = instances.loc[
        instances["quarter"].astype("string").isin(list(quarters))
        & instances["status"].isin([MET, NOT_MET]),
        ["measure_id", "agency", "trigger_date", "status"],
    ]
    counted = pd.DataFrame(
        {
            "measure_id": final["measure_id"].astype("string"),
            "agency": final["agency"].astype("string"),
            "month": pd.to_datetime(final["trigger_date"]).dt.strftime("%Y-%m"),
            "eligible": 1,
            "met": (final["status"] == MET).astype("int64"),
        }
    )
    keys = ["measure_id", "agency", "month"]
    sums = counted.groupby(keys, sort=False)[["eligible", "met"]].sum()
    grid = pd.MultiIndex.from_tuples(
        [(m, a, month) for m, a in measures for month in months], names=keys
    )
    table = sums.reindex(grid, fill_value=0).reset_index()
    return table.astype({"eligible": "int64", "met": "int64"})


def spc_table(counts: pd.DataFrame, targets: Mapping[str, float]) -> pd.DataFrame:
    """``spc.csv`` from ``monthly_counts``: each month's rate and, where there is a chart, its
    centre, limits, signals and the measure's assurance against its target (default 0.90)."""
    parts = []
    for (measure_id, _agency), rows in counts.groupby(["measure_id", "agency"], sort=False):
        rows = rows.reset_index(drop=True)
        eligible, met = rows["eligible"].to_numpy(), rows["met"].to_numpy()
        plotted = eligible > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(plotted, met / np.where(plotted, eligible, 1), np.nan)
        centre, lower, upper = (np.full(len(rows), np.nan) for _ in range(3))
        signals = [""] * len(rows)
        assurance = ""
        chart = laney_chart(met[plotted], eligible[plotted])
        if chart is not None:
            points = np.flatnonzero(plotted)
            centre[points] = chart.centre
            lower[points], upper[points] = chart.lower, chart.upper
            for point, fired in zip(points, chart.signals, strict=True):
                signals[point] = ";".join(fired)
            assurance = chart.assurance(targets.get(str(measure_id), 0.90))
        parts.append(
            rows.assign(
                rate=rate,
                centre=centre,
                lower=lower,
                upper=upper,
                signals=signals,
                assurance=assurance,
            )  # fmt: skip
        )
    if not parts:
        return pd.DataFrame(columns=SPC_COLUMNS)
    return pd.concat(parts, ignore_index=True)[SPC_COLUMNS]


def statistical_process_control(
    instances: pd.DataFrame,
    quarters: Sequence[str],
    measures: Sequence[tuple[str, str]],
    targets: Mapping[str, float],
) -> pd.DataFrame:
    """``spc.csv``: every (measure, agency) of ``measures`` (report order) over the months of
    ``quarters`` (the trend window)."""
    return spc_table(monthly_counts(instances, quarters, measures), targets)
