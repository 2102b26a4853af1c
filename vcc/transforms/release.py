"""The figures of the open release (CONTRACT.md §7.4), each as published: disclosure control
applied by the rule of ``transforms/disclosure.py`` (CONTRACT.md §4), figures as text with the
GSS symbols ``[c]`` (confidential), ``[x]`` (not available) and ``[z]`` (not applicable).

The release is built from these tables and ``published_tables`` alone, never from
``metrics.csv``, the instances or the quarantine: whatever a member of the public can download
has been through disclosure control here first.

- ``published_changes``: each measure's ``all`` rate against the previous quarter and a year
  before (``transforms.changes``), hidden where either quarter's rate is hidden, as the report's
  summary hides it (a change would give a hidden rate back).
- ``published_spc``: the monthly process-control chart of ``spc.csv`` (CONTRACT.md §7.1) without
  its counts; a month's rate and limits (from which its count could be worked back) are hidden
  when its counts are small, and, as the months of a quarter add up to its published ``all`` row,
  never exactly one month of a quarter is hidden.
- ``published_feedback``: ``feedback.csv`` (CONTRACT.md §7.3) with small counts hidden.
"""

from __future__ import annotations

import pandas as pd

from vcc.transforms.disclosure import (
    CONFIDENTIAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    format_counts,
    format_rates,
    hidden_cells,
    met_is_hidden,
)

CHANGE_RELEASE_COLUMNS = [
    "quarter", "measure_id", "agency", "comparison", "compared_quarter", "rate",
    "compared_rate", "change", "change_low", "change_high", "significant",
]  # fmt: skip
SPC_RELEASE_COLUMNS = [
    "measure_id", "agency", "month", "rate", "centre", "lower", "upper", "signals", "assurance",
]  # fmt: skip
FEEDBACK_RELEASE_COLUMNS = [
    "question_id", "right", "measure_id", "answered", "yes", "rate", "ci_low", "ci_high",
    "records_rate", "gap", "gap_low", "gap_high", "significant",
]  # fmt: skip


def _met(eligible: pd.Series, rate: pd.Series) -> pd.Series:
    """The count met behind a rate of ``eligible`` (exact: the rate is met / eligible)."""
    return (eligible.fillna(0) * rate.fillna(0)).round().astype(int)


