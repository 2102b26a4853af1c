"""The data-quality section and verdict, from the rows of ``data-quality.csv``: per source table
the rows read, accepted and quarantined and the date of its newest record; each failed
expectation; each cross-table link's rate; and a warning for each table whose newest record is
more than ``transforms.freshness.STALE_AFTER_DAYS`` days before the as-of date.

Row counts of source tables are counts of records, not of people, and name no one, so they are
printed in full (as the analysts' data-quality file has them). A table's newest record is shown
as a date only: the latest day anything was recorded, not an event someone could be found by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from vcc.reports.disclosure import format_percent
from vcc.reports.model import DATA_QUALITY_COLUMNS as COUNT_COLUMNS
from vcc.reports.model import ReportData
from vcc.reports.names import SOURCE_WORDS, capitalised, table_name_words, table_words
from vcc.reports.summary import measure_words
from vcc.transforms.catalogue import MEASURES, MeasureDefinition
from vcc.transforms.freshness import STALE_AFTER_DAYS, is_stale
from vcc.transforms.quarters import long_date
from vcc.transforms.schema import ROW_DATE, SOURCES

# The verdict's rule: the share of all rows quarantined, the worst table's share and the worst
# link. A quarantined row is left out of every measure, so these bound how far a rate can be off.
GOOD_SHARE, GOOD_TABLE_SHARE, GOOD_LINKAGE = 0.01, 0.05, 0.98
FAIR_SHARE, FAIR_LINKAGE = 0.05, 0.90

UNDATED = "not dated"  # victims and cases carry no date of their own

# The tables every measure of a kind reads, in words; the others name the measures that read
# them in the catalogue (``reads``).
READ_BY_MANY: dict[str, tuple[str, ...]] = {
    "police.crimes": ("every police measure",),
    "police.victims": ("every measure",),
    "cps.cases": ("every CPS, Witness Care Unit and probation measure",),
}
# A column as a reader says it: its words, an identifier a "reference", a time a "date".
_COLUMN_WORDS = {"urn": "case reference", "crime_ref": "crime reference", "victim_id": "victim"}


def column_words(column: str) -> str:
    """``recorded_at`` as a reader says it: ``recorded date``; ``victim_id``: ``victim``."""
    if column in _COLUMN_WORDS:
        return _COLUMN_WORDS[column]
    for ending, words in (("_at", " date"), ("_id", " reference"), ("_ref", " reference")):
        if column.endswith(ending):
            return column.removesuffix(ending).replace("_", " ") + words
    return column.replace("_", " ")


def check_words(check: str) -> str:
    """A failed check in words: every column and table name in it said as words
    (``recorded_at before reported_at``: ``recorded date before reported date``)."""
    text = check.replace("linkage: ", "not linked: ")
    text = re.sub(r"\b(police|cps|probation)\.([a-z_]+)\b",
                  lambda m: table_words(m[0]), text)  # fmt: skip
    return re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b|\burn\b", lambda m: column_words(m[0]), text)


def table_measures(measures: Iterable[MeasureDefinition]) -> dict[str, tuple[str, ...]]:
    """Which measures read each source table, for "what this means for the figures": a
    measure's ``reads`` in the catalogue; a complaints table is named with its agency, as
    R12-ACK reads each agency's own ("R12-ACK (CPS)")."""
    found: dict[str, list[str]] = {}
    for measure in measures:
        for table in measure.reads:
            source, _, name = table.partition(".")
            # in words, never the code: R12-ACK names its agency ("complaint acknowledged (CPS)")
            label = measure_words(measure.measure_id, source if name == "complaints" else "")
            found.setdefault(table, []).append(label)
    return {**READ_BY_MANY, **{table: tuple(labels) for table, labels in found.items()}}


TABLE_MEASURES = table_measures(MEASURES)


@dataclass(frozen=True)
class TableCounts:
    source: str
    table: str
    rows_read: str
    rows_accepted: str
    rows_quarantined: str
    share_quarantined: str
    # a long date; "none" if nothing is dated by the as-of date; "not dated" for a table without
    # dates of its own (victims, cases); empty when the data-quality rows do not say
    newest_record: str


