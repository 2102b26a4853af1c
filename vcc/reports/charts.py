"""The report's charts, drawn by matplotlib as vector SVG for inlining: the trend chart (one small
panel per measure) and each agency's slowest-stages strip chart.

Text stays text (``svg.fonttype = "none"``) so the PDF can be searched and read aloud, and the
chart reads in greyscale: the rate is a solid line with round markers, its 95% interval a grey
band and the target a dashed line, so no meaning rests on colour.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import textwrap
from typing import Any

import matplotlib
import pandas as pd
from markupsafe import escape
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import OffsetFrom
from matplotlib.ticker import MaxNLocator, PercentFormatter
from matplotlib.typing import RcKeyType

from vcc.reports.disclosure import mask_suppressed_rates
from vcc.reports.label_layout import Place, place_labels, renderer_of
from vcc.reports.names import short_name
from vcc.reports.summary import overall_rows
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import MEASURES_BY_ID
from vcc.transforms.quarters import Quarter

# No display on the server. The chart is drawn through Figure (not pyplot, which keeps every
# figure alive), and the backend is set anyway so that nothing ever looks for a display.
matplotlib.use("Agg")

COLUMNS = 3
PANEL_HEIGHT_INCHES = 1.05  # the plotting area and its gap; titles add their lines
WIDTH_INCHES = 6.85  # the A4 text width (210 mm less two 18 mm margins), printed at full size
TEXT_POINTS = 8  # the smallest text at print size (Government Analysis Function charts guidance)
TITLE_CHARACTERS = 25  # a panel title wraps to fit its panel, a third of the width
TITLE_LINE_INCHES = 0.16  # one line of an 8 pt title
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "vcc-trend",  # stable element ids, so the same data gives the same SVG
    "font.family": "DejaVu Sans",  # the report's own font (reports/static/fonts)
    "font.size": TEXT_POINTS,
    "axes.linewidth": 0.5,
    "axes.edgecolor": "0.4",
    "xtick.major.width": 0.5,
    "ytick.major.width": 0.5,
}
# A label stands on a white ground over the lines; a path effect would turn the text into paths.
_LABEL_GROUND = {"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85}
# The y-axis shows change: it spans the panel's rates, intervals and target, with at least this
# many points, so that noise is not magnified into a trend.
MIN_SPAN = 0.10


def quarter_tick(quarter: Quarter) -> str:
    return f"Q{quarter.number}\n{quarter.year}"


def rate_axis_limits(rows: pd.DataFrame) -> tuple[float, float]:
    """The y-axis of a panel: from just below its lowest rate, interval or target to just above
    its highest (the target always in view), at least ``MIN_SPAN`` tall, within 0% to 100%."""
    values = pd.concat(
        [rows[c].astype(float) for c in ("rate", "ci_low", "ci_high", "target")]
    ).dropna()
    if values.empty:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    pad = max(high - low, MIN_SPAN) * 0.15
    low, high = low - pad, high + pad
    if high - low < MIN_SPAN:
        middle = (high + low) / 2
        low, high = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    if low < 0:
        low, high = 0.0, max(high - low, MIN_SPAN)
    if high > 1.02:
        low, high = max(low - (high - 1.02), 0.0), 1.02
    return low, high


def _panel(ax: Axes, rows: pd.DataFrame, quarters: list[Quarter]) -> None:
    labels = [str(quarter) for quarter in quarters]
    by_quarter = rows.set_index("quarter").reindex(labels)
    x = range(len(quarters))
    ax.fill_between(
        x, by_quarter["ci_low"].astype(float), by_quarter["ci_high"].astype(float),
        color="0.82", linewidth=0,
    )  # fmt: skip
    # The same interval as a bar too, so that a quarter standing alone still shows its interval.
    ax.vlines(x, by_quarter["ci_low"].astype(float), by_quarter["ci_high"].astype(float),
              color="0.82", linewidth=2.5)  # fmt: skip
    target = by_quarter["target"].astype(float)
    rate = by_quarter["rate"].astype(float)
    ax.plot(x, target, color="0.25", linestyle="--", linewidth=0.8)
    ax.plot(x, rate, color="black", marker="o", markersize=2.5, linewidth=1)
    ax.set_ylim(*rate_axis_limits(by_quarter))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(-0.4, len(quarters) - 0.6)
    # Every other quarter is named, ending with the report's own, so that 8 pt labels fit.
    names = [
        quarter_tick(q) if (len(quarters) - 1 - i) % 2 == 0 else "" for i, q in enumerate(quarters)
    ]
    ax.set_xticks(list(x), names)
    ax.tick_params(length=2, pad=1.5)
    ax.spines[["top", "right"]].set_visible(False)


def _label_panel(ax: Axes, rows: pd.DataFrame, quarters: list[Quarter]) -> None:
    """Direct labels rather than a legend: the target line names itself, and the latest rate is
    printed beside its point, each where it meets no line, band, marker or other text of the
    panel (``label_layout``); a panel with no such place gets a taller value axis."""
    names = [str(quarter) for quarter in quarters]
    by_quarter = rows.set_index("quarter").reindex(names)
    target = by_quarter["target"].astype(float).dropna()
    rate = by_quarter["rate"].astype(float).dropna()
    left, right = ax.get_xlim()
    labels = []
    if len(target):
        goal = float(target.iloc[0])
        sides = [((left, goal), 2, "left"), ((right, goal), -2, "right"),
                 (((left + right) / 2, goal), 0, "center")]  # fmt: skip
        places = [Place(xy, (dx, dy), ha, "bottom" if dy > 0 else "top")
                  for xy, dx, ha in sides for dy in (2, -2)]  # fmt: skip
        # no room beside the line (a wide interval around it): a corner, with a leader
        inner = left + (right - left) * 0.12, right - (right - left) * 0.12
        ends = ((inner[0], 0.01, "left"), (inner[1], 0.99, "right"))
        for cy, va in ((0.99, "top"), (0.01, "bottom")):
            places += [Place((x, goal), (0, 0), ha, va, corner=(cx, cy)) for x, cx, ha in ends]
        labels.append((f"Target {goal:.0%}", places, {"color": "0.25", "bbox": _LABEL_GROUND}))
    if len(rate):
        last = names.index(rate.index[-1])
        value = float(rate.iloc[-1])
        # the label spans about a quarter to the left of its point: clear the band over both
        near = by_quarter.iloc[max(last - 1, 0) : last + 1]
        low = float(pd.concat([near["ci_low"].astype(float), pd.Series([value])]).min())
        high = float(pd.concat([near["ci_high"].astype(float), pd.Series([value])]).max())
        places = [
            Place((last, high), (3, 2), "right", "bottom"),  # above its interval
            Place((last, low), (3, -2), "right", "top"),  # below it
            Place((last, value), (-5, 0), "right", "center"),  # before the point
            Place((last, value), (0, 0), "right", "top", corner=(0.99, 0.99)),
            Place((last, value), (0, 0), "right", "bottom", corner=(0.99, 0.01)),
        ]
        style = {"fontweight": "bold", "bbox": _LABEL_GROUND}
        labels.append((f"{value:.1%}", places, style))

    def widen(step: int) -> bool:
        low, high = ax.get_ylim()
        span = high - low
        wider = (max(low - span * 0.12, 0.0), min(high + span * 0.12, 1.02))
        if wider == (low, high):
            return False
        ax.set_ylim(*wider)
        return True

    place_labels(ax, labels, widen)


def panel_title(measure_id: str, agency: str, show_agency: bool = True) -> str:
    """A panel's title in words: the measure's title (not its id), wrapped to the panel."""
    definition = MEASURES_BY_ID.get(measure_id)
    title = definition.title if definition else measure_id
    if show_agency:
        title = f"{title} ({agency_label(agency)})"
    return textwrap.fill(title, TITLE_CHARACTERS)


def _own_ids(svg: str, alt_text: str) -> str:
    """Prefix every element id (and each reference to one) with a tag of this chart's own:
    matplotlib numbers ids per figure ("patch_9"), so two charts inlined in one page would
    define the same anchors twice. The tag comes from the content, so it stays stable."""
    tag = "c" + hashlib.sha256((alt_text + svg).encode()).hexdigest()[:8]
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{tag}-\1"', svg)
    return re.sub(r"(url\(#|href=\"#)([^)\"]+)", rf"\1{tag}-\2", svg)


def _with_alt_text(svg: str, alt_text: str) -> str:
    """Drop the XML prologue (the SVG is inlined in HTML), let CSS size it, give its ids a tag of
    their own, and give it a role and a <title>: WeasyPrint uses the <title> as the tagged PDF
    figure's alternate text."""
    svg = _own_ids(svg, alt_text)
    start = svg.index("<svg")
    end = svg.index(">", start)
    root = re.sub(r'\s(?:width|height)="[^"]*"', "", svg[start:end])
    label = escape(alt_text)
    return (
        f'{root} role="img" aria-label="{label}" class="chart">'
        f"<title>{label}</title>{svg[end + 1 :]}"
    )


