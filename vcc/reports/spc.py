"""Each agency's statistical process control charts, in the style of NHS England's "Making Data
Count": per measure, its monthly rates over the trend window with the centre line, the process
limits and the target, every point where a rule fires marked by its shape (▲ improvement,
▼ concern; colour only repeats it), and the measure's variation and assurance in words.

Formats only: the chart and the judgements come from ``spc.csv`` (``transforms/spc.py``); this
module chooses what each panel shows and ``spc_svg`` writes the panels as SVG directly (issue 24:
matplotlib took 0.56 to 1.44 s over the four agencies at scale 1; the SVG a few milliseconds).
Disclosure (CONTRACT.md §4): a month whose eligible, met or not met count is from 1 to the
threshold − 1 is not drawn, nor its limits (their width gives its count back), and the caption
says how many months were hidden.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from vcc.reports.charts import _with_alt_text
from vcc.reports.names import measure_title, short_name
from vcc.reports.spc_svg import Panel, spc_chart_svg
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
NAME_CHARACTERS = 44  # a panel's name wraps to a second line after this


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


def _panel(rows: pd.DataFrame, hide: pd.Series, target: float, name: str) -> Panel:
    """What a measure's panel draws: its shown months' rates and limits (a hidden month's left
    out), each shown month's mark by its signals' direction, and a tick each January and July."""
    shown = (rows["rate"].notna() & ~hide).tolist()
    rates = rows["rate"].tolist()

    def drawn(column: str) -> list[float | None]:
        return [float(v) if keep and not pd.isna(v) else None
                for v, keep in zip(rows[column].tolist(), shown, strict=True)]  # fmt: skip

    marks: list[str | None] = []
    for index, (keep, signals) in enumerate(zip(shown, rows["signals"].tolist(), strict=True)):
        kind = COMMON_CAUSE if keep else None
        if keep and signals:
            prior = rates[index - 1] if index else None
            previous = None if prior is None or pd.isna(prior) else float(prior)
            kind = signal_direction(rows.iloc[index], previous)
        marks.append(kind)
    centre = rows["centre"].dropna()
    months = rows["month"].tolist()
    ticks = [(i, f"{month_label(month)[:3]} {month[2:4]}")
             for i, month in enumerate(months) if month.endswith(("-01", "-07"))]  # fmt: skip
    return Panel(
        name, drawn("rate"), drawn("lower"), drawn("upper"),
        float(centre.iloc[0]) if len(centre) else None, target, marks, ticks,
    )  # fmt: skip


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
    lines, hidden_months, drawn = [], 0, []
    # one judgement per measure, in the order its months first appear, as groupby gives them
    measures = mine.groupby("measure_id", sort=False)
    for (measure_id, months), (_, judged) in zip(measures, judgements.iterrows(), strict=True):
        rows = months.reset_index(drop=True)
        hide = hidden(rows, threshold)
        hidden_months += int(hide.sum())
        title = measure_title(measure_id)
        v_icon, v_word = VARIATION_WORDS[judged["variation"]]
        a_icon, a_word = ASSURANCE_WORDS[judged["assurance"]]
        # the measure in words (issue 28), on up to two lines
        name = textwrap.fill(f"{short_name(measure_id)} {v_icon} {a_icon}", NAME_CHARACTERS)
        drawn.append(_panel(rows, hide, targets.get(measure_id, 0.90), name))
        lines.append(
            SpcLine(measure_id, title, v_icon, v_word, a_icon, a_word,
                    recent_words(judged["recent"]))
        )  # fmt: skip
    months = list(dict.fromkeys(mine["month"]))
    alt = (
        f"Statistical process control charts, one per measure, of the monthly rate from "
        f"{month_label(months[0])} to {month_label(months[-1])} with its centre line, process "
        "limits and target. "
        + " ".join(f"{line.title}: {line.variation}; {line.assurance}." for line in lines)
    )
    return SpcView(
        lines, Markup(_with_alt_text(spc_chart_svg(drawn), alt)), hidden_months,
        month_label(months[0]), month_label(months[-1]),
    )  # fmt: skip
