"""Comparing areas fairly: each area's rate of every measure against the all-areas rate, with
funnel limits (``transforms/funnel.py``), never a league table ranked by point estimates.

The figures are each area's ``all`` row of its own ``metrics.csv`` for the quarter. The all-areas
rate p0 of a measure is Σmet / Σeligible over the areas compared, every area counted, small or
not: the benchmark is every victim's. Disclosure control (CONTRACT.md §4, ``transforms/
disclosure.py``) treats the areas of a measure as the groups of one breakdown whose total p0 is
worked from: an area whose counts are small is hidden (``[c]``), and because p0 and the other
areas' counts could give a lone hidden area back, the smallest other area is hidden with it
(secondary suppression). p0 itself is hidden when its own counts are that small. A hidden area's
position against the limits is hidden with its rate, and its limits with its count (the limits
at a number eligible give that number back).

The limits allow for overdispersion (CONTRACT.md §7.2, ``transforms/funnel.py``): with ten areas
or more and a between-area variance τ² above 0, each area is judged against additive
random-effects limits; otherwise against the exact binomial ones, with τ² 0 (and φ blank with
fewer than ten areas). ``overdispersion = "none"`` keeps the binomial limits whatever φ says.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vcc.transforms.disclosure import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    format_counts,
    format_rates,
    hidden_cells,
    met_is_hidden,
)
from vcc.transforms.funnel import (
    MIN_AREAS_FOR_TAU2,
    funnel_position,
    judged_limits,
    overdispersion,
)
from vcc.transforms.metrics import wilson_interval
from vcc.transforms.quarters import Quarter

COMPARISON_COLUMNS = [
    "area",
    "measure_id",
    "agency",
    "eligible",
    "met",
    "rate",
    "ci_low",
    "ci_high",
    "all_areas_rate",
    "funnel_position",
    "phi",
    "tau2",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
]
LIMIT_COLUMNS = ["lower_998", "lower_95", "upper_95", "upper_998"]
PUBLISHED_LIMITS = {"lower_95": "lower95", "upper_95": "upper95", "lower_998": "lower998",
                    "upper_998": "upper998"}  # fmt: skip
MEASURE_KEY = ["measure_id", "agency"]


def compare_areas(
    area_metrics: Mapping[str, pd.DataFrame],
    quarter: Quarter,
    overdispersion_method: str = "additive",
) -> pd.DataFrame:
    """One row per area × measure (and agency) of ``quarter``, unsuppressed: eligible, met, rate,
    Wilson 95% interval, the all-areas rate, the measure's φ and τ², the four limits the area is
    judged against at its eligible and its position. Rows by measure, then area name: no order
    by rate."""
    rows = [
        metrics.loc[
            (metrics["quarter"] == str(quarter)) & (metrics["dimension"] == "all"),
            ["measure_id", "right", "agency", "eligible", "met"],
        ].assign(area=area)
        for area, metrics in area_metrics.items()
    ]
    columns = ["area", "measure_id", "right", "agency", "eligible", "met"]
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    table = table[columns].astype({"eligible": "int64", "met": "int64"})
    table = table.sort_values([*MEASURE_KEY, "area"], kind="stable").reset_index(drop=True)
    eligible, met = table["eligible"].to_numpy(), table["met"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["rate"] = np.where(eligible > 0, met / np.where(eligible > 0, eligible, 1), np.nan)
    table["ci_low"], table["ci_high"] = wilson_interval(met, eligible)
    totals = table.groupby(MEASURE_KEY, sort=False)[["eligible", "met"]].transform("sum")
    table["all_eligible"], table["all_met"] = totals["eligible"], totals["met"]
    table["all_areas_rate"] = (totals["met"] / totals["eligible"]).where(totals["eligible"] > 0)
    for column in ["phi", "tau2", "areas_counted", *LIMIT_COLUMNS]:
        table[column] = np.nan
    for _, members in table.groupby(MEASURE_KEY, sort=False):
        eligible_m, met_m = members["eligible"].to_numpy(), members["met"].to_numpy()
        phi, tau2 = overdispersion(met_m, eligible_m)
        if overdispersion_method == "none":
            tau2 = 0.0
        counted = int((eligible_m > 0).sum())
        table.loc[members.index, ["phi", "areas_counted"]] = [phi, counted]
        table.loc[members.index, "tau2"] = tau2 if counted >= MIN_AREAS_FOR_TAU2 else np.nan
        p0 = members["all_areas_rate"].iloc[0]
        if pd.isna(p0):
            continue
        limits = judged_limits(float(p0), eligible_m, tau2)
        for column in LIMIT_COLUMNS:
            table.loc[members.index, column] = limits[column]
    limits = {column: table[column].to_numpy() for column in LIMIT_COLUMNS}
    table["funnel_position"] = funnel_position(table["rate"].to_numpy(), limits)
    return table


def published_comparison(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """``compare_areas``'s table as published (``comparison.csv``): disclosure control applied,
    figures as text (``[c]`` hidden, ``[z]`` no rate)."""
    measure = table["measure_id"] + "|" + table["agency"]
    hide_eligible, hide_met = hidden_cells(table["eligible"], table["met"], measure, threshold)
    hide_all = pd.Series(
        met_is_hidden(table["all_eligible"], table["all_met"], threshold), index=table.index
    )
    empty = table["eligible"] == 0
    published = table.assign(
        eligible=format_counts(table["eligible"]).mask(hide_eligible, CONFIDENTIAL),
        met=format_counts(table["met"]).mask(hide_met, CONFIDENTIAL),
    )
    for column in ("rate", "ci_low", "ci_high"):
        text = format_rates(table[column]).mask(hide_met, CONFIDENTIAL)
        published[column] = text.mask(empty, NOT_APPLICABLE)
    published["all_areas_rate"] = (
        format_rates(table["all_areas_rate"])
        .mask(hide_all, CONFIDENTIAL)
        .mask(table["all_eligible"] == 0, NOT_APPLICABLE)
    )
    position = table["funnel_position"].astype("string")
    published["funnel_position"] = position.mask(hide_met | hide_all, CONFIDENTIAL).mask(
        empty, NOT_APPLICABLE
    )
    for column in ("phi", "tau2"):  # blank with fewer than ten areas; hidden with p0
        published[column] = format_rates(table[column]).mask(hide_all, CONFIDENTIAL)
    for column, name in PUBLISHED_LIMITS.items():
        # the limits at an area's eligible give that number back, and p0 with it
        published[name] = (
            format_rates(table[column])
            .mask(hide_eligible | hide_all, CONFIDENTIAL)
            .mask(empty, NOT_APPLICABLE)
        )
    return published[COMPARISON_COLUMNS].reset_index(drop=True)


GROUP_COLUMNS = ["measure_id", "agency", "rate", "funnel_position", "all_areas_rate",
                 "group_rate", "learn_from"]  # fmt: skip


def how_area_compares(
    table: pd.DataFrame, area: str, similar: list[str], threshold: int
) -> pd.DataFrame:
    """ "How <area> compares" (CONTRACT.md §7.2), per measure of ``compare_areas``'s table, as
    published: the area's rate and position, the all-areas rate, its group's pooled rate (the
    area and its ``similar`` areas: Σmet / Σeligible) and the areas above the 99.8% limit,
    named as ones to learn from, by name (never ranked). Disclosure control is the comparison's:
    a hidden rate, position or p0 is ``[c]``; a group rate is ``[c]`` when its counts are small
    or when it holds a hidden area that its other members' published counts would give back."""
    published = published_comparison(table, threshold)
    group = [area, *similar]
    rows = []
    for (measure_id, agency), members in table.groupby(MEASURE_KEY, sort=False):
        shown = published.loc[members.index]
        mine = shown[shown["area"] == area]
        if mine.empty:
            continue
        in_group = members[members["area"].isin(group)]
        eligible, met = int(in_group["eligible"].sum()), int(in_group["met"].sum())
        hidden_member = (shown.loc[in_group.index, ["eligible", "met"]] == CONFIDENTIAL).any(
            axis=None
        )
        if eligible == 0:
            group_rate = NOT_APPLICABLE
        elif met_is_hidden(eligible, met, threshold) or (hidden_member and len(in_group) > 1):
            group_rate = CONFIDENTIAL
        else:
            group_rate = f"{met / eligible:.4f}"
        above = shown[shown["funnel_position"] == "above 99.8%"]["area"]
        rows.append((
            measure_id, agency, mine["rate"].iloc[0], mine["funnel_position"].iloc[0],
            mine["all_areas_rate"].iloc[0], group_rate, list(above),
        ))  # fmt: skip
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)