def published_changes(changes: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The ``all`` rows of ``changes`` (``transforms.changes.compare_quarters``, rates unrounded)
    as published. A change is ``[c]`` when either quarter's rate is hidden (a change would give
    it back), ``[z]`` when either quarter had none eligible, ``[x]`` when the earlier quarter
    has no figure."""
    rows = changes[changes["dimension"] == "all"].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=CHANGE_RELEASE_COLUMNS)
    eligible = rows["eligible"].fillna(0).astype(int)
    before = pd.to_numeric(rows["compared_eligible"], errors="coerce")
    absent = before.isna()
    before = before.fillna(0).astype(int)
    hide_now = pd.Series(
        met_is_hidden(eligible, _met(eligible, rows["rate"]), threshold), index=rows.index
    )
    hide_before = pd.Series(
        met_is_hidden(before, _met(before, rows["compared_rate"]), threshold), index=rows.index
    )
    empty_now, empty_before = eligible == 0, (before == 0) & ~absent
    hide = hide_now | hide_before
    published = rows[["quarter", "measure_id", "agency", "comparison", "compared_quarter"]].copy()
    published = published.astype("string")
    published["rate"] = (
        format_rates(rows["rate"]).mask(hide_now, CONFIDENTIAL).mask(empty_now, NOT_APPLICABLE)
    )
    published["compared_rate"] = (
        format_rates(rows["compared_rate"])
        .mask(hide_before, CONFIDENTIAL)
        .mask(empty_before, NOT_APPLICABLE)
        .mask(absent, NOT_AVAILABLE)
    )
    significant = rows["significant"].map(
        lambda value: "" if pd.isna(value) or value == "" else str(value).lower()
    )
    for column in ("change", "change_low", "change_high", "significant"):
        text = significant if column == "significant" else format_rates(rows[column])
        text = text.astype("string").mask(hide, CONFIDENTIAL)
        text = text.mask(empty_now | empty_before, NOT_APPLICABLE)
        published[column] = text.mask(absent, NOT_AVAILABLE)
    return published[CHANGE_RELEASE_COLUMNS]


def _quarter_of_month(month: pd.Series) -> pd.Series:
    period = pd.PeriodIndex(month.astype(str), freq="M")
    return pd.Series(period.asfreq("Q").astype(str), index=month.index)


def published_spc(spc: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """``spc.csv``'s rows without the monthly counts: a month's rate and its limits hidden
    (``[c]``) when its counts are small (CONTRACT.md §4), and a second month of the same quarter
    hidden with a lone one, since the months add up to the quarter's published counts. The centre
    line, signals and assurance are of the whole series and stay."""
    table = spc.reset_index(drop=True)
    eligible = pd.to_numeric(table["eligible"], errors="coerce").fillna(0).astype(int)
    met = pd.to_numeric(table["met"], errors="coerce").fillna(0).astype(int)
    series = table["measure_id"] + "|" + table["agency"] + "|" + _quarter_of_month(table["month"])
    _, hide = hidden_cells(eligible, met, series, threshold)
    published = table.copy()
    for column in ("rate", "centre", "lower", "upper"):
        values = pd.to_numeric(table[column], errors="coerce")
        published[column] = format_rates(values)
    for column in ("rate", "lower", "upper"):
        published[column] = published[column].mask(hide, CONFIDENTIAL)
    for column in ("signals", "assurance"):
        published[column] = table[column].astype("string").fillna("")
    return published[SPC_RELEASE_COLUMNS]


def published_feedback(
    feedback: pd.DataFrame, threshold: int, hidden_measures: set[str] | frozenset[str] = frozenset()
) -> pd.DataFrame:
    """``feedback.csv``'s rows with disclosure control: ``answered`` and ``yes`` are hidden when
    small, and the rate, interval and gap with ``yes`` when either it or the answers *not* yes
    are small; ``[z]`` where no one answered. The records' rate, and the gap that would give it
    back, are hidden for ``hidden_measures`` (those whose published ``all`` rate is hidden).
    Questions are not parts of a shown total, so no second cell is hidden."""
    table = feedback.reset_index(drop=True)
    answered = pd.to_numeric(table["answered"], errors="coerce").fillna(0).astype(int)
    yes = pd.to_numeric(table["yes"], errors="coerce").fillna(0).astype(int)
    hide_answered = pd.Series((answered > 0) & (answered < threshold), index=table.index)
    hide = hide_answered | pd.Series(met_is_hidden(answered, yes, threshold), index=table.index)
    empty = answered == 0
    published = table[["question_id", "right", "measure_id"]].astype("string").fillna("")
    published["right"] = published["right"].str.replace(r"\.0$", "", regex=True)
    published["answered"] = format_counts(answered).mask(hide_answered, CONFIDENTIAL)
    published["yes"] = format_counts(yes).mask(hide, CONFIDENTIAL)
    for column in ("rate", "ci_low", "ci_high", "gap", "gap_low", "gap_high"):
        text = format_rates(pd.to_numeric(table[column], errors="coerce"))
        published[column] = text.mask(hide, CONFIDENTIAL).mask(empty, NOT_APPLICABLE)
    records_hidden = table["measure_id"].isin(hidden_measures)
    published["records_rate"] = format_rates(
        pd.to_numeric(table["records_rate"], errors="coerce")
    ).mask(records_hidden, CONFIDENTIAL)
    for column in ("gap", "gap_low", "gap_high"):
        published[column] = published[column].mask(records_hidden & ~empty, CONFIDENTIAL)
    significant = table["significant"].map(
        lambda value: "" if pd.isna(value) or value == "" else str(value).lower()
    )
    published["significant"] = (
        significant.astype("string")
        .mask(hide | records_hidden, CONFIDENTIAL)
        .mask(empty, NOT_APPLICABLE)
    )
    return published[FEEDBACK_RELEASE_COLUMNS]
