"""Each agency's SPC panels written as SVG directly (issue 24): drawing 22 small panels through
matplotlib took 0.56 to 1.44 s of a scale-1 run, most of it per-axes set-up, tick machinery and
its SVG backend; the panels need only lines, marks, a frame and text, written here in a few
milliseconds.

The chart looks as matplotlib drew it (``charts.STYLE``): the figure ``WIDTH_INCHES`` wide and
``PANEL_INCHES`` a row of two panels, its sizes in points (1/72 inch, the SVG's unit), 8 pt
DejaVu Sans kept as text (never paths, so the PDF can be searched and read aloud), a grey frame
and ticks 0.5 pt wide. Per panel: the centre line (solid), the process limits as dashed steps,
one centred on each month, the target (dotted), the monthly rate (a thin grey line) and a mark
on each shown month whose shape carries its meaning (▲ improvement, ▼ concern, a small grey
circle for common cause); colour only repeats it. Same panels, same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from vcc.reports.charts import TEXT_POINTS, WIDTH_INCHES
from vcc.transforms.spc import COMMON_CAUSE, CONCERN, IMPROVEMENT

COLUMNS = 2
PANEL_INCHES = 1.12  # six rows of panels, their heading and note fit one page (issue 28)
POINTS = 72  # an inch
# The figure's margins as matplotlib's subplots_adjust had them: fractions of the width, and
# 0.3 inch above the first row and below the last; between rows a gap as tall as a panel.
LEFT, RIGHT, COLUMN_GAP = 0.09, 0.98, 0.18
EDGE_INCHES, ROW_GAP = 0.3, 1.0
TICK, TICK_PAD = 3.5, 3.5  # points: a tick's length and the gap to its label
NAME_GAP = 0.04  # the name stands this fraction of the panel's height above it
# DejaVu Sans: its ascent and descent, and the height of its digits, in ems
ASCENT, DESCENT, DIGIT_MIDDLE = 0.76, 0.236, 0.3645
LINE_SPACING = 1.05  # a two-line name's baselines, in ems
# Lines as matplotlib drew them: its greys ("0.35" is #595959), its dash patterns (3.7 on, 1.6
# off; dotted 1 on, 1.65 off) scaled by the line's width, and charts.STYLE's frame (0.4 grey)
CENTRE = 'stroke="#000000" stroke-width="0.9"'
LIMIT = 'stroke="#595959" stroke-width="0.7" stroke-dasharray="2.59,1.12"'
TARGET = 'stroke="#333333" stroke-width="0.9" stroke-dasharray="0.9,1.49"'
RATE = 'stroke="#8c8c8c" stroke-width="0.7"'
FRAME = 'stroke="#666666" stroke-width="0.5"'
FONT = f"font-size: {TEXT_POINTS}px; font-family: 'DejaVu Sans'"
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)  # percent between two ticks
MAX_TICKS = 4  # three or four a panel: 8 pt labels stand apart on a panel 43 pt tall
# shape first; colour (NHS blue and orange) only repeats it
MARK_COLOURS = {IMPROVEMENT: "#005eb8", CONCERN: "#c55a11", COMMON_CAUSE: "#737373"}
TRIANGLE = 5.5  # points: a ▲ or ▼ mark's width and height
DOT = 2.8  # points: a common-cause mark's diameter
Scale = Callable[[float], float]  # a month, or a rate, to its place in points


@dataclass(frozen=True)
class Panel:
    """What one measure's panel shows, month by month (None where a month is not drawn)."""

    name: str  # its name, wrapped to at most two lines
    rates: list[float | None]
    lower: list[float | None]
    upper: list[float | None]
    centre: float | None
    target: float
    marks: list[str | None]  # IMPROVEMENT, CONCERN or COMMON_CAUSE, per shown month
    ticks: list[tuple[int, str]]  # (month's index, its label)


@dataclass(frozen=True)
class Frame:
    """A panel's plotting area, in points from the chart's top left corner."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


def grid_rows(panels: int) -> int:
    return max(math.ceil(panels / COLUMNS), 1)


def chart_size(panels: int) -> tuple[float, float]:
    """The chart's width and height in points: ``PANEL_INCHES`` a row, as the page expects."""
    return WIDTH_INCHES * POINTS, (0.45 + grid_rows(panels) * PANEL_INCHES) * POINTS