def _fixed_margins(figure: Figure, grid_rows: int, title_lines: int) -> None:
    """Margins in inches (titles of ``title_lines`` lines above each panel, quarter labels
    below). Fixed rather than tight_layout, which would draw the whole figure once more just to
    measure it."""
    height = figure.get_figheight()
    top, bottom = 0.1 + TITLE_LINE_INCHES * title_lines, 0.42
    panel = (height - top - bottom - (grid_rows - 1) * top) / grid_rows
    figure.subplots_adjust(
        left=0.5 / WIDTH_INCHES, right=1 - 0.1 / WIDTH_INCHES,
        bottom=bottom / height, top=1 - top / height, hspace=top / panel, wspace=0.32,
    )  # fmt: skip


def trend_chart_svg(
    trend: pd.DataFrame, quarters: list[Quarter], threshold: int, alt_text: str,
    show_agency: bool = True,
) -> str:  # fmt: skip
    """``trend_figure`` as inline SVG with its alternative text."""
    with matplotlib.rc_context(STYLE):
        figure = trend_figure(trend, quarters, threshold, show_agency)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _with_alt_text(buffer.getvalue(), alt_text)


def trend_figure(
    trend: pd.DataFrame, quarters: list[Quarter], threshold: int, show_agency: bool = True
) -> Figure:
    """Small multiples of each measure's ``all`` rate over ``quarters``, each titled with the
    measure's name and scaled to show its change with its target in view; a rate the tables
    would print as ``[c]`` is left out of the chart too (a gap in the line). ``show_agency``
    adds the agency to each panel's title (not needed inside an agency's own section)."""
    series = overall_rows(mask_suppressed_rates(trend, threshold))
    panels = list(dict.fromkeys(zip(series["measure_id"], series["agency"], strict=True)))
    grid_rows = max(math.ceil(len(panels) / COLUMNS), 1)
    titles = [panel_title(measure_id, agency, show_agency) for measure_id, agency in panels]
    title_lines = max((title.count("\n") + 1 for title in titles), default=1)
    # Each row: its panel and its titles' lines; then the quarter labels under the last.
    height = 0.52 + grid_rows * (PANEL_HEIGHT_INCHES + TITLE_LINE_INCHES * title_lines)
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_INCHES, height))
        axes = figure.subplots(grid_rows, COLUMNS, sharex=True, squeeze=False)
        for ax, (measure_id, agency), title in zip(axes.flat, panels, titles, strict=False):
            rows = series[(series["measure_id"] == measure_id) & (series["agency"] == agency)]
            _panel(ax, rows, quarters)
            ax.set_title(title, pad=4, loc="left")
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        for ax in list(axes.flat)[max(len(panels) - COLUMNS, 0) : len(panels)]:
            ax.tick_params(labelbottom=True)  # the last panel of a column carries the quarters
        _fixed_margins(figure, grid_rows, title_lines)
        for ax, (measure_id, agency) in zip(axes.flat, panels, strict=False):
            rows = series[(series["measure_id"] == measure_id) & (series["agency"] == agency)]
            _label_panel(ax, rows, quarters)
    return figure


