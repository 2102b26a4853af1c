"""Statistical disclosure control for figures that leave the analysts' hands (CONTRACT.md §4).

Primary suppression: a count of people from 1 to ``threshold - 1`` is confidential and printed
``[c]`` (GSS symbol). ``met`` is also hidden when the people *not* met are that few, because
``eligible - met`` would reveal them; a rate and its interval are hidden with the count beneath
them. An empty denominator prints ``[z]`` (not applicable).

Secondary suppression: the groups of one breakdown (e.g. the six districts plus ``unknown``) add
up to the ``all`` row, so a breakdown may never hide exactly one of its cells while the total is
shown: the smallest other non-empty group is hidden with it. When no other group is non-empty the
hidden cell is the total, which primary suppression has then hidden too. Published tables are
one-way breakdowns only, so no cell can be worked back through a second dimension.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vcc.transforms.metrics import METRIC_COLUMNS

CONFIDENTIAL = "[c]"
NOT_APPLICABLE = "[z]"
NOT_AVAILABLE = "[x]"
# metrics.csv's columns less not_met and pending, which would give a hidden met back.
PUBLISHED_COLUMNS = [c for c in METRIC_COLUMNS if c not in ("not_met", "pending")]


def is_small(counts: Any, threshold: int) -> Any:
    """The small-count rule: a count of people that must not be published, from 1 to
    ``threshold - 1``. Works on one count or element by element (a Series or an array)."""
    return (counts > 0) & (counts < threshold)


def met_is_hidden(eligible: Any, met: Any, threshold: int) -> Any:
    """Whether ``met`` of ``eligible``, and every figure worked from it (rate, interval, status,
    change), must be hidden: either side of it is small (``eligible - met`` would reveal the
    people not met). One pair of counts, or element by element."""
    return (
        is_small(eligible, threshold)
        | is_small(met, threshold)
        | is_small(eligible - met, threshold)
    )


def _secondary(hidden: pd.Series, eligible: pd.Series, breakdown: pd.Series) -> pd.Series:
    """Within each breakdown, hide a second cell wherever only one is hidden: the non-empty group
    with the fewest eligible not yet hidden."""
    hidden = hidden.copy()
    lone = hidden.groupby(breakdown).transform("sum") == 1
    for _, members in hidden[lone].groupby(breakdown[lone], sort=False):
        others = hidden.index[(breakdown == breakdown[members.index[0]]) & ~hidden]
        candidates = eligible[others][eligible[others] > 0]
        if len(candidates):
            hidden[candidates.idxmin()] = True
    return hidden


def hidden_cells(
    eligible: pd.Series, met: pd.Series, breakdown: pd.Series, threshold: int
) -> tuple[pd.Series, pd.Series]:
    """Which eligible counts, and which met counts (with every figure worked from them), are
    hidden: primary suppression, then secondary within each ``breakdown`` (cells of one
    breakdown add up to a total that is shown)."""
    hide_eligible = _secondary(is_small(eligible, threshold), eligible, breakdown)
    hide_met = hide_eligible | met_is_hidden(eligible, met, threshold)
    return hide_eligible, _secondary(hide_met, eligible, breakdown)


def format_counts(values: pd.Series) -> pd.Series:
    """Whole counts as text, as the published tables print them."""
    return _format(values, None)


def format_rates(values: pd.Series) -> pd.Series:
    """Rates and interval bounds as text to 4 decimal places (empty for none)."""
    return _format(values, 4)


def _format(values: pd.Series, decimals: int | None) -> pd.Series:
    if decimals is None:
        return values.astype("Int64").astype("string")
    return values.map(lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}").astype("string")


def published_tables(metrics: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Every row of ``metrics`` with suppression applied, as text."""
    table = metrics.reset_index(drop=True)
    eligible, met = table["eligible"], table["met"]
    breakdown = (
        table["quarter"]
        + "|"
        + table["measure_id"]
        + "|"
        + table["agency"]
        + "|"
        + table["dimension"]
    )
    # A breakdown's groups add up to the all row; the all row stands alone.
    in_breakdown = breakdown.where(
        table["dimension"] != "all", breakdown + "|" + table.index.astype(str)
    )
    hide_eligible, hide_met = hidden_cells(eligible, met, in_breakdown, threshold)
    empty = eligible == 0
    published = table.assign(
        eligible=_format(eligible, None).mask(hide_eligible, CONFIDENTIAL),
        met=_format(met, None).mask(hide_met, CONFIDENTIAL),
        target=_format(table["target"], 2),
    )
    for column in ("rate", "ci_low", "ci_high"):
        text = _format(table[column], 4).mask(hide_met, CONFIDENTIAL)
        published[column] = text.mask(empty, NOT_APPLICABLE)
    published["rag"] = np.where(hide_met, CONFIDENTIAL, table["rag"])
    return published[PUBLISHED_COLUMNS]
