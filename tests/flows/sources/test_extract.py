"""Extraction reads each canonical table as it arrived (CONTRACT.md §2), from real files and a real
SQLite database written in tmp_path. The probation source is used throughout: it is the smallest,
with two required tables and the optional complaints."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import FIXTURES
from vcc.flows.config import SourceConfig, TableSource
from vcc.flows.errors import SourceError, SourceUnavailable
from vcc.flows.sources import extract
from vcc.flows.sources.extract import RawTable, extract_source, newest_drop
from vcc.transforms.schema import CANONICAL

VCS_REFERRALS = """\
referral_id,urn,victim_id,referred_at,first_contact_at,opted_in
P1,10CU1,V1,2024-09-19T04:34:58,2024-10-29T05:23:28,true
P2,10CU2,V2,2024-09-29T18:11:48,,
"""
RELEASES = """\
urn,victim_id,release_at,notified_at
10CU1,V1,2024-08-18T08:47:28,2024-08-18T08:58:46
"""
COMPLAINTS = """\
complaint_id,received_at,acknowledged_at,responded_at
PRC1,2024-09-03T22:43:46,,
"""


def probation_folder(tmp_path: Path, files: dict[str, str | bytes | None] | None = None) -> Path:
    """A probation folder of canonical CSVs; ``files`` adds, replaces or (None) removes files."""
    folder = tmp_path / "probation"
    folder.mkdir()
    tables = {"vcs_referrals.csv": VCS_REFERRALS, "release_notifications.csv": RELEASES}
    for name, content in (tables | (files or {})).items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        elif content is not None:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


def files_source(folder: Path, **settings) -> SourceConfig:
    return SourceConfig(kind="files", path=folder, **settings)


def referrals(folder: Path, **settings) -> pd.DataFrame:
    return extract_source("probation", files_source(folder, **settings))["vcs_referrals"].frame


# --- CSV folders ----------------------------------------------------------------------------


def test_a_canonical_csv_folder_reads_as_it_is(tmp_path):
    folder = probation_folder(tmp_path)

    raw = extract_source("probation", files_source(folder))

    assert set(raw) == {"vcs_referrals", "release_notifications"}  # no complaints: optional
    table = raw["vcs_referrals"]
    assert (table.source, table.table, table.origin) == (
        "probation",
        "vcs_referrals",
        str(folder / "vcs_referrals.csv"),
    )
    assert list(table.frame.columns) == CANONICAL["probation"]["vcs_referrals"].column_names
    assert table.frame.index.equals(pd.RangeIndex(2))
    assert table.frame.loc[0].tolist() == [
        "P1",
        "10CU1",
        "V1",
        "2024-09-19T04:34:58",
        "2024-10-29T05:23:28",
        "true",
    ]
    assert pd.isna(table.frame.loc[1, "first_contact_at"])  # empty is missing
    assert pd.isna(table.frame.loc[1, "opted_in"])


def test_csv_values_are_not_interpreted_beyond_empty_is_missing(tmp_path):
    folder = probation_folder(
        tmp_path,
        {
            "vcs_referrals.csv": "referral_id,urn,victim_id,referred_at,first_contact_at,opted_in\n"
            "007,NA,null, 2024-09-19 ,N/A,1\n"
        },
    )

    frame = referrals(folder)

    assert frame.loc[0].tolist() == ["007", "NA", "null", " 2024-09-19 ", "N/A", "1"]


def test_complaints_are_read_when_the_source_has_them(tmp_path):
    folder = probation_folder(tmp_path, {"complaints.csv": COMPLAINTS})

    raw = extract_source("probation", files_source(folder))

    assert raw["complaints"].frame.loc[0, "complaint_id"] == "PRC1"


def test_extra_columns_are_dropped_and_the_rest_put_in_schema_order(tmp_path):
    folder = probation_folder(
        tmp_path,
        {
            "release_notifications.csv": "notes,notified_at,release_at,victim_id,urn\n"
            "call back,2024-08-18T08:58:46,2024-08-18T08:47:28,V1,10CU1\n"
        },
    )

    raw = extract_source("probation", files_source(folder))

    frame = raw["release_notifications"].frame
    assert list(frame.columns) == ["urn", "victim_id", "release_at", "notified_at"]
    assert frame.loc[0].tolist() == ["10CU1", "V1", "2024-08-18T08:47:28", "2024-08-18T08:58:46"]


def test_renames_and_code_maps_turn_agency_columns_into_canonical_ones(tmp_path):
    folder = probation_folder(
        tmp_path,
        {
            "vcs_referrals.csv": "Ref,URN,VictimID,Referred,FirstContact,OptIn\n"
            "P1,10CU1,V1,2024-09-19,,J\n"
            "P2,10CU2,V2,2024-09-29,,N\n"
            "P3,10CU3,V3,2024-09-30,,?\n"
        },
    )
    renamed = {
        "Ref": "referral_id",
        "URN": "urn",
        "VictimID": "victim_id",
        "Referred": "referred_at",
        "FirstContact": "first_contact_at",
        "OptIn": "opted_in",
    }
    mapping = TableSource(rename=renamed, values={"opted_in": {"J": "true", "N": "false"}})

    frame = referrals(folder, tables={"vcs_referrals": mapping})

    assert frame["referral_id"].tolist() == ["P1", "P2", "P3"]
    # An unmapped code arrives as it was, for validation to report.
    assert frame["opted_in"].tolist() == ["true", "false", "?"]


def test_a_missing_table_is_an_error_naming_source_and_table(tmp_path):
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})

    with pytest.raises(SourceError) as error:
        extract_source("probation", files_source(folder))

    assert str(error.value) == (
        "source probation, table release_notifications: no file release_notifications.csv, "
        f"release_notifications.xlsx or release_notifications.parquet in {folder}"
    )


def test_a_missing_column_is_named_with_the_file_it_is_missing_from(tmp_path):
    folder = probation_folder(
        tmp_path, {"release_notifications.csv": "urn,victim_id,release_date\n10CU1,V1,2024-08-18\n"}
    )

    with pytest.raises(SourceError) as error:
        extract_source("probation", files_source(folder))

    assert str(error.value) == (
        "source probation, table release_notifications: "
        f"{folder / 'release_notifications.csv'} lacks column release_at, notified_at"
    )


def test_a_file_read_as_one_column_hints_at_the_delimiter(tmp_path):
    folder = probation_folder(tmp_path, {"release_notifications.csv": RELEASES.replace(",", ";")})

    with pytest.raises(SourceError, match="only one column was read: check the delimiter"):
        extract_source("probation", files_source(folder))


def test_the_delimiter_comes_from_the_table_else_from_the_source(tmp_path):
    folder = probation_folder(
        tmp_path,
        {
            "vcs_referrals.csv": VCS_REFERRALS.replace(",", "|"),
            "release_notifications.csv": RELEASES.replace(",", ";"),
        },
    )
    source = files_source(
        folder, delimiter=";", tables={"vcs_referrals": TableSource(delimiter="|")}
    )

    raw = extract_source("probation", source)

    assert raw["vcs_referrals"].frame.loc[0, "urn"] == "10CU1"
    assert raw["release_notifications"].frame.loc[0, "urn"] == "10CU1"


def test_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(SourceError, match=r"^source probation: folder .*nowhere does not exist$"):
        extract_source("probation", files_source(tmp_path / "nowhere"))


def test_a_configured_table_the_source_does_not_have_is_an_error(tmp_path):
    folder = probation_folder(tmp_path)

    with pytest.raises(SourceError, match="configures table releases, not a table of it"):
        extract_source("probation", files_source(folder, tables={"releases": TableSource()}))


# --- which file: dated drops ----------------------------------------------------------------


def set_modified(path: Path, day: str) -> None:
    stamp = dt.datetime.fromisoformat(day).timestamp()
    os.utime(path, (stamp, stamp))


def test_the_newest_dated_drop_wins_by_the_date_in_its_name(tmp_path):
    old = "urn,victim_id,release_at,notified_at\n10CU0,V0,2024-05-01T10:00:00,\n"
    folder = probation_folder(
        tmp_path,
        {
            "release_notifications.csv": None,
            "release_notifications_2024-06-30.csv": old,
            "release_notifications_2024-09-30.csv": RELEASES,
        },
    )
    # Copied last, the older drop has the newer modification time: the name still decides.
    set_modified(folder / "release_notifications_2024-09-30.csv", "2024-10-01")
    set_modified(folder / "release_notifications_2024-06-30.csv", "2024-11-01")

    raw = extract_source("probation", files_source(folder))

    assert raw["release_notifications"].frame["urn"].tolist() == ["10CU1"]
    assert raw["release_notifications"].origin.endswith("release_notifications_2024-09-30.csv")


def test_undated_files_matching_a_pattern_go_by_modification_time(tmp_path):
    old = VCS_REFERRALS.replace("P1", "OLD")
    folder = probation_folder(
        tmp_path, {"vcs_referrals.csv": None, "export_a.csv": VCS_REFERRALS, "export_b.csv": old}
    )
    set_modified(folder / "export_a.csv", "2024-10-02")
    set_modified(folder / "export_b.csv", "2024-10-01")

    frame = referrals(folder, tables={"vcs_referrals": TableSource(file="export_*.csv")})

    assert frame.loc[0, "referral_id"] == "P1"


def test_a_pattern_that_matches_nothing_is_named(tmp_path):
    folder = probation_folder(tmp_path)
    source = files_source(folder, tables={"vcs_referrals": TableSource(file="victims_*.csv")})

    with pytest.raises(SourceError, match=r"vcs_referrals: no file victims_\*\.csv in "):
        extract_source("probation", source)


def test_another_table_whose_name_ends_the_same_is_never_taken(tmp_path):
    (tmp_path / "vcs_referrals_2025-01-01.csv").write_text("x\n")
    (tmp_path / "referrals.csv").write_text("x\n")
    set_modified(tmp_path / "referrals.csv", "2020-01-01")

    assert newest_drop(tmp_path, "referrals") == tmp_path / "referrals.csv"
    assert newest_drop(tmp_path, "complaints") is None


# --- encodings ------------------------------------------------------------------------------


def test_cp1252_text_reads_with_its_configured_encoding(tmp_path):
    text = VCS_REFERRALS.replace("10CU1", "10CU–1")  # an en dash: byte 0x96 in cp1252
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": text.encode("cp1252")})

    frame = referrals(folder, tables={"vcs_referrals": TableSource(encoding="cp1252")})

    assert frame.loc[0, "urn"] == "10CU–1"


def test_text_that_is_not_valid_in_its_encoding_names_file_and_encoding(tmp_path):
    text = VCS_REFERRALS.replace("10CU1", "10CU–1").encode("cp1252")
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": text})

    with pytest.raises(SourceError) as error:
        extract_source("probation", files_source(folder))  # the default is utf-8

    assert str(error.value) == (
        "source probation, table vcs_referrals: "
        f"{folder / 'vcs_referrals.csv'} is not valid utf-8 text (byte 0x96)"
    )


def test_a_byte_cp1252_leaves_undefined_is_reported(tmp_path):
    text = VCS_REFERRALS.encode().replace(b"10CU1", b"10CU\x811")
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": text})

    with pytest.raises(SourceError, match=r"is not valid cp1252 text \(byte 0x81\)$"):
        extract_source("probation", files_source(folder, encoding="cp1252"))


def test_a_utf8_byte_order_mark_is_tolerated(tmp_path):
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": VCS_REFERRALS.encode("utf-8-sig")})

    frame = referrals(folder)

    assert frame.loc[0, "referral_id"] == "P1"


# --- XLSX and Parquet -----------------------------------------------------------------------


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


RELEASE_ROWS = [
    ["urn", "victim_id", "release_at", "notified_at"],
    ["10CU1", "V1", dt.datetime(2024, 8, 18, 8, 47), None],
]


def test_xlsx_reads_the_configured_sheet_with_the_cell_types(tmp_path):
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})
    write_workbook(
        folder / "release_notifications.xlsx",
        {"About": [["Exported from the case system"]], "Releases": RELEASE_ROWS},
    )
    source = files_source(folder, tables={"release_notifications": TableSource(sheet="Releases")})

    raw = extract_source("probation", source)

    frame = raw["release_notifications"].frame
    assert frame.loc[0, "urn"] == "10CU1"
    assert frame.loc[0, "release_at"] == pd.Timestamp("2024-08-18 08:47")  # a date cell
    assert pd.isna(frame.loc[0, "notified_at"])


def test_xlsx_reads_the_first_sheet_by_default(tmp_path):
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})
    write_workbook(folder / "release_notifications.xlsx", {"Releases": RELEASE_ROWS})

    raw = extract_source("probation", files_source(folder))

    assert raw["release_notifications"].frame.loc[0, "victim_id"] == "V1"


def test_a_sheet_that_does_not_exist_is_named_with_those_that_do(tmp_path):
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})
    write_workbook(folder / "release_notifications.xlsx", {"Releases": RELEASE_ROWS})
    source = files_source(folder, tables={"release_notifications": TableSource(sheet="Data")})

    with pytest.raises(SourceError, match=r"has no sheet 'Data' \(it has Releases\)$"):
        extract_source("probation", source)


def test_a_file_that_is_not_a_workbook(tmp_path):
    folder = probation_folder(
        tmp_path, {"release_notifications.csv": None, "release_notifications.xlsx": RELEASES}
    )

    with pytest.raises(SourceError, match=r"release_notifications.xlsx is not an xlsx workbook$"):
        extract_source("probation", files_source(folder))


def test_parquet_reads_with_its_column_types(tmp_path):
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})
    pd.DataFrame(
        {
            "urn": ["10CU1"],
            "victim_id": ["V1"],
            "release_at": pd.to_datetime(["2024-08-18T07:47:00Z"]),
            "notified_at": pd.Series([pd.NaT], dtype="datetime64[us, UTC]"),
        }
    ).to_parquet(folder / "release_notifications.parquet")

    raw = extract_source("probation", files_source(folder))

    frame = raw["release_notifications"].frame
    assert frame.loc[0, "release_at"] == pd.Timestamp("2024-08-18T07:47:00Z")


def test_a_file_that_is_not_parquet(tmp_path):
    folder = probation_folder(
        tmp_path, {"release_notifications.csv": None, "release_notifications.parquet": RELEASES}
    )

    with pytest.raises(SourceError, match=r"release_notifications.parquet is not a parquet file"):
        extract_source("probation", files_source(folder))


# --- databases ------------------------------------------------------------------------------


@pytest.fixture
def probation_db(tmp_path) -> Path:
    """A SQLite database with both required probation tables (and no complaints)."""
    path = tmp_path / "probation.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE vcs_referrals (referral_id TEXT, urn TEXT, victim_id TEXT,
                referred_at TEXT, first_contact_at TEXT, opted_in INTEGER, caseworker TEXT);
            INSERT INTO vcs_referrals VALUES
                ('P1', '10CU1', 'V1', '2024-09-19T04:34:58', NULL, 1, 'AB'),
                ('P2', '10CU2', 'V2', '2024-09-29T18:11:48', '2024-10-01T09:00:00', 0, 'CD'),
                ('P3', '10CU3', 'V3', '2024-09-30T10:00:00', NULL, NULL, 'AB');
            CREATE TABLE release_notifications (urn TEXT, victim_id TEXT, release_at TEXT,
                notified_at TEXT);
            INSERT INTO release_notifications VALUES
                ('10CU1', 'V1', '2024-08-18T08:47:28', '2024-08-18T08:58:46');
            CREATE VIEW releases_2024 AS SELECT * FROM release_notifications;
            """
        )
    return path