def frames(panels: int) -> list[Frame]:
    """Each panel's plotting area, row by row, two to a row."""
    width, height = chart_size(panels)
    rows = grid_rows(panels)
    edge = EDGE_INCHES * POINTS
    panel_width = width * (RIGHT - LEFT) / (COLUMNS + COLUMN_GAP * (COLUMNS - 1))
    panel_height = (height - 2 * edge) / (rows + ROW_GAP * (rows - 1))
    return [
        Frame(
            width * LEFT + (i % COLUMNS) * panel_width * (1 + COLUMN_GAP),
            edge + (i // COLUMNS) * panel_height * (1 + ROW_GAP),
            panel_width,
            panel_height,
        )  # fmt: skip
        for i in range(panels)
    ]


def rate_range(panel: Panel) -> tuple[float, float]:
    """The y axis: the span of the shown rates, limits and target, at least 10 points, padded by
    8% each side, within 0% to 100% (and half a point above, so a mark at 100% shows whole)."""
    values = [v for v in (*panel.rates, *panel.lower, *panel.upper) if v is not None]
    values.append(panel.target)
    low, high = min(values), max(values)
    span = max(high - low, 0.1)
    return max(0.0, low - 0.08 * span), min(1.0, high + 0.08 * span) + 0.005


def nice_ticks(low: float, high: float) -> list[float]:
    """Ticks at the multiples of a nice step (``NICE_STEPS``, in percent) within ``low`` to
    ``high`` (fractions): the smallest step that puts at most ``MAX_TICKS`` of them in view."""
    ticks: list[float] = []
    for step in NICE_STEPS:
        start = math.ceil(low * 100 / step - 1e-9)
        end = math.floor(high * 100 / step + 1e-9)
        ticks = [round(n * step, 6) / 100 for n in range(start, end + 1)]
        if len(ticks) <= MAX_TICKS:
            break
    return ticks


def percent(value: float) -> str:
    """A tick's label: ``0.85`` -> ``85%``, ``0.825`` -> ``82.5%``."""
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _number(value: float) -> str:
    return f"{value:.2f}"


def _text(x: float, y: float, words: str, anchor: str = "start") -> str:
    style = FONT if anchor == "start" else f"{FONT}; text-anchor: {anchor}"
    words = escape(words, quote=False)
    return f'<text style="{style}" x="{_number(x)}" y="{_number(y)}">{words}</text>'


def _line(points: Sequence[tuple[float, float]], style: str, role: str = "") -> str:
    path = " ".join(f"{_number(x)},{_number(y)}" for x, y in points)
    named = f' class="{role}"' if role else ""
    return f'<polyline{named} points="{path}" fill="none" {style}/>'


def _runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Each unbroken run of drawn values, as (month, value)."""
    runs: list[list[tuple[int, float]]] = []
    for month, value in enumerate(values):
        if value is None:
            continue
        if runs and runs[-1][-1][0] == month - 1:
            runs[-1].append((month, value))
        else:
            runs.append([(month, value)])
    return runs


def _steps(values: list[float | None], x: Scale, y: Scale) -> list[list[tuple[float, float]]]:
    """A limit as steps (matplotlib's "steps-mid"): each month's value held from halfway after
    the month before to halfway before the next (from the first month, to the last), with a
    rise between drawn neighbours; a month not drawn breaks it."""
    last = len(values) - 1
    return [
        [(x(at), y(value)) for month, value in run
         for at in (max(month - 0.5, 0), min(month + 0.5, last))]
        for run in _runs(values)
    ]  # fmt: skip


def _mark(kind: str, cx: float, cy: float) -> str:
    colour = MARK_COLOURS[kind]
    paint = f'fill="{colour}" stroke="{colour}" stroke-width="1"'
    if kind == COMMON_CAUSE:
        return f'<circle cx="{_number(cx)}" cy="{_number(cy)}" r="{DOT / 2}" {paint}/>'
    half = TRIANGLE / 2
    tip, base = (cy - half, cy + half) if kind == IMPROVEMENT else (cy + half, cy - half)
    corners = f"{_number(cx)},{_number(tip)} {_number(cx - half)},{_number(base)} " + (
        f"{_number(cx + half)},{_number(base)}"
    )
    return f'<polygon class="{kind}" points="{corners}" {paint}/>'


def _plotted(panel: Panel, frame: Frame, x: Scale, y: Scale, clip: str) -> list[str]:
    """The panel's lines, clipped to its frame as matplotlib clips them, then its marks."""
    parts = [
        f'<clipPath id="{clip}"><rect x="{_number(frame.left)}" y="{_number(frame.top)}" '
        f'width="{_number(frame.width)}" height="{_number(frame.height)}"/></clipPath>',
        f'<g clip-path="url(#{clip})">',
    ]
    across = (frame.left, frame.right)
    if panel.centre is not None:
        centre = y(panel.centre)
        parts.append(_line([(a, centre) for a in across], CENTRE, "centre"))
        for limit in (panel.lower, panel.upper):
            parts += [_line(points, LIMIT, "limit") for points in _steps(limit, x, y)]
    target = y(panel.target)
    parts.append(_line([(a, target) for a in across], TARGET, "target"))
    for run in _runs(panel.rates):
        if len(run) > 1:
            parts.append(_line([(x(m), y(rate)) for m, rate in run], RATE, "rate"))
    parts.append("</g>")
    return parts + [
        _mark(kind, x(month), y(rate))
        for month, (kind, rate) in enumerate(zip(panel.marks, panel.rates, strict=True))
        if kind is not None and rate is not None
    ]


def _axes(panel: Panel, frame: Frame, x: Scale, y: Scale, ticks: list[float]) -> list[str]:
    """The frame, its ticks and their labels, and the panel's name above it."""
    parts = [
        f'<rect x="{_number(frame.left)}" y="{_number(frame.top)}" width="{_number(frame.width)}"'
        f' height="{_number(frame.height)}" fill="none" {FRAME}/>'
    ]
    for value in ticks:
        level = y(value)
        parts.append(_line([(frame.left - TICK, level), (frame.left, level)], FRAME))
        label_y = level + DIGIT_MIDDLE * TEXT_POINTS
        parts.append(_text(frame.left - TICK - TICK_PAD, label_y, percent(value), "end"))
    for month, label in panel.ticks:
        at = x(month)
        parts.append(_line([(at, frame.bottom), (at, frame.bottom + TICK)], FRAME))
        label_y = frame.bottom + TICK + TICK_PAD + ASCENT * TEXT_POINTS
        parts.append(_text(at, label_y, label, "middle"))
    lines = panel.name.split("\n")
    last = frame.top - NAME_GAP * frame.height - DESCENT * TEXT_POINTS
    for index, words in enumerate(lines):
        baseline = last - (len(lines) - 1 - index) * LINE_SPACING * TEXT_POINTS
        parts.append(_text(frame.left, baseline, words))
    return parts


def panel_svg(panel: Panel, frame: Frame, number: int) -> list[str]:
    """One panel's elements; ``number`` names its clip path (one per panel of the chart)."""
    months = len(panel.rates)
    low, high = rate_range(panel)

    def x(month: float) -> float:  # months -0.6 to months - 0.4 across the frame
        return frame.left + (month + 0.6) / (months + 0.2) * frame.width

    def y(rate: float) -> float:
        return frame.bottom - (rate - low) / (high - low) * frame.height

    plotted = _plotted(panel, frame, x, y, f"spc-panel-{number}")
    return plotted + _axes(panel, frame, x, y, nice_ticks(low, high))


def spc_chart_svg(panels: Sequence[Panel]) -> str:
    """The panels as one SVG, two to a row, sized in points as the page lays it out."""
    width, height = chart_size(len(panels))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_number(width)}pt" '
        f'height="{_number(height)}pt" viewBox="0 0 {_number(width)} {_number(height)}">'
    ]
    for number, (panel, frame) in enumerate(zip(panels, frames(len(panels)), strict=True)):
        parts += panel_svg(panel, frame, number)
    parts.append("</svg>")
    return "\n".join(parts)
