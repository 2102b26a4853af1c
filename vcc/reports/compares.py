""" "How <area> compares" (CONTRACT.md §7.2): the section each area's own report gains in a run
of many areas, once the areas are compared.

Formats only, from the comparison table ``transforms/comparison.py`` made: per measure, in the
Code's order, the area's rate and where it falls against the funnel limits (in the comparison
PDF's words), the all-areas rate, its group's pooled rate when ``[areas.<name>] similar`` names
its most similar areas, and the areas above the 99.8% limit, named as ones to learn from, never
ranked. Disclosure control is the comparison's (``how_area_compares``). The section is rendered
on its own and put in the place the report keeps for it (``reports.render.with_section``): a run
of one area alone cannot compare, and its report says where the comparison is instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from vcc.reports.comparison import HIDDEN, group_lines, measures_in_code_order
from vcc.reports.render import template
from vcc.transforms.comparison import MEASURE_KEY
from vcc.transforms.quarters import Quarter


def area_compares(
    table: pd.DataFrame, area: str, titles: Mapping[str, str], similar: list[str],
    missing: Mapping[str, str], threshold: int, period: str,
) -> dict[str, Any]:  # fmt: skip
    """What the section prints for ``area``: its lines (``reports.comparison.group_lines``) and
    the sentences about its group, widened limits and areas missing."""
    compared = set(table["area"])
    title = titles.get(area, area)
    keys = measures_in_code_order(table)
    members = [other for other in similar if other in compared and other != area]
    lines = group_lines(table, area, members, titles, threshold, keys)
    if not similar:
        no_group = (
            f"{title} has no comparison group configured (its most similar areas, "
            f"[areas.{area}] similar), so no group's rate is shown."
        )
    else:
        names = ", ".join(titles.get(other, other) for other in similar)
        no_group = f"None of {title}'s most similar areas ({names}) could be compared this quarter."
    return {
        "compared": len(compared),
        "group": bool(members),
        "members": ", ".join(titles.get(other, other) for other in members),
        "no_group": no_group,
        "widened": _widened(table, area, keys, lines),
        "missing": _missing(titles, missing),
        "lines": lines,
        "period": period,
    }


def _widened(
    table: pd.DataFrame, area: str, keys: list[tuple[str, str]], lines: list[dict[str, str]]
) -> str:
    """One sentence when limits were widened for overdispersion (τ² above 0) for any measure
    whose all-areas rate is published (τ² is published with it); else none."""
    mine = table[table["area"] == area].set_index(MEASURE_KEY)
    shown = [key for key in keys if key in mine.index]
    tau2 = mine["tau2"].fillna(0.0)
    widened = [
        key
        for key, line in zip(shown, lines, strict=True)
        if line["all_areas"] not in HIDDEN and tau2.loc[key] > 0
    ]
    if not widened:
        return ""
    which = "every measure" if widened == shown else f"{len(widened)} of the {len(shown)} measures"
    return (
        f"For {which} the limits were widened, because areas differ more than chance alone "
        "explains; the comparison of areas says which and by how much."
    )


def _missing(titles: Mapping[str, str], missing: Mapping[str, str]) -> str:
    if not missing:
        return ""
    names = ", ".join(titles.get(area, area) for area in sorted(missing))
    return f"Not compared this quarter (their runs failed): {names}."


def compares_section(area_title: str, quarter: Quarter, compares: dict[str, Any]) -> str:
    """The section as HTML, between the markers the report keeps its place with."""
    return template("_compares.html.j2").render(area=area_title, quarter=quarter, compares=compares)
