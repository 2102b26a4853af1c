"""The victims' voice beside the records (CONTRACT.md §7.3): ``feedback.csv`` and its breakdowns.

A survey of victims (the optional source ``feedback``: ``responses`` and ``answers``) asks
questions that speak to the Code's rights ("Were you offered the chance to make a Victim Personal
Statement?"). ``[feedback.questions]`` maps each question to the measure it speaks to (the
catalogue gives defaults for a standard question set). For the report's quarter:

- the responses counted are those whose ``responded_at`` falls in the quarter and on or before
  the as-of date D (the local date, as every date of CONTRACT.md §1);
- for each question answered by them: ``answered`` = yes + no (``dont_know`` and
  ``not_applicable`` are left out), ``yes``, the victims' ``rate`` = yes / answered with its
  Wilson 95% interval (``transforms.metrics.wilson_interval``, the one every rate uses);
- ``records_rate``: what the records say, the measure's ``all`` rate in ``metrics.csv``
  (met / eligible). A measure reported for several agencies (``R12-ACK``, one row per source
  that supplies complaints) is pooled over them, Σmet / Σeligible, with the Wilson interval of
  the pooled counts: a victim answers about the system, not about one agency's records. A
  measure with one agency (every other) is exactly its row. Blank when the measure has no row
  or no eligible instance;
- ``gap`` = rate − records_rate, with Newcombe's hybrid score interval for a difference of
  independent proportions (``transforms.changes.newcombe_interval``, as ``changes.csv``), p1
  the victims' rate; ``significant`` when the interval excludes 0.

An unmapped question has blank ``right``, ``measure_id`` and records columns. A question whose
answers are all ``dont_know``/``not_applicable`` has ``answered`` 0 and blank rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vcc.transforms.changes import newcombe_interval
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE, hidden_cells, met_is_hidden
from vcc.transforms.metrics import wilson_interval
from vcc.transforms.quarters import Quarter

FEEDBACK_COLUMNS = [
    "question_id",
    "right",
    "measure_id",
    "answered",
    "yes",
    "rate",
    "ci_low",
    "ci_high",
    "records_rate",
    "gap",
    "gap_low",
    "gap_high",
    "significant",
]
# The breakdowns of the report's section: the response's own attributes (a survey is anonymous,
# so they are what the respondent said, not the police record), ``unknown`` when blank.
FEEDBACK_DIMENSIONS = ("offence_group", "age_band", "sex")
BREAKDOWN_COLUMNS = ["question_id", "dimension", "group", "answered", "yes", "rate", "ci_low",
                     "ci_high"]  # fmt: skip
COUNTED = ("yes", "no")  # the answers that count; dont_know and not_applicable are left out


def responses_in_quarter(responses: pd.DataFrame, quarter: Quarter, as_of: dt.date) -> pd.DataFrame:
    """The responses whose local date of ``responded_at`` is in ``quarter`` and on or before
    ``as_of``."""
    day = responses["responded_at"].dt.normalize()
    last = min(quarter.end, as_of)
    keep = (day >= pd.Timestamp(quarter.start)) & (day <= pd.Timestamp(last))
    return responses[keep.fillna(False).to_numpy(bool)]


def _answers_of(responses: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """The answers to ``responses``, with each one's yes/no counts."""
    kept = answers[answers["response_id"].isin(responses["response_id"])]
    return kept.assign(
        is_yes=(kept["answer"] == "yes").astype("int64"),
        counts=kept["answer"].isin(COUNTED).astype("int64"),
    )


