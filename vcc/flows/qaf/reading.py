"""Reading a completed review form (``form.py`` writes it), row by row.

Each row of the ``Reviews`` sheet is one of three things:

- **reviewed**: its four ratings are each met, partly met, not met or not evidenced, and it is
  the row of a case and agency of the sample; its ratings are imported;
- **not reviewed**: the reviewer left it blank, or chose "not reviewed" (any letter case) for
  its ratings and rated nothing else; it is counted, and is no problem;
- **with problems**: partly filled (a rating missing beside others, "not reviewed" beside a
  rating), an answer that is not a rating, or a row that is not one of the sample's (its first
  six columns changed, repeated); it is not imported, and each problem is named with its row as
  the spreadsheet numbers it, its column heading, what is wrong and what is allowed.

A row of the sample missing from the form is a problem too. The other rows are imported whatever
the problems (a partial import: ``imports.py``). A form that cannot be read as a review form at
all (not a workbook, no ``Reviews`` sheet, its headings changed) is refused whole.

Problem lines hold the row, the case number and agency and the reviewer's own answer: never the
victim ID or crime reference a row identifies (the terminal and the problems file may be read by
others than the reviewers).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from vcc.flows.qaf.form import (
    ABOUT_SHEET,
    HEADERS,
    IDENTITY_HEADERS,
    NOT_REVIEWED,
    RATING_LIST,
    REVIEWS_SHEET,
    FormCase,
    FormError,
    FormProblems,
)
from vcc.flows.warehouse.reviews import RATING_COLUMNS
from vcc.transforms.agencies import agency_label
from vcc.transforms.cell_text import recover
from vcc.transforms.qaf import AGENCIES, RATINGS, THEME_LABELS, THEMES

RATING_ALLOWED = f"{RATING_LIST}; or '{NOT_REVIEWED}' for the whole row"
_AGENCY_BY_NAME = {name.lower(): a for a in AGENCIES for name in (a, agency_label(a))}
_FIRST_RATING = len(IDENTITY_HEADERS) + 1  # index of the first rating cell (after Reviewer)
_RATING_CELLS = [_FIRST_RATING + 2 * offset for offset in range(len(THEMES))]


@dataclass(frozen=True)
class RowProblem:
    """One problem of a row: where (the spreadsheet's row number, the case and agency it is
    about, the column heading), what is wrong and what is allowed."""

    row: int | None  # None: the row is missing from the form
    case: int | None  # the form's case number, when the row is one of the sample's
    agency: str  # the agency's label (or the text found in the Agency column)
    column: str  # the column heading; "" for the row as a whole
    problem: str
    allowed: str

    def line(self, with_allowed: bool = True) -> str:
        about = ", ".join(
            part for part in (f"case {self.case}" if self.case else "", self.agency) if part
        )
        where = f"row {self.row} ({about})" if self.row is not None else about
        column = f", column '{self.column}'" if self.column else ""
        allowed = f" (allowed: {self.allowed})" if self.allowed and with_allowed else ""
        return f"{where}{column}: {self.problem}{allowed}"


@dataclass(frozen=True)
class FormReading:
    """What a form holds: the ratings of its reviewed rows (RATING_COLUMNS, one row per case,
    agency and theme), and how many rows were reviewed, not reviewed and with problems."""

    ratings: pd.DataFrame
    reviewed: int
    not_reviewed: int
    with_problems: int  # rows of the sheet, and rows of the sample missing from it
    problems: list[RowProblem]


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


def _quoted(answer: str, longest: int = 30) -> str:
    """A reviewer's answer as a problem line quotes it: cut short, so that a note pasted into
    the wrong cell is not copied out to the terminal and the problems file."""
    return answer if len(answer) <= longest else answer[: longest - 1] + "…"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = recover(value)  # as written: see form.write_form
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def read_form(path: Path, sample_id: str, expected: list[FormCase]) -> FormReading:
    """The reviewed rows of a completed form and every problem of the others (module
    docstring); raises FormError or FormProblems for a form that cannot be read at all."""
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
        f"row 1: column {get_column_letter(i)} is headed '{found}', not '{wanted}'"
        for i, (found, wanted) in enumerate(zip(header, HEADERS, strict=True), start=1)
        if found.lower() != wanted.lower()
    ]
    if wrong:
        raise FormProblems(path, wrong)
    rows_read = _Rows(sample_id, expected)
    for number, values in enumerate(rows[1:], start=2):
        cells = [_text(v) for v in values[: len(HEADERS)]]
        rows_read.read(number, cells + [""] * (len(HEADERS) - len(cells)))
    return rows_read.reading()


class _Rows:
    """The rows of one form as they are read, in order."""

    def __init__(self, sample_id: str, expected: list[FormCase]):
        self.sample_id = sample_id
        self.cases = {(c.victim_id, c.agency): c for c in expected}
        self.case_of_victim = {c.victim_id: c.case_number for c in expected}
        self.seen: dict[tuple[str, str], int] = {}
        self.ratings: list[dict[str, Any]] = []
        self.problems: list[RowProblem] = []
        self.reviewed = self.not_reviewed = self.with_problems = 0

    def read(self, number: int, cells: list[str]) -> None:
        if not any(cells):
            return  # a blank line below (or between) the sample's rows
        found = self._identify(number, cells)
        if found is None:
            self.with_problems += 1
            return
        case, agency = found
        answers = [cells[i].lower() for i in _RATING_CELLS]
        problems = _answer_problems(number, case, agency_label(agency), cells, answers)
        if problems:
            self.problems += problems
            self.with_problems += 1
        elif all(answer in ("", NOT_REVIEWED) for answer in answers):
            self.not_reviewed += 1  # blank, or marked not reviewed
        else:
            self.reviewed += 1
            reviewer = cells[len(IDENTITY_HEADERS)] or None
            self.ratings += [
                {"victim_id": case.victim_id, "agency": agency, "theme": theme,
                 "rating": answer, "note": cells[column + 1] or None, "reviewer": reviewer}
                for theme, answer, column in zip(THEMES, answers, _RATING_CELLS, strict=True)
            ]  # fmt: skip

    def _identify(self, number: int, cells: list[str]) -> tuple[FormCase, str] | None:
        """The case and agency of a row; None after naming why the row is not one of them."""
        case_text, victim_id, agency_text = cells[0], cells[1], cells[3]
        if victim_id not in self.case_of_victim:
            problem = "not a case of sample " + self.sample_id if victim_id else "empty"
            self._problem(number, None, agency_text, IDENTITY_HEADERS[1], problem,
                          "the Victim ID the form was made with")  # fmt: skip
            return None
        case_number = self.case_of_victim[victim_id]
        if case_text != str(case_number):
            self._problem(number, case_number, agency_text, IDENTITY_HEADERS[0],
                          f"'{_quoted(case_text)}' is not this row's case number",
                          f"{case_number}, as the form was made: leave the first six columns "
                          "as they are")  # fmt: skip
            return None
        agency = _AGENCY_BY_NAME.get(agency_text.lower())
        if agency is None or (victim_id, agency) not in self.cases:
            reviewed = [agency_label(a) for (v, a) in self.cases if v == victim_id]
            self._problem(number, case_number, agency_text, IDENTITY_HEADERS[3],
                          f"case {case_number} is not reviewed against '{agency_text}'",
                          ", ".join(reviewed))  # fmt: skip
            return None
        if (victim_id, agency) in self.seen:
            self._problem(number, case_number, agency_label(agency), "",
                          f"repeats row {self.seen[(victim_id, agency)]}",
                          "one row per case and agency")  # fmt: skip
            return None
        self.seen[(victim_id, agency)] = number
        return self.cases[(victim_id, agency)], agency

    def _problem(self, *fields: Any) -> None:
        self.problems.append(RowProblem(*fields))

    def reading(self) -> FormReading:
        for (victim_id, agency), case in self.cases.items():
            if (victim_id, agency) not in self.seen:
                self.with_problems += 1
                self._problem(None, case.case_number, agency_label(agency), "",
                              "its row is missing from the form", "")  # fmt: skip
        return FormReading(
            pd.DataFrame(self.ratings, columns=RATING_COLUMNS),
            self.reviewed,
            self.not_reviewed,
            self.with_problems,
            self.problems,
        )


def _answer_problems(
    number: int, case: FormCase, agency: str, cells: list[str], answers: list[str]
) -> list[RowProblem]:
    """The problems of a row's ``answers`` (its rating cells, lower case): none for a row rated in
    full, or blank, or marked not reviewed (every rating blank or "not reviewed"; the reviewer and
    notes as the reviewer likes: a note may say why)."""
    unrated = all(answer in ("", NOT_REVIEWED) for answer in answers)
    if unrated and (NOT_REVIEWED in answers or not any(cells[len(IDENTITY_HEADERS) :])):
        return []
    rated = any(answer in RATINGS for answer in answers)
    problems = []
    for theme, answer, column in zip(THEMES, answers, _RATING_CELLS, strict=True):
        heading = HEADERS[column]
        if not answer:
            wrong = "no rating" + (", though the row has others" if rated else "")
        elif answer == NOT_REVIEWED and rated:
            wrong = (
                f"'{NOT_REVIEWED}' beside ratings: rate this theme, or mark the row not reviewed"
            )
        elif answer not in RATINGS and answer != NOT_REVIEWED:
            wrong = f"'{_quoted(cells[column])}' is not a rating of {THEME_LABELS[theme].lower()}"
        else:
            continue
        problems.append(
            RowProblem(number, case.case_number, agency, heading, wrong, RATING_ALLOWED)
        )
    return problems
