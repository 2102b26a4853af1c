"""Extraction reads each canonical table as it arrived (CONTRACT.md §2), from real files written in
tmp_path (files.py), onto the canonical columns with the configured code maps (mapping.py). The
probation source is used throughout: it is the smallest, with two required tables and the
optional complaints."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from tests.flows.sources.probation import (
    COMPLAINTS,
    RELEASES,
    VCS_REFERRALS,
    files_source,
    probation_folder,
    referrals,
)
from vcc.flows.config import TableSource
from vcc.flows.errors import SourceError
from vcc.flows.sources.extract import extract_source
from vcc.flows.sources.files import newest_drop
from vcc.transforms.schema import CANONICAL

# --- CSV folders ----------------------------------------------------------------------------


def test_a_canonical_csv_folder_reads_as_it_is(tmp_path: Path) -> None:
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


def test_csv_values_are_not_interpreted_beyond_empty_is_missing(tmp_path: Path) -> None:
    folder = probation_folder(
        tmp_path,
        {
            "vcs_referrals.csv": "referral_id,urn,victim_id,referred_at,first_contact_at,opted_in\n"
            "007,NA,null, 2024-09-19 ,N/A,1\n"
        },
    )

    frame = referrals(folder)

    assert frame.loc[0].tolist() == ["007", "NA", "null", " 2024-09-19 ", "N/A", "1"]


def test_complaints_are_read_when_the_source_has_them(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path, {"complaints.csv": COMPLAINTS})

    raw = extract_source("probation", files_source(folder))

    assert raw["complaints"].frame.loc[0, "complaint_id"] == "PRC1"


def test_extra_columns_are_dropped_and_the_rest_put_in_schema_order(tmp_path: Path) -> None:
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


def test_renames_and_code_maps_turn_agency_columns_into_canonical_ones(tmp_path: Path) -> None:
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


def test_a_missing_table_is_an_error_naming_source_and_table(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})

    with pytest.raises(SourceError) as error:
        extract_source("probation", files_source(folder))

    assert str(error.value) == (
        "source probation, table release_notifications: no file release_notifications.csv, "
        f"release_notifications.xlsx or release_notifications.parquet in {folder}"
    )


def test_a_missing_column_is_named_with_the_file_it_is_missing_from(tmp_path: Path) -> None:
    folder = probation_folder(
        tmp_path, {"release_notifications.csv": "urn,victim_id,release_date\n10CU1,V1,2024-08-18\n"}
    )

    with pytest.raises(SourceError) as error:
        extract_source("probation", files_source(folder))

    assert str(error.value) == (
        "source probation, table release_notifications: "
        f"{folder / 'release_notifications.csv'} lacks column release_at, notified_at"
    )


def test_a_file_read_as_one_column_hints_at_the_delimiter(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path, {"release_notifications.csv": RELEASES.replace(",", ";")})

    with pytest.raises(SourceError, match="only one column was read: check the delimiter"):
        extract_source("probation", files_source(folder))


def test_the_delimiter_comes_from_the_table_else_from_the_source(tmp_path: Path) -> None:
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


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^source probation: folder .*nowhere does not exist$"):
        extract_source("probation", files_source(tmp_path / "nowhere"))


def test_a_configured_table_the_source_does_not_have_is_an_error(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path)

    with pytest.raises(SourceError, match="configures table releases, not a table of it"):
        extract_source("probation", files_source(folder, tables={"releases": TableSource()}))


# --- which file: dated drops ----------------------------------------------------------------


def set_modified(path: Path, day: str) -> None:
    stamp = dt.datetime.fromisoformat(day).timestamp()
    os.utime(path, (stamp, stamp))


def test_the_newest_dated_drop_wins_by_the_date_in_its_name(tmp_path: Path) -> None:
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
    assert raw["release_notifications"].origin == (
        f"{folder / 'release_notifications_2024-09-30.csv'} (the newest of 2 drops found: "
        "release_notifications_2024-06-30.csv, release_notifications_2024-09-30.csv)"
    )


def test_a_refusal_of_the_newest_drop_names_the_drops_found(tmp_path):
    # Issue 27: a second dated drop, in another layout, was refused without saying that two
    # drops were there and which one was read.
    newer = RELEASES.replace("release_at", "released")
    folder = probation_folder(
        tmp_path,
        {
            "release_notifications.csv": None,
            "release_notifications_2024-06-30.csv": RELEASES,
            "release_notifications_2024-09-30.csv": newer,
        },
    )

    with pytest.raises(SourceError) as raised:
        extract_source("probation", files_source(folder))

    assert str(raised.value) == (
        f"source probation, table release_notifications: "
        f"{folder / 'release_notifications_2024-09-30.csv'} (the newest of 2 drops found: "
        "release_notifications_2024-06-30.csv, release_notifications_2024-09-30.csv) lacks "
        "column release_at"
    )


def test_undated_files_matching_a_pattern_go_by_modification_time(tmp_path: Path) -> None:
    old = VCS_REFERRALS.replace("P1", "OLD")
    folder = probation_folder(
        tmp_path, {"vcs_referrals.csv": None, "export_a.csv": VCS_REFERRALS, "export_b.csv": old}
    )
    set_modified(folder / "export_a.csv", "2024-10-02")
    set_modified(folder / "export_b.csv", "2024-10-01")

    frame = referrals(folder, tables={"vcs_referrals": TableSource(file="export_*.csv")})

    assert frame.loc[0, "referral_id"] == "P1"


def test_a_pattern_that_matches_nothing_is_named(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path)
    source = files_source(folder, tables={"vcs_referrals": TableSource(file="victims_*.csv")})

    with pytest.raises(SourceError, match=r"vcs_referrals: no file victims_\*\.csv in "):
        extract_source("probation", source)


def test_another_table_whose_name_ends_the_same_is_never_taken(tmp_path: Path) -> None:
    (tmp_path / "vcs_referrals_2025-01-01.csv").write_text("x\n")
    (tmp_path / "referrals.csv").write_text("x\n")
    set_modified(tmp_path / "referrals.csv", "2020-01-01")

    assert newest_drop(tmp_path, "referrals") == tmp_path / "referrals.csv"
    assert newest_drop(tmp_path, "complaints") is None


# --- encodings ------------------------------------------------------------------------------


def test_cp1252_text_reads_with_its_configured_encoding(tmp_path: Path) -> None:
    text = VCS_REFERRALS.replace("10CU1", "10CU–1")  # an en dash: byte 0x96 in cp1252
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": text.encode("cp1252")})

    frame = referrals(folder, tables={"vcs_referrals": TableSource(encoding="cp1252")})

    assert frame.loc[0, "urn"] == "10CU–1"


def test_text_that_is_not_valid_in_its_encoding_names_file_and_encoding(tmp_path: Path) -> None:
    text = VCS_REFERRALS.replace("10CU1", "10CU–1").encode("cp1252")
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": text})

    with pytest.raises(SourceError) as error:
        extract_source("probation", files_source(folder))  # the default is utf-8

    assert str(error.value) == (
        "source probation, table vcs_referrals: "
        f"{folder / 'vcs_referrals.csv'} is not valid utf-8 text (byte 0x96)"
    )


def test_a_byte_cp1252_leaves_undefined_is_reported(tmp_path: Path) -> None:
    text = VCS_REFERRALS.encode().replace(b"10CU1", b"10CU\x811")
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": text})

    with pytest.raises(SourceError, match=r"is not valid cp1252 text \(byte 0x81\)$"):
        extract_source("probation", files_source(folder, encoding="cp1252"))


def test_a_utf8_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path, {"vcs_referrals.csv": VCS_REFERRALS.encode("utf-8-sig")})

    frame = referrals(folder)

    assert frame.loc[0, "referral_id"] == "P1"


# --- XLSX and Parquet -----------------------------------------------------------------------


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


RELEASE_ROWS: list[list[Any]] = [
    ["urn", "victim_id", "release_at", "notified_at"],
    ["10CU1", "V1", dt.datetime(2024, 8, 18, 8, 47), None],
]


def test_xlsx_reads_the_configured_sheet_with_the_cell_types(tmp_path: Path) -> None:
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


def test_xlsx_reads_the_first_sheet_by_default(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})
    write_workbook(folder / "release_notifications.xlsx", {"Releases": RELEASE_ROWS})

    raw = extract_source("probation", files_source(folder))

    assert raw["release_notifications"].frame.loc[0, "victim_id"] == "V1"


def test_a_sheet_that_does_not_exist_is_named_with_those_that_do(tmp_path: Path) -> None:
    folder = probation_folder(tmp_path, {"release_notifications.csv": None})
    write_workbook(folder / "release_notifications.xlsx", {"Releases": RELEASE_ROWS})
    source = files_source(folder, tables={"release_notifications": TableSource(sheet="Data")})

    with pytest.raises(SourceError, match=r"has no sheet 'Data' \(it has Releases\)$"):
        extract_source("probation", source)


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    folder = probation_folder(
        tmp_path, {"release_notifications.csv": None, "release_notifications.xlsx": RELEASES}
    )

    with pytest.raises(SourceError, match=r"release_notifications.xlsx is not an xlsx workbook$"):
        extract_source("probation", files_source(folder))


def test_parquet_reads_with_its_column_types(tmp_path: Path) -> None:
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


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    folder = probation_folder(
        tmp_path, {"release_notifications.csv": None, "release_notifications.parquet": RELEASES}
    )

    with pytest.raises(SourceError, match=r"release_notifications.parquet is not a parquet file"):
        extract_source("probation", files_source(folder))
