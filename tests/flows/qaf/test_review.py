"""The QAF's case reviews end to end: the warehouse tables (SQLite and PostgreSQL), the review form
(round trip, data validation, clear messages for bad forms), the case review pack, and ``vcc
sample`` / ``vcc review import`` on a real run, whose rerun then reports the reviews."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import create_engine, inspect, text

from tests.conftest import FLOW_AS_OF, FLOW_QUARTER, copy_demo_run
from vcc.flows.cli import main
from vcc.flows.config import load_config
from vcc.flows.errors import ConfigError
from vcc.flows.qaf.form import FormCase, FormError, FormProblems, write_form
from vcc.flows.qaf.reading import form_sample_id, read_form
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.flows.warehouse.store import Warehouse
from vcc.reports.pack import CaseEvent, PackCase, PackData, render_pack
from vcc.transforms.qaf import RATINGS, THEMES
from vcc.transforms.quarters import Quarter

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
QAF_TABLES = {"qaf_samples", "qaf_frame", "qaf_case_records", "qaf_imports", "qaf_ratings"}

# --- the warehouse tables -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL database for this module, dropped afterwards, so nothing is left in
    the server. Fails (never skips) when the server at 127.0.0.1:5432 is down."""
    name = f"vcc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "sqlite":
        return Warehouse(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    found = Warehouse(request.getfixturevalue("postgres_url"))
    with found.engine.begin() as connection:  # each test starts from empty QAF tables
        for table in ("qaf_ratings", "qaf_imports", "qaf_case_records", "qaf_frame", "qaf_samples"):
            connection.execute(text(f"DELETE FROM {table}"))
    return found


def a_sample(store: ReviewStore, quarter: str = "2024Q4", seed: int = 7):
    frame = pd.DataFrame(
        {
            "victim_id": ["V1", "V2", "V3"],
            "crime_ref": ["C1", "C2", "C3"],
            "route": ["charged", "vcs", "charged"],
            "enhanced": [False, True, False],
            "stratum": ["charged/standard", "vcs/enhanced", "charged/standard"],
            "selected": [True, True, False],
            "case_number": pd.array([1, 2, None], dtype="Int64"),
            "weight": [2.0, 1.0, None],
        }
    )
    records = pd.DataFrame(
        [
            ("V1", "police", 1, 3, 3, 0, 0, 0, 0),
            ("V1", "cps", 1, 0, 0, 0, 0, 0, 0),
            ("V2", "police", 2, 2, 1, 1, 0, 0, 0),
            ("V2", "probation", 2, 1, 0, 0, 1, 0, 0),
        ],
        columns=["victim_id", "agency", "case_number", "instances", "met", "late", "missing",
                 "not_met", "pending"],
    )  # fmt: skip
    return store.save_sample(
        {
            "quarter": quarter, "run_id": "run-1", "as_of": dt.date(2025, 2, 14), "seed": seed,
            "size_requested": 2, "size": 2, "frame_size": 3, "oversampling": 2.0,
            "design": {"strata": [{"stratum": "charged/standard", "frame": 2, "sample": 1}]},
            "config_sha256": "a" * 64, "drawn_at": dt.datetime(2025, 2, 20, 10, 30),
            "drawn_by": "analyst",
        },
        frame,
        records,
    )  # fmt: skip


def test_migration_0002_creates_the_qaf_tables(warehouse: Warehouse) -> None:
    assert set(inspect(warehouse.engine).get_table_names()) >= QAF_TABLES
    with warehouse.engine.connect() as connection:
        assert (
            str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())
            >= "0002"
        )


def test_a_sample_its_frame_and_records_round_trip(warehouse: Warehouse) -> None:
    store = ReviewStore(warehouse)
    sample = a_sample(store)
    assert (sample.sample_id, sample.number, sample.seed) == ("2024Q4-1", 1, 7)
    assert sample.design["strata"][0]["frame"] == 2
    assert a_sample(store, seed=8).sample_id == "2024Q4-2"  # numbered within the quarter
    found = store.find_sample("2024Q4", "run-1", 7, 2, 2.0)
    assert found is not None and found.sample_id == "2024Q4-1"
    assert store.find_sample("2024Q4", "run-1", 9, 2, 2.0) is None
    frame = store.frame("2024Q4-1")
    assert frame["victim_id"].tolist() == ["V1", "V2", "V3"]  # drawn cases first, in case order
    assert frame["weight"].tolist()[:2] == [2.0, 1.0] and pd.isna(frame["weight"].iloc[2])
    records = store.case_records("2024Q4-1")
    assert records[["victim_id", "agency", "late"]].values.tolist() == [
        ["V1", "police", 0], ["V1", "cps", 0], ["V2", "police", 1], ["V2", "probation", 0],
    ]  # fmt: skip


