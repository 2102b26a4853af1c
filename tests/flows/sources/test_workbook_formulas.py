"""Issue 14: a workbook formula is read by the value a spreadsheet last saved for it. A formula
with no saved value (the workbook was written by a program, never opened and saved) would read
as an empty cell, so the file is refused, naming the sheet and the cell: never read as nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.flows.sources.test_bad_inputs import (
    CRIMES_HEADER,
    VICTIMS,
    one_line_error,
    police,
    police_folder,
    validated,
    write_workbook,
)

VICTIM_ROW = VICTIMS[1].split(",")
CRIME_ROW = "CR1,2024-03-01T09:00:00,2024-03-01T10:00:00,theft,false,false,Eden"


def victims_workbook(tmp_path, age: str):
    folder = police_folder(tmp_path, crimes=f"{CRIMES_HEADER}\n{CRIME_ROW}\n")
    (folder / "victims.csv").unlink()
    row = [*VICTIM_ROW[:3], age, *VICTIM_ROW[4:]]
    write_workbook(folder / "victims.xlsx", {"Victims": [VICTIMS[0].split(","), row]})
    return folder


def save_value(path, value: str) -> None:
    """Store ``value`` as every formula's saved value, as a spreadsheet does on saving."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b"<v></v>", f"<v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_a_formula_without_a_saved_value_refuses_the_file_naming_sheet_and_cell(
    tmp_path: Path,
) -> None:
    folder = victims_workbook(tmp_path, "=30+4")

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table victims: {folder / 'victims.xlsx'} sheet 'Victims' cell D2 "
        "holds a formula with no saved value: open and save the workbook in a spreadsheet, "
        "or export its values"
    )


def test_a_formula_with_its_saved_value_reads_that_value(tmp_path: Path) -> None:
    folder = victims_workbook(tmp_path, "=30+4")
    save_value(folder / "victims.xlsx", "34")

    typed, _ = validated(police(folder))

    assert typed[("police", "victims")]["age_at_offence"].tolist() == [34]


def rewritten_sheet(path, change) -> None:
    """Rewrite the first worksheet's XML of the workbook at ``path`` with ``change(xml)``."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = change(members[sheet])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_the_formula_scan_finds_formula_elements_however_written(tmp_path: Path) -> None:
    from vcc.flows.sources.files import _holds_formulas

    for case in ("plain", "formula", "prefixed", "straddling"):
        (tmp_path / case).mkdir()
    plain = victims_workbook(tmp_path / "plain", "34") / "victims.xlsx"
    formula = victims_workbook(tmp_path / "formula", "=30+4") / "victims.xlsx"
    prefixed = victims_workbook(tmp_path / "prefixed", "=30+4") / "victims.xlsx"
    rewritten_sheet(prefixed, lambda xml: xml.replace(b"<f>", b"<x:f>").replace(b"</f>", b"</x:f>"))
    # the formula's element split across the scan's 1 MiB reads: its "<" the first read's last
    straddling = victims_workbook(tmp_path / "straddling", "=30+4") / "victims.xlsx"

    def pad(xml: bytes) -> bytes:
        padding = b" " * ((1 << 20) - 1 - xml.index(b"<f>"))
        padded = xml.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
        assert padded.index(b"<f>") == (1 << 20) - 1
        return padded

    rewritten_sheet(straddling, pad)

    assert [_holds_formulas(path) for path in (plain, formula, prefixed, straddling)] == [
        False, True, True, True,
    ]  # fmt: skip
