"""The as-of cut pushed to the database (cut.py's docstring): which rows a cut extract leaves in a
real SQLite database, and that every row it reads is read as without the cut."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.flows.sources.probation import (
    sql_source,
)
from vcc.flows.config import TableSource
from vcc.flows.errors import SourceError
from vcc.flows.sources.extract import extract_source

AS_OF = dt.date(2024, 9, 30)
EXTRACTED_AT = dt.datetime(2025, 3, 1, 12, 0)
# release_at as an agency's SQLite holds it, and whether a cut extract still reads the row.
RELEASES_AS_TEXT = [
    ("2024-09-30T23:59:59", True),  # on D
    ("2024-10-02T23:00:00", True),  # after D, but within the margin for offsets
    ("2024-10-03T00:00:00", False),  # three days after D: surely after D
    ("2024-10-03T00:00:00+14:00", False),  # 2 Oct 11:00 in London: still after D
    ("2024-10-03", False),  # a date without a time
    ("2024-10-05 08:00", False),  # a space for the T
    ("2024-10-05Tlate", False),  # an ISO date after D with an unreadable rest: after D
    ("2024-13-05T08:00:00", True),  # no such month: read, and quarantined as unparseable
    ("05/10/2024 08:00", True),  # another layout: read, and quarantined as unparseable
    ("soon", True),
    ("", True),  # empty: read, and quarantined as missing
    (None, True),
    ("2025-02-26T12:00:00", False),  # three days before the extract
    ("2025-02-27T00:00:00", True),  # within the margin before the extract
    ("2025-03-05T09:00:00", True),  # after the extract (a planned release): read
]


@pytest.fixture
def releases_db(tmp_path: Path) -> Path:
    path = tmp_path / "releases.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE vcs_referrals (referral_id, urn, victim_id, referred_at, "
            "first_contact_at, opted_in)"
        )
        db.execute("CREATE TABLE release_notifications (urn, victim_id, release_at, notified_at)")
        db.executemany(
            "INSERT INTO release_notifications VALUES (?, ?, ?, NULL)",
            [(f"U{n}", f"V{n}", text) for n, (text, _) in enumerate(RELEASES_AS_TEXT)],
        )
    return path


def test_text_dates_are_cut_only_where_surely_after_the_as_of_date(releases_db: Path) -> None:
    raw = extract_source("probation", sql_source(releases_db), AS_OF, extracted_at=EXTRACTED_AT)

    read = [f"U{n}" for n, (_, kept) in enumerate(RELEASES_AS_TEXT) if kept]
    assert raw["release_notifications"].frame["urn"].tolist() == read
    assert raw["release_notifications"].origin == (
        f"sql table release_notifications on sqlite:///{releases_db}, "
        "rows dated after 2024-09-30 left out"
    )


def test_nothing_is_cut_without_an_as_of_date_or_from_the_day_of_the_extract(
    releases_db: Path,
) -> None:
    source = sql_source(releases_db)
    for as_of in (None, EXTRACTED_AT.date(), dt.date(2025, 2, 27)):
        raw = extract_source("probation", source, as_of, extracted_at=EXTRACTED_AT)
        assert len(raw["release_notifications"].frame) == len(RELEASES_AS_TEXT)
        assert raw["release_notifications"].origin.endswith(f"sqlite:///{releases_db}")


def test_text_in_another_date_format_is_not_cut(releases_db: Path) -> None:
    source = sql_source(releases_db, date_format="%d/%m/%Y %H:%M")

    raw = extract_source("probation", source, AS_OF, extracted_at=EXTRACTED_AT)

    assert len(raw["release_notifications"].frame) == len(RELEASES_AS_TEXT)


def test_the_cut_finds_a_renamed_date_column(releases_db: Path) -> None:
    with sqlite3.connect(releases_db) as db:
        db.execute('ALTER TABLE release_notifications RENAME COLUMN release_at TO "Release Date"')
    source = sql_source(
        releases_db,
        tables={"release_notifications": TableSource(rename={"Release Date": "release_at"})},
    )

    raw = extract_source("probation", source, AS_OF, extracted_at=EXTRACTED_AT)

    assert len(raw["release_notifications"].frame) == sum(kept for _, kept in RELEASES_AS_TEXT)


def test_keyed_tables_are_read_whole(releases_db: Path) -> None:
    with sqlite3.connect(releases_db) as db:
        db.executemany(  # the second R1 is a duplicate whether or not the first is after D
            "INSERT INTO vcs_referrals VALUES (?, 'U1', 'V1', ?, NULL, NULL)",
            [("R1", "2024-12-01T10:00:00"), ("R1", "2024-09-01T10:00:00")],
        )

    raw = extract_source("probation", sql_source(releases_db), AS_OF, extracted_at=EXTRACTED_AT)

    assert raw["vcs_referrals"].frame["referred_at"].tolist() == [
        "2024-12-01T10:00:00",
        "2024-09-01T10:00:00",
    ]


def test_a_query_binds_the_end_of_the_as_of_date(releases_db: Path) -> None:
    query = "SELECT * FROM release_notifications WHERE release_at < :as_of_end"
    source = sql_source(releases_db, tables={"release_notifications": TableSource(query=query)})

    raw = extract_source("probation", source, AS_OF, extracted_at=EXTRACTED_AT)

    # SQLite compares text: "2024-10-01 00:00:00.000000" is bound, so 30 September's rows pass.
    frame = raw["release_notifications"].frame
    assert frame["release_at"].str.startswith("2024-09-30").any()
    assert not frame["release_at"].str.startswith("2024-10").any()
    assert raw["release_notifications"].origin == f"sql query on sqlite:///{releases_db}"


def test_a_query_with_a_parameter_vcc_does_not_know_is_one_line(releases_db: Path) -> None:
    query = "SELECT * FROM release_notifications WHERE release_at >= :start"
    source = sql_source(releases_db, tables={"release_notifications": TableSource(query=query)})

    with pytest.raises(SourceError) as error:
        extract_source("probation", source, AS_OF)

    assert "\n" not in str(error.value)
    assert "start" in str(error.value)