def test_the_latest_import_wins_and_earlier_ones_are_kept(warehouse: Warehouse) -> None:
    store = ReviewStore(warehouse)
    sample = a_sample(store)
    ratings = pd.DataFrame(
        [("V1", "police", theme, "met", None, "R. Viewer") for theme in THEMES],
        columns=["victim_id", "agency", "theme", "rating", "note", "reviewer"],
    )
    first = store.save_import(sample.sample_id, "a", "form.xlsx", "1" * 64, ratings)
    corrected = ratings.assign(rating="not met", note="letter never sent")
    second = store.save_import(sample.sample_id, "a", "form.xlsx", "2" * 64, corrected)
    reviewed = store.latest_reviewed_sample("2024Q4")
    assert reviewed is not None
    found, latest = reviewed
    assert found.sample_id == sample.sample_id and latest["import_id"] == second
    assert set(store.ratings(second)["rating"]) == {"not met"}
    assert set(store.ratings(first)["rating"]) == {"met"}  # history kept
    assert store.latest_reviewed_sample("2024Q3") is None


# --- the review form ----------------------------------------------------------------------------

EXPECTED = [
    FormCase(1, "V1", "C1", "police", "Charged", False),
    FormCase(1, "V1", "C1", "cps", "Charged", False),
    FormCase(2, "V2", "C2", "police", "Convicted, Victim Contact Scheme", True),
    FormCase(2, "V2", "C2", "probation", "Convicted, Victim Contact Scheme", True),
]


@pytest.fixture
def blank_form(tmp_path: Path) -> Path:
    path = tmp_path / "form.xlsx"
    about = [("Sample", "2024Q4-1"), ("Quarter", "2024Q4")]
    write_form(path, EXPECTED, about, "OFFICIAL-SENSITIVE")
    return path


def fill(path: Path, target: Path, change=None) -> Path:
    """Rate every row (theme k of row r: RATINGS[(r + k) % 4]) and save to ``target``;
    ``change(sheet)`` then spoils it as a test needs."""
    workbook = load_workbook(path)
    sheet = workbook["Reviews"]
    for r, row in enumerate(sheet.iter_rows(min_row=2, max_row=sheet.max_row)):
        row[6].value = "R. Viewer"
        for k in range(len(THEMES)):
            row[7 + 2 * k].value = RATINGS[(r + k) % 4]
            row[8 + 2 * k].value = f"note {r}.{k}"
    if change:
        change(sheet)
    workbook.save(target)
    return target


def test_form_has_a_row_per_case_and_agency_and_rating_lists(blank_form: Path) -> None:
    workbook = load_workbook(blank_form)
    sheet = workbook["Reviews"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (1, "V1", "Police"), (1, "V1", "CPS"), (2, "V2", "Police"), (2, "V2", "Probation"),
    ]  # fmt: skip
    [validation] = sheet.data_validations.dataValidation
    assert validation.formula1 == '"met,partly met,not met,not evidenced,not reviewed"'
    assert validation.showErrorMessage and validation.errorStyle == "stop"
    assert str(validation.sqref) == "H2:H5 J2:J5 L2:L5 N2:N5"  # the four rating columns
    assert sheet.oddHeader.center.text == "OFFICIAL-SENSITIVE"
    assert form_sample_id(blank_form) == "2024Q4-1"


def test_form_round_trips(blank_form: Path, tmp_path: Path) -> None:
    reading = read_form(fill(blank_form, tmp_path / "done.xlsx"), "2024Q4-1", EXPECTED)
    assert (reading.reviewed, reading.not_reviewed, reading.with_problems) == (4, 0, 0)
    ratings = reading.ratings
    assert len(ratings) == 4 * len(THEMES)
    first = ratings[(ratings["victim_id"] == "V2") & (ratings["agency"] == "probation")]
    # row index 3: theme k rated RATINGS[(3 + k) % 4]
    assert first["rating"].tolist() == ["not evidenced", "met", "partly met", "not met"]
    assert first["note"].tolist() == ["note 3.0", "note 3.1", "note 3.2", "note 3.3"]
    assert set(ratings["reviewer"]) == {"R. Viewer"}


