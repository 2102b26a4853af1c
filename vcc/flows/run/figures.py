"""The one place a quarter's figures are made: validated tables in, ``QuarterFigures`` out.

Every figure an output needs (the metrics of every breakdown, the trend, the changes, the
enhanced-rights and needs-assessment analyses, the slowest stages, the published tables and the
case reviews' estimates) is computed here by the pure functions of ``transforms/``, with the
settings they take and nothing more; the outputs stage writes and formats them, computing none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from vcc.flows.config import Config
from vcc.flows.errors import EmptyQuarterError
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.catalogue import Catalogue
from vcc.transforms.changes import compare_quarters
from vcc.transforms.disclosure import published_tables
from vcc.transforms.enhanced_gap import identification_by_reason, update_delay_by_identification
from vcc.transforms.feedback import (
    feedback_breakdowns,
    feedback_table,
    published_feedback,
    published_records,
    responses_in_quarter,
)
from vcc.transforms.figures import FeedbackFigures, QafFigures, QuarterFigures, Tables
from vcc.transforms.measures import Deadline, compute_instances
from vcc.transforms.metrics import Rating, summarise
from vcc.transforms.needs_assessment import assessment_timeliness, missing_items
from vcc.transforms.qaf import (
    cases_reviewed,
    disagreements,
    published_disagreements,
    published_estimates,
    theme_estimates,
)
from vcc.transforms.quarters import Quarter
from vcc.transforms.settings import MeasureSettings
from vcc.transforms.spc import statistical_process_control
from vcc.transforms.stages import published_stages, stage_distributions
from vcc.transforms.support import unsupported_measures


@dataclass(frozen=True)
class FigureSettings:
    """What the figures depend on in the configuration, and nothing else."""

    catalogue: Catalogue  # the measures of the Victims' Code version the quarter follows
    measures: Mapping[str, MeasureSettings]  # [measures.<id>]: deadlines, targets, rating
    districts: list[str]  # the area's districts, in report order
    sources: list[str]  # the configured sources, in order (R12-ACK has a row per source)
    extra_holidays: list[dt.date]  # [calendar] extra non-working days
    trend_quarters: int  # [report] quarters the trend shows
    threshold: int  # [disclosure] counts below it are suppressed
    # [feedback.questions] over the catalogue's: survey question id -> the measure it speaks to
    feedback_questions: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, config: Config, catalogue: Catalogue) -> FigureSettings:
        """The settings of a quarter's figures: ``config`` settled to the quarter's Code version
        (``Config.settled(catalogue)``: the configured deadlines and categories where set, else
        the catalogue's), as the run settles it once for everything it writes."""
        return cls(
            catalogue=catalogue,
            measures=dict(config.measures),
            districts=list(config.districts),
            sources=list(config.sources),
            extra_holidays=list(config.calendar.extra_holidays),
            trend_quarters=config.report.trend_quarters,
            threshold=config.disclosure.threshold,
            feedback_questions=config.feedback_mapping(catalogue),
        )

    def deadlines(self) -> dict[str, Deadline]:
        """Each measure's working-day deadlines, standard and enhanced (None: met at once)."""
        return {
            measure_id: Deadline(settings.deadline_standard, settings.deadline_enhanced)
            for measure_id, settings in self.measures.items()
        }

    def measure_options(self) -> dict[str, dict[str, Any]]:
        """What a measure's function or block takes beside its deadlines (R5's categories)."""
        return {m: {"categories": s.categories} for m, s in self.measures.items()}

    def ratings(self) -> dict[str, Rating]:
        return {
            measure_id: Rating(s.target, s.rag_tolerance, s.min_eligible_for_rating)
            for measure_id, s in self.measures.items()
        }

    def calendar(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(self.extra_holidays)


def trend_window(quarter: Quarter, trend_quarters: int) -> list[Quarter]:
    """The trend window ending at ``quarter``, widened to reach a year back for the changes."""
    reach = max(trend_quarters - 1, 4)
    return [quarter.shift(-back) for back in range(reach, -1, -1)]


def instances_and_metrics(
    tables: Tables,
    settings: FigureSettings,
    quarter: Quarter,
    as_of: dt.date,
    window: list[Quarter],
    calendar: WorkingDayCalendar,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The measures engine: instances over ``window`` up to the quarter's end, and the metrics
    of every quarter in it (also timed alone by benchmarks/bench_measures.py)."""
    catalogue = settings.catalogue
    instances = compute_instances(
        tables, as_of, settings.deadlines(), calendar, since=window[0].start,
        catalogue=catalogue, settings=settings.measure_options(),
    )  # fmt: skip
    instances = instances[instances["trigger_date"] <= pd.Timestamp(quarter.end)]
    complaint_sources = [s for s in settings.sources if (s, "complaints") in tables]
    # a measure whose optional data is absent has no rows at all (CONTRACT.md §6.1)
    supported = catalogue.without(unsupported_measures(catalogue, tables, as_of))
    every_quarter = summarise(
        instances, [str(q) for q in window], settings.ratings(), settings.districts,
        complaint_sources, supported,
    )  # fmt: skip
    return instances, every_quarter


def _analyses(
    instances: pd.DataFrame, tables: Tables, quarter: Quarter, as_of: dt.date,
    calendar: WorkingDayCalendar,
) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The enhanced-rights identification gap and the needs-assessment standard."""
    return {
        "enhanced-identification": identification_by_reason(tables, quarter, as_of),
        "enhanced-update-delay": update_delay_by_identification(
            instances, tables, quarter, calendar
        ),
        "needs-assessment-timeliness": assessment_timeliness(instances, quarter, calendar),
        "needs-assessment-missing-items": missing_items(instances, tables, quarter, as_of),
    }


def qaf_figures(reviews: ReviewStore, quarter: Quarter, threshold: int) -> QafFigures | None:
    """The case reviews of the newest import of the quarter's newest reviewed sample, as they
    may be published; None when no review of a sample of the quarter has been imported."""
    found = reviews.latest_reviewed_sample(str(quarter))
    if found is None:
        return None
    sample, latest = found
    frame = reviews.frame(sample.sample_id)
    ratings = reviews.ratings(latest["import_id"])
    weighted = ratings.merge(frame[["victim_id", "weight"]], on="victim_id", how="left")
    records = reviews.case_records(sample.sample_id)
    reviewed, partly = cases_reviewed(ratings, records)
    return QafFigures(
        sample_id=sample.sample_id,
        drawn_on=sample.drawn_at.date(),
        imported_on=latest["imported_at"].date(),
        frame_size=sample.frame_size,
        sample_size=sample.size,
        cases_reviewed=reviewed,
        oversampling=sample.oversampling,
        estimates=published_estimates(theme_estimates(weighted), threshold),
        disagreements=published_disagreements(disagreements(ratings, records), threshold),
        cases_partly_reviewed=partly,
    )


def feedback_figures(
    tables: Tables, settings: FigureSettings, metrics: pd.DataFrame, quarter: Quarter,
    as_of: dt.date,
) -> FeedbackFigures | None:  # fmt: skip
    """The victims' survey beside the records (``transforms.feedback``); None when no feedback
    source was supplied."""
    if ("feedback", "responses") not in tables:
        return None
    responses, answers = tables[("feedback", "responses")], tables[("feedback", "answers")]
    catalogue = settings.catalogue
    rights = {m.measure_id: m.right for m in catalogue.measures}
    table = feedback_table(
        responses, answers, settings.feedback_questions, rights, metrics, quarter, as_of
    )
    breakdowns = feedback_breakdowns(responses, answers, quarter, as_of)
    return FeedbackFigures(
        table=table,
        published=published_feedback(table, settings.threshold, keys=[]),
        breakdowns=breakdowns,
        published_breakdowns=published_feedback(
            breakdowns, settings.threshold, keys=["question_id", "dimension"]
        ),
        published_records=published_records(
            metrics, [m for m in table["measure_id"].dropna().unique()], settings.threshold
        ),
        responses=len(responses_in_quarter(responses, quarter, as_of)),
        questions={q.question_id: q.text for q in catalogue.questions},
    )


def quarter_figures(
    tables: Tables,
    settings: FigureSettings,
    quarter: Quarter,
    as_of: dt.date,
    reviews: ReviewStore | None = None,
) -> QuarterFigures:
    """Every figure of ``quarter`` from the validated ``tables``, as of ``as_of``; the case
    reviews come from ``reviews`` (none without it). A quarter in which no duty fell is refused:
    a report of nothing but zeros would read as if nothing was owed."""
    window = trend_window(quarter, settings.trend_quarters)
    calendar = settings.calendar()
    instances, every_quarter = instances_and_metrics(
        tables, settings, quarter, as_of, window, calendar
    )
    if not (instances["quarter"] == str(quarter)).any():
        raise EmptyQuarterError(
            f"no Victims' Code duty fell in {quarter} in the validated sources (no crime, "
            "decision, hearing, outcome, release or complaint dated in it): they may not reach "
            "back that far; nothing is published"
        )
    shown = [str(q) for q in window[-settings.trend_quarters :]]
    metrics = every_quarter[every_quarter["quarter"] == str(quarter)].reset_index(drop=True)
    stages = stage_distributions(instances, quarter, settings.deadlines(), calendar)
    every_measure = metrics.loc[metrics["dimension"] == "all", ["measure_id", "agency"]]
    targets = {measure_id: rating.target for measure_id, rating in settings.ratings().items()}
    return QuarterFigures(
        quarter=quarter,
        as_of=as_of,
        instances=instances.reset_index(drop=True),
        metrics=metrics,
        trend=every_quarter[
            (every_quarter["dimension"] == "all") & every_quarter["quarter"].isin(shown)
        ].reset_index(drop=True),
        changes=compare_quarters(every_quarter, quarter),
        published=published_tables(metrics, settings.threshold),
        analyses=_analyses(instances, tables, quarter, as_of, calendar),
        stages=stages,
        published_stages=published_stages(stages, settings.threshold),
        qaf=qaf_figures(reviews, quarter, settings.threshold) if reviews else None,
        catalogue=settings.catalogue,
        spc=statistical_process_control(
            instances, shown, list(every_measure.itertuples(index=False, name=None)), targets
        ),
        feedback=feedback_figures(tables, settings, metrics, quarter, as_of),
    )
