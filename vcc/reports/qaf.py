"""The quarterly report's Quality Assessment Framework section: the case reviews' estimates and
disagreements (``transforms.figures.QafFigures``, already suppressed), in words and labels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from vcc.reports.disclosure import format_count, published_interval, published_percent
from vcc.reports.model import ReportData
from vcc.transforms.agencies import agency_label
from vcc.transforms.qaf import THEME_LABELS


@dataclass(frozen=True)
class QafView:
    """What the section prints: aggregates only (text, with ``[c]`` and ``[z]``), no case."""

    sample_id: str
    drawn_on: dt.date
    imported_on: dt.date
    frame_size: str
    sample_size: str
    cases_reviewed: str
    cases_partly_reviewed: str | None  # None when every case reviewed is reviewed in full
    oversampling: float
    threshold: int
    estimates: list[dict[str, str]] = field(default_factory=list)  # agency, theme, ...
    disagreements: list[dict[str, str]] = field(default_factory=list)


def qaf_view(data: ReportData) -> QafView | None:
    """The section's content; None when no review of the quarter's sample was imported."""
    qaf, threshold = data.qaf, data.suppression_threshold
    if qaf is None:
        return None
    return QafView(
        sample_id=qaf.sample_id,
        drawn_on=qaf.drawn_on,
        imported_on=qaf.imported_on,
        frame_size=format_count(qaf.frame_size, threshold),
        sample_size=format_count(qaf.sample_size, threshold),
        cases_reviewed=format_count(qaf.cases_reviewed, threshold),
        cases_partly_reviewed=(
            format_count(qaf.cases_partly_reviewed, threshold)
            if qaf.cases_partly_reviewed
            else None
        ),
        oversampling=qaf.oversampling,
        threshold=threshold,
        estimates=[
            {
                "agency": agency_label(row.agency),
                "theme": THEME_LABELS[row.theme],
                "rated": row.rated,
                "not_evidenced": row.not_evidenced,
                "share": published_percent(row.share),
                "interval": published_interval(row.ci_low, row.ci_high),
            }
            for row in qaf.estimates.itertuples(index=False)
        ],
        disagreements=[
            {
                "agency": agency_label(row.agency),
                "records_met_reviewers_not": row.records_met_reviewers_not,
                "records_not_met_reviewers_met": row.records_not_met_reviewers_met,
            }
            for row in qaf.disagreements.itertuples(index=False)
        ],
    )


def qaf_finding(data: ReportData) -> str | None:
    """The case reviews in one sentence for the headline findings: the agency and theme with the
    lowest weighted share rated met, with its interval, among the shares published (a ``[c]``
    share is never named, nor ranked); None without case reviews."""
    qaf = data.qaf
    if qaf is None:
        return None
    reviewed = format_count(qaf.cases_reviewed, data.suppression_threshold)
    opening = f"Case reviews (sample {qaf.sample_id}, {reviewed} cases reviewed)"
    # [c], [z] and [x] are not numbers: a withheld share is neither named nor ranked
    shares = qaf.estimates.assign(
        _share=pd.to_numeric(qaf.estimates["share"].astype(str), errors="coerce")
    ).dropna(subset=["_share"])
    if shares.empty:
        return f"{opening}: no theme's share rated met can be published (too few cases rated)."
    lowest = shares.sort_values("_share", kind="stable").iloc[0]
    theme = THEME_LABELS[lowest["theme"]]
    share = published_percent(str(lowest["share"]))
    interval = published_interval(str(lowest["ci_low"]), str(lowest["ci_high"]))
    return (
        f"{opening}: the lowest share rated met was {theme[:1].lower() + theme[1:]} "
        f"({agency_label(lowest['agency'])}), {share} (95% interval {interval}), weighted to "
        "all the victims whose case reached the CPS."
    )