def sql_source(path: Path, **settings) -> SourceConfig:
    return SourceConfig(kind="sql", url=f"sqlite:///{path}", **settings)


def test_database_tables_are_read_whole_in_chunks(probation_db, monkeypatch):
    monkeypatch.setattr(extract, "SQL_CHUNK_ROWS", 2)  # three rows: two chunks

    raw = extract_source("probation", sql_source(probation_db))

    table = raw["vcs_referrals"]
    assert set(raw) == {"vcs_referrals", "release_notifications"}  # no complaints: optional
    assert table.origin == f"sql table vcs_referrals on sqlite:///{probation_db}"
    assert table.frame.index.equals(pd.RangeIndex(3))
    assert list(table.frame.columns) == CANONICAL["probation"]["vcs_referrals"].column_names
    assert table.frame["referral_id"].tolist() == ["P1", "P2", "P3"]
    assert table.frame["opted_in"].tolist()[:2] == [1, 0]  # as the driver gave them
    assert pd.isna(table.frame.loc[2, "opted_in"])


def test_a_table_may_come_from_a_named_view_or_a_query(probation_db):
    query = (
        "SELECT referral_id AS ref, urn, victim_id, referred_at, first_contact_at, "
        "CASE opted_in WHEN 1 THEN 'Y' WHEN 0 THEN 'N' END AS opted_in "
        "FROM vcs_referrals WHERE urn <> '10CU3'"
    )
    source = sql_source(
        probation_db,
        tables={
            "vcs_referrals": TableSource(
                query=query,
                rename={"ref": "referral_id"},
                values={"opted_in": {"Y": "true", "N": "false"}},
            ),
            "release_notifications": TableSource(table="releases_2024"),
        },
    )

    raw = extract_source("probation", source)

    assert raw["vcs_referrals"].origin == f"sql query on sqlite:///{probation_db}"
    assert raw["vcs_referrals"].frame["opted_in"].tolist() == ["true", "false"]
    assert raw["release_notifications"].frame["urn"].tolist() == ["10CU1"]


