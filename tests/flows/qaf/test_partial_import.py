"""A review form imported part filled (``vcc review import``): a blank row or one marked "not
reviewed" is counted, a row rated in full is imported whatever the other rows hold, and a row
partly filled or with another answer is listed (at most ten lines on the terminal, all of them in
``<form>-problems.csv``) and not imported. Importing the corrected form adds only what is new.

The sample: 18 cases, each reviewed against the police and the CPS, so its form has 36 rows,
spreadsheet rows 2 to 37 (case n: police in row 2n, CPS in row 2n + 1). No Prefect: a real SQLite
warehouse and the real command line.
"""

from __future__ import annotations

import csv
import datetime as dt
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from jinja2.utils import Namespace
from openpyxl import load_workbook

from tests.reports.test_report import a_quarter, revised
from vcc.flows.cli import main
from vcc.flows.qaf.form import FormCase, write_form
from vcc.flows.qaf.imports import merge_ratings
from vcc.flows.qaf.pack import form_cases
from vcc.flows.qaf.reading import read_form
from vcc.flows.run.figures import qaf_figures
from vcc.flows.warehouse.reviews import RATING_COLUMNS, ReviewStore, Sample
from vcc.flows.warehouse.store import Warehouse
from vcc.reports.qaf import qaf_view
from vcc.reports.render import template
from vcc.transforms.quarters import Quarter

CASES = 18
SAMPLE_ID = "2024Q4-1"
RATED = ["met", "partly met", "not met", "not evidenced"]  # a complete row's four ratings


def victim(case: int) -> str:
    return f"PARTVICTIM{case:02d}"  # distinctive: no output may name it


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def store(out: Path) -> ReviewStore:
    """The warehouse ``vcc review import --out OUT`` opens, holding the sample."""
    out.mkdir()
    store = ReviewStore(Warehouse(f"sqlite:///{out / 'vcc-warehouse.sqlite'}"))
    _save_sample(store)
    frame = store.frame(SAMPLE_ID)
    assert form_cases(frame[frame["selected"]], store.case_records(SAMPLE_ID)) == EXPECTED
    return store


def _save_sample(store: ReviewStore) -> Sample:
    cases = range(1, CASES + 1)
    frame = pd.DataFrame(
        {
            "victim_id": [victim(n) for n in cases],
            "crime_ref": [f"PARTCRIME{n:02d}" for n in cases],
            "route": "charged",
            "enhanced": False,
            "stratum": "charged/standard",
            "selected": True,
            "case_number": pd.array(list(cases), dtype="Int64"),
            "weight": 4.0,
        }
    )
    records = pd.DataFrame(
        [(victim(n), agency, n, 1, 1, 0, 0, 0, 0) for n in cases for agency in ("police", "cps")],
        columns=["victim_id", "agency", "case_number", "instances", "met", "late", "missing",
                 "not_met", "pending"],
    )  # fmt: skip
    return store.save_sample(
        {
            "quarter": "2024Q4", "run_id": "run-1", "as_of": dt.date(2025, 2, 14), "seed": 1,
            "size_requested": CASES, "size": CASES, "frame_size": 72, "oversampling": 2.0,
            "design": {"strata": []}, "config_sha256": "0" * 64,
            "drawn_at": dt.datetime(2025, 2, 20, 9, 0), "drawn_by": "test",
        },
        frame,
        records,
    )  # fmt: skip


EXPECTED = [
    FormCase(n, victim(n), f"PARTCRIME{n:02d}", agency, "Charged", False)
    for n in range(1, CASES + 1)
    for agency in ("police", "cps")
]  # the form's 36 rows


@pytest.fixture
def blank(tmp_path: Path) -> Path:
    """The sample's form as ``vcc sample`` writes it, nothing filled in."""
    path = tmp_path / "forms" / "review-form.xlsx"
    path.parent.mkdir()
    write_form(path, EXPECTED, [("Sample", SAMPLE_ID)], "OFFICIAL-SENSITIVE")
    return path


def answer(
    form: Path, rows: Mapping[int, Sequence[str | None]], target: Path | None = None
) -> Path:
    """Fill spreadsheet row r's four rating cells (H, J, L, N) with ``rows[r]``, each with a
    note and the reviewer's name, and save (over the form unless ``target``)."""
    workbook = load_workbook(form)
    sheet = workbook["Reviews"]
    for number, ratings in rows.items():
        sheet.cell(number, 7).value = "R. Viewer"
        for k, rating in enumerate(ratings):
            sheet.cell(number, 8 + 2 * k).value = rating
            sheet.cell(number, 9 + 2 * k).value = f"note {number}.{k}" if rating else None
    target = target or form
    workbook.save(target)
    return target