def _tally(answers: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """answered, yes, rate and its Wilson interval per ``by`` group."""
    counts = (
        answers.groupby(by, sort=False, observed=True)[["counts", "is_yes"]]
        .sum()
        .rename(columns={"counts": "answered", "is_yes": "yes"})
        .reset_index()
    )
    answered = counts["answered"].to_numpy("int64")
    yes = counts["yes"].to_numpy("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(answered > 0, yes / np.where(answered > 0, answered, 1), np.nan)
    low, high = wilson_interval(yes, answered)
    return counts.assign(answered=answered, yes=yes, rate=rate, ci_low=low, ci_high=high)


def records_rates(metrics: pd.DataFrame, measure_ids: Sequence[str]) -> pd.DataFrame:
    """Per measure, what the records say: its ``all`` rows of ``metrics`` pooled over agencies
    (one row for every measure but ``R12-ACK``), rate and Wilson interval; blank when none was
    eligible or the measure has no row."""
    rows = metrics[(metrics["dimension"] == "all") & metrics["measure_id"].isin(measure_ids)]
    pooled = rows.groupby("measure_id")[["eligible", "met"]].sum()
    pooled = pooled.reindex(list(dict.fromkeys(measure_ids)), fill_value=0)
    eligible = pooled["eligible"].to_numpy("int64")
    met = pooled["met"].to_numpy("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible > 0, met / np.where(eligible > 0, eligible, 1), np.nan)
    low, high = wilson_interval(met, eligible)
    return pd.DataFrame(
        {"eligible": eligible, "met": met, "records_rate": rate, "records_low": low,
         "records_high": high},
        index=pooled.index,
    )  # fmt: skip


def published_records(
    metrics: pd.DataFrame, measure_ids: Sequence[str], threshold: int
) -> pd.DataFrame:
    """What the records say, as the report may print it: per measure its pooled ``all`` rate and
    interval as text (``records_rates``), ``[c]`` when the pooled counts, or any agency's row
    pooled into them, would be hidden in the published tables (a pooled figure must not give a
    hidden one back), ``[z]`` when none was eligible."""
    records = records_rates(metrics, measure_ids)
    rows = metrics[(metrics["dimension"] == "all") & metrics["measure_id"].isin(measure_ids)]
    any_hidden = (
        pd.Series(met_is_hidden(rows["eligible"], rows["met"], threshold).to_numpy(bool))
        .groupby(rows["measure_id"].to_numpy())
        .any()
        .reindex(records.index, fill_value=False)
    )
    hidden = any_hidden.to_numpy(bool) | np.asarray(
        met_is_hidden(records["eligible"], records["met"], threshold), dtype=bool
    )
    empty = records["eligible"].to_numpy() == 0
    published = pd.DataFrame(index=records.index)
    for column, source in (("rate", "records_rate"), ("ci_low", "records_low"),
                           ("ci_high", "records_high")):  # fmt: skip
        text = records[source].map(lambda v: "" if pd.isna(v) else f"{v:.4f}").astype("string")
        published[column] = text.mask(hidden, CONFIDENTIAL).mask(empty, NOT_APPLICABLE)
    return published.rename_axis("measure_id").reset_index()


def question_order(
    questions: pd.Series, mapping: Mapping[str, str], measure_order: Sequence[str]
) -> list[str]:
    """Mapped questions in the catalogue's measure order (then by id), unmapped ones last."""
    position = {measure: index for index, measure in enumerate(measure_order)}
    unmapped = len(position)

    def key(question: str) -> tuple[int, str]:
        measure = mapping.get(question)
        return (position.get(measure, unmapped) if measure else unmapped + 1, question)

    return sorted(questions.unique(), key=key)


def feedback_table(
    responses: pd.DataFrame,
    answers: pd.DataFrame,
    mapping: Mapping[str, str],
    rights: Mapping[str, int],
    metrics: pd.DataFrame,
    quarter: Quarter,
    as_of: dt.date,
) -> pd.DataFrame:
    """``feedback.csv``: one row per question answered in the quarter (see the module docstring).
    ``mapping``: question id -> measure id (unmapped questions absent); ``rights``: measure id ->
    its right; ``metrics``: the quarter's ``metrics.csv`` rows."""
    answers = _answers_of(responses_in_quarter(responses, quarter, as_of), answers)
    tally = _tally(answers, ["question_id"]).set_index("question_id")
    order = question_order(answers["question_id"], mapping, list(rights))
    tally = tally.reindex(order)
    measure = pd.Series([mapping.get(q) for q in order], index=order, dtype="object")
    records = records_rates(metrics, [m for m in measure if m]).reindex(measure.to_numpy())
    rate = tally["rate"].to_numpy(float)
    rec = records["records_rate"].to_numpy(float)
    low, high = newcombe_interval(
        rate, tally["ci_low"].to_numpy(float), tally["ci_high"].to_numpy(float),
        rec, records["records_low"].to_numpy(float), records["records_high"].to_numpy(float),
    )  # fmt: skip
    defined = ~np.isnan(low)
    return pd.DataFrame(
        {
            "question_id": order,
            "right": pd.array([rights.get(m) if m else None for m in measure], dtype="Int64"),
            "measure_id": pd.array(measure.to_numpy(), dtype="string"),
            "answered": tally["answered"].to_numpy("int64"),
            "yes": tally["yes"].to_numpy("int64"),
            "rate": rate,
            "ci_low": tally["ci_low"].to_numpy(float),
            "ci_high": tally["ci_high"].to_numpy(float),
            "records_rate": rec,
            "gap": rate - rec,
            "gap_low": low,
            "gap_high": high,
            "significant": pd.Series((low > 0) | (high < 0), dtype="boolean")
            .mask(~defined)
            .to_numpy(),
        }
    )[FEEDBACK_COLUMNS]


def feedback_breakdowns(
    responses: pd.DataFrame,
    answers: pd.DataFrame,
    quarter: Quarter,
    as_of: dt.date,
    dimensions: Sequence[str] = FEEDBACK_DIMENSIONS,
) -> pd.DataFrame:
    """The victims' rate of each question by each of ``dimensions`` (the response's own
    attributes; blank is ``unknown``): ``BREAKDOWN_COLUMNS``, unsuppressed."""
    in_quarter = responses_in_quarter(responses, quarter, as_of)
    answers = _answers_of(in_quarter, answers)
    parts = []
    for dimension in dimensions:
        group = in_quarter.set_index("response_id")[dimension].astype("string").fillna("unknown")
        with_group = answers.assign(group=answers["response_id"].map(group).to_numpy())
        tally = _tally(with_group, ["question_id", "group"]).assign(dimension=dimension)
        parts.append(tally.sort_values(["question_id", "group"], kind="stable"))
    if not parts:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    return pd.concat(parts, ignore_index=True)[BREAKDOWN_COLUMNS]


def published_feedback(table: pd.DataFrame, threshold: int, keys: Sequence[str]) -> pd.DataFrame:
    """``table`` (``feedback_table`` or ``feedback_breakdowns``) with CONTRACT.md §4's disclosure
    control, as text: ``answered`` of 1 to threshold − 1 is ``[c]``; ``yes`` (and the rate, its
    interval and the gap worked from it) also when yes or no is that few; within each breakdown
    (rows sharing ``keys``) a lone hidden cell takes the smallest other with it; an empty
    denominator's rate is ``[z]``."""
    table = table.reset_index(drop=True)
    answered, yes = table["answered"], table["yes"]
    if keys:
        parts = [table[key].astype("string").fillna("") for key in keys]
        breakdown = parts[0]
        for part in parts[1:]:
            breakdown = breakdown + "|" + part
    else:  # each row stands alone
        breakdown = table.index.astype(str).to_series(index=table.index)
    hide_answered, hide_yes = hidden_cells(answered, yes, breakdown, threshold)
    published = table.copy()
    published["answered"] = (
        answered.astype("Int64").astype("string").mask(hide_answered, CONFIDENTIAL)
    )
    published["yes"] = yes.astype("Int64").astype("string").mask(hide_yes, CONFIDENTIAL)
    empty = answered == 0
    worked = [c for c in ("rate", "ci_low", "ci_high", "gap", "gap_low", "gap_high") if c in table]
    for column in worked:
        text = table[column].map(lambda v: "" if pd.isna(v) else f"{v:.4f}").astype("string")
        published[column] = text.mask(hide_yes, CONFIDENTIAL).mask(empty, NOT_APPLICABLE)
    if "significant" in table:
        significant = table["significant"].map(
            lambda v: "" if pd.isna(v) else ("true" if v else "false")
        )
        published["significant"] = significant.astype("string").mask(hide_yes, CONFIDENTIAL)
    return published
