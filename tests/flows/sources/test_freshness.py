"""Freshness: how up to date each source table is at the as-of date, in data-quality.csv and the
report's data-quality section.

A table's newest record is the latest row date (``transforms.schema.ROW_DATE``) among its
accepted rows dated on or before the as-of date; it is stale when that is more than
STALE_AFTER_DAYS (14) days before the as-of date, or when there is no such row.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import source_tables
from tests.reports.test_report import a_quarter, revised
from vcc.flows.sources.validate import data_quality_csv, validate_sources
from vcc.reports import render
from vcc.reports.quality import quality_summary
from vcc.transforms.freshness import FRESHNESS_COLUMNS, STALE_AFTER_DAYS
from vcc.transforms.schema import DEFAULT_DISTRICTS

AS_OF = date(2024, 10, 15)
EXTRACTED_AT = datetime(2024, 11, 1, 12, 0)
CRIME = {
    "crime_ref": "CR1",
    "reported_at": "2024-09-20 09:00",
    "recorded_at": "2024-09-20 10:00",
    "offence_category": "theft",
    "district": "Eden",
}
VICTIM = {
    "victim_id": "V1",
    "crime_ref": "CR1",
    "victim_type": "person",
    "referral_consent": "given",
}


@pytest.fixture(scope="module")
def outcome():
    """Crimes: the newest dated by the as-of date is CR3 (1 Oct, 14 days before); CR4 is dated
    after the as-of date and CR5, newer still, is quarantined (no district). Contacts: only one,
    on 30 Sep (15 days before: stale). Every other dated table is empty."""
    typed = source_tables(
        police__crimes=[
            CRIME,
            {**CRIME, "crime_ref": "CR3", "reported_at": "2024-10-01 23:59",
             "recorded_at": "2024-10-02 08:00"},
            {**CRIME, "crime_ref": "CR4", "reported_at": "2024-10-16 00:00",
             "recorded_at": "2024-10-16 01:00"},
            {**CRIME, "crime_ref": "CR5", "reported_at": "2024-10-14 09:00",
             "recorded_at": "2024-10-14 10:00", "district": None},
        ],
        police__victims=[VICTIM],
        police__victim_contacts=[
            {"victim_id": "V1", "contact_type": "general_update",
             "contacted_at": "2024-09-30 17:00"},
        ],
        cps__cases=[{"urn": "U1", "crime_ref": "CR1"}],
    )  # fmt: skip
    return validate_sources(typed, {}, extracted_at=EXTRACTED_AT, districts=list(DEFAULT_DISTRICTS))


def test_newest_record_is_the_latest_accepted_row_dated_by_the_as_of_date(outcome) -> None:
    fresh = outcome.freshness(AS_OF).set_index(["source", "table"])
    assert list(outcome.freshness(AS_OF).columns) == FRESHNESS_COLUMNS
    crimes = fresh.loc[("police", "crimes")]
    assert (crimes.newest_record, crimes.days_before_as_of, crimes.stale) == (
        date(2024, 10, 1),  # a date, not a time; CR4 is after the as-of date, CR5 quarantined
        14,
        False,  # 14 days is not more than 14
    )
    contacts = fresh.loc[("police", "victim_contacts")]
    assert (contacts.newest_record, contacts.days_before_as_of, contacts.stale) == (
        date(2024, 9, 30),
        15,
        True,
    )


def test_a_table_with_nothing_dated_by_the_as_of_date_is_stale(outcome) -> None:
    fresh = outcome.freshness(AS_OF).set_index(["source", "table"])
    referrals = fresh.loc[("police", "referrals")]
    assert referrals.newest_record is None and pd.isna(referrals.days_before_as_of)
    assert referrals.stale


def test_tables_without_a_date_of_their_own_have_no_freshness(outcome) -> None:
    tables = set(outcome.freshness(AS_OF)["table"])
    assert "victims" not in tables and "cases" not in tables
    assert len(outcome.freshness(AS_OF)) == 19 - 2
    assert STALE_AFTER_DAYS == 14


def test_data_quality_csv_has_freshness_on_each_tables_summary_row(outcome, tmp_path: Path) -> None:
    path = tmp_path / "data-quality.csv"
    data_quality_csv(outcome, AS_OF).to_csv(path, index=False, lineterminator="\n")
    quality = pd.read_csv(path, dtype=str, keep_default_na=False)

    assert list(quality.columns) == [
        "source", "table", "check", "severity", "failed_rows", "rows_read", "rows_accepted",
        "rows_quarantined", "newest_record", "days_before_as_of", "detail",
    ]  # fmt: skip
    summary = quality[quality["check"] == "rows"].set_index("table")
    assert summary.loc["crimes", ["rows_read", "rows_accepted", "rows_quarantined"]].tolist() == [
        "4",
        "3",
        "1",
    ]
    assert summary.loc["crimes", ["newest_record", "days_before_as_of"]].tolist() == [
        "2024-10-01",
        "14",
    ]
    assert summary.loc["victims", ["newest_record", "days_before_as_of"]].tolist() == ["", ""]
    assert summary.loc["referrals", ["newest_record", "days_before_as_of"]].tolist() == ["", ""]
    failed = quality[quality["severity"] == "row"]
    assert failed[["check", "failed_rows", "newest_record"]].values.tolist() == [
        ["missing district", "1", ""]
    ]


def test_the_report_shows_the_newest_record_and_warns_of_stale_tables(outcome) -> None:
    view = quality_summary(data_quality_csv(outcome, AS_OF), AS_OF)

    newest = {f"{row.source} {row.table}": row.newest_record for row in view.counts}
    assert newest["Police crimes"] == "1 October 2024"
    assert newest["Police victims"] == "not dated"  # no date of its own
    assert newest["Police referrals"] == "none"
    # each warning names its table in words, first
    warnings = {line.split(" has no record")[0].split(":")[0]: line for line in view.stale}
    assert warnings["Police referrals"] == (
        "Police referrals has no record dated on or before 15 October 2024, so referral to "
        "victim support services may be "
        "incomplete: records made or sent late are missing from them."
    )
    assert warnings["Police victim contacts"].startswith(
        "Police victim contacts: its newest record is dated 30 September 2024, 15 days before "
        "15 October 2024, so interpreter at contacts after a need is assessed, written "
        "acknowledgement of the crime, victim told how to claim compensation and victim "
        "told of investigation events may be "
        "incomplete"
    )
    # every dated table but crimes (14 days: not stale) is stale; empty ones have no record
    assert len(view.stale) == 17 - 1 and "Police crimes" not in warnings
    assert view.verdict_text.endswith(
        f"{len(view.stale)} source tables have no record dated within 14 days of "
        "15 October 2024, so some figures may be incomplete."
    )


def test_the_rendered_section_has_the_column_and_the_warnings(outcome) -> None:
    data = revised(a_quarter(), as_of=AS_OF, quality=data_quality_csv(outcome, AS_OF))
    html = render.template("report.html.j2").render(**render.report_context(data))
    section = html.split('<section class="data-quality"', 1)[1].split("</section>", 1)[0]

    assert '<th scope="col" class="num">Newest record</th>' in section
    assert '<td class="num">1 October 2024</td>' in section
    assert "Late data" in section
    assert "Police victim contacts: its newest record is dated 30 September 2024" in section
    assert "police.victim_contacts" not in section  # the table in words, for the board
    assert "2024-10-01" not in section and "23:59" not in section  # a long date, no time


def test_a_data_quality_file_without_freshness_still_renders() -> None:
    data = a_quarter()  # data-quality rows as written before freshness was recorded
    view = quality_summary(data.quality, data.as_of)
    assert view.stale == []
    assert {row.newest_record for row in view.counts} == {""}
