"""The comparison of areas, ``vcc-<Q>-comparison.pdf``: a funnel plot per measure and the table
of areas with their intervals, from the comparison table ``transforms/comparison.py`` made.

Formats only. The plot draws the all-areas rate, both pairs of limits across the range of numbers
eligible, and each area whose figures are published as a point labelled with its plain title; an
area hidden by disclosure control is neither drawn nor labelled. Areas are listed by name, never
ranked by their rates. The PDF is tagged (PDF/UA-1) as the quarterly report is, with the report's
own fonts and stylesheet, and each chart carries its text alternative.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    NullFormatter,
    PercentFormatter,
)

from vcc.reports.charts import STYLE, WIDTH_INCHES, _with_alt_text
from vcc.reports.labels import Placed, place_labels
from vcc.reports.pdf import write_pdf
from vcc.reports.render import template
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import MEASURES, MEASURES_BY_ID
from vcc.transforms.comparison import MEASURE_KEY, how_area_compares, published_comparison
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE
from vcc.transforms.funnel import MIN_AREAS_FOR_TAU2, judged_limits
from vcc.transforms.quarters import Quarter, long_date

# A rate withheld: confidential (a small count) or not applicable (none eligible).
HIDDEN = (CONFIDENTIAL, NOT_APPLICABLE)

FUNNEL_HEIGHT_INCHES = 3.0
LABELLED_AREAS = 12  # beyond this many points, labels would overlap: the table names them all
# No meaning rests on colour: 95% limits dashed, 99.8% dotted.
_LIMIT_STYLES: dict[tuple[str, str], dict[str, Any]] = {
    ("lower_95", "upper_95"): {"linestyle": "--", "color": "0.35"},
    ("lower_998", "upper_998"): {"linestyle": ":", "color": "0.1"},
}
_LIMIT_NAMES = {"lower_95": "95% limit", "upper_95": "95% limit", "lower_998": "99.8% limit",
                "upper_998": "99.8% limit"}  # fmt: skip
LABEL_GAP = 0.072  # the least distance between two line labels, as a share of the rate axis
LEAST_RATE_SPAN = 0.2  # the rate axis spans at least 20 points, so small differences stay small


def spread(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """``positions`` moved apart, as little as may be, so that no two are closer than ``gap``
    and all lie within [``low``, ``high``] (if they fit). They keep their order, equal positions
    the order given."""
    order = sorted(range(len(positions)), key=lambda index: (positions[index], index))
    placed = [positions[index] for index in order]
    for index in range(1, len(placed)):
        placed[index] = max(placed[index], placed[index - 1] + gap)
    excess = placed[-1] - high if placed else 0.0
    if excess > 0:  # pushed past the top: move the stack down, then keep the gaps from the bottom
        placed = [position - excess for position in placed]
        placed[0] = max(placed[0], low)
        for index in range(1, len(placed)):
            placed[index] = max(placed[index], placed[index - 1] + gap)
    moved = [0.0] * len(positions)
    for rank, index in enumerate(order):
        moved[index] = placed[rank]
    return moved


def measure_title(measure_id: str, agency: str) -> str:
    """The measure's plain name, with its agency."""
    definition = MEASURES_BY_ID.get(measure_id)
    title = definition.title if definition else measure_id
    return f"{title} ({agency_label(agency)})"


@dataclass(frozen=True)
class FunnelFigure:
    """A funnel plot and its labels: the areas' (``areas``) and the lines' names at their
    right-hand ends (``lines``), for the tests' geometry checks."""

    figure: Figure
    areas: list[Placed]
    lines: list[Annotation]


def funnel_figure(rows: pd.DataFrame, shown: pd.Series, titles: Mapping[str, str]) -> FunnelFigure:
    """One measure's funnel plot: rate against number eligible, the all-areas rate, the 95% and
    99.8% limits the areas are judged against (widened by τ² where the comparison widened
    them), and the areas in ``shown`` as points, each labelled where no line strikes it: where
    some label finds no clear place, the rate axis is given more room above and below, and the
    labels placed again."""
    for headroom in HEADROOM:
        funnel = _funnel_figure(rows, shown, titles, headroom)
        if all(label.clear for label in funnel.areas):
            break
    return funnel


HEADROOM = (0.0, 0.06, 0.14)  # more room on the rate axis, as a share of it, each way


