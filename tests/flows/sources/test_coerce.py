"""Coercion types each raw column by its canonical kind and reports every present value it cannot
read (CONTRACT.md §1: local wall-clock time; §2: booleans, empty is null). Raw tables are built
inline as extraction hands them over; the last tests go through real XLSX, Parquet and SQLite files
and the golden sources."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.conftest import FIXTURES
from vcc.flows.config import SourceConfig, TableSource
from vcc.flows.errors import ConfigError
from vcc.flows.sources.coerce import coerce_source, coerce_table
from vcc.flows.sources.extract import RawTable, extract_source
from vcc.transforms.schema import CANONICAL

GOLDEN = FIXTURES / "golden"
NA = pd.NA
T = pd.Timestamp
DTYPE_OF_KIND = {
    "datetime": "datetime64[ns]",
    "bool": "boolean",
    "int": "Int64",
    "float": "Float64",
    "str": "string",
}


def raw_table(source: str, table: str, index=None, **columns: list) -> RawTable:
    """A raw table with the given columns; the others are missing on every row."""
    rows = len(next(iter(columns.values())))
    spec = CANONICAL[source][table]
    frame = pd.DataFrame(
        {name: columns.get(name, [None] * rows) for name in spec.column_names}, index=index
    )
    return RawTable(source, table, frame, "inline")


def coerce(source: str, table: str, date_format=None, timezone="Europe/London", **columns):
    raw = raw_table(source, table, **columns)
    return coerce_table(raw, CANONICAL[source][table], date_format, timezone)


def crimes(**columns):
    return coerce("police", "crimes", **columns)


def reasons(problems: pd.DataFrame) -> list[str]:
    return problems["reason"].tolist()


# --- timestamps: local wall-clock time ------------------------------------------------------


def test_iso_timestamps_are_local_wall_clock_time() -> None:
    typed, problems = crimes(
        reported_at=[
            "2024-03-05T10:15:00",  # naive: already local
            "2024-03-05",  # a date alone is its midnight
            "2024-03-05 10:15:30.250",
            "2024-07-01T09:00:00Z",  # summer: London is UTC+1
            "2024-07-01T10:00:00+01:00",
            "2024-01-15T09:00:00+00:00",  # winter: London is UTC
            "2024-07-01T08:00:00-0400",
        ]
    )

    assert typed["reported_at"].dtype == "datetime64[ns]"
    assert typed["reported_at"].tolist() == [
        T("2024-03-05 10:15"),
        T("2024-03-05 00:00"),
        T("2024-03-05 10:15:30.250"),
        T("2024-07-01 10:00"),
        T("2024-07-01 10:00"),
        T("2024-01-15 09:00"),
        T("2024-07-01 13:00"),
    ]
    assert problems.empty


def test_an_offset_converts_to_the_configured_time_zone() -> None:
    typed, _ = crimes(timezone="America/New_York", reported_at=["2024-07-01T12:00:00Z"])

    assert typed["reported_at"].tolist() == [T("2024-07-01 08:00")]


def test_a_configured_uk_format_reads_and_iso_still_reads() -> None:
    typed, problems = crimes(
        date_format="%d/%m/%Y %H:%M",
        reported_at=["05/03/2024 10:15", "2024-03-05T10:15:00", "31/02/2024 10:00", "05/03/2024"],
    )

    assert typed["reported_at"].tolist()[:2] == [T("2024-03-05 10:15"), T("2024-03-05 10:15")]
    assert typed["reported_at"].isna().tolist() == [False, False, True, True]
    assert problems.to_dict("records") == [
        {
            "row": 2,
            "column": "reported_at",
            "value": "31/02/2024 10:00",
            "reason": "reported_at: '31/02/2024 10:00' is not a valid date",
            "why": "not a date",
        },
        {
            "row": 3,
            "column": "reported_at",
            "value": "05/03/2024",
            "reason": "reported_at: '05/03/2024' is not a valid date: no time of day, which its "
            "date_format '%d/%m/%Y %H:%M' gives",
            "why": "no time of day, which its date_format '%d/%m/%Y %H:%M' gives",
        },
    ]


def test_a_date_only_format_reads_days_not_months_first() -> None:
    typed, problems = crimes(date_format="%d/%m/%Y", reported_at=["05/03/2024", "31/02/2024"])

    assert typed["reported_at"].tolist()[0] == T("2024-03-05")
    assert reasons(problems) == ["reported_at: '31/02/2024' is not a valid date"]


def test_datetimes_as_xlsx_and_database_drivers_give_them() -> None:
    typed, problems = crimes(
        reported_at=[
            dt.datetime(2024, 3, 5, 10, 15),  # naive: local
            dt.datetime(2024, 7, 1, 9, 0, tzinfo=dt.UTC),  # aware: converted
            dt.date(2024, 3, 5),
            "2024-03-06T08:00:00",  # text in the same column
            45356,  # a bare number is not a date
        ]
    )

    assert typed["reported_at"].tolist()[:4] == [
        T("2024-03-05 10:15"),
        T("2024-07-01 10:00"),
        T("2024-03-05"),
        T("2024-03-06 08:00"),
    ]
    assert reasons(problems) == ["reported_at: '45356' is not a valid date"]


def test_typed_timestamp_columns_are_converted_to_local_naive_time() -> None:
    aware = pd.Series(pd.to_datetime(["2024-07-01T09:00:00Z", None], utc=True))
    naive = pd.Series(pd.to_datetime(["2024-07-01T09:00:00", None]))

    typed, problems = crimes(reported_at=aware, recorded_at=naive)

    assert typed["reported_at"].tolist()[0] == T("2024-07-01 10:00")
    assert typed["recorded_at"].tolist()[0] == T("2024-07-01 09:00")
    assert typed["reported_at"].dtype == typed["recorded_at"].dtype == "datetime64[ns]"
    assert problems.empty


def test_a_sentinel_date_beyond_the_supported_range_is_a_problem() -> None:
    typed, problems = crimes(reported_at=["9999-12-31", "1900-01-01"])

    assert typed["reported_at"].tolist() == [pd.NaT, T("1900-01-01")]
    assert reasons(problems) == ["reported_at: '9999-12-31' is not a valid date"]


# --- booleans, numbers, text ----------------------------------------------------------------


def test_booleans_accept_true_false_1_0_y_n_yes_no_in_any_case() -> None:
    spellings = ["true", "FALSE", "1", "0", "Y", "n", "Yes", "NO", " True "]

    typed, problems = crimes(is_hate_crime=spellings)

    assert typed["is_hate_crime"].dtype == "boolean"
    assert typed["is_hate_crime"].tolist() == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
    ]
    assert problems.empty


def test_real_booleans_and_zero_one_numbers_are_booleans() -> None:
    typed, problems = crimes(
        is_hate_crime=[True, False, None],
        is_domestic_abuse=pd.Series([1.0, 0.0, np.nan]),  # 0/1 with a gap: floats
        reported_at=["2024-01-01"] * 3,
    )

    assert typed["is_hate_crime"].tolist() == [True, False, NA]
    assert typed["is_domestic_abuse"].tolist() == [True, False, NA]
    assert problems.empty


def test_an_unknown_boolean_is_a_problem_and_missing() -> None:
    typed, problems = crimes(is_hate_crime=["maybe", "2", "true"])

    assert typed["is_hate_crime"].tolist() == [NA, NA, True]
    assert reasons(problems) == [
        "is_hate_crime: 'maybe' is not a boolean",
        "is_hate_crime: '2' is not a boolean",
    ]


def test_whole_numbers() -> None:
    typed, problems = coerce(
        "police", "victims", age_at_offence=["17", "17.0", " 65 ", 70, 71.0, "17.5", "seventeen"]
    )

    assert typed["age_at_offence"].dtype == "Int64"
    assert typed["age_at_offence"].tolist() == [17, 17, 65, 70, 71, NA, NA]
    assert reasons(problems) == [
        "age_at_offence: '17.5' is not a whole number",
        "age_at_offence: 'seventeen' is not a whole number",
    ]


def test_numbers() -> None:
    typed, problems = coerce("cps", "outcomes", sentence_months=["18", "1.5", 6, "x"])

    assert typed["sentence_months"].dtype == "Float64"
    assert typed["sentence_months"].tolist() == [18.0, 1.5, 6.0, NA]
    assert reasons(problems) == ["sentence_months: 'x' is not a number"]


def test_text_is_stripped_and_numbers_read_as_their_digits() -> None:
    typed, problems = crimes(crime_ref=[" CR1 ", 123, 124.0, "NA"])

    assert typed["crime_ref"].dtype == "string"
    assert typed["crime_ref"].tolist() == ["CR1", "123", "124", "NA"]
    assert problems.empty


def test_empty_whitespace_and_none_are_missing_not_problems() -> None:
    blanks = ["", "   ", None, np.nan]

    typed, problems = crimes(
        crime_ref=blanks, reported_at=blanks, is_hate_crime=blanks, district=blanks
    )

    assert typed.isna().all().all()
    assert problems.empty


# --- the shape of the result ----------------------------------------------------------------


def test_typed_keeps_the_raw_index_and_columns_and_problems_point_at_raw_rows() -> None:
    raw = raw_table(
        "police",
        "crimes",
        index=[10, 11, 12],
        crime_ref=["CR1", "CR2", "CR3"],
        reported_at=["2024-01-01", "not yet", "2024-01-03"],
        is_hate_crime=["true", "false", "perhaps"],
    )
    before = raw.frame.copy()

    typed, problems = coerce_table(raw, CANONICAL["police"]["crimes"])

    assert typed.index.tolist() == [10, 11, 12]
    assert typed.columns.tolist() == raw.frame.columns.tolist()
    assert problems[["row", "column", "value"]].to_dict("records") == [
        {"row": 11, "column": "reported_at", "value": "not yet"},
        {"row": 12, "column": "is_hate_crime", "value": "perhaps"},
    ]
    pd.testing.assert_frame_equal(raw.frame, before)  # the raw frame is left as it arrived


def test_a_clean_table_has_an_empty_problem_frame_with_its_columns() -> None:
    _, problems = crimes(crime_ref=["CR1"])

    assert problems.columns.tolist() == ["row", "column", "value", "reason", "why"]
    assert problems.empty


def test_an_unknown_time_zone_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="unknown time zone 'Europe/Carlisle'"):
        crimes(timezone="Europe/Carlisle", crime_ref=["CR1"])


def test_coerce_source_uses_the_tables_date_format_else_the_sources() -> None:
    tables = {
        "crimes": raw_table("police", "crimes", reported_at=["05/03/2024 10:15"]),
        "complaints": raw_table("police", "complaints", received_at=["05.03.2024"]),
    }
    source = SourceConfig(
        kind="files",
        path=Path("."),
        date_format="%d/%m/%Y %H:%M",
        tables={"complaints": TableSource(date_format="%d.%m.%Y")},
    )

    coerced = coerce_source(tables, source, "police")

    assert coerced["crimes"][0]["reported_at"].tolist() == [T("2024-03-05 10:15")]
    assert coerced["complaints"][0]["received_at"].tolist() == [T("2024-03-05")]
    assert coerced["crimes"][1].empty and coerced["complaints"][1].empty


# --- through real files ---------------------------------------------------------------------


def probation_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "probation"
    folder.mkdir()
    (folder / "release_notifications.csv").write_text(
        "urn,victim_id,release_at,notified_at\n10CU1,V1,18/08/2024 08:47,\n"
    )
    return folder


def test_values_from_a_real_xlsx_file(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["referral_id", "urn", "victim_id", "referred_at", "first_contact_at", "opted_in"])
    sheet.append([101, "10CU1", "V1", dt.datetime(2024, 9, 19, 4, 34), "2024-10-29T05:23", True])
    sheet.append([102, "10CU2", "V2", dt.datetime(2024, 9, 29, 18, 11), None, "N"])
    workbook.save(folder / "vcs_referrals.xlsx")
    source = SourceConfig(kind="files", path=folder, date_format="%d/%m/%Y %H:%M")

    coerced = coerce_source(extract_source("probation", source), source, "probation")

    referrals, problems = coerced["vcs_referrals"]
    assert referrals["referral_id"].tolist() == ["101", "102"]
    assert referrals["referred_at"].tolist() == [T("2024-09-19 04:34"), T("2024-09-29 18:11")]
    assert referrals["first_contact_at"].tolist() == [T("2024-10-29 05:23"), pd.NaT]
    assert referrals["opted_in"].tolist() == [True, False]
    assert problems.empty
    assert coerced["release_notifications"][0]["release_at"].tolist() == [T("2024-08-18 08:47")]


def test_values_from_real_parquet_and_sqlite_sources(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path)
    pd.DataFrame(
        {
            "referral_id": ["P1"],
            "urn": ["10CU1"],
            "victim_id": ["V1"],
            "referred_at": pd.to_datetime(["2024-09-19T03:34:00Z"]),  # 04:34 in London
            "first_contact_at": pd.Series([pd.NaT], dtype="datetime64[us, UTC]"),
            "opted_in": pd.array([True], dtype="boolean"),
        }
    ).to_parquet(folder / "vcs_referrals.parquet")
    database = tmp_path / "probation.db"
    with sqlite3.connect(database) as db:
        db.executescript(
            """
            CREATE TABLE vcs_referrals (referral_id, urn, victim_id, referred_at,
                first_contact_at, opted_in);
            INSERT INTO vcs_referrals VALUES ('P1', '10CU1', 'V1', '2024-09-19 04:34:00', NULL, 1);
            CREATE TABLE release_notifications (urn, victim_id, release_at, notified_at);
            """
        )
    for source in (
        SourceConfig(kind="files", path=folder, date_format="%d/%m/%Y %H:%M"),
        SourceConfig(kind="sql", url=f"sqlite:///{database}"),
    ):
        coerced = coerce_source(extract_source("probation", source), source, "probation")

        referrals, problems = coerced["vcs_referrals"]
        assert referrals.loc[0].tolist() == [
            "P1",
            "10CU1",
            "V1",
            T("2024-09-19 04:34"),
            pd.NaT,
            True,
        ]
        assert problems.empty


@pytest.mark.parametrize("source_name", ["police", "cps", "probation"])
def test_the_golden_sources_read_whole_with_no_problems(source_name: str) -> None:
    folder = GOLDEN / "data" / source_name
    source = SourceConfig(kind="files", path=folder)

    coerced = coerce_source(extract_source(source_name, source), source, source_name)

    # complaints included; the example predates the tables of CONTRACT.md §6.1
    assert set(coerced) == set(CANONICAL[source_name]) - {"property", "expense_claims"}
    for name, (typed, problems) in coerced.items():
        assert problems.empty, problems.head().to_string()
        rows = len((folder / f"{name}.csv").read_text().splitlines()) - 1
        assert len(typed) == rows
        for column in CANONICAL[source_name][name].columns:
            assert str(typed[column.name].dtype) == DTYPE_OF_KIND[column.kind]