def test_ratings_are_read_whatever_their_case_and_spacing(blank_form: Path, tmp_path: Path) -> None:
    def shout(sheet):
        sheet["H2"].value = "  Partly   MET "

    reading = read_form(fill(blank_form, tmp_path / "done.xlsx", shout), "2024Q4-1", EXPECTED)
    assert reading.ratings.iloc[0]["rating"] == "partly met"


def problems_of(path: Path) -> list[str]:
    """The problems of a form, each a line; the rows without one are imported."""
    reading = read_form(path, "2024Q4-1", EXPECTED)
    rows = reading.ratings[["victim_id", "agency"]].drop_duplicates()
    assert reading.reviewed == len(rows)
    return [problem.line() for problem in reading.problems]


def test_an_invalid_rating_is_named_with_its_row_and_theme(
    blank_form: Path, tmp_path: Path
) -> None:
    def spoil(sheet):
        sheet["J3"].value = "excellent"

    assert problems_of(fill(blank_form, tmp_path / "bad.xlsx", spoil)) == [
        "row 3 (case 1, CPS), column 'Enhanced support: rating': 'excellent' is not a rating of "
        "enhanced support (allowed: met, partly met, not met or not evidenced; or 'not reviewed' "
        "for the whole row)"
    ]


def test_a_missing_rating_is_named(blank_form: Path, tmp_path: Path) -> None:
    def spoil(sheet):
        sheet["N5"].value = None

    [problem] = problems_of(fill(blank_form, tmp_path / "bad.xlsx", spoil))
    assert problem.startswith(
        "row 5 (case 2, Probation), column 'Engagement and collaboration: rating': no rating, "
        "though the row has others"
    )


def test_an_unknown_case_is_named(blank_form: Path, tmp_path: Path) -> None:
    def spoil(sheet):
        sheet["B4"].value = "V99"

    assert problems_of(fill(blank_form, tmp_path / "bad.xlsx", spoil)) == [
        "row 4 (Police), column 'Victim ID': not a case of sample 2024Q4-1 (allowed: the Victim "
        "ID the form was made with)",
        "case 2, Police: its row is missing from the form",
    ]


def test_missing_and_repeated_rows_are_named(blank_form: Path, tmp_path: Path) -> None:
    def spoil(sheet):
        sheet.delete_rows(3)  # case 1, CPS; case 2's rows move up to rows 3 and 4
        for column in range(1, 16):  # and case 2, Probation is overwritten by case 2, Police
            sheet.cell(4, column).value = sheet.cell(3, column).value

    assert problems_of(fill(blank_form, tmp_path / "bad.xlsx", spoil)) == [
        "row 4 (case 2, Police): repeats row 3 (allowed: one row per case and agency)",
        "case 1, CPS: its row is missing from the form",
        "case 2, Probation: its row is missing from the form",
    ]


def test_an_agency_a_case_is_not_reviewed_against_is_named(
    blank_form: Path, tmp_path: Path
) -> None:
    def spoil(sheet):
        sheet["D3"].value = "Probation"

    problems = problems_of(fill(blank_form, tmp_path / "bad.xlsx", spoil))
    assert problems[0] == (
        "row 3 (case 1, Probation), column 'Agency': case 1 is not reviewed against "
        "'Probation' (allowed: Police, CPS)"
    )


def test_a_changed_header_is_named(blank_form: Path, tmp_path: Path) -> None:
    def spoil(sheet):
        sheet["H1"].value = "Care"

    with pytest.raises(FormProblems) as raised:  # no row of the form can be trusted
        read_form(fill(blank_form, tmp_path / "bad.xlsx", spoil), "2024Q4-1", EXPECTED)
    assert "nothing was imported" in str(raised.value)
    assert raised.value.problems == [
        "row 1: column H is headed 'Care', not 'Care and respect: rating'"
    ]


def test_a_file_that_is_not_a_workbook_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    path.write_text("case,rating\n1,met\n", encoding="utf-8")
    with pytest.raises(FormError, match="form.xlsx is not an Excel workbook"):
        form_sample_id(path)


# --- the case review pack -----------------------------------------------------------------------