def _funnel_figure(
    rows: pd.DataFrame, shown: pd.Series, titles: Mapping[str, str], headroom: float
) -> FunnelFigure:
    p0 = float(rows["all_areas_rate"].iloc[0])
    tau2 = float(np.nan_to_num(rows["tau2"].iloc[0])) if "tau2" in rows else 0.0
    points = rows[shown.to_numpy()]
    drawn = points if len(points) else rows
    largest = max(int(rows["eligible"].max()), 10)
    # from half the smallest area drawn: the funnel's mouth, where no area lies, is not drawn
    smallest = min(max(1, int(drawn["eligible"].min()) // 2), largest // 10)
    # to half as far again as the largest area: room for its label on either side
    grid = np.unique(np.geomspace(smallest, largest * 1.5, 200).round().astype(int))
    limits = judged_limits(p0, grid, tau2)
    placed: list[Placed] = []
    names: list[Annotation] = []
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_INCHES, FUNNEL_HEIGHT_INCHES))
        ax = figure.subplots()
        ax.axhline(p0, color="0", linewidth=1)
        for (low, high), style in _LIMIT_STYLES.items():
            ax.plot(grid, limits[low], linewidth=0.9, **style)
            ax.plot(grid, limits[high], linewidth=0.9, **style)
        ax.plot(points["eligible"], points["rate"], "o", color="0", markersize=3.5)
        # Each line named at its right-hand end, beside the plot, in place of a key; listed from
        # the bottom line to the top one, which is their order where they meet (a rate of 100%).
        ends = {f"{_LIMIT_NAMES[line]} (lower)": float(limits[line][-1])
                for line in ("lower_998", "lower_95")}  # fmt: skip
        ends[f"All areas {p0:.1%}"] = p0
        ends |= {f"{_LIMIT_NAMES[line]} (upper)": float(limits[line][-1])
                 for line in ("upper_95", "upper_998")}  # fmt: skip
        bottom, top = _rate_range(p0, points["rate"], limits)
        bottom, top = bottom - headroom * (top - bottom), top + headroom * (top - bottom)
        ax.set_ylim(bottom, top)
        heights = spread(list(ends.values()), LABEL_GAP * (top - bottom), bottom, top)
        side = ax.get_yaxis_transform()  # x across the axes, y in rate
        for (name, end), height in zip(ends.items(), heights, strict=True):
            # the leader leaves its name at the name's left edge: it never runs under a name
            leader = {"arrowstyle": "-", "color": "0.5", "linewidth": 0.5, "shrinkA": 1,
                      "shrinkB": 1, "relpos": (0.0, 0.5)}  # fmt: skip
            names.append(ax.annotate(
                name, (1.0, end), xycoords=side, xytext=(1.05, height), textcoords=side,
                fontsize=7, va="center", ha="left",
                arrowprops=leader if abs(height - end) > 0.01 else None,
            ))  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlim(grid[0] / 1.08, grid[-1])
        # numbers eligible as numbers (1, 2 and 5 in each decade), not powers of ten
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("Number eligible (log scale)")
        ax.set_ylabel("Rate met")
        # whole percentages only: a step of 5, 10 or 20 points, as the axis is wide
        step = next(step for step in (0.05, 0.1, 0.2) if (top - bottom) / step <= 8)
        # ticks from 0% to 100% only, where the axis has room beyond them for labels
        ticks = np.arange(0.0, 1.0 + step / 2, step)
        ax.yaxis.set_major_locator(FixedLocator(ticks[(ticks >= bottom) & (ticks <= top)].tolist()))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        figure.subplots_adjust(left=0.1, right=0.8, bottom=0.14, top=0.97)
        if len(points) <= LABELLED_AREAS:
            # largest areas first: they sit where the limits close in and the plot ends
            order = points.sort_values("eligible", ascending=False, kind="stable")
            placed = place_labels(
                ax,
                [(float(point["eligible"]), float(point["rate"]),
                  titles.get(point["area"], point["area"])) for _, point in order.iterrows()],
            )  # fmt: skip
    return FunnelFigure(figure, placed, names)


def funnel_svg(rows: pd.DataFrame, shown: pd.Series, titles: Mapping[str, str], alt: str) -> str:
    """``funnel_figure`` as an inline SVG with its text alternative."""
    figure = funnel_figure(rows, shown, titles).figure
    with matplotlib.rc_context(STYLE):
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _with_alt_text(buffer.getvalue(), alt)