@dataclass(frozen=True)
class FailedCheck:
    source_table: str
    check: str
    failed_rows: str


@dataclass(frozen=True)
class LinkRate:
    source_table: str
    link: str
    unlinked: str
    rate: str
    rate_value: float


@dataclass(frozen=True)
class QualityView:
    counts: list[TableCounts]
    failed: list[FailedCheck]
    links: list[LinkRate]
    verdict: str  # Good | Fair | Poor
    verdict_text: str
    meaning: list[str]
    stale: list[str]  # one sentence per table whose newest record is too old (or missing)
    stale_after_days: int = STALE_AFTER_DAYS


def _source_order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {source: index for index, source in enumerate(SOURCES)}
    return frame.assign(_rank=frame["source"].map(rank).fillna(len(rank))).sort_values(
        ["_rank"], kind="stable"
    )


def _counts(quality: pd.DataFrame, fallback: pd.DataFrame | None) -> pd.DataFrame:
    if len(quality.columns) and (quality["check"] == "rows").any():
        return quality[quality["check"] == "rows"]
    return fallback if fallback is not None else pd.DataFrame(columns=list(COUNT_COLUMNS))


def _linkage_rate(detail: object) -> float:
    match = re.search(r"linkage rate ([0-9.]+)", str(detail))
    return float(match[1]) if match else float("nan")


def _link_name(check: str) -> str:
    """``"linkage: victim_id -> police.victims.victim_id"`` -> ``"victim to police victims"``."""
    text = check.removeprefix("linkage: ")
    column, _, target = text.partition(" -> ")
    parent = ".".join(target.split(".")[:2])
    return f"{column_words(column)} to {table_words(parent)}" if parent else check_words(text)


def _newest_record(row: pd.Series) -> str:
    if row["table"] not in ROW_DATE:
        return UNDATED
    newest = row.get("newest_record")
    if isinstance(newest, str) and newest:
        return long_date(date.fromisoformat(newest))
    return "none" if "newest_record" in row.index else ""


def _stale(counts: pd.DataFrame, as_of: date) -> list[str]:
    """A sentence for each table whose newest record is more than STALE_AFTER_DAYS days before
    the as-of date, or that has none dated by then, naming the figures it may leave incomplete."""
    if "days_before_as_of" not in counts.columns:
        return []  # a data-quality file from before freshness was recorded
    lines = []
    for _, row in counts.iterrows():
        if row["table"] not in ROW_DATE:
            continue
        table = f"{row['source']}.{row['table']}"
        days = None if pd.isna(row["days_before_as_of"]) else int(row["days_before_as_of"])
        if not is_stale(days):
            continue
        words = capitalised(table_words(table))  # a sentence's start: "Police referrals"
        if days is None:
            said = f"{words} has no record dated on or before {long_date(as_of)}"
        else:
            newest = date.fromisoformat(str(row["newest_record"]))
            said = (
                f"{words}: its newest record is dated {long_date(newest)}, {days} days "
                f"before {long_date(as_of)}"
            )
        lines.append(
            f"{said}, so {_measures_of(table)} may be incomplete: records made or sent late "
            "are missing from them."
        )
    return lines


def _measures_of(table: str) -> str:
    measures = list(TABLE_MEASURES.get(table, ("the measures that read it",)))
    return measures[0] if len(measures) == 1 else ", ".join(measures[:-1]) + " and " + measures[-1]


def quality_view(data: ReportData) -> QualityView:
    """The report's data-quality section: from ``data.quality`` (the rows of data-quality.csv),
    else from the bare counts in ``data.data_quality``."""
    return quality_summary(data.quality, data.as_of, counts=data.data_quality)