def test_pack_shows_each_cases_timeline_marked_on_every_page(tmp_path: Path) -> None:
    timeline = pd.DataFrame(
        {
            "measure_id": ["R3-ACK", "R8-HEARING", "R6-VCL"],
            "agency": ["police", "wcu", "cps"],
            "trigger_date": pd.to_datetime(["2024-10-01", "2024-10-07", "2024-11-04"]),
            "due_date": pd.to_datetime(["2024-10-08", "2024-10-08", "2024-11-05"]),
            "action_date": pd.to_datetime(["2024-10-03", "2024-10-10", None]),
            "outcome": ["met", "late", "missing"],
        }
    )
    cases = [
        PackCase(
            number=n, victim_id=f"PACKV{n}", crime_ref=f"PACKC{n}", route="Charged",
            stratum="Charged, standard rights", weight=12.5, enhanced=n == 2,
            enhanced_reasons=["domestic abuse"] if n == 2 else [], police_flagged_enhanced=False,
            offence="assault with injury", district="Carlisle", reported=dt.date(2024, 9, 30),
            urns=[f"PACKU{n}"],
            events=[CaseEvent(dt.date(2024, 10, 7), "Court", "hearing H1 (case PACKU1)")],
            timeline=timeline, agencies=["police", "cps", "wcu"],
        )
        for n in (1, 2)
    ]  # fmt: skip
    data = PackData(
        area="Cumbria", produced_by="OPFCC", marking="OFFICIAL-SENSITIVE", quarter=Quarter(2024, 4),
        sample_id="2024Q4-1", run_id="run-1", seed=42, as_of=dt.date(2025, 2, 14),
        drawn_at=dt.datetime(2025, 2, 20, 10, 0), frame_size=300,
        design=pd.DataFrame([{"stratum": "charged/standard", "label": "Charged, standard rights",
                              "frame": 25, "sample": 2, "weight": 12.5}]),
        cases=cases,
    )  # fmt: skip
    render_pack(data, tmp_path / "pack.pdf")
    reader = PdfReader(tmp_path / "pack.pdf")
    for page in reader.pages:  # the header and the footer of every page
        assert page.extract_text().count("OFFICIAL-SENSITIVE") >= 2
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for n in (1, 2):
        section = text.split(f"Case {n}: victim PACKV{n}", 1)[1]
        for expected in (
            "R3-ACK",
            "Tue 1 Oct 2024",
            "Thu 3 Oct 2024",
            "met",
            "R8-HEARING",
            "Thu 10 Oct 2024",
            "late",
            "R6-VCL",
            "Tue 5 Nov 2024",
            "missing",
        ):
            assert expected in section  # fmt: skip
    assert "domestic abuse" in text and "Witness Care Unit" in text
    assert reader.metadata is not None and reader.metadata.title is not None
    assert reader.metadata.title.startswith("Quality Assessment Framework case review pack")


# --- vcc sample and vcc review import on a real run --------------------------------------------


