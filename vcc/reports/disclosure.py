"""Small-number disclosure control and the way figures are printed (DOMAIN.md, "Publishing norms").

The report is circulated beyond the analysts, so a count of 1 to ``threshold - 1`` people could
identify someone: it prints as the GSS symbol ``[c]``. ``met`` is hidden too when the people *not*
met are that few (``eligible - met`` would reveal them), and a rate, its interval and its RAG
status are hidden with the ``met`` beneath them. A zero is not disclosive and prints as 0. This
is the rule ``transforms/disclosure.py`` applies to ``published-tables.csv`` for the ``all`` rows,
so the report and the published tables agree; the summary table has no totals across rows, so
no secondary suppression is needed in it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vcc.transforms.disclosure import CONFIDENTIAL as SUPPRESSED  # GSS: confidential
from vcc.transforms.disclosure import (
    NOT_APPLICABLE,  # GSS: not applicable (no eligible instances)
    NOT_AVAILABLE,  # GSS: not available
    is_small,
    met_is_hidden,
)

GSS_SYMBOLS: tuple[tuple[str, str], ...] = (
    (SUPPRESSED, "confidential: withheld because the number is small enough to identify someone"),
    (NOT_AVAILABLE, "not available: for example, no figure for the previous quarter"),
    (NOT_APPLICABLE, "not applicable: no instance was eligible, so there is no rate"),
)


def format_count(count: float, threshold: int) -> str:
    if pd.isna(count):
        return NOT_AVAILABLE
    return SUPPRESSED if is_small(count, threshold) else f"{int(count):,}"


def format_met(eligible: float, met: float, threshold: int) -> str:
    return SUPPRESSED if met_is_hidden(eligible, met, threshold) else format_count(met, threshold)


def format_percent(value: float, decimals: int = 1) -> str:
    return NOT_AVAILABLE if pd.isna(value) else f"{100 * value:.{decimals}f}%"


def format_rate(eligible: float, met: float, rate: float, threshold: int) -> str:
    if eligible == 0:
        return NOT_APPLICABLE
    if met_is_hidden(eligible, met, threshold):
        return SUPPRESSED
    return format_percent(rate)


def format_interval(eligible: float, met: float, low: float, high: float, threshold: int) -> str:
    if eligible == 0:
        return NOT_APPLICABLE
    if met_is_hidden(eligible, met, threshold):
        return SUPPRESSED
    if pd.isna(low) or pd.isna(high):
        return NOT_AVAILABLE
    return f"{100 * low:.1f}% to {100 * high:.1f}%"


def mask_suppressed_rates(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """A copy with rate and interval blanked wherever the table would print ``[c]``, so that a
    chart never shows what the table hides."""
    masked = frame.copy()
    hidden = [
        met_is_hidden(eligible, met, threshold)
        for eligible, met in zip(masked["eligible"], masked["met"], strict=True)
    ]
    masked.loc[hidden, ["rate", "ci_low", "ci_high"]] = math.nan
    return masked


# Figures already suppressed by transforms.disclosure.published_tables (text, with GSS symbols):
# the report only formats them, so the report and published-tables.csv can never disagree.

_SYMBOLS = (SUPPRESSED, NOT_APPLICABLE, NOT_AVAILABLE)


def published_count(text: str) -> str:
    """``"8260"`` -> ``"8,260"``; a GSS symbol stays as it is; empty is ``[x]``."""
    if text in _SYMBOLS:
        return text
    return f"{int(text):,}" if text else NOT_AVAILABLE


def published_percent(text: str, decimals: int = 1) -> str:
    """``"0.9492"`` -> ``"94.9%"``; a GSS symbol stays as it is; empty is ``[x]``."""
    if text in _SYMBOLS:
        return text
    return format_percent(float(text), decimals) if text else NOT_AVAILABLE


def published_interval(low: str, high: str) -> str:
    for text in (low, high):
        if text in _SYMBOLS:
            return text
    if not low or not high:
        return NOT_AVAILABLE
    return f"{100 * float(low):.1f}% to {100 * float(high):.1f}%"


# Aggregate tables beyond the published ones (the enhanced-rights and needs-assessment analyses)
# follow the same rule: a count from 1 to threshold - 1 is hidden, and a line of cells that adds
# up to a shown total never hides exactly one cell (the smallest other non-empty cell goes too).


def hidden_cells(
    counts: np.ndarray, threshold: int, lines: list[list[tuple[int, int]]]
) -> np.ndarray:
    """Which cells of ``counts`` (a 2-D array) to print as ``[c]``: primary suppression, then
    secondary suppression along each ``line`` (cells adding up to a shown total), repeated until
    no line hides exactly one cell."""
    counts = np.asarray(counts, dtype=float)
    hidden = is_small(counts, threshold)
    changed = True
    while changed:
        changed = False
        for line in lines:
            lone = [cell for cell in line if hidden[cell]]
            if len(lone) != 1:
                continue
            others = [cell for cell in line if not hidden[cell] and counts[cell] > 0]
            if others:
                hidden[min(others, key=lambda cell: counts[cell])] = True
                changed = True
    return hidden
