"""The review form of a QAF dip sample: an XLSX with one row per sampled case and agency, the four
Cumbria themes each rated met, partly met, not met or not evidenced, and notes.

Writing: the ``Reviews`` sheet's rating cells carry a data validation list, so Excel and
LibreOffice refuse any other rating; the identifying columns are locked (sheet protection without
a password: it prevents slips, not determined edits, which the import catches anyway). The
``About`` sheet names the sample, so a form is imported into the sample it was made for.

Reading (``read_form``): every problem is collected, each naming its spreadsheet row (unknown
case, agency not reviewed for the case, repeated row, missing or invalid rating, a row missing
from the form) and raised together as :class:`FormProblems`; nothing is imported from a form
with any problem.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from vcc.flows.errors import VccError
from vcc.transforms.agencies import agency_label
from vcc.transforms.cell_text import neutralise, recover
from vcc.transforms.qaf import AGENCIES, RATINGS, THEME_LABELS, THEMES

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
_AGENCY_BY_NAME = {name.lower(): a for a in AGENCIES for name in (a, agency_label(a))}


class FormError(VccError):
    """The file cannot be read as a review form at all."""


class FormProblems(VccError):
    """A review form with problems; ``problems`` names each one and its row."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"{path.name}: {count} problem{'s' if count != 1 else ''} in the review form; "
            "nothing was imported (correct the form and import it again)"
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
            formula1='"' + ",".join(RATINGS) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="Not a rating",
            error=f"Choose {RATING_LIST}.",
            showInputMessage=True,
            promptTitle="Rating",
            prompt=f"{RATING_LIST}",
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
        "Import the completed form with: vcc review import FILE. A form with a problem is "
        "refused with a message naming each row; import it again once corrected. The latest "
        "import of a sample is the one the quarterly report uses.",
    ):
        sheet.append([line])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60


# --- reading ------------------------------------------------------------------------------------


def form_sample_id(path: Path) -> str:
    """The sample a form was made for (its ``About`` sheet)."""
    workbook = _open(path)
    try:
        if ABOUT_SHEET not in workbook.sheetnames:
            raise FormError(f"{path.name}: no '{ABOUT_SHEET}' sheet: not a vcc review form")
        for label, value, *_ in workbook[ABOUT_SHEET].iter_rows(values_only=True, max_col=2):
            if isinstance(label, str) and label.strip() == "Sample" and value:
                return recover(str(value)).strip()
        raise FormError(f"{path.name}: its '{ABOUT_SHEET}' sheet does not name the sample")
    finally:
        workbook.close()


def _open(path: Path) -> Any:
    if not path.is_file():
        raise FormError(f"{path} does not exist")
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise FormError(f"{path.name} is not an Excel workbook (.xlsx): {reason}") from None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = recover(value)  # as written: see write_form
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def read_form(path: Path, sample_id: str, expected: list[FormCase]) -> pd.DataFrame:
    """The ratings of a completed form, one row per case, agency and theme (``victim_id``,
    ``agency``, ``theme``, ``rating``, ``note``, ``reviewer``); raises FormProblems naming every
    problem and its row."""
    workbook = _open(path)
    try:
        if REVIEWS_SHEET not in workbook.sheetnames:
            raise FormError(f"{path.name}: no '{REVIEWS_SHEET}' sheet: not a vcc review form")
        rows = list(workbook[REVIEWS_SHEET].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise FormError(f"{path.name}: the '{REVIEWS_SHEET}' sheet is empty")
    header = [_text(v) for v in rows[0]][: len(HEADERS)]
    header += [""] * (len(HEADERS) - len(header))
    wrong = [
        f"column {get_column_letter(i)} is headed '{found}', not '{wanted}'"
        for i, (found, wanted) in enumerate(zip(header, HEADERS, strict=True), start=1)
        if found.lower() != wanted.lower()
    ]
    if wrong:
        raise FormProblems(path, [f"row 1: {w}" for w in wrong])
    cases = {(c.victim_id, c.agency): c for c in expected}
    case_of_victim = {c.victim_id: c.case_number for c in expected}
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    ratings = []
    for number, values in enumerate(rows[1:], start=2):
        cells = [_text(v) for v in values[: len(HEADERS)]]
        cells += [""] * (len(HEADERS) - len(cells))
        if not any(cells):
            continue  # a blank line
        found = _check_row(number, cells, sample_id, cases, case_of_victim, seen, problems)
        if found is not None:
            ratings += found
    for (victim_id, agency), case in cases.items():
        if (victim_id, agency) not in seen:
            problems.append(
                f"case {case.case_number} (victim {victim_id}), {agency_label(agency)}: "
                "its row is missing from the form"
            )
    if problems:
        raise FormProblems(path, problems)
    return pd.DataFrame(
        ratings, columns=["victim_id", "agency", "theme", "rating", "note", "reviewer"]
    )


def _check_row(
    number: int,
    cells: list[str],
    sample_id: str,
    cases: dict[tuple[str, str], FormCase],
    case_of_victim: dict[str, int],
    seen: dict[tuple[str, str], int],
    problems: list[str],
) -> list[dict[str, Any]] | None:
    """One row's ratings, or None after adding its problems to ``problems``."""
    case_text, victim_id, _, agency_text = cells[0], cells[1], cells[2], cells[3]
    where = f"row {number}"
    if victim_id not in case_of_victim:
        shown = f"victim '{victim_id}'" if victim_id else "no victim ID"
        problems.append(f"{where}: {shown} is not a case of sample {sample_id} (unknown case)")
        return None
    case_number = case_of_victim[victim_id]
    where = f"row {number} (case {case_number}, {agency_text or 'no agency'})"
    if case_text != str(case_number):
        problems.append(
            f"{where}: the case number is '{case_text}' but victim {victim_id} is case "
            f"{case_number}; leave the first six columns as they were"
        )
        return None
    agency = _AGENCY_BY_NAME.get(agency_text.lower())
    if agency is None or (victim_id, agency) not in cases:
        reviewed = [agency_label(a) for (v, a) in cases if v == victim_id]
        problems.append(
            f"{where}: case {case_number} is not reviewed against '{agency_text}'; its "
            f"agencies are {', '.join(reviewed)}"
        )
        return None
    if (victim_id, agency) in seen:
        problems.append(f"{where}: repeats row {seen[(victim_id, agency)]}")
        return None
    seen[(victim_id, agency)] = number
    reviewer = cells[len(IDENTITY_HEADERS)] or None
    found, ok = [], True
    for offset, theme in enumerate(THEMES):
        column = len(IDENTITY_HEADERS) + 1 + 2 * offset
        rating, note = cells[column].lower(), cells[column + 1] or None
        if not rating:
            problems.append(f"{where}: no rating for {THEME_LABELS[theme]}; choose {RATING_LIST}")
            ok = False
        elif rating not in RATINGS:
            problems.append(
                f"{where}: '{cells[column]}' is not a rating for {THEME_LABELS[theme]}; "
                f"choose {RATING_LIST}"
            )
            ok = False
        else:
            found.append(
                {"victim_id": victim_id, "agency": agency, "theme": theme, "rating": rating,
                 "note": note, "reviewer": reviewer}
            )  # fmt: skip
    return found if ok else None