# The slowest stages: one horizontal strip per measure of an agency, slowest at the top.

STAGE_ROW_INCHES = 0.3
STAGE_NAME_CHARACTERS = 28  # a stage's name on the axis wraps to a second line after this
STAGE_WIDTH_INCHES = WIDTH_INCHES  # printed at full size, as the trend charts are
_P75_GREY, _P90_GREY = "0.5", "0.83"
_HALO = [patheffects.withStroke(linewidth=2.4, foreground="white")]


def _stage_number(text: object) -> float | None:
    """A published percentile as a number; None for a GSS symbol."""
    try:
        return float(str(text))
    except ValueError:
        return None


_LABEL_POINTS_PER_CHAR = 0.56 * TEXT_POINTS  # DejaVu Sans at 8 pt, a generous average
_LABEL_LEVEL_POINTS = 10.5  # the height of one line of direct labels above the chart
_LABEL_SPACE_POINTS = 4.0  # between two labels on one line


def _label_levels(targets: list[tuple[float, float]], points_per_unit: float) -> list[int]:
    """The line (0 nearest the chart) each direct label goes on, from each label's place and
    measured width in points, left to right: a label centred on its mark takes the lowest line
    where it overlaps no label on that line, its leader (down to the chart) passes through no
    label on a lower line, and no leader from a higher line passes through it."""
    placed: list[tuple[float, float, float, int]] = []  # (left, right, centre, line)
    levels = []
    for x, width in targets:
        centre = x * points_per_unit
        left, right = centre - width / 2, centre + width / 2
        level = 0
        # a label whose centre lies under a lower label cannot avoid its leader crossing it:
        # past as many lines as there are labels it takes the first line free of overlaps
        while level <= len(placed) and any(
            (
                line == level
                and left < end + _LABEL_SPACE_POINTS
                and start < right + _LABEL_SPACE_POINTS
            )
            or (line < level and start - 1 <= centre <= end + 1)
            or (line > level and left - 1 <= middle <= right + 1)
            for start, end, middle, line in placed
        ):
            level += 1
        if level > len(placed):
            space = _LABEL_SPACE_POINTS
            level = next(n for n in range(len(placed) + 2) if not any(
                line == n and left < end + space and start < right + space
                for start, end, _, line in placed))  # fmt: skip
        placed.append((left, right, centre, level))
        levels.append(level)
    return levels