def vcc(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


# --- a row is reviewed, not reviewed, or has problems ------------------------------------------


def test_two_complete_rows_of_36_are_imported_the_blank_and_not_reviewed_counted(
    blank: Path,
) -> None:
    # rows 2 and 3: case 1 reviewed in full; row 4: case 2 (police) marked not reviewed, in any
    # letter case; row 5: case 2 (CPS) partly filled; rows 6 to 37 blank
    answer(blank, {2: RATED, 3: RATED, 4: ["Not Reviewed"], 5: RATED[:3]})
    reading = read_form(blank, SAMPLE_ID, EXPECTED)
    assert (reading.reviewed, reading.not_reviewed, reading.with_problems) == (2, 1 + 32, 1)
    assert [p.line() for p in reading.problems] == [
        "row 5 (case 2, CPS), column 'Engagement and collaboration: rating': no rating, though "
        "the row has others (allowed: met, partly met, not met or not evidenced; or 'not "
        "reviewed' for the whole row)"
    ]
    assert len(reading.ratings) == 2 * 4
    assert set(reading.ratings["victim_id"]) == {victim(1)}
    assert reading.ratings["rating"].tolist() == RATED * 2


@pytest.mark.parametrize(
    ("ratings", "found"),
    [
        (["met", "met", "met", "met"], "reviewed"),
        (["NOT REVIEWED", None, None, None], "not reviewed"),
        (["not reviewed"] * 4, "not reviewed"),
        (["met", "excellent", "met", "met"], "'excellent' is not a rating of enhanced support"),
        (["met", "not reviewed", "met", "met"], "'not reviewed' beside ratings"),
        (["excellent", None, None, None], "'excellent' is not a rating of care and respect"),
        (  # a note pasted into a rating cell is quoted cut short
            ["met", "met", "met", "Spoke to the victim on 3 May at home, upset"],
            "'Spoke to the victim on 3 May …' is not a rating of engagement",
        ),
    ],
)
def test_each_row_is_reviewed_not_reviewed_or_a_problem(
    blank: Path, ratings: list[str | None], found: str
) -> None:
    reading = read_form(answer(blank, {2: ratings}), SAMPLE_ID, EXPECTED)
    if found == "reviewed":
        assert (reading.reviewed, reading.not_reviewed, reading.problems) == (1, 35, [])
    elif found == "not reviewed":
        assert (reading.reviewed, reading.not_reviewed, reading.problems) == (0, 36, [])
    else:
        assert (reading.reviewed, reading.not_reviewed, reading.with_problems) == (0, 35, 1)
        assert found in reading.problems[0].line()
        assert reading.ratings.empty


def test_a_row_with_only_the_reviewers_name_is_partly_filled(blank: Path) -> None:
    workbook = load_workbook(blank)
    workbook["Reviews"]["G7"].value = "R. Viewer"
    workbook.save(blank)
    reading = read_form(blank, SAMPLE_ID, EXPECTED)
    assert reading.with_problems == 1
    assert [(p.row, p.case, p.agency, p.problem) for p in reading.problems] == [
        (7, 3, "CPS", "no rating")
    ] * 4


def test_the_rating_list_offers_not_reviewed(blank: Path) -> None:
    [validation] = load_workbook(blank)["Reviews"].data_validations.dataValidation
    assert validation.formula1 == '"met,partly met,not met,not evidenced,not reviewed"'


# --- vcc review import: what it stores and says --------------------------------------------------


def test_import_keeps_the_complete_rows_lists_the_problem_and_reimport_adds_only_the_fix(
    store: ReviewStore, blank: Path, out: Path
) -> None:
    answer(blank, {2: RATED, 3: RATED, 4: ["not reviewed"], 5: RATED[:3]})
    first = vcc("review", "import", blank, "--out", out)
    assert first.exit_code == 3  # some rows were not imported: the coordinator must look
    problems = blank.with_name("review-form-problems.csv")
    assert first.stdout.splitlines() == [
        f"vcc: review-form.xlsx (sample {SAMPLE_ID}, 36 rows): 2 rows imported, 33 not reviewed, "
        "1 with problems (not imported)",
        f"vcc: stored as import 1: 1 of the sample's {CASES} cases have reviews",
    ]
    assert first.stderr.splitlines() == [
        "vcc: 1 problem in 1 row, which were not imported:",
        "vcc:   row 5 (case 2, CPS), column 'Engagement and collaboration: rating': no rating, "
        "though the row has others",
        "vcc:   ratings allowed: met, partly met, not met or not evidenced; or 'not reviewed' "
        "for the whole row",
        f"vcc:   the list: {problems}",
    ]
    assert stat.S_IMODE(problems.stat().st_mode) == 0o600
    [import_1] = store.imports(SAMPLE_ID)
    assert len(store.ratings(import_1["import_id"])) == 2 * 4

    answer(blank, {5: RATED})  # the reviewer completes row 5
    second = vcc("review", "import", blank, "--out", out)
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines() == [
        f"vcc: review-form.xlsx (sample {SAMPLE_ID}, 36 rows): 1 row imported, 2 unchanged "
        "since import 1, 33 not reviewed, 0 with problems (not imported)",
        f"vcc: stored as import 2, replacing import 1: 2 of the sample's {CASES} cases have "
        "reviews",
    ]
    assert not problems.exists()  # the list of problems fixed is gone
    latest = store.ratings(store.imports(SAMPLE_ID)[-1]["import_id"])
    assert len(latest) == 3 * 4  # each row once
    assert not latest.duplicated(["victim_id", "agency", "theme"]).any()

    third = vcc("review", "import", blank, "--out", out)  # the same form again: nothing new
    assert third.exit_code == 0
    assert third.stdout.splitlines()[-1] == (
        f"vcc: nothing new to store; import 2 stands: 2 of the sample's {CASES} cases have reviews"
    )
    assert len(store.imports(SAMPLE_ID)) == 2
    for output in (first.output, second.output, third.output):
        assert (
            "PARTVICTIM" not in output and "PARTCRIME" not in output and "R. Viewer" not in output
        )


def test_fifteen_bad_rows_take_ten_lines_and_the_file_lists_all(
    store: ReviewStore, blank: Path, out: Path
) -> None:
    bad = {row: ["met", "brilliant", "met", "met"] for row in range(2, 17)}  # rows 2 to 16
    answer(blank, {**bad, 17: RATED})
    result = vcc("review", "import", blank, "--out", out)
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    problems = blank.with_name("review-form-problems.csv")
    assert len(lines) == 10
    assert lines[0] == "vcc: 15 problems in 15 rows, which were not imported:"
    assert lines[1] == (
        "vcc:   row 2 (case 1, Police), column 'Enhanced support: rating': 'brilliant' is not a "
        "rating of enhanced support"
    )
    assert lines[-1] == f"vcc:   … and 8 more problems: see {problems}"
    with problems.open(newline="", encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle))
    assert [row["row"] for row in listed] == [str(r) for r in range(2, 17)]
    assert listed[0] == {
        "row": "2", "case": "1", "agency": "Police", "column": "Enhanced support: rating",
        "problem": "'brilliant' is not a rating of enhanced support",
        "allowed": "met, partly met, not met or not evidenced; or 'not reviewed' for the whole row",
    }  # fmt: skip
    assert "1 row imported, 20 not reviewed, 15 with problems" in result.stdout


