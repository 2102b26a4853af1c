"""The figures of one quarter, as every output needs them: one typed bundle.

``flows.run.figures`` makes it from the validated tables (and the warehouse's case reviews);
``flows.run.outputs`` writes its tables to files and ``reports`` formats it. Nothing downstream
computes a figure: a new report section adds its figures here and in ``flows.run.figures``, then
formats them in a ``reports`` module and a template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from vcc.transforms.catalogue import Catalogue
from vcc.transforms.quarters import Quarter

# The validated source tables a run computes from: (source, table) -> its accepted rows.
Tables = Mapping[tuple[str, str], pd.DataFrame]


@dataclass(frozen=True)
class QafFigures:
    """The Quality Assessment Framework's case reviews of the quarter's newest reviewed sample:
    aggregates only, as published (``transforms.qaf``: small counts ``[c]``), no case reference."""

    sample_id: str
    drawn_on: dt.date
    imported_on: dt.date
    frame_size: int  # victims in the sampling frame
    sample_size: int  # cases drawn
    cases_reviewed: int  # cases with at least one rating imported
    oversampling: float  # how much more often enhanced strata are sampled than their share
    estimates: pd.DataFrame  # transforms.qaf.published_estimates
    disagreements: pd.DataFrame  # transforms.qaf.published_disagreements
    cases_partly_reviewed: int = 0  # of cases_reviewed, those with an agency's review missing


@dataclass(frozen=True)
class FeedbackFigures:
    """The victims' survey of the quarter (CONTRACT.md §7.3, ``transforms.feedback``)."""

    table: pd.DataFrame  # feedback.csv, unsuppressed (analysts)
    published: pd.DataFrame  # the same after disclosure control, as text
    breakdowns: pd.DataFrame  # by offence group, age band and sex, unsuppressed
    published_breakdowns: pd.DataFrame  # the same after disclosure control, as text
    published_records: pd.DataFrame  # transforms.feedback.published_records of the mapped measures
    responses: int  # responses counted: dated in the quarter and by the as-of date
    questions: dict[str, str] = field(default_factory=dict)  # question id -> its words, if known


@dataclass(frozen=True)
class QuarterFigures:
    """Every figure of one quarter: unsuppressed for the analysts' files, and ``published`` (the
    same figures after disclosure control) for everything circulated."""

    quarter: Quarter
    as_of: dt.date  # the extract is complete up to the end of this day
    instances: pd.DataFrame  # every instance over the trend window (analysts only)
    metrics: pd.DataFrame  # the quarter's metrics, every breakdown (metrics.csv)
    trend: pd.DataFrame  # the ``all`` rows of every quarter shown in the trend
    changes: pd.DataFrame  # transforms.changes.compare_quarters: on last quarter and a year before
    published: pd.DataFrame  # transforms.disclosure.published_tables of ``metrics``
    analyses: dict[str, pd.DataFrame] = field(default_factory=dict)  # file stem -> table
    stages: pd.DataFrame = field(default_factory=pd.DataFrame)  # stage_distributions
    published_stages: pd.DataFrame = field(default_factory=pd.DataFrame)  # as published, ranked
    qaf: QafFigures | None = None  # None: no review of a sample of the quarter was imported
    catalogue: Catalogue | None = None  # the Code version followed; None: the Code of April 2021
    spc: pd.DataFrame = field(default_factory=pd.DataFrame)  # transforms.spc: spc.csv
    feedback: FeedbackFigures | None = None  # None: no feedback source was supplied
