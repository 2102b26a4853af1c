"""What the report is drawn from: one quarter's figures, their history and the run's provenance.

``ReportData`` is built by the flow from ``metrics.csv`` (CONTRACT.md §4) and the data-quality
counts; nothing here reads files. The quarter labels follow CONTRACT.md §1: calendar quarters
written ``YYYYQn``, with the UK financial-year label (April to March) alongside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from vcc.flows.errors import VccError
from vcc.transforms.agencies import agency_rank
from vcc.transforms.catalogue import MEASURES, Catalogue, load_catalogue
from vcc.transforms.disclosure import PUBLISHED_COLUMNS
from vcc.transforms.figures import QafFigures, QuarterFigures
from vcc.transforms.quarters import Quarter, long_date, part_quarter
from vcc.transforms.settings import MeasureSettings, ReportSettings

METRIC_COLUMNS: tuple[str, ...] = (
    "quarter", "measure_id", "right", "agency", "dimension", "group", "eligible", "met",
    "not_met", "pending", "rate", "ci_low", "ci_high", "target", "rag",
)  # fmt: skip
DATA_QUALITY_COLUMNS: tuple[str, ...] = (
    "source", "table", "rows_read", "rows_accepted", "rows_quarantined",
)  # fmt: skip
QUALITY_COLUMNS: tuple[str, ...] = (
    "source", "table", "check", "severity", "failed_rows", "rows_read", "rows_accepted",
    "rows_quarantined", "detail",
)  # fmt: skip
CHANGE_COLUMNS: tuple[str, ...] = (
    "measure_id", "agency", "dimension", "group", "comparison", "compared_quarter", "change",
    "significant",
)  # fmt: skip
# The analyses tables (output file stem -> the columns the report reads).
ANALYSES_COLUMNS: dict[str, tuple[str, ...]] = {
    "enhanced-identification": ("reason", "owed", "identified", "missed", "identified_rate",
                                "ci_low", "ci_high"),
    "enhanced-update-delay": ("identification", "instances", "met", "rate", "ci_low", "ci_high",
                              "median_working_days", "p90_working_days", "within_1_share",
                              "within_5_share", "never_updated_share"),
    "needs-assessment-timeliness": ("rights", "band", "count", "share", "cumulative_share"),
    "needs-assessment-missing-items": ("item", "assessments", "missing", "missing_share"),
}  # fmt: skip


class ReportDataError(VccError):
    """The figures handed to the report do not have the shape CONTRACT.md §4 promises."""


def financial_year_label(quarter: Quarter) -> str:
    """The UK financial-year label (April to March): 2024Q3 -> ``"2024/25 Q2"``."""
    return quarter.financial_year_label()


def quarter_period(quarter: Quarter, as_of: date | None = None) -> str:
    """The days the figures cover: 2024Q3 -> ``"1 July to 30 September 2024"``; with an
    as-of date inside the quarter, only the days up to it: ``"1 July to 15 August 2024"``."""
    end = as_of if as_of is not None and part_quarter(quarter, as_of) else quarter.end
    if end == quarter.start:
        return long_date(end)
    return f"1 {quarter.start:%B} to {long_date(end)}"


def part_quarter_note(quarter: Quarter, as_of: date) -> str | None:
    """What the report says when its quarter had not ended on the as-of date, else None."""
    if not part_quarter(quarter, as_of):
        return None
    return (
        f"The quarter had not ended on the as-of date: these figures cover 1 {quarter.start:%B} to "
        f"{long_date(as_of)} only, and instances due after that day are pending, not counted. "
        "The report of the whole quarter will differ."
    )


def _require_columns(frame: pd.DataFrame, expected: tuple[str, ...], name: str) -> None:
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise ReportDataError(f"report {name} lacks the column(s) {', '.join(missing)}")


@dataclass(frozen=True)
class ReportData:
    """One quarter's report: its figures (``transforms.figures.QuarterFigures``, made by the flow;
    the report formats them and computes none), the settings the methodology describes, and the
    run's provenance."""

    figures: QuarterFigures
    produced_on: date
    settings: ReportSettings
    measure_settings: dict[str, MeasureSettings]
    data_quality: pd.DataFrame  # one row per source table, columns DATA_QUALITY_COLUMNS
    suppression_threshold: int
    code_version: str
    run_id: str
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)  # data-quality.csv rows
    version_label: str = "First issue"  # or e.g. "Revision 1 (version 2)"
    # flows.warehouse Revision items (version, produced, reasons, changes), oldest first; empty
    # for a first issue.
    revisions: list = field(default_factory=list)
    # one area of a configuration of many: the report has a place for "How <area> compares"
    # (reports/compares.py), filled in by the run of every area once they are compared
    one_of_areas: bool = False

    def __post_init__(self) -> None:
        figures = self.figures
        _require_columns(figures.metrics, METRIC_COLUMNS, "metrics")
        _require_columns(figures.trend, METRIC_COLUMNS, "trend")
        _require_columns(figures.published, tuple(PUBLISHED_COLUMNS), "published tables")
        _require_columns(self.data_quality, DATA_QUALITY_COLUMNS, "data quality")
        if len(figures.changes.columns):
            _require_columns(figures.changes, CHANGE_COLUMNS, "changes")
        if len(self.quality.columns):
            _require_columns(self.quality, QUALITY_COLUMNS, "quality")
        for name, table in figures.analyses.items():
            if name in ANALYSES_COLUMNS:
                _require_columns(table, ANALYSES_COLUMNS[name], f"analysis {name}")
        if self.suppression_threshold < 1:
            raise ReportDataError("the suppression threshold must be 1 or more")

    # The figures, as the report's modules read them.
    @property
    def quarter(self) -> Quarter:
        """The report's quarter; ``str`` of it, ``2024Q3``, is the tables' ``quarter`` label."""
        return self.figures.quarter

    @property
    def as_of(self) -> date:
        return self.figures.as_of

    @property
    def metrics(self) -> pd.DataFrame:
        return self.figures.metrics

    @property
    def trend(self) -> pd.DataFrame:
        return self.figures.trend

    @property
    def changes(self) -> pd.DataFrame:
        return self.figures.changes

    @property
    def analyses(self) -> dict[str, pd.DataFrame]:
        return self.figures.analyses

    @property
    def stages(self) -> pd.DataFrame:
        return self.figures.stages

    @property
    def qaf(self) -> QafFigures | None:
        return self.figures.qaf

    @property
    def catalogue(self) -> Catalogue | None:
        return self.figures.catalogue

    def published_figures(self) -> pd.DataFrame:
        """The quarter's figures as published (text, ``[c]``/``[z]``), exactly as
        ``published-tables.csv`` holds them."""
        table = self.figures.published
        table = table[table["quarter"].astype(str) == str(self.quarter)]
        return table.astype({c: "string" for c in PUBLISHED_COLUMNS}).fillna("")

    def settings_for(self, measure_id: str) -> MeasureSettings:
        """A measure's settings; one missing from configuration takes the defaults, as in
        ``Config.measure``, and a deadline it leaves unset the catalogue's."""
        settings = self.measure_settings.get(measure_id, MeasureSettings())
        catalogue = self.catalogue if self.catalogue is not None else load_catalogue()
        definition = catalogue.by_id.get(measure_id)
        if definition is None or settings.deadline_standard is not None:
            return settings
        return settings.model_copy(
            update={
                "deadline_standard": definition.deadline_standard,
                "deadline_enhanced": definition.deadline_enhanced
                if settings.deadline_enhanced is None
                else settings.deadline_enhanced,
            }
        )


def measure_sort_key(measure_id: str, agency: str) -> tuple[int, int, str, str]:
    """Catalogue order, then police, CPS, WCU, probation (R12-ACK has a row per source); a
    measure the catalogue does not know goes last rather than being dropped."""
    position = next(
        (index for index, m in enumerate(MEASURES) if m.measure_id == measure_id), len(MEASURES)
    )
    return position, agency_rank(agency), measure_id, agency


def quarters_ending(quarter: Quarter, count: int) -> list[Quarter]:
    """The ``count`` consecutive quarters ending at ``quarter``, oldest first."""
    return [quarter.shift(-back) for back in range(count - 1, -1, -1)]
