"""``vcc validate``: extract and validate the sources alone, and say in plain text what was found.

Nothing is written and no Prefect server is started: the functions the flow's extract and
validate tasks call (``flows.sources.extract.extract_source``,
``flows.sources.validate.validate_extract``) run
here directly; a database that is unavailable for now is tried again after the same waits as the
flow's (``vcc.flows.sources.extract.RETRY_DELAYS_SECONDS``), each announced. The summary is
what the run's ``data-quality.csv`` and the report's data-quality section would say: the same
rows (``vcc.flows.sources.validate.data_quality_csv``), the same verdict and freshness warnings
(``reports.quality.quality_summary``). A source whose URL is in a Prefect Secret block needs the
Prefect API that holds it (``PREFECT_API_URL``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from vcc.flows.config import Config
from vcc.flows.errors import SourceUnavailable
from vcc.flows.sources.extract import RETRY_DELAYS_SECONDS, RawTable, extract_source
from vcc.flows.sources.validate import ValidationOutcome, data_quality_csv, validate_extract
from vcc.reports.quality import quality_summary
from vcc.transforms.quarters import Quarter
from vcc.transforms.schema import CANONICAL, ROW_DATE


@dataclass(frozen=True)
class SourceCheck:
    """What ``vcc validate`` found: the outcome and the rows of ``data-quality.csv``."""

    quarter: Quarter
    as_of: dt.date
    extracted_at: dt.datetime
    outcome: ValidationOutcome
    quality: pd.DataFrame  # vcc.flows.sources.validate.data_quality_csv


def check_sources(
    config: Config,
    quarter: Quarter,
    as_of: dt.date,
    progress: Callable[[str], None],
    extracted_at: dt.datetime | None = None,
    delays: Sequence[float] = RETRY_DELAYS_SECONDS,
) -> SourceCheck:
    """Extract every configured source (one progress line each), then coerce and validate them
    as a run would. A critical failure raises ``ValidationFailed``; a source that cannot be read
    raises ``SourceError``."""
    extracted_at = extracted_at or dt.datetime.now()
    raw: dict[str, dict[str, RawTable]] = {}
    for name in CANONICAL:
        if name not in config.sources:
            continue
        started = time.perf_counter()
        raw[name] = _extract_with_retries(name, config, as_of, extracted_at, progress, delays)
        rows = sum(len(table.frame) for table in raw[name].values())
        seconds = time.perf_counter() - started
        progress(f"{name}: {len(raw[name])} tables, {rows:,} rows read in {seconds:.1f} s")
    progress("validating: types, expectation suites and linkage")
    outcome = validate_extract(
        raw, config.sources, config.districts, extracted_at, config.validation
    )
    return SourceCheck(quarter, as_of, extracted_at, outcome, data_quality_csv(outcome, as_of))


def _extract_with_retries(
    name: str,
    config: Config,
    as_of: dt.date,
    extracted_at: dt.datetime,
    progress: Callable[[str], None],
    delays: Sequence[float],
) -> dict[str, RawTable]:
    """One source, tried again after each of ``delays`` while it is unavailable for now."""
    source = config.sources[name]
    for attempt, delay in enumerate(delays, start=2):
        try:
            return extract_source(name, source, as_of, extracted_at=extracted_at)
        except SourceUnavailable as error:
            progress(f"{error}; trying again in {delay:g} s (attempt {attempt} of "
                     f"{len(delays) + 1})")  # fmt: skip
            time.sleep(delay)
    return extract_source(name, source, as_of, extracted_at=extracted_at)  # the last try


def summary_lines(check: SourceCheck) -> list[str]:
    """The plain-text summary: per table, each failed rule, each link, freshness, the verdict."""
    view = quality_summary(check.quality, check.as_of)
    quality = check.quality
    lines = [
        f"Sources for {check.quarter}, as of {check.as_of} "
        f"(extract taken {check.extracted_at:%Y-%m-%d %H:%M})",
        *_columns(_table_rows(check)),
    ]
    failed = quality[quality["severity"] == "row"]
    lines += ["", f"Failed expectations: {len(failed) or 'none'}"]
    failed_rows: list[tuple[str, ...]] = [
        (f"{r.source}.{r.table}", f"{r.failed_rows:,}", "row: quarantined", r.check)
        for r in failed.itertuples()
    ]
    if failed_rows:
        lines += _columns([("table", "rows", "severity", "expectation"), *failed_rows])
    link_rows: list[tuple[str, ...]] = [
        (
            f"{r.source}.{r.table}",
            f"{r.column} -> {r.target}",
            f"{r.rows:,}",
            f"{r.rows - r.linked:,}",
            "" if pd.isna(r.rate) else f"{r.rate:.2%}",
        )
        for r in check.outcome.linkage.itertuples()
    ]
    lines += [
        "",
        "Linkage",
        *_columns([("table", "link", "rows", "not linked", "rate"), *link_rows]),
    ]
    lines += ["", "Freshness"]
    if check.as_of < check.quarter.end:
        lines.append(
            f"  warning: the as-of date {check.as_of} is before {check.quarter} ends "
            f"({check.quarter.end}), so the quarter's figures would be incomplete"
        )
    lines += [f"  warning: {line}" for line in view.stale] or [
        f"  every dated table has a record within {view.stale_after_days} days of {check.as_of}"
    ]
    lines += ["", f"Verdict: usable; data quality {view.verdict}. {view.verdict_text}"]
    return lines


def _table_rows(check: SourceCheck) -> list[tuple[str, ...]]:
    """Per table: rows read, accepted and quarantined; accepted rows dated in the quarter (by
    their row date, and on or before the as-of date); newest record and its age in days."""
    quarter_start = pd.Timestamp(check.quarter.start)
    quarter_end = pd.Timestamp(min(check.quarter.end, check.as_of)) + pd.Timedelta(days=1)
    rows: list[tuple[str, ...]] = [
        ("table", "read", "accepted", "quarantined", f"in {check.quarter}", "newest", "days")
    ]
    summary = check.quality[check.quality["check"] == "rows"]
    for r in summary.itertuples():
        in_quarter = ""
        if r.table in ROW_DATE:
            dates = check.outcome.accepted[(r.source, r.table)][ROW_DATE[r.table]]
            in_quarter = f"{int(((dates >= quarter_start) & (dates < quarter_end)).sum()):,}"
        rows.append(
            (
                f"{r.source}.{r.table}",
                f"{r.rows_read:,}",
                f"{r.rows_accepted:,}",
                f"{r.rows_quarantined:,}",
                in_quarter,
                r.newest_record or ("none" if r.table in ROW_DATE else ""),
                "" if pd.isna(r.days_before_as_of) else str(r.days_before_as_of),
            )
        )
    return rows


def _columns(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows as aligned columns, indented: the first and any text column left, numbers right."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = [
        i > 0 and all(row[i].replace(",", "").replace(".", "").rstrip("%").isdigit() or not row[i]
                      for row in rows[1:])
        for i in range(len(widths))
    ]  # fmt: skip
    return [
        "  "
        + "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ).rstrip()
        for row in rows
    ]