def _stage_labels(rows: list[Any]) -> list[tuple[str, float, int]]:
    """What the chart's direct labels name, where, and on which row (counted from the top): the
    median and percentiles of the first stage drawn with them, the deadline of the first stage,
    and the shorter deadline of the first stage whose enhanced victims have one."""
    labels: list[tuple[str, float, int]] = []
    for index, row in enumerate(rows):
        numbers = [_stage_number(getattr(row, c)) for c in
                   ("median_working_days", "p75_working_days", "p90_working_days")]  # fmt: skip
        if None not in numbers:
            median, p75, p90 = (float(n) for n in numbers if n is not None)
            labels += [("median", median, index), ("75% within", p75, index),
                       ("90% within", p90, index)]  # fmt: skip
            break
    if rows:
        labels.append(("deadline", float(rows[0].deadline_standard), 0))
    for index, row in enumerate(rows):
        if str(row.deadline_enhanced) != str(row.deadline_standard):
            labels.append(("enhanced rights' deadline", float(row.deadline_enhanced), index))
            break
    merged: dict[float, tuple[str, float, int]] = {}
    for text, x, index in sorted(labels, key=lambda label: label[1]):
        if x in merged:  # two marks at one place (75% within the deadline): one label names both
            earlier, _, first = merged[x]
            merged[x] = (f"{earlier} and {text}", x, min(first, index))
        else:
            merged[x] = (text, x, index)
    return list(merged.values())


def stage_chart_svg(stages: pd.DataFrame, threshold: int, alt_text: str, salt: str) -> str:
    """``stage_figure`` as inline SVG with its alternative text."""
    style = STYLE | {"svg.hashsalt": salt}  # ids unique across the report's charts
    with matplotlib.rc_context(style):
        figure = stage_figure(stages, threshold)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _with_alt_text(buffer.getvalue(), alt_text)


def _text_points(figure: Figure, text: str) -> float:
    """The width of ``text`` at the charts' size, in points, as the renderer lays it out."""
    renderer = renderer_of(figure)
    font = FontProperties(family=STYLE["font.family"], size=TEXT_POINTS)
    width, _, _ = renderer.get_text_width_height_descent(text, font, ismath=False)
    return float(width) * 72 / figure.dpi


