"""published-tables.xlsx: the published tables as a spreadsheet in the Government Analysis
Function's form (cover, contents, notes, one table per sheet, GSS symbols explained)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from vcc.reports.workbook import write_published_workbook
from vcc.transforms.disclosure import published_tables
from vcc.transforms.quarters import Quarter

THRESHOLD = 5


def metric(
    measure_id: str, agency: str, dimension: str, group: str, eligible: int, met: int
) -> dict:
    rate = met / eligible if eligible else math.nan
    return {
        "quarter": "2024Q3", "measure_id": measure_id, "right": 3 if measure_id == "R3-ACK" else 12,
        "agency": agency, "dimension": dimension, "group": group, "eligible": eligible,
        "met": met, "not_met": eligible - met, "pending": 0, "rate": rate,
        "ci_low": rate - 0.05 if eligible else math.nan,
        "ci_high": rate + 0.05 if eligible else math.nan, "target": 0.9, "rag": "amber",
    }  # fmt: skip


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory):
    metrics = pd.DataFrame(
        [
            metric("R3-ACK", "police", "all", "all", 120, 99),
            metric("R3-ACK", "police", "district", "Carlisle", 77, 64),
            metric("R3-ACK", "police", "district", "Copeland", 40, 32),
            metric("R3-ACK", "police", "district", "Eden", 3, 3),  # below the threshold
            metric("R3-ACK", "police", "ethnicity", "asian", 60, 50),
            metric("R3-ACK", "police", "ethnicity", "unknown", 60, 49),
            metric("R3-ACK", "police", "has_disability", "true", 60, 47),
            metric("R3-ACK", "police", "has_disability", "false", 60, 52),
            metric("R3-ACK", "police", "rights", "enhanced", 30, 25),
            metric("R3-ACK", "police", "rights", "standard", 90, 74),
            metric("R12-ACK", "police", "all", "all", 50, 33),
            metric("R12-ACK", "police", "offence_group", "violence_with_injury", 30, 20),
            metric("R12-ACK", "police", "offence_group", "criminal_damage_arson", 20, 13),
            metric("R12-ACK", "police", "domestic_abuse", "true", 25, 15),
            metric("R12-ACK", "police", "domestic_abuse", "false", 25, 18),
            metric("R12-ACK", "cps", "all", "all", 0, 0),  # no complaint: no rate
        ]
    )
    path = tmp_path_factory.mktemp("xlsx") / "published-tables.xlsx"
    written = write_published_workbook(
        published_tables(metrics, THRESHOLD), path, "Victims' Code compliance report",
        Quarter(2024, 3), area="Cumbria", produced_by="OPFCC", as_of=date(2024, 10, 15),
        threshold=THRESHOLD, published_on="16 October 2024", next_update="15 January 2025",
    )  # fmt: skip
    assert written == path
    return openpyxl.load_workbook(path)


def rows(sheet) -> list[tuple]:
    return [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]


def test_cover_contents_and_notes_come_first_then_one_sheet_per_measure(workbook) -> None:
    assert workbook.sheetnames == [
        "Cover", "Contents", "Notes", "R3-ACK", "R12-ACK Police", "R12-ACK CPS",
    ]  # fmt: skip


def test_cover_names_the_report_area_and_quarter(workbook) -> None:
    title = rows(workbook["Cover"])[0][0]
    assert "Victims' Code compliance report" in title and "Cumbria" in title
    assert "1 July to 30 September 2024" in title


def test_contents_lists_every_table_sheet(workbook) -> None:
    listed = [r[0] for r in rows(workbook["Contents"])]
    for name in ("R3-ACK", "R12-ACK Police", "R12-ACK CPS"):
        assert name in listed


def test_notes_explain_every_gss_symbol_and_the_threshold(workbook) -> None:
    text = " ".join(str(v) for r in rows(workbook["Notes"]) for v in r if v is not None)
    for symbol in ("[c] confidential", "[z] not applicable", "[x] not available"):
        assert symbol in text
    assert "from 1 to 4" in text


def test_each_table_sheet_holds_one_excel_table(workbook) -> None:
    for name in ("R3-ACK", "R12-ACK Police", "R12-ACK CPS"):
        assert len(workbook[name].tables) == 1


def test_figures_are_numbers_and_suppressed_cells_are_c(workbook) -> None:
    table = rows(workbook["R3-ACK"])
    header = next(i for i, r in enumerate(table) if r[0] == "Breakdown")
    data = {r[1]: r for r in table[header + 1 :]}
    assert data["All victims"][2:5] == (120, 99, 82.5)
    assert data["Eden"][2] == "[c]" and data["Eden"][4] == "[c]"
    assert data["Copeland"][3] == "[c]"  # secondary: the smallest other district goes too
    assert data["Carlisle"][2] == 77


def test_an_empty_denominator_is_z(workbook) -> None:
    table = rows(workbook["R12-ACK CPS"])
    overall = next(r for r in table if r[0] == "All victims")
    assert overall[2] == 0 and overall[4] == "[z]"


def test_the_file_says_what_it_is_in_its_properties(workbook) -> None:
    properties = workbook.properties
    assert "Victims' Code compliance report" in properties.title and "Cumbria" in properties.title
    assert properties.creator == "OPFCC"
    assert properties.language == "en-GB"
    assert "Victims' Code" in properties.subject and "1 July to 30 September 2024" in (
        properties.subject
    )


def test_cover_gives_the_publication_and_next_update_dates(workbook) -> None:
    text = " ".join(str(v) for r in rows(workbook["Cover"]) for v in r if v is not None)
    assert "Published: 16 October 2024." in text
    assert "Next update: 15 January 2025" in text


def test_counts_are_whole_numbers_and_percentages_have_one_place(workbook) -> None:
    # Not General, and one place as the report prints them: 94.7 is never printed beside 94.61.
    sheet = workbook["R3-ACK"]
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "Breakdown")
    columns = {cell.value: cell.column_letter for cell in header_row}
    figures = [r for r in sheet.iter_rows(min_row=header_row[0].row + 1) if r[0].value]
    assert len(figures) == 10
    for row in figures:
        for name, cell in zip(columns, row, strict=False):
            if not isinstance(cell.value, int | float):
                continue  # a symbol, [c] or [z], is text
            if name in ("Eligible", "Met"):
                assert cell.number_format == "#,##0", (name, cell.coordinate)
            elif name.endswith("(%)") and name != "Target (%)":
                assert cell.number_format == "0.0", (name, cell.coordinate)
            elif name == "Target (%)":
                assert cell.number_format == "0", (name, cell.coordinate)
            assert cell.number_format != "General", (name, cell.coordinate)


def test_groups_and_statuses_are_words_not_codes(workbook) -> None:
    table = rows(workbook["R3-ACK"])
    header = next(i for i, r in enumerate(table) if r[0] == "Breakdown")
    groups = {(r[0], r[1]) for r in table[header + 1 :]}
    assert {
        ("All victims", "All victims"), ("Ethnic group", "Asian"), ("Ethnic group", "Unknown"),
        ("Disability", "Yes"), ("Disability", "No"), ("Enhanced rights", "Owed enhanced rights"),
        ("Enhanced rights", "Standard"), ("District", "Carlisle"),
    } <= groups  # fmt: skip
    statuses = {r[-1] for r in table[header + 1 :]}
    assert statuses <= {"Green", "Amber", "Red", "Not rated", "[c]"}
    assert {"true", "asian", "none", "amber"}.isdisjoint(
        value for r in table[header + 1 :] for value in r
    )


def test_offence_groups_and_domestic_abuse_are_words_as_in_the_report(workbook) -> None:
    table = rows(workbook["R12-ACK Police"])
    header = next(i for i, r in enumerate(table) if r[0] == "Breakdown")
    groups = {r[1]: r for r in table[header + 1 :]}
    assert {"Violence with injury", "Criminal damage and arson", "Domestic abuse"} <= set(groups)
    assert "Not domestic abuse" in groups
    assert groups["Violence with injury"][4] == 66.7  # 20 of 30, one decimal place
    assert {"violence_with_injury", "criminal_damage_arson", "true", "false"}.isdisjoint(groups)


def test_a_part_quarters_tables_are_titled_with_the_days_they_cover(tmp_path: Path) -> None:
    # as of 15 August: the figures cover 1 July to 15 August only, and every title says so
    metrics = pd.DataFrame([metric("R3-ACK", "police", "all", "all", 120, 99)])
    path = write_published_workbook(
        published_tables(metrics, THRESHOLD), tmp_path / "part.xlsx", "Victims' Code report",
        Quarter(2024, 3), area="Cumbria", as_of=date(2024, 8, 15),
    )  # fmt: skip
    book = openpyxl.load_workbook(path)
    cover = " ".join(str(v) for r in rows(book["Cover"]) for v in r if v is not None)
    assert rows(book["Cover"])[0][0].endswith("1 July to 15 August 2024")
    assert "these figures cover 1 July to 15 August 2024 only" in cover
    assert rows(book["R3-ACK"])[0][0].endswith("1 July to 15 August 2024")
    assert "1 July to 15 August 2024" in book.properties.subject
    everything = " ".join(
        str(v) for sheet in book.worksheets for r in rows(sheet) for v in r if v is not None
    )
    assert "30 September" not in everything