def test_help_names_the_exit_statuses() -> None:
    text = vcc("review", "import", "--help").output
    assert "3  some rows have problems and were not imported" in text
    assert "not reviewed" in text


# --- imports merge: a review once imported is neither lost nor counted twice ------------------


def _ratings(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Ratings of (victim, agency, rating) rows, each theme rated the same."""
    return pd.DataFrame(
        [(v, a, theme, rating, None, "R") for v, a, rating in rows for theme in ("t1", "t2")],
        columns=RATING_COLUMNS,
    )


def test_a_second_reviewers_copy_adds_its_rows_and_keeps_the_firsts() -> None:
    before = _ratings([("V1", "police", "met"), ("V1", "cps", "met"), ("V2", "police", "met")])
    # the CPS reviewer's copy: V1's CPS row rated again (changed), V2's CPS row new; the police
    # rows are blank in it
    form = _ratings([("V1", "cps", "not met"), ("V2", "cps", "met")])
    merged, counts = merge_ratings(before, form)
    assert counts == {"new": 1, "changed": 1, "unchanged": 0, "kept": 2}
    rows = merged.drop_duplicates(["victim_id", "agency"])
    assert sorted(zip(rows["victim_id"], rows["agency"], rows["rating"], strict=True)) == [
        ("V1", "cps", "not met"), ("V1", "police", "met"), ("V2", "cps", "met"),
        ("V2", "police", "met"),
    ]  # fmt: skip
    assert len(merged) == 4 * 2
    assert merge_ratings(merged, form)[1] == {"new": 0, "changed": 0, "unchanged": 2, "kept": 2}


# --- the report tells a partial import truly -----------------------------------------------------


def test_the_report_says_how_many_cases_were_reviewed_in_part(
    store: ReviewStore, blank: Path, out: Path
) -> None:
    # cases 1 to 10 in full (rows 2 to 21), cases 11 to 15 for the police only (rows 22, 24,
    # 26, 28 and 30), cases 16 to 18 not reviewed
    answer(blank, {row: RATED for row in [*range(2, 22), *range(22, 31, 2)]})
    result = vcc("review", "import", blank, "--out", out)
    assert result.exit_code == 0, result.output
    assert "25 rows imported, 11 not reviewed, 0 with problems" in result.stdout
    assert "15 of the sample's 18 cases have reviews" in result.stdout
    figures = qaf_figures(store, Quarter.parse("2024Q4"), 5)
    assert figures is not None
    assert (figures.cases_reviewed, figures.cases_partly_reviewed) == (15, 5)
    data = revised(a_quarter(), qaf=figures)  # disclosure threshold 5
    section = template("_qaf.html.j2").render(  # the report's section alone (cheaper)
        data=data, qaf=qaf_view(data), ns=Namespace(table=0), period="October to December 2024"
    )
    html = " ".join(section.split())
    assert (
        "15 of the 18 cases of sample 2024Q4-1 were reviewed, 5 of them for some of their "
        "agencies only (drawn on"
    ) in html