def stage_figure(stages: pd.DataFrame, threshold: int) -> Figure:
    """A percentile strip per stage: bars from 0 to the 75th and 90th percentiles of the
    working days to action, a dot at the median and dashed ticks at the deadline (dotted where
    victims owed enhanced rights have a shorter one). ``stages`` is one agency's published
    stages (``transforms.stages.published_stages``), latest first against their deadlines,
    drawn top down; a stage whose percentiles are withheld says so in words, so nothing hidden
    is drawn (nor its deadline ticks, which the words would cover). Each label is placed by
    the measured size of its text: the direct labels above the chart on lines where none
    overlaps another or is crossed by a leader, the 90th percentile's number after its bar and
    after any deadline tick it would otherwise cover."""
    count = max(len(stages), 1)
    rows = list(stages.itertuples(index=False))
    labels = _stage_labels(rows)
    widest = 1.0
    for row in rows:
        numbers = [_stage_number(getattr(row, c)) for c in
                   ("median_working_days", "p75_working_days", "p90_working_days")]  # fmt: skip
        deadlines = [float(row.deadline_standard), float(row.deadline_enhanced)]
        widest = max(widest, *deadlines, *(n for n in numbers if n is not None))
    x_max = widest * 1.1 + 0.5
    figure = Figure(figsize=(STAGE_WIDTH_INCHES, 2.0))
    # Each stage by its name, in words (issue 28), on up to two lines; room on the left for the
    # longest line.
    names = [textwrap.fill(short_name(str(row.measure_id)), STAGE_NAME_CHARACTERS) for row in rows]
    longest = max(
        (_text_points(figure, line) for name in names for line in name.split("\n")), default=0.0
    )
    left = max(0.95, 0.2 + longest / 72)
    axes_points = (STAGE_WIDTH_INCHES - left - 0.15) * 72
    widths = [_text_points(figure, text) + 2 for text, _, _ in labels]  # with the white ground
    levels = _label_levels([(x, w) for (_, x, _), w in zip(labels, widths, strict=True)],
                           axes_points / x_max)  # fmt: skip
    above = 0.2 + (max(levels, default=0) + 1) * _LABEL_LEVEL_POINTS / 72  # direct labels
    height = above + 0.45 + STAGE_ROW_INCHES * count  # the axis label below
    figure.set_size_inches(STAGE_WIDTH_INCHES, height)
    ax = figure.subplots()
    figure.subplots_adjust(
        left=left / STAGE_WIDTH_INCHES, right=1 - 0.15 / STAGE_WIDTH_INCHES,
        bottom=0.45 / height, top=1 - above / height,
    )  # fmt: skip
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(0, x_max)
    numbers_after: list[tuple[int, float, list[float]]] = []  # (row, p90, its deadline ticks)
    for y, row in zip(range(len(rows) - 1, -1, -1), rows, strict=True):
        median, p75, p90 = (
            _stage_number(getattr(row, c))
            for c in ("median_working_days", "p75_working_days", "p90_working_days")
        )
        standard, enhanced = float(row.deadline_standard), float(row.deadline_enhanced)
        if median is None or p75 is None or p90 is None:
            why = (
                f"[c] percentiles withheld: fewer than {threshold} actioned or without action"
                if str(row.p90_working_days) != "[z]"
                else "[z] none actioned"
            )
            ax.text(0.15, y, why, va="center", ha="left", fontsize=TEXT_POINTS, style="italic",
                    color="0.2", zorder=7)  # fmt: skip
            continue
        ax.barh(y, p90, height=0.55, color=_P90_GREY, edgecolor="0.45", linewidth=0.4)
        ax.barh(y, p75, height=0.55, color=_P75_GREY, linewidth=0)
        ax.plot([median], [y], marker="o", markersize=4.5, linestyle="none",
                markerfacecolor="white", markeredgecolor="black", markeredgewidth=0.8,
                zorder=6)  # fmt: skip
        numbers_after.append((y, p90, [standard, enhanced]))
        # a white edge keeps the tick visible on the dark bar
        ax.vlines(standard, y - 0.42, y + 0.42, color="black", linewidth=1.1,
                  linestyles=(0, (3, 1.5)), zorder=5, path_effects=_HALO)  # fmt: skip
        if enhanced != standard:
            ax.vlines(enhanced, y - 0.42, y + 0.42, color="black", linewidth=1.1,
                      linestyles=(0, (1, 1)), zorder=5, path_effects=_HALO)  # fmt: skip
    # The 90th percentile's number after its bar, and after a deadline tick it would cover.
    units_per_point = x_max / axes_points
    for y, p90, ticks in numbers_after:
        text = f"{p90:.0f}"
        start = p90 + widest * 0.012
        end = start + (_text_points(figure, text) + 3) * units_per_point
        for tick in sorted(ticks):
            if start - 2 * units_per_point <= tick <= end:
                start = tick + 3 * units_per_point
                end = start + (_text_points(figure, text) + 3) * units_per_point
        ax.text(start, y, text, va="center", ha="left", fontsize=TEXT_POINTS)
    ax.set_yticks(range(len(rows) - 1, -1, -1), names, fontsize=TEXT_POINTS, linespacing=1.0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Working days from trigger to action (0: the same day)", fontsize=TEXT_POINTS)
    ax.tick_params(length=2, pad=1.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="0.9", linewidth=0.4)
    ax.set_axisbelow(True)
    # Direct labels, not a key (Government Analysis Function charts guidance): each names
    # its mark on the top stage that has it, from a line above the chart.
    for (text, x, index), level in zip(labels, levels, strict=True):
        y = len(rows) - 1 - index
        ax.annotate(
            text, xy=(x, y + 0.3), xycoords="data", fontsize=TEXT_POINTS,
            # from the chart's top edge above the mark, up by the label's line
            xytext=(0, 4 + level * _LABEL_LEVEL_POINTS),
            textcoords=OffsetFrom(ax.transData, (x, len(rows) - 0.4), unit="points"),
            ha="center", va="bottom", annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": "0.35", "linewidth": 0.5,
                        "shrinkA": 1, "shrinkB": 0},
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
            zorder=20 - level,
        )  # fmt: skip
    return figure