def quality_summary(
    quality: pd.DataFrame, as_of: date, counts: pd.DataFrame | None = None
) -> QualityView:
    """What ``data-quality.csv``'s rows (``flows.sources.validate.data_quality_csv``) say, for
    the report and for ``vcc validate``; ``counts`` (rows read, accepted and quarantined per
    table) stand in for the summary rows when ``quality`` has none."""
    counts = _source_order(_counts(quality, counts))
    table_rows, shares = [], {}
    for _, row in counts.iterrows():
        read = int(row["rows_read"])
        quarantined = int(row["rows_quarantined"])
        share = quarantined / read if read else float("nan")
        shares[f"{row['source']}.{row['table']}"] = share
        table_rows.append(
            TableCounts(
                source=SOURCE_WORDS.get(str(row["source"]), str(row["source"]).capitalize()),
                table=table_name_words(str(row["table"])),
                rows_read=f"{read:,}",
                rows_accepted=f"{int(row['rows_accepted']):,}",
                rows_quarantined=f"{quarantined:,}",
                share_quarantined=format_percent(share) if read else "[z]",
                newest_record=_newest_record(row),
            )
        )
    if not len(quality.columns):
        quality = pd.DataFrame(columns=["source", "table", "check", "severity", "failed_rows"])
    failed_frame = _source_order(quality[quality["severity"] == "row"])
    failed = [
        FailedCheck(
            table_words(f"{r['source']}.{r['table']}"),
            check_words(str(r["check"])),
            f"{int(r['failed_rows']):,}",
        )  # fmt: skip
        for _, r in failed_frame.iterrows()
    ]
    link_frame = _source_order(quality[quality["severity"] == "linkage"])
    links = [
        LinkRate(
            source_table=table_words(f"{r['source']}.{r['table']}"),
            link=_link_name(str(r["check"])),
            unlinked=f"{int(r['failed_rows']):,}",
            rate=format_percent(_linkage_rate(r["detail"])),
            rate_value=_linkage_rate(r["detail"]),
        )
        for _, r in link_frame.iterrows()
    ]
    verdict, verdict_text, meaning = _verdict(counts, shares, links)
    stale = _stale(counts, as_of)
    if stale:
        tables = "One source table has" if len(stale) == 1 else f"{len(stale)} source tables have"
        verdict_text += (
            f" {tables} no record dated within {STALE_AFTER_DAYS} days of {long_date(as_of)}"
            ", so some figures may be incomplete."
        )
    return QualityView(table_rows, failed, links, verdict, verdict_text, meaning, stale)


def _verdict(
    counts: pd.DataFrame, shares: dict[str, float], links: list[LinkRate]
) -> tuple[str, str, list[str]]:
    read = int(counts["rows_read"].sum()) if len(counts) else 0
    quarantined = int(counts["rows_quarantined"].sum()) if len(counts) else 0
    if not read:
        return "Not assessed", "No data-quality counts were supplied for this run.", []
    share = quarantined / read
    worst_table, worst_share = max(shares.items(), key=lambda item: item[1])
    known = [link for link in links if not pd.isna(link.rate_value)]
    worst_link = min(known, key=lambda link: link.rate_value) if known else None
    lowest = worst_link.rate_value if worst_link else 1.0
    if share < GOOD_SHARE and worst_share < GOOD_TABLE_SHARE and lowest >= GOOD_LINKAGE:
        verdict = "Good"
    elif share < FAIR_SHARE and lowest >= FAIR_LINKAGE:
        verdict = "Fair"
    else:
        verdict = "Poor"
    text = (
        f"{format_percent(share)} of the {read:,} source rows read were quarantined; the most "
        f"affected table was {table_words(worst_table)} ({format_percent(worst_share)})"
    )
    if worst_link:
        text += (
            f", and the weakest link, {worst_link.source_table} ({worst_link.link}), joined "
            f"{worst_link.rate} of its rows"
        )
    text += "."
    meaning = []
    for table, table_share in sorted(shares.items(), key=lambda item: -item[1])[:3]:
        if table_share <= 0:
            continue
        measures = ", ".join(TABLE_MEASURES.get(table, ("the measures that read it",)))
        meaning.append(
            f"{table_words(table)}: {format_percent(table_share)} of its rows were quarantined and "
            "are missing "
            f"from {measures}: a lost action makes a rate look worse than it was, a lost "
            "instance leaves a victim out of it."
        )
    return verdict, text, meaning
