"""Change over time: each measure's rate against the previous quarter and the same quarter a
year before, and whether the change is statistically meaningful.

Significance uses Newcombe's hybrid score interval for the difference of two independent
proportions (Newcombe 1998, method 10), built from each quarter's Wilson 95% interval: the change
is significant when that interval excludes zero. Both quarters come from the same extract and the
same as-of date, so a change is never an artefact of data arriving later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcc.transforms.quarters import Quarter

CHANGE_COLUMNS = [
    "quarter",
    "measure_id",
    "agency",
    "dimension",
    "group",
    "eligible",
    "rate",
    "comparison",
    "compared_quarter",
    "compared_eligible",
    "compared_rate",
    "change",
    "change_low",
    "change_high",
    "significant",
]


def newcombe_interval(
    rate: np.ndarray, low: np.ndarray, high: np.ndarray,
    other_rate: np.ndarray, other_low: np.ndarray, other_high: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """95% interval for ``rate - other_rate`` from the two Wilson intervals."""
    difference = rate - other_rate
    below = np.sqrt((rate - low) ** 2 + (other_high - other_rate) ** 2)
    above = np.sqrt((high - rate) ** 2 + (other_rate - other_low) ** 2)
    return difference - below, difference + above


def compare_quarters(metrics: pd.DataFrame, quarter: Quarter) -> pd.DataFrame:
    """For ``quarter``'s rows of ``metrics`` (which must also hold the earlier quarters), the
    change on the previous quarter and on the same quarter last year, one row per comparison.
    ``significant`` is empty where either rate is undefined."""
    keys = ["measure_id", "agency", "dimension", "group"]
    current = metrics[metrics["quarter"] == str(quarter)]
    parts = []
    for comparison, earlier in (
        ("previous quarter", quarter.previous()),
        ("a year before", quarter.shift(-4)),
    ):
        before = metrics.loc[
            metrics["quarter"] == str(earlier), [*keys, "eligible", "rate", "ci_low", "ci_high"]
        ]
        joined = current.merge(before, on=keys, how="left", suffixes=("", "_before"))
        low, high = newcombe_interval(
            joined["rate"].to_numpy(float), joined["ci_low"].to_numpy(float),
            joined["ci_high"].to_numpy(float), joined["rate_before"].to_numpy(float),
            joined["ci_low_before"].to_numpy(float), joined["ci_high_before"].to_numpy(float),
        )  # fmt: skip
        defined = ~np.isnan(low)
        parts.append(
            pd.DataFrame(
                {
                    **{column: joined[column] for column in ["quarter", *keys, "eligible", "rate"]},
                    "comparison": comparison,
                    "compared_quarter": str(earlier),
                    "compared_eligible": joined["eligible_before"].fillna(0).astype("int64"),
                    "compared_rate": joined["rate_before"],
                    "change": joined["rate"] - joined["rate_before"],
                    "change_low": low,
                    "change_high": high,
                    "significant": pd.Series((low > 0) | (high < 0), dtype="boolean")
                    .mask(~defined)
                    .to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[CHANGE_COLUMNS]
