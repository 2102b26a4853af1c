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
from typing import Any

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
    status = instances["status"]
    final = instances.loc[
        instances["quarter"].isin(list(quarters)) & status.isin([MET, NOT_MET]),
        ["measure_id", "agency", "trigger_date", "status"],
    ]
    trigger = pd.to_datetime(final["trigger_date"])
    first = int(months[0][:4]) * 12 + int(months[0][5:]) - 1 if months else 0
    # each instance's month as its place in the window (year·12 + month), counted with numpy
    month_index = (trigger.dt.year.to_numpy() * 12 + trigger.dt.month.to_numpy() - 1) - first
    measure_code, measure_ids = pd.factorize(final["measure_id"])
    agency_code, agencies = pd.factorize(final["agency"])
    measure_codes = np.where(
        (measure_code >= 0) & (agency_code >= 0), measure_code * len(agencies) + agency_code, -1
    )
    keys = {
        (str(measure_id), str(agency)): m * len(agencies) + a
        for m, measure_id in enumerate(measure_ids)
        for a, agency in enumerate(agencies)
    }
    measure_names = range(len(measure_ids) * len(agencies))
    size = len(months)
    cell = measure_codes * size + month_index
    inside = (month_index >= 0) & (month_index < size) & (measure_codes >= 0)
    cells = max(len(measure_names), 1) * size
    eligible = np.bincount(cell[inside], minlength=cells)
    met = np.bincount(cell[inside], weights=(final["status"] == MET).to_numpy()[inside],
                      minlength=cells).astype(np.int64)  # fmt: skip
    rows = []
    for measure_id, agency in measures:
        code = keys.get((measure_id, agency))
        for offset, month in enumerate(months):
            counted = code is not None
            at = code * size + offset if code is not None else 0
            rows.append((
                measure_id, agency, month,
                int(eligible[at]) if counted else 0, int(met[at]) if counted else 0,
            ))  # fmt: skip
    table = pd.DataFrame(rows, columns=["measure_id", "agency", "month", "eligible", "met"])
    return table.astype({"eligible": "int64", "met": "int64"})


def spc_table(counts: pd.DataFrame, targets: Mapping[str, float]) -> pd.DataFrame:
    """``spc.csv`` from ``monthly_counts``: each month's rate and, where there is a chart, its
    centre, limits, signals and the measure's assurance against its target (default 0.90)."""
    parts: dict[str, list] = {column: [] for column in SPC_COLUMNS}
    for (measure_id, _agency), rows in counts.groupby(["measure_id", "agency"], sort=False):
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
        computed: dict[str, Any] = {"rate": rate, "centre": centre, "lower": lower, "upper": upper,
                    "signals": signals, "assurance": [assurance] * len(rows)}  # fmt: skip
        for column in SPC_COLUMNS:
            parts[column].extend(computed[column] if column in computed else rows[column])
    table = pd.DataFrame(parts, columns=SPC_COLUMNS)
    floats = ["rate", "centre", "lower", "upper"]
    return table.astype({"eligible": "int64", "met": "int64", **dict.fromkeys(floats, "float64")})


def statistical_process_control(
    instances: pd.DataFrame,
    quarters: Sequence[str],
    measures: Sequence[tuple[str, str]],
    targets: Mapping[str, float],
) -> pd.DataFrame:
    """``spc.csv``: every (measure, agency) of ``measures`` (report order) over the months of
    ``quarters`` (the trend window)."""
    return spc_table(monthly_counts(instances, quarters, measures), targets)


# --- what a board reads from the chart (NHS England, "Making Data Count") -----------------------
IMPROVEMENT, CONCERN, COMMON_CAUSE = "improvement", "concern", "common_cause"
JUDGEMENT_COLUMNS = ["measure_id", "agency", "variation", "assurance", "recent"]


def signal_direction(row: pd.Series, previous_rate: float | None) -> str:
    """Whether the signals of one plotted month point to improvement or concern (every measure is
    "higher is better"): a point outside a limit by its side, one in a shift by its side of the
    centre, one in a trend by its step from the month before."""
    fired = str(row["signals"] or "").split(";")
    if OUTSIDE in fired:
        return IMPROVEMENT if row["rate"] > row["upper"] else CONCERN
    if SHIFT in fired:
        return IMPROVEMENT if row["rate"] > row["centre"] else CONCERN
    if TREND in fired and previous_rate is not None:
        return IMPROVEMENT if row["rate"] > previous_rate else CONCERN
    return COMMON_CAUSE


def spc_judgements(spc: pd.DataFrame, recent_months: Sequence[str]) -> pd.DataFrame:
    """Per measure of ``spc`` (``spc.csv``): its variation (``improvement`` or ``concern`` when
    its last plotted month takes part in a signal, else ``common_cause``; blank with no chart),
    its assurance, and ``recent``: each month of ``recent_months`` with a signal, as
    ``(month, signals, direction)``."""
    rows: list[tuple[str, str, str, str, list[tuple[str, str, str]]]] = []
    for (measure_id, agency), months in spc.groupby(["measure_id", "agency"], sort=False):
        plotted = months[months["centre"].notna()].reset_index(drop=True)
        if plotted.empty:
            rows.append((measure_id, agency, "", "", []))
            continue
        directions = [
            signal_direction(row, plotted["rate"].iloc[i - 1] if i else None)
            if row["signals"] else COMMON_CAUSE
            for i, row in plotted.iterrows()
        ]  # fmt: skip
        recent = [
            (row["month"], row["signals"], direction)
            for (_, row), direction in zip(plotted.iterrows(), directions, strict=True)
            if row["month"] in recent_months and row["signals"]
        ]
        assurance = str(plotted["assurance"].iloc[-1])
        rows.append((measure_id, agency, directions[-1], assurance, recent))
    return pd.DataFrame(rows, columns=JUDGEMENT_COLUMNS)
