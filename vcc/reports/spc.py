"""Each agency's statistical process control charts, in the style of NHS England's "Making Data
Count": per measure, its monthly rates over the trend window with the centre line, the process
limits and the target, every point where a rule fires marked by its shape (▲ improvement,
▼ concern; colour only repeats it), and the measure's variation and assurance in words.

Formats only: the chart and the judgements come from ``spc.csv`` (``transforms/spc.py``).
Disclosure (CONTRACT.md §4): a month whose eligible, met or not met count is from 1 to the
threshold − 1 is not drawn, nor its limits (their width gives its count back), and the caption
says how many months were hidden.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from vcc.reports.charts import STYLE, WIDTH_INCHES, _with_alt_text
from vcc.reports.names import measure_title, short_name
from vcc.transforms.spc import (
    COMMON_CAUSE,
    CONCERN,
    IMPROVEMENT,
    signal_direction,
    spc_judgements,
    trend_months,
)

# The icons' words: a board reads the word, the shape only repeats it.
VARIATION_WORDS = {
    IMPROVEMENT: ("▲", "Special cause: improvement"),
    CONCERN: ("▼", "Special cause: concern"),
    COMMON_CAUSE: ("●", "Common cause: no signal"),
    "": ("–", "No chart: fewer than 12 months with instances, or all or none met"),
}
ASSURANCE_WORDS = {
    "pass": ("✔", "Consistently passing the target"),
    "fail": ("✖", "Consistently failing the target"),
    "hit_and_miss": ("≈", "Hit and miss: the target lies between the limits"),
    "": ("–", "Not judged"),
}
SIGNAL_WORDS = {
    "outside": "outside the limits",
    "shift": "in a run of 7 or more on one side of the centre",
    "trend": "in a run of 7 or more rising or falling",
}
COLUMNS = 2
PANEL_INCHES = 1.12  # six rows of panels, their heading and note fit one page (issue 28)
NAME_CHARACTERS = 44  # a panel's name wraps to a second line after this
_MARKS = {  # shape first; colour (NHS blue and orange) only repeats it
    IMPROVEMENT: {"marker": "^", "color": "#005eb8", "markersize": 5.5},
    CONCERN: {"marker": "v", "color": "#c55a11", "markersize": 5.5},
    COMMON_CAUSE: {"marker": "o", "color": "0.45", "markersize": 2.8},
}


@dataclass(frozen=True)
class SpcLine:
    """One measure's judgement as the agency's table prints it."""

    measure_id: str
    title: str
    variation_icon: str
    variation: str
    assurance_icon: str
    assurance: str
    recent: str  # its signals in the report's quarter, in words ("" for none)


@dataclass(frozen=True)
class SpcView:
    lines: list[SpcLine]
    chart_svg: Markup
    hidden_months: int  # months not drawn by disclosure control
    first_month: str
    last_month: str


def month_label(month: str) -> str:
    """``2026-07`` -> ``July 2026``."""
    return f"{dt.date(int(month[:4]), int(month[5:]), 1):%B %Y}"


def hidden(rows: pd.DataFrame, threshold: int) -> pd.Series:
    """Months whose eligible, met or not met count is from 1 to the threshold − 1."""
    counts = [rows["eligible"], rows["met"], rows["eligible"] - rows["met"]]
    return pd.concat([(c > 0) & (c < threshold) for c in counts], axis=1).any(axis=1)


def recent_words(recent: list[tuple[str, str, str]]) -> str:
    """A measure's signals in the quarter's months, in plain words."""
    parts = []
    for month, signals, direction in recent:
        what = " and ".join(SIGNAL_WORDS[s] for s in str(signals).split(";") if s in SIGNAL_WORDS)
        word = "improvement" if direction == IMPROVEMENT else "concern"
        parts.append(f"{month_label(month)}: {what} ({word})")
    return "; ".join(parts)


def _panel(ax, rows: pd.DataFrame, hide: pd.Series, target: float) -> None:
    x = np.arange(len(rows))
    shown = rows["rate"].notna() & ~hide
    centre = rows["centre"].dropna()
    if len(centre):
        ax.axhline(float(centre.iloc[0]), color="0", linewidth=0.9)
        for limit in ("lower", "upper"):
            values = rows[limit].where(shown)
            ax.plot(x, values, drawstyle="steps-mid", linestyle="--", color="0.35", linewidth=0.7)
    ax.axhline(target, color="0.2", linestyle=":", linewidth=0.9)
    rate = rows["rate"].where(shown)
    ax.plot(x, rate, color="0.55", linewidth=0.7)
    previous = rows["rate"].shift(1)
    kinds: dict[str, list[int]] = {COMMON_CAUSE: [], IMPROVEMENT: [], CONCERN: []}
    for index in np.flatnonzero(shown.to_numpy()):
        row = rows.iloc[index]
        kind = COMMON_CAUSE
        if row["signals"]:
            prior = previous.iloc[index]
            kind = signal_direction(row, None if pd.isna(prior) else float(prior))
        kinds[kind].append(int(index))
    for kind, points in kinds.items():  # one set of marks per kind
        if points:
            ax.plot(points, rows["rate"].iloc[points], linestyle="none", **_MARKS[kind])
    values = [*rate.dropna(), target, *rows["lower"].where(shown).dropna(),
              *rows["upper"].where(shown).dropna()]  # fmt: skip
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    span = max(high - low, 0.1)
    ax.set_ylim(max(0.0, low - 0.08 * span), min(1.0, high + 0.08 * span) + 0.005)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    ticks = [i for i, month in enumerate(rows["month"]) if month.endswith(("-01", "-07"))]
    ax.set_xticks(ticks, [f"{month_label(rows['month'].iloc[i])[:3]} {rows['month'].iloc[i][2:4]}"
                          for i in ticks])  # fmt: skip
    ax.set_xlim(-0.6, len(rows) - 0.4)


def spc_view(
    spc: pd.DataFrame, agency: str, quarter: str, threshold: int, targets: dict[str, float]
) -> SpcView | None:
    """The agency's SPC charts and judgements; None when ``spc.csv`` has no row of it."""
    if not len(spc.columns):
        return None
    mine = spc[spc["agency"] == agency]
    if mine.empty:
        return None
    quarter_months = trend_months([quarter])
    judgements = spc_judgements(mine, quarter_months)
    panels = list(dict.fromkeys(zip(mine["measure_id"], mine["agency"], strict=True)))
    lines, hidden_months = [], 0
    grid_rows = max(math.ceil(len(panels) / COLUMNS), 1)
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_INCHES, 0.45 + grid_rows * PANEL_INCHES))
        axes = figure.subplots(grid_rows, COLUMNS, squeeze=False)
        for ax, (measure_id, _), (_, judged) in zip(
            axes.flat, panels, judgements.iterrows(), strict=False
        ):
            rows = mine[mine["measure_id"] == measure_id].reset_index(drop=True)
            hide = hidden(rows, threshold)
            hidden_months += int(hide.sum())
            target = targets.get(measure_id, 0.90)
            _panel(ax, rows, hide, target)
            title = measure_title(measure_id)
            v_icon, v_word = VARIATION_WORDS[judged["variation"]]
            a_icon, a_word = ASSURANCE_WORDS[judged["assurance"]]
            # a text, not a title: titles are placed by measuring every axis (slow)
            # the measure in words (issue 28), on up to two lines
            name = textwrap.fill(f"{short_name(measure_id)} {v_icon} {a_icon}", NAME_CHARACTERS)
            ax.text(0, 1.04, name, transform=ax.transAxes, fontsize=8, va="bottom", ha="left",
                    linespacing=1.0)  # fmt: skip
            lines.append(
                SpcLine(measure_id, title, v_icon, v_word, a_icon, a_word,
                        recent_words(judged["recent"]))
            )  # fmt: skip
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        figure.subplots_adjust(
            left=0.09, right=0.98, bottom=0.3 / (0.45 + grid_rows * PANEL_INCHES),
            top=1 - 0.3 / (0.45 + grid_rows * PANEL_INCHES), hspace=1.0, wspace=0.18,
        )  # fmt: skip
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    months = list(dict.fromkeys(mine["month"]))
    alt = (
        f"Statistical process control charts, one per measure, of the monthly rate from "
        f"{month_label(months[0])} to {month_label(months[-1])} with its centre line, process "
        "limits and target. "
        + " ".join(f"{line.title}: {line.variation}; {line.assurance}." for line in lines)
    )
    return SpcView(
        lines, Markup(_with_alt_text(buffer.getvalue(), alt)), hidden_months,
        month_label(months[0]), month_label(months[-1]),
    )  # fmt: skip