def test_the_url_may_come_from_an_environment_variable(probation_db, monkeypatch):
    monkeypatch.setenv("VCC_PROBATION_URL", f"sqlite:///{probation_db}")

    raw = extract_source("probation", SourceConfig(kind="sql", url_env="VCC_PROBATION_URL"))

    assert len(raw["vcs_referrals"].frame) == 3


def test_a_missing_database_table_is_an_error(probation_db):
    with sqlite3.connect(probation_db) as db:
        db.execute("DROP VIEW releases_2024")
        db.execute("DROP TABLE release_notifications")

    with pytest.raises(SourceError) as error:
        extract_source("probation", sql_source(probation_db))

    assert str(error.value) == (
        "source probation, table release_notifications: no table or view "
        f"release_notifications in database sqlite:///{probation_db}"
    )


def test_a_failing_query_is_an_error_not_worth_retrying(probation_db):
    source = sql_source(
        probation_db, tables={"vcs_referrals": TableSource(query="SELECT * FROM referralz")}
    )

    with pytest.raises(SourceError, match=r"vcs_referrals: database .*: no such table: referralz"):
        extract_source("probation", source)
    with pytest.raises(SourceError) as error:
        extract_source("probation", source)
    assert not isinstance(error.value, SourceUnavailable)


def test_a_locked_database_is_unavailable_for_now(probation_db):
    holder = sqlite3.connect(probation_db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process is writing
    try:
        source = SourceConfig(kind="sql", url=f"sqlite:///{probation_db}?timeout=0")
        with pytest.raises(SourceUnavailable, match=r"unavailable: database is locked$"):
            extract_source("probation", source)
    finally:
        holder.rollback()
        holder.close()


def test_a_database_file_that_does_not_exist_is_not_created(tmp_path):
    path = tmp_path / "missing.db"

    with pytest.raises(SourceError, match=r"database file .*missing.db does not exist"):
        extract_source("probation", sql_source(path))
    assert not path.exists()


def test_a_password_in_the_url_never_reaches_a_message():
    source = SourceConfig(kind="sql", url="mysql+pymysql://analyst:s3cret@127.0.0.1:1/vcc")

    with pytest.raises(SourceError) as error:  # no driver here; refused if there is one
        extract_source("probation", source)

    assert "s3cret" not in str(error.value)
    assert "mysql+pymysql://analyst:***@127.0.0.1:1/vcc" in str(error.value)


# --- the as-of cut (flows/extract.py's docstring) -------------------------------------------

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
def releases_db(tmp_path) -> Path:
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


def test_text_dates_are_cut_only_where_surely_after_the_as_of_date(releases_db):
    raw = extract_source("probation", sql_source(releases_db), AS_OF, extracted_at=EXTRACTED_AT)

    read = [f"U{n}" for n, (_, kept) in enumerate(RELEASES_AS_TEXT) if kept]
    assert raw["release_notifications"].frame["urn"].tolist() == read
    assert raw["release_notifications"].origin == (
        f"sql table release_notifications on sqlite:///{releases_db}, "
        "rows dated after 2024-09-30 left out"
    )


def test_nothing_is_cut_without_an_as_of_date_or_from_the_day_of_the_extract(releases_db):
    source = sql_source(releases_db)
    for as_of in (None, EXTRACTED_AT.date(), dt.date(2025, 2, 27)):
        raw = extract_source("probation", source, as_of, extracted_at=EXTRACTED_AT)
        assert len(raw["release_notifications"].frame) == len(RELEASES_AS_TEXT)
        assert raw["release_notifications"].origin.endswith(f"sqlite:///{releases_db}")


def test_text_in_another_date_format_is_not_cut(releases_db):
    source = sql_source(releases_db, date_format="%d/%m/%Y %H:%M")

    raw = extract_source("probation", source, AS_OF, extracted_at=EXTRACTED_AT)

    assert len(raw["release_notifications"].frame) == len(RELEASES_AS_TEXT)


def test_the_cut_finds_a_renamed_date_column(releases_db):
    with sqlite3.connect(releases_db) as db:
        db.execute('ALTER TABLE release_notifications RENAME COLUMN release_at TO "Release Date"')
    source = sql_source(
        releases_db,
        tables={"release_notifications": TableSource(rename={"Release Date": "release_at"})},
    )

    raw = extract_source("probation", source, AS_OF, extracted_at=EXTRACTED_AT)

    assert len(raw["release_notifications"].frame) == sum(kept for _, kept in RELEASES_AS_TEXT)


def test_keyed_tables_are_read_whole(releases_db):
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


def test_a_query_binds_the_end_of_the_as_of_date(releases_db):
    query = "SELECT * FROM release_notifications WHERE release_at < :as_of_end"
    source = sql_source(releases_db, tables={"release_notifications": TableSource(query=query)})

    raw = extract_source("probation", source, AS_OF, extracted_at=EXTRACTED_AT)

    # SQLite compares text: "2024-10-01 00:00:00.000000" is bound, so 30 September's rows pass.
    frame = raw["release_notifications"].frame
    assert frame["release_at"].str.startswith("2024-09-30").any()
    assert not frame["release_at"].str.startswith("2024-10").any()
    assert raw["release_notifications"].origin == f"sql query on sqlite:///{releases_db}"


def test_a_query_with_a_parameter_vcc_does_not_know_is_one_line(releases_db):
    query = "SELECT * FROM release_notifications WHERE release_at >= :start"
    source = sql_source(releases_db, tables={"release_notifications": TableSource(query=query)})

    with pytest.raises(SourceError) as error:
        extract_source("probation", source, AS_OF)

    assert "\n" not in str(error.value)
    assert "start" in str(error.value)


# --- snapshots: a run's extract, reloaded (flows/snapshot.py) -------------------------------

GOLDEN_DATA = FIXTURES / "golden" / "data"


def write_run(raw: dict, out: Path, run_id: str, quarter: str = "2024Q2") -> Path:
    """The snapshots and the manifest entries of a run, as flows/outputs.py writes them."""
    from vcc.flows.run.outputs import sha256
    from vcc.flows.sources.snapshot import snapshot_frame

    folder = out / quarter
    (folder / "snapshots").mkdir(parents=True)
    checksums = {}
    for source, tables in raw.items():
        for table, raw_table in tables.items():
            path = folder / "snapshots" / f"{source}.{table}.parquet"
            snapshot_frame(raw_table.frame).to_parquet(path, index=False)
            checksums[path.name] = sha256(path)
    manifest = {
        "run_id": run_id,
        "quarter": quarter,
        "configuration": {
            "sources": {
                name: {"kind": "files", "tables": {t: r.origin for t, r in tables.items()}}
                for name, tables in raw.items()
            }
        },
        "snapshots": checksums,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def measured(raw: dict, config) -> tuple[dict, pd.DataFrame]:
    """extract -> coerce -> validate -> every instance of every measure, as the flow runs them."""
    from vcc.flows.sources.coerce import coerce_source
    from vcc.flows.sources.validate import validate_sources
    from vcc.transforms.calendar import WorkingDayCalendar
    from vcc.transforms.measures import Deadline, compute_instances

    typed, problems = {}, {}
    for name, tables in raw.items():
        for table, (frame, found) in coerce_source(tables, config.sources[name], name).items():
            typed[(name, table)], problems[(name, table)] = frame, found
    outcome = validate_sources(
        typed, problems, extracted_at=dt.datetime(2025, 1, 8, 18), districts=config.districts
    )
    deadlines = {
        measure: Deadline(settings.deadline_standard, settings.deadline_enhanced)
        for measure, settings in config.measures.items()
    }
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    instances = compute_instances(outcome.accepted, dt.date(2025, 1, 8), deadlines, calendar)
    return typed, instances


def test_a_snapshot_reproduces_the_run_it_was_taken_from(tmp_path):
    from vcc.flows.config import load_config
    from vcc.flows.sources.snapshot import load_snapshot

    config = load_config(GOLDEN_DATA / "vcc.toml")
    raw = {name: extract_source(name, source) for name, source in config.sources.items()}
    write_run(raw, tmp_path / "out", "20250108T180000-abc")

    reloaded, manifest = load_snapshot(tmp_path / "out", "20250108T180000-abc")

    assert manifest["run_id"] == "20250108T180000-abc"
    assert {s: set(t) for s, t in reloaded.items()} == {s: set(t) for s, t in raw.items()}
    crimes = reloaded["police"]["crimes"]
    assert crimes.origin.endswith(
        f"snapshot of run 20250108T180000-abc; read from {raw['police']['crimes'].origin})"
    )
    typed, instances = measured(raw, config)
    typed_again, instances_again = measured(reloaded, config)
    for key, frame in typed.items():
        pd.testing.assert_frame_equal(typed_again[key], frame, obj=".".join(key))
    assert len(instances) > 1000
    pd.testing.assert_frame_equal(instances_again, instances)


def test_typed_values_survive_the_snapshot_as_text(tmp_path, probation_db):
    """Values a database, a workbook or a Parquet file gives typed: times (with and without a
    zone), flags, whole numbers with gaps, numbers and mixed cells."""
    from vcc.flows.sources.coerce import coerce_table
    from vcc.flows.sources.snapshot import load_snapshot

    frames = {
        "vcs_referrals": pd.DataFrame(
            {
                "referral_id": ["P1", "P2", "P3"],
                "urn": [1001, 1002.0, "U3"],  # mixed cells, as a workbook gives them
                "victim_id": ["V1", "V2", None],
                "referred_at": pd.to_datetime(
                    ["2024-03-31T00:59:59Z", "2024-10-27T01:30:00Z", None]
                ).as_unit("us"),
                "first_contact_at": [dt.datetime(2024, 4, 1, 9, 0, 0, 123456), None, "x"],
                "opted_in": pd.array([True, None, False], dtype="object"),
            }
        ),
        "release_notifications": pd.DataFrame(
            {
                "urn": ["U1", "U2"],
                "victim_id": ["V1", "V2"],
                "release_at": pd.to_datetime(
                    ["2024-08-18 08:47:28.5", "2024-01-01"], format="ISO8601"
                ),
                "notified_at": [float("nan"), 1.5],  # not a time: unparseable both ways
            }
        ),
    }
    raw = {"probation": {t: RawTable("probation", t, f, "inline") for t, f in frames.items()}}
    write_run(raw, tmp_path / "out", "run-1")

    reloaded, _ = load_snapshot(tmp_path / "out", "run-1")

    for table, original in raw["probation"].items():
        spec = CANONICAL["probation"][table]
        typed, problems = coerce_table(original, spec)
        typed_again, problems_again = coerce_table(reloaded["probation"][table], spec)
        pd.testing.assert_frame_equal(typed_again, typed)
        pd.testing.assert_frame_equal(problems_again, problems)


def test_a_changed_snapshot_is_named(tmp_path):
    raw = {"probation": extract_source("probation", files_source(probation_folder(tmp_path)))}
    folder = write_run(raw, tmp_path / "out", "run-1")
    changed = folder / "snapshots" / "probation.vcs_referrals.parquet"
    pd.read_parquet(changed).head(1).to_parquet(changed, index=False)

    from vcc.flows.sources.snapshot import load_snapshot

    with pytest.raises(SourceError) as error:
        load_snapshot(tmp_path / "out", "run-1")

    assert str(error.value) == (
        f"run run-1: snapshot {changed} does not match its SHA-256 in {folder / 'manifest.json'} "
        "(it has changed since the run)"
    )


def test_a_missing_snapshot_is_named(tmp_path):
    raw = {"probation": extract_source("probation", files_source(probation_folder(tmp_path)))}
    folder = write_run(raw, tmp_path / "out", "run-1")
    (folder / "snapshots" / "probation.release_notifications.parquet").unlink()

    from vcc.flows.sources.snapshot import load_snapshot

    with pytest.raises(
        SourceError,
        match=r"^run run-1: snapshot .*/2024Q2/snapshots/"
        r"probation.release_notifications.parquet is missing$",
    ):
        load_snapshot(tmp_path / "out", "run-1")


def test_snapshots_are_found_for_an_archived_run(tmp_path):
    raw = {"probation": extract_source("probation", files_source(probation_folder(tmp_path)))}
    write_run(raw, tmp_path / "out" / "2024Q2" / "runs", "old-run")
    write_run(raw, tmp_path / "out", "new-run")
    (tmp_path / "out" / ".staging-2024Q2-x").mkdir()
    write_run(raw, tmp_path / "out" / ".staging-2024Q2-x", "half-written")

    from vcc.flows.sources.snapshot import load_snapshot

    reloaded, manifest = load_snapshot(tmp_path / "out", "old-run")
    assert manifest["run_id"] == "old-run"
    assert "/2024Q2/runs/2024Q2/snapshots/" in reloaded["probation"]["vcs_referrals"].origin
    with pytest.raises(SourceError, match=r"^run half-written: no manifest.json under .* is of"):
        load_snapshot(tmp_path / "out", "half-written")
    with pytest.raises(SourceError, match=r"^run other: output folder .*nowhere does not exist$"):
        load_snapshot(tmp_path / "nowhere", "other")