def _rate_range(p0: float, rates: pd.Series, limits: Mapping[str, Any]) -> tuple[float, float]:
    """The rate axis: the limits and every area drawn, with a margin, within 0% and 100%, and at
    least ``LEAST_RATE_SPAN`` wide, so that a funnel of large areas is not a flat line."""
    values = [
        p0,
        *rates.astype(float),
        float(np.min(limits["lower_998"])),
        float(np.max(limits["upper_998"])),
    ]
    low, high = min(values) - 0.03, max(values) + 0.03
    if high - low < LEAST_RATE_SPAN:
        middle = (low + high) / 2
        low, high = middle - LEAST_RATE_SPAN / 2, middle + LEAST_RATE_SPAN / 2
    if low < 0:
        low, high = 0.0, min(1.0, high - low)
    if high > 1:
        low, high = max(0.0, low - (high - 1)), 1.0
    return low - 0.01, high + 0.01  # the 0% and 100% lines drawn clear of the frame


def _count_text(value: Any) -> str:
    """A count as the quarterly report prints one, with thousands separators; a symbol as is."""
    text = str(value)
    return f"{int(text):,}" if text.isdigit() else text


def _alt_text(title: str, published: pd.DataFrame, p0_text: str) -> str:
    outside = published[~published["funnel_position"].isin(["within", *HIDDEN])]
    where = "; ".join(f"{row.area}: {row.funnel_position}" for row in outside.itertuples())
    return (
        f"Funnel plot of {title}: each area's rate against its number eligible, around the "
        f"all-areas rate of {p0_text}, with 95% and 99.8% limits. "
        + (
            f"Outside the 95% limits: {where}."
            if where
            else "Every area shown is within the 95% limits."
        )
    )


_AGENCY_ORDER = {"police": 0, "cps": 1, "wcu": 2, "probation": 3}


