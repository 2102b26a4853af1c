"""The review form of a QAF dip sample: an XLSX with one row per sampled case and agency, the four
Cumbria themes each rated met, partly met, not met or not evidenced, and notes.

Writing: the ``Reviews`` sheet's rating cells carry a data validation list, so Excel and
LibreOffice refuse any other answer; the list also offers "not reviewed", for a row the reviewer
did not review (a blank row counts the same). The identifying columns are locked (sheet
protection without a password: it prevents slips, not determined edits, which the import catches
anyway). The ``About`` sheet names the sample, so a form is imported into the sample it was made
for. Reading a completed form: ``reading.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from vcc.flows.errors import VccError
from vcc.transforms.agencies import agency_label
from vcc.transforms.cell_text import neutralise
from vcc.transforms.qaf import RATINGS, THEME_LABELS, THEMES

REVIEWS_SHEET = "Reviews"
ABOUT_SHEET = "About"
IDENTITY_HEADERS = ["Case", "Victim ID", "Crime reference", "Agency", "Route", "Enhanced rights"]
REVIEWER_HEADER = "Reviewer"
HEADERS = [
    *IDENTITY_HEADERS,
    REVIEWER_HEADER,
    *[h for t in THEMES for h in (f"{THEME_LABELS[t]}: rating", f"{THEME_LABELS[t]}: notes")],
]
RATING_LIST = ", ".join(RATINGS[:-1]) + " or " + RATINGS[-1]
NOT_REVIEWED = "not reviewed"  # a row's answer, not a rating: the row is counted, not imported


class FormError(VccError):
    """The file cannot be read as a review form at all."""


class FormProblems(VccError):
    """A review form whose headings were changed, so that no row of it can be trusted;
    ``problems`` names each changed heading."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"{path.name}: {count} column heading{'s' if count != 1 else ''} of the review form "
            "changed; nothing was imported (put them back, or use the form as vcc sample wrote it)"
        )


@dataclass(frozen=True)
class FormCase:
    """A row the form must have: a sampled case and an agency it is reviewed against."""

    case_number: int
    victim_id: str
    crime_ref: str
    agency: str
    route: str  # label
    enhanced: bool


def write_form(
    path: Path,
    rows: Iterable[FormCase],
    about: list[tuple[str, str]],
    marking: str,
) -> None:
    """The review form: the ``Reviews`` sheet (one row per case and agency) and ``About``
    (``about``: label and value pairs, the first of them ``Sample``)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = REVIEWS_SHEET
    sheet.append(HEADERS)
    rows = list(rows)
    for row in rows:
        # Case data never runs as a formula (a victim_id "=HYPERLINK(...)"): transforms.cell_text.
        sheet.append(
            [row.case_number, neutralise(row.victim_id), neutralise(row.crime_ref),
             agency_label(row.agency), neutralise(row.route),
             "owed" if row.enhanced else "not owed", None, *([None] * 2 * len(THEMES))]
        )  # fmt: skip
    _style_reviews(sheet, len(rows))
    _about_sheet(workbook.create_sheet(ABOUT_SHEET), about, marking)
    for page in workbook.worksheets:
        page.oddHeader.center.text = marking
        page.oddFooter.center.text = marking
    workbook.properties.title = f"QAF review form, sample {about[0][1]}"
    workbook.properties.keywords = marking
    workbook.properties.subject = "Quality Assessment Framework case reviews"
    workbook.save(path)


def _style_reviews(sheet: Any, count: int) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    header_fill = PatternFill("solid", fgColor="DDE3E8")
    for cell in sheet[1]:
        cell.font, cell.alignment, cell.fill = bold, wrap, header_fill
    widths = [7, 13, 15, 18, 28, 12, 18] + [14, 40] * len(THEMES)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "H2"
    last = count + 1
    if count:
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join([*RATINGS, NOT_REVIEWED]) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="Not a rating",
            error=f"Choose {RATING_LIST}; or {NOT_REVIEWED} for a case not reviewed.",
            showInputMessage=True,
            promptTitle="Rating",
            prompt=f"{RATING_LIST}; or {NOT_REVIEWED}",
        )
        sheet.add_data_validation(validation)
        first_rating = len(IDENTITY_HEADERS) + 2
        for offset in range(len(THEMES)):
            letter = get_column_letter(first_rating + 2 * offset)
            validation.add(f"{letter}2:{letter}{last}")
    editable = range(len(IDENTITY_HEADERS) + 1, len(HEADERS) + 1)
    for row in sheet.iter_rows(min_row=2, max_row=last):
        for cell in row:
            cell.alignment = wrap
            if cell.column in editable:
                cell.protection = Protection(locked=False)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # reviewers may still widen columns and rows
    sheet.protection.formatRows = False
    sheet.protection.formatCells = False
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{last}"
    sheet.protection.autoFilter = False


def _about_sheet(sheet: Any, about: list[tuple[str, str]], marking: str) -> None:
    sheet.append([neutralise(marking)])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append([])
    for label, value in about:
        sheet.append([neutralise(label), neutralise(value)])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    for line in (
        "One row per sampled case and agency. Rate each theme for that agency: "
        f"{RATING_LIST}. Not evidenced: the case file does not show it either way.",
        "Write what you found in the notes beside each rating. Leave the first six columns "
        "as they are: they say which case and agency a row is about.",
        f"A row you did not review: leave it blank, or choose '{NOT_REVIEWED}'. A row is "
        "imported once all four of its themes are rated.",
        "Import the completed form with: vcc review import FILE. Rows rated in full are "
        "imported; a row partly filled or with another answer is not, and is listed with its "
        "row number and column. Correct those rows and import the form again: rows imported "
        "before are kept, not counted twice.",
    ):
        sheet.append([line])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60
