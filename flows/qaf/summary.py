"""The quarterly report's QAF section: the newest imported review of the quarter's newest reviewed
sample, as weighted estimates and disagreements, suppressed as CONTRACT.md §4 says."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vcc.flows.config import Config
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.flows.warehouse.store import Warehouse, open_warehouse
from vcc.reports.disclosure import format_count, published_interval, published_percent
from vcc.reports.model import agency_label
from vcc.transforms.qaf import (
    THEME_LABELS,
    disagreements,
    published_disagreements,
    published_estimates,
    theme_estimates,
)


@dataclass(frozen=True)
class QafSummary:
    """What the quarterly report shows of the case reviews: aggregates only, suppressed as
    CONTRACT.md §4 says (text, with ``[c]`` and ``[z]``); no case reference."""

    sample_id: str
    drawn_on: dt.date
    imported_on: dt.date
    frame_size: str
    sample_size: str
    cases_reviewed: str
    oversampling: float
    threshold: int
    estimates: list[dict[str, str]] = field(default_factory=list)  # agency, theme, ...
    disagreements: list[dict[str, str]] = field(default_factory=list)
    published: pd.DataFrame = field(default_factory=pd.DataFrame)  # published_estimates


def qaf_summary(
    config: Config,
    output_root: Path,
    quarter: str,
    threshold: int | None = None,
    warehouse: Warehouse | None = None,
) -> QafSummary | None:
    """The QAF section of the quarter's report, from the newest import of the quarter's newest
    reviewed sample; None when no review of a sample of the quarter has been imported.
    ``threshold``: the disclosure threshold [``[disclosure] threshold``]."""
    threshold = config.disclosure.threshold if threshold is None else threshold
    store = ReviewStore(warehouse or open_warehouse(config, output_root))
    found = store.latest_reviewed_sample(quarter)
    if found is None:
        return None
    sample, latest = found
    frame = store.frame(sample.sample_id)
    ratings = store.ratings(latest["import_id"])
    weighted = ratings.merge(frame[["victim_id", "weight"]], on="victim_id", how="left")
    estimates = theme_estimates(weighted)
    published = published_estimates(estimates, threshold)
    shown_estimates = [
        {
            "agency": agency_label(row.agency),
            "theme": THEME_LABELS[row.theme],
            "rated": row.rated,
            "not_evidenced": row.not_evidenced,
            "share": published_percent(row.share),
            "interval": published_interval(row.ci_low, row.ci_high),
        }
        for row in published.itertuples(index=False)
    ]
    counted = published_disagreements(
        disagreements(ratings, store.case_records(sample.sample_id)), threshold
    )
    return QafSummary(
        sample_id=sample.sample_id,
        drawn_on=sample.drawn_at.date(),
        imported_on=latest["imported_at"].date(),
        frame_size=format_count(sample.frame_size, threshold),
        sample_size=format_count(sample.size, threshold),
        cases_reviewed=format_count(ratings["victim_id"].nunique(), threshold),
        oversampling=sample.oversampling,
        threshold=threshold,
        estimates=shown_estimates,
        disagreements=[
            {
                "agency": agency_label(row.agency),
                "records_met_reviewers_not": row.records_met_reviewers_not,
                "records_not_met_reviewers_met": row.records_not_met_reviewers_met,
            }
            for row in counted.itertuples(index=False)
        ],
        published=published,
    )