def code_order(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(measure, agency) pairs in the Code's order: by right (1 to 12), then as the catalogue
    lists a right's measures, then police, CPS, WCU, probation; a measure the catalogue does not
    hold last, by id."""
    rank = {measure.measure_id: index for index, measure in enumerate(MEASURES)}

    def key(pair: tuple[str, str]) -> tuple[int, int, str, int]:
        measure = MEASURES_BY_ID.get(pair[0])
        right = measure.right if measure else 99
        return (right, rank.get(pair[0], len(rank)), pair[0], _AGENCY_ORDER.get(pair[1], 9))

    return sorted(keys, key=key)


def measures_in_code_order(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (measure, agency) pairs of a comparison table, each once, in the Code's order."""
    return code_order(list(dict.fromkeys(zip(table["measure_id"], table["agency"], strict=True))))


def limits_note(rows: pd.DataFrame, method: str) -> str:
    """In plain words, which limits the areas of one measure are judged against, and why."""
    counted = int((rows["eligible"] > 0).sum())
    tau2 = rows["tau2"].iloc[0] if "tau2" in rows else np.nan
    phi = rows["phi"].iloc[0] if "phi" in rows else np.nan
    if counted < MIN_AREAS_FOR_TAU2:
        return (
            f"The limits are those of chance alone: with {counted} area"
            f"{'' if counted == 1 else 's'} (fewer than {MIN_AREAS_FOR_TAU2}), how far areas "
            "really differ cannot be estimated, so the limits are not widened."
        )
    if method == "none":
        return (
            "The limits are those of chance alone: the configuration asks for no widening "
            f'(overdispersion "none"; the areas\' spread is {phi:.1f} times what chance '
            "alone would give)."
        )
    if tau2 > 0:
        return (
            "The limits are widened: areas differ more than chance alone explains (their spread "
            f"is {phi:.1f} times what chance would give), so each is judged against limits that "
            "allow for real differences between areas in practice, systems and demand "
            f"(additive random effects, τ² = {tau2:.4f})."
        )
    return (
        "The limits are those of chance alone: areas differ no more than chance explains "
        f"(their spread is {phi:.1f} times what chance would give), so nothing widens them."
    )


def comparison_context(
    table: pd.DataFrame, quarter: Quarter, titles: Mapping[str, str], missing: Mapping[str, str],
    threshold: int, settings: Any, produced_on: dt.date, overdispersion: str = "additive",
    similar: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Everything the template prints: a section per measure with its chart and table."""
    published = published_comparison(table, threshold)
    published["title"] = published["area"].map(lambda area: titles.get(area, area))
    sections = []
    keys = measures_in_code_order(table)
    for number, (measure_id, agency) in enumerate(keys, start=1):
        member = ((table["measure_id"] == measure_id) & (table["agency"] == agency)).to_numpy()
        rows, shown_rows = table[member], published[member]
        shown = ~shown_rows["rate"].isin(HIDDEN)
        title = measure_title(measure_id, agency)
        all_areas = _percent(shown_rows["all_areas_rate"].iloc[0])
        chart, note = None, ""
        if all_areas not in HIDDEN:  # φ and τ² are published with p0 alone
            note = limits_note(rows, overdispersion)
            alt = _alt_text(title, shown_rows, all_areas) + " " + note
            chart = funnel_svg(rows, shown.reset_index(drop=True).set_axis(rows.index), titles, alt)
        sections.append({
            "key": f"m{number}", "title": title, "chart": chart,
            "all_areas_rate": all_areas, "limits_note": note,
            "widened": bool(note and np.nan_to_num(rows["tau2"].iloc[0]) > 0),
            "rows": shown_rows.assign(eligible=shown_rows["eligible"].map(_count_text),
                                      met=shown_rows["met"].map(_count_text)).to_dict("records"),
        })  # fmt: skip
    return {
        "quarter": quarter,
        "settings": settings,
        "produced_on": long_date(produced_on),
        "sections": sections,
        "missing": [{"title": titles.get(a, a), "reason": r} for a, r in sorted(missing.items())],
        "compared": table["area"].nunique(),
        "areas": table["area"].nunique() + len(missing),
        "threshold": threshold,
        "widened": [section["title"] for section in sections if section["widened"]],
        "groups": _groups(table, titles, similar or {}, threshold, keys),
        "overdispersion": overdispersion,
    }


def _percent(text: str) -> str:
    return text if text in (*HIDDEN, "") else f"{float(text):.1%}"


def _groups(
    table: pd.DataFrame, titles: Mapping[str, str], similar: Mapping[str, list[str]],
    threshold: int, keys: list[tuple[str, str]],
) -> list[dict[str, Any]]:  # fmt: skip
    """ "How <area> compares" for each area with a most similar group, measures in Code order."""
    groups = []
    compared = set(table["area"])
    for area, others in similar.items():
        members = [other for other in others if other in compared]
        if not others or area not in compared:
            continue
        groups.append({
            "key": f"g-{area}", "title": titles.get(area, area),
            "members": ", ".join(titles.get(m, m) for m in members),
            "lines": group_lines(table, area, members, titles, threshold, keys),
        })  # fmt: skip
    return groups


def group_lines(
    table: pd.DataFrame, area: str, members: list[str], titles: Mapping[str, str],
    threshold: int, keys: list[tuple[str, str]],
) -> list[dict[str, str]]:  # fmt: skip
    """One line per measure of ``keys`` (in that order) that ``area`` was compared on: the
    measure's plain title, the area's rate and position, the all-areas rate, the pooled rate of
    the area with ``members``, and the areas above the 99.8% limit other than itself, by title
    ("None" if none), as published (``transforms.comparison.how_area_compares``)."""
    rows = how_area_compares(table, area, members, threshold).set_index(MEASURE_KEY)
    lines = []
    for key in keys:
        if key not in rows.index:
            continue
        row = rows.loc[key]
        learn = [titles.get(a, a) for a in row["learn_from"] if a != area]
        lines.append({
            "title": measure_title(*key), "rate": _percent(row["rate"]),
            "position": row["funnel_position"], "all_areas": _percent(row["all_areas_rate"]),
            "group": _percent(row["group_rate"]),
            "learn_from": ", ".join(sorted(learn)) if learn else "None",
        })  # fmt: skip
    return lines


def render_comparison(context: dict[str, Any], pdf_path: Path) -> None:
    """Write the comparison as a tagged PDF (PDF/UA-1) with the report's fonts and styles."""
    write_pdf(template("comparison.html.j2").render(**context), pdf_path)