@pytest.fixture(scope="module")
def run_out(
    demo_run: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of the demo run (``run_quarter(FLOW_QUARTER, FLOW_AS_OF, demo_config, out)``)."""
    out = tmp_path_factory.mktemp("qaf-run") / "out"
    copy_demo_run(demo_run, out)
    return out


def vcc(*args: object, env: dict | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def sampled(run_out: Path, demo_config: Path) -> tuple[str, Path, Path]:
    result = vcc("sample", "--quarter", FLOW_QUARTER, "--size", 12, "--seed", 2024,
                 "--config", demo_config, "--out", run_out)  # fmt: skip
    assert result.exit_code == 0, result.output
    pack_line = re.search(r"case review pack \(OFFICIAL-SENSITIVE\): (\S+)", result.output)
    form_line = re.search(r"review form: (\S+)", result.output)
    assert pack_line and form_line, result.output
    pack, form = Path(pack_line[1]), Path(form_line[1])
    return result.output, pack, form


def test_sample_refuses_a_quarter_not_yet_run(demo_config: Path, tmp_path: Path) -> None:
    result = vcc("sample", "--quarter", "2024Q3", "--config", demo_config, "--out", tmp_path)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"vcc: error: 2024Q3 has no published run in {tmp_path}: run `vcc run --quarter 2024Q3` "
        "first"
    )


def test_a_sample_larger_than_a_review_team_reads_is_refused(
    demo_config: Path, tmp_path: Path
) -> None:
    result = vcc("sample", "--quarter", "2024Q3", "--size", 201, "--out", tmp_path)
    assert result.exit_code == 2
    assert "Invalid value for '--size': 201 is not in the range 1<=x<=200." in result.output
    config = tmp_path / "vcc.toml"
    config.write_text("[qaf]\nsample_size = 500\n")
    with pytest.raises(
        ConfigError, match=r"qaf\.sample_size: Input should be less than or equal to 200"
    ):
        load_config(config)


@pytest.mark.flow
def test_sample_is_recorded_with_its_seed_run_and_frame(
    sampled: tuple[str, Path, Path], run_out: Path
) -> None:
    output, pack, form = sampled
    assert "sample 2024Q4-1: 12 of" in output and "seed 2024" in output
    # each long step is announced before it starts
    assert re.search(r"drawing 12 of [\d,]+ victims with seed 2024\n", output)
    assert "writing the case review pack of 12 cases" in output
    assert pack.parent == run_out / "qaf" / FLOW_QUARTER / "sample-1" and form.is_file()
    store = ReviewStore(Warehouse(f"sqlite:///{run_out / 'vcc-warehouse.sqlite'}"))
    sample = store.sample("2024Q4-1")
    assert sample is not None
    manifest = (run_out / FLOW_QUARTER / "manifest.json").read_text()
    assert sample.run_id in manifest and sample.seed == 2024
    frame = store.frame("2024Q4-1")
    assert len(frame) == sample.frame_size and frame["selected"].sum() == 12
    # the allocation recorded is the one drawn
    drawn = frame[frame["selected"].astype(bool)]["stratum"].value_counts().to_dict()
    designed = {s["stratum"]: s["sample"] for s in sample.design["strata"] if s["sample"]}
    assert drawn == designed


@pytest.mark.flow
def test_same_quarter_data_and_seed_give_the_same_sample(
    sampled: tuple[str, Path, Path], run_out: Path, demo_config: Path, tmp_path: Path
) -> None:
    from vcc.flows.qaf.sample import QafError, draw_quarter_sample
    from vcc.transforms.quarters import Quarter

    again = vcc("sample", "--quarter", FLOW_QUARTER, "--size", 12, "--seed", 2024,
                "--config", demo_config, "--out", run_out)  # fmt: skip
    assert "sample 2024Q4-1 (drawn before with the same run, seed and size)" in again.output
    cases = ReviewStore(Warehouse(f"sqlite:///{run_out / 'vcc-warehouse.sqlite'}")).frame(
        "2024Q4-1"
    )
    config, quarter = load_config(demo_config), Quarter.parse(FLOW_QUARTER)
    # another warehouse would number its sample 1 too: its files never overwrite the first's
    elsewhere = Warehouse(f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    with pytest.raises(QafError, match="already holds the files of another sample 2024Q4-1"):
        draw_quarter_sample(config, run_out, quarter, 12, 2024, elsewhere)
    # the same run's files in another output folder, drawn afresh: the same cases, in order
    copy = tmp_path / "copy"
    shutil.copytree(run_out / FLOW_QUARTER, copy / FLOW_QUARTER)
    redrawn = draw_quarter_sample(config, copy, quarter, 12, 2024, elsewhere)
    assert not redrawn.reused
    assert ReviewStore(elsewhere).frame(redrawn.sample.sample_id).equals(cases)


@pytest.mark.flow
def test_an_interrupted_draw_leaves_neither_a_sample_nor_files(
    run_out: Path, demo_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vcc.flows.qaf.pack
    from vcc.flows.checksums import sha256
    from vcc.flows.qaf.sample import draw_quarter_sample
    from vcc.transforms.quarters import Quarter

    config, quarter = load_config(demo_config), Quarter.parse(FLOW_QUARTER)
    copy = tmp_path / "copy"
    shutil.copytree(run_out / FLOW_QUARTER, copy / FLOW_QUARTER)
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")

    def stopped(*args, **kwargs):  # the user presses Ctrl-C once the pack is written
        raise KeyboardInterrupt

    monkeypatch.setattr(vcc.flows.qaf.pack, "write_review_form", stopped)
    with pytest.raises(KeyboardInterrupt):
        draw_quarter_sample(config, copy, quarter, 3, 99, warehouse)
    assert ReviewStore(warehouse).samples(FLOW_QUARTER) == []
    assert list((copy / "qaf" / FLOW_QUARTER).iterdir()) == []
    monkeypatch.undo()
    drawn = draw_quarter_sample(config, copy, quarter, 3, 99, warehouse)
    assert drawn.sample.sample_id == f"{FLOW_QUARTER}-1" and not drawn.reused
    assert drawn.pack.parent == copy / "qaf" / FLOW_QUARTER / "sample-1"
    assert sorted(p.name for p in drawn.pack.parent.iterdir()) == [drawn.pack.name, drawn.form.name]
    assert drawn.sample.pack_sha256 == sha256(drawn.pack)
    assert drawn.sample.form_sha256 == sha256(drawn.form)
    # a pack lost since is written again by the same draw; the form is left as it is
    form_written = drawn.form.stat().st_mtime_ns
    drawn.pack.unlink()
    again = draw_quarter_sample(config, copy, quarter, 3, 99, warehouse)
    assert again.reused and again.sample.sample_id == drawn.sample.sample_id
    assert again.pack.is_file() and again.form.stat().st_mtime_ns == form_written


@pytest.mark.flow
def test_pack_holds_every_sampled_cases_timeline(
    sampled: tuple[str, Path, Path], run_out: Path
) -> None:
    _, pack, _ = sampled
    store = ReviewStore(Warehouse(f"sqlite:///{run_out / 'vcc-warehouse.sqlite'}"))
    frame = store.frame("2024Q4-1")
    cases = frame[frame["selected"].astype(bool)]
    instances = pd.read_parquet(run_out / FLOW_QUARTER / "instances.parquet")
    reader = PdfReader(pack)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    headings = [f"Case {int(c.case_number)}: victim {c.victim_id}" for c in cases.itertuples()]
    for number, heading in enumerate(headings):
        start = text.index(heading)
        end = text.index(headings[number + 1]) if number + 1 < len(headings) else len(text)
        section = text[start:end]
        mine = instances[instances["victim_id"] == heading.rsplit(" ", 1)[1]]
        assert len(mine), heading
        for row in mine.itertuples():
            day = pd.Timestamp(row.trigger_date)
            assert row.measure_id in section
            assert f"{day:%a} {day.day} {day:%b %Y}" in section
    for page in reader.pages:
        assert page.extract_text().count("OFFICIAL-SENSITIVE") >= 2


@pytest.mark.flow
def test_import_then_rerun_reports_the_reviews_and_no_case(
    sampled: tuple[str, Path, Path], run_out: Path, demo_config: Path, tmp_path: Path
) -> None:
    from vcc.flows.run.flow import run_quarter

    _, pack, form = sampled
    bad = fill(form, tmp_path / "bad.xlsx", lambda sheet: sheet.__setitem__("H2", "brilliant"))
    partly = vcc("review", "import", bad, "--config", demo_config, "--out", run_out)
    assert partly.exit_code == 3  # the other rows imported; row 2 not
    assert (
        "row 2 (case 1, Police), column 'Care and respect: rating': 'brilliant' is not a rating "
        "of care and respect"
    ) in partly.stderr
    rows = len(load_workbook(form)["Reviews"]["A"]) - 1
    assert f"{rows - 1} rows imported, 0 not reviewed, 1 with problems" in partly.stdout
    assert "stored as import 1:" in partly.stdout
    done = fill(form, tmp_path / "done.xlsx")
    imported = vcc("review", "import", done, "--config", demo_config, "--out", run_out)
    assert imported.exit_code == 0, imported.output
    assert f"1 row imported, {rows - 1} unchanged since import 1" in imported.stdout
    assert "stored as import 2, replacing import 1: 12 of the sample's 12 cases" in imported.stdout
    again = vcc("review", "import", done, "--config", demo_config, "--out", run_out)
    assert "nothing new to store; import 2 stands" in again.stdout

    manifest = run_quarter(Quarter.parse(FLOW_QUARTER), FLOW_AS_OF, demo_config, run_out)
    report = Path(manifest["outputs"]["report"])
    pdf = " ".join(" ".join(p.extract_text() for p in PdfReader(report).pages).split())
    html = report.with_suffix(".html").read_text(encoding="utf-8")
    assert "Quality Assessment Framework: case reviews" in pdf
    assert "12 of the 12 cases of sample 2024Q4-1 were reviewed" in pdf
    store = ReviewStore(Warehouse(f"sqlite:///{run_out / 'vcc-warehouse.sqlite'}"))
    frame = store.frame("2024Q4-1")
    for document in (pdf, html):
        for case in frame[frame["selected"].astype(bool)].itertuples():
            assert case.victim_id not in document and case.crime_ref not in document
        assert str(pack) not in document and "qaf/" not in document and "note 0.0" not in document
    assert pack.is_file() and form.is_file()  # the rerun replaced <out>/<Q>/, not the sample
