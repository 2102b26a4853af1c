"""Bad inputs, made by hand and by the synthetic generator's defect injector: each is quarantined
row by row with its reason, or stops the run with one line naming the source, table and file.
No input may end in a traceback: every failure is a ``VccError``.

Hand-made files are small police or probation folders; tables a test does not mention are header
only (legal: a quiet quarter). Decisions these tests pin down:

- a CSV file cut short part-way through its last row (no line break after it) is refused: the rows
  after the cut are lost, so figures from it would be wrong; so is one cut inside a quoted value;
- a file read with the wrong delimiter is refused, with a hint to check the delimiter;
- a header-only file is a table with no rows; a workbook without sheets, or whose sheet is empty
  (not even a header row), is refused;
- dates in two layouts in one column: see ``flows/sources/coerce.py`` (the configured format, then
  ISO 8601; nothing else, and never a guess between day-first and month-first);
- a key used twice keeps its first row; an exact copy of a row (tables without a key) likewise.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import hypothesis.strategies as st
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from tests.conftest import examples
from vcc.flows.config import SourceConfig, TableSource, load_config
from vcc.flows.errors import VccError
from vcc.flows.sources.coerce import coerce_source
from vcc.flows.sources.extract import extract_source
from vcc.flows.synthetic import defects, generate_sources, write_demo_sources
from vcc.transforms.quarters import Quarter
from vcc.transforms.schema import CANONICAL, LINKS

EXTRACTED_AT = dt.datetime(2025, 1, 1, 12, 0)
CRIMES_HEADER = (
    "crime_ref,reported_at,recorded_at,offence_category,is_domestic_abuse,is_hate_crime,district"
)
CRIMES = [
    "CR1,2024-03-01T09:00:00,2024-03-01T10:00:00,theft,false,false,Eden",
    "CR2,2024-03-02T09:00:00,2024-03-02T10:00:00,robbery,true,false,Carlisle",
    "CR3,2024-03-03T09:00:00,2024-03-03T10:00:00,fraud,false,true,Copeland",
]
VICTIMS = [
    "victim_id,crime_ref,victim_type,age_at_offence,sex,ethnicity,has_disability,is_vulnerable,"
    "is_intimidated,is_persistently_targeted,is_bereaved_family,enhanced_flag,updates_opt_out,"
    "referral_consent",
    "V1,CR1,person,34,female,white,false,false,false,false,false,false,false,given",
]


def police_folder(tmp_path: Path, **files: str | bytes) -> Path:
    """A police folder: the given files (name without .csv -> content), the other tables header
    only."""
    folder = tmp_path / "police"
    folder.mkdir()
    for name, table in CANONICAL["police"].items():
        if name != "complaints" and name not in files:
            (folder / f"{name}.csv").write_text(",".join(table.column_names) + "\n")
    for name, content in files.items():
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def lines(*rows: str) -> str:
    return "\n".join(rows) + "\n"


def police(folder: Path, **settings) -> SourceConfig:
    return SourceConfig(kind="files", path=folder, **settings)


def validated(source: SourceConfig, name: str = "police"):
    """extract -> coerce -> validate, as the flow runs them."""
    from vcc.flows.sources.validate import validate_sources

    typed, problems = {}, {}
    for table, (frame, found) in coerce_source(extract_source(name, source), source, name).items():
        typed[(name, table)], problems[(name, table)] = frame, found
    outcome = validate_sources(
        typed, problems, extracted_at=EXTRACTED_AT, districts=load_config().districts
    )
    return typed, outcome


def one_line_error(source: SourceConfig, name: str = "police") -> str:
    with pytest.raises(VccError) as raised:
        validated(source, name)
    message = str(raised.value)
    assert "\n" not in message
    return message


# --- hand-made bad files ----------------------------------------------------------------------


def test_a_csv_cut_short_part_way_through_a_row_is_refused(tmp_path: Path) -> None:
    cut = CRIMES[2][:30]  # "CR3,2024-03-03T09:00:00,2024-0"
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES[:2]) + cut)

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table crimes: {folder / 'crimes.csv'} ends part-way through a row "
        "(its last line has 3 of 7 fields and no line break): the file looks cut short"
    )


def test_a_csv_cut_short_inside_a_quoted_value_is_refused(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES[:2]) + 'CR3,"2024-03')

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table crimes: {folder / 'crimes.csv'} is not valid CSV: EOF inside "
        "string starting at row 3 (a quoted value is never closed: the file looks cut short)"
    )


def test_a_complete_last_row_without_a_line_break_is_read(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES).rstrip("\n"))

    typed, outcome = validated(police(folder))

    assert outcome.accepted[("police", "crimes")]["crime_ref"].tolist() == ["CR1", "CR2", "CR3"]


def test_a_semicolon_file_read_with_commas_names_the_delimiter(tmp_path: Path) -> None:
    semicolons = lines(*(row.replace(",", ";") for row in [CRIMES_HEADER, *CRIMES]))
    folder = police_folder(tmp_path, crimes=semicolons)

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table crimes: {folder / 'crimes.csv'} lacks column crime_ref, "
        "reported_at, recorded_at, offence_category, is_domestic_abuse, is_hate_crime, district "
        "(only one column was read: check the delimiter)"
    )
    # Configured, the same file reads.
    _, outcome = validated(police(folder, tables={"crimes": TableSource(delimiter=";")}))
    assert len(outcome.accepted[("police", "crimes")]) == 3


def test_a_row_with_more_fields_than_the_header_is_named(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, CRIMES[0], CRIMES[1] + ",x"))

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table crimes: {folder / 'crimes.csv'} is not valid CSV: "
        "Expected 7 fields in line 3, saw 8"
    )


def test_header_only_files_are_tables_with_no_rows(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))

    typed, outcome = validated(police(folder))

    assert len(typed[("police", "victims")]) == 0
    assert all(reasons.empty for reasons in outcome.rejected.values())
    quality = outcome.quality.set_index(["table", "check"])
    assert quality.loc[("victims", "rows"), "detail"] == "0 read, 0 accepted, 0 quarantined"
    assert quality.loc[("crimes", "rows"), "detail"] == "3 read, 3 accepted, 0 quarantined"


def test_dates_in_two_layouts_read_the_configured_one_and_iso(tmp_path: Path) -> None:
    rows = [
        "CR1,05/10/2024 09:30,05/10/2024 10:00,theft,false,false,Eden",  # the configured layout
        "CR2,2024-10-05T09:30:00,2024-10-05 10:00,theft,false,false,Eden",  # ISO 8601
        "CR3,05/10/2024,05/10/2024 10:00,theft,false,false,Eden",  # the layout without its time
        "CR4,10/31/2024 09:30,2024-10-31T10:00:00,theft,false,false,Eden",  # month first
        "CR5,10/05/2024 09:30,10/05/2024 10:00,theft,false,false,Eden",  # 10 May, day first
    ]
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *rows))

    typed, outcome = validated(police(folder, date_format="%d/%m/%Y %H:%M"))

    reported = typed[("police", "crimes")]["reported_at"]
    assert reported[[0, 1, 4]].tolist() == [
        pd.Timestamp("2024-10-05 09:30"),
        pd.Timestamp("2024-10-05 09:30"),
        pd.Timestamp("2024-05-10 09:30"),
    ]
    assert outcome.rejected[("police", "crimes")].to_dict() == {
        2: "partial reported_at: no time of day, which its date_format '%d/%m/%Y %H:%M' gives",
        3: "unparseable reported_at: it reads only with day and month exchanged",
    }


def test_without_a_date_format_only_iso_dates_read(tmp_path: Path) -> None:
    rows = [CRIMES[0], "CR2,02/03/2024 09:00,2024-03-02T10:00:00,robbery,true,false,Carlisle"]
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *rows))

    _, outcome = validated(police(folder))

    assert outcome.rejected[("police", "crimes")].to_dict() == {
        1: "unparseable reported_at: not a date"
    }


def test_a_key_used_twice_keeps_its_first_row(tmp_path: Path) -> None:
    again = CRIMES[0].replace("Eden", "Carlisle")
    folder = police_folder(
        tmp_path,
        crimes=lines(CRIMES_HEADER, CRIMES[0], CRIMES[1], again, CRIMES[0]),
        victims=lines(*VICTIMS),
    )

    _, outcome = validated(police(folder))

    assert outcome.rejected[("police", "crimes")].to_dict() == {
        2: "duplicate crime_ref",
        3: "duplicate crime_ref",
    }
    assert outcome.accepted[("police", "crimes")]["district"].tolist() == ["Eden", "Carlisle"]
    assert outcome.rejected[("police", "victims")].empty  # its crime CR1 is still there


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)


def without_sheets(path: Path) -> None:
    """A workbook whose sheet list is empty (openpyxl will not write one)."""
    write_workbook(path, {"Sheet": []})
    original = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data)
            target.writestr(item, data)


def test_an_empty_workbook_is_refused(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))
    (folder / "victims.csv").unlink()
    write_workbook(folder / "victims.xlsx", {"Victims": []})

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table victims: {folder / 'victims.xlsx'} sheet 'Victims' is empty "
        "(not even a header row)"
    )


def test_a_workbook_without_sheets_is_refused(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))
    (folder / "victims.csv").unlink()
    without_sheets(folder / "victims.xlsx")

    message = one_line_error(police(folder))

    assert message == f"source police, table victims: {folder / 'victims.xlsx'} has no sheets"


def test_a_workbook_with_a_header_only_is_a_table_with_no_rows(tmp_path: Path) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))
    (folder / "victims.csv").unlink()
    write_workbook(folder / "victims.xlsx", {"Victims": [VICTIMS[0].split(",")]})

    typed, outcome = validated(police(folder))

    assert len(typed[("police", "victims")]) == 0
    assert all(reasons.empty for reasons in outcome.rejected.values())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("victims.xlsx", "is not an xlsx workbook"),
        ("victims.parquet", "is not a parquet file"),
    ],
)
def test_a_truncated_workbook_or_parquet_file_is_refused(tmp_path: Path, name, expected) -> None:
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, *CRIMES))
    (folder / "victims.csv").unlink()
    path = folder / name
    frame = pd.DataFrame([VICTIMS[1].split(",")], columns=VICTIMS[0].split(","))
    if name.endswith(".xlsx"):
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    message = one_line_error(police(folder))

    assert message.startswith(f"source police, table victims: {path} {expected}")


# --- every defect the synthetic generator injects ---------------------------------------------

UNTIL = dt.date(2024, 12, 31)
# Reasons a row gets for each defect (flows/synthetic/defects.py), as validation words them.
CODE_REASONS = {
    column: (
        f"{column} not a configured district"
        if column == "district"
        else f"{column} not an allowed value"
    )
    for (_, _, column) in defects.UNKNOWN_CODES
}
PARENT_NAMES = {"crimes": "a police crime", "victims": "a police victim", "cases": "a CPS case"}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory):
    """Two quarters of synthetic sources with defects at 2% (not 0.3%, so that every kind occurs
    in every table it can), written as each agency delivers them, then read back by the demo
    configuration: typed tables and the validation outcome."""
    from vcc.flows.sources.validate import validate_sources

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(defects, "RATE", 0.02)
        sources = generate_sources(
            Quarter(2024, 1), Quarter(2024, 2), scale=0.05, seed=11, until=UNTIL
        )
    out = tmp_path_factory.mktemp("damaged")
    config = load_config()
    write_demo_sources(sources, out, config)
    delivered = {
        "police": SourceConfig(kind="sql", url=f"sqlite:///{out / 'police.sqlite'}"),
        "cps": config.sources["cps"].model_copy(update={"path": out / "cps"}),
        "probation": config.sources["probation"].model_copy(update={"path": out / "probation"}),
    }
    typed, problems = {}, {}
    for name, source in delivered.items():
        for table, (frame, found) in coerce_source(
            extract_source(name, source), source, name
        ).items():
            typed[(name, table)], problems[(name, table)] = frame, found
            assert found.empty, (name, table)  # every defect is in the values, none unreadable
    extracted_at = dt.datetime.combine(UNTIL, dt.time(23, 59))
    outcome = validate_sources(
        typed, problems, extracted_at=extracted_at, districts=config.districts
    )
    return typed, outcome


def expected_reasons(typed: dict) -> dict[tuple[str, str], dict[int, set[str]]]:
    """Each row's reasons, worked out from the defects' own definitions with plain pandas."""
    found: dict[tuple[str, str], dict[int, set[str]]] = {key: {} for key in typed}

    def mark(key, rows, reason):
        for row in rows:
            found[key].setdefault(row, set()).add(reason)

    for (source, table, column), code in defects.UNKNOWN_CODES.items():
        frame = typed[(source, table)]
        mark((source, table), frame.index[frame[column] == code], CODE_REASONS[column])
    victims = typed[("police", "victims")]
    mark(
        ("police", "victims"),
        victims.index[victims["age_at_offence"] == defects.IMPOSSIBLE_AGE],
        "age_at_offence outside 0..120",
    )
    for (source, table), frame in typed.items():
        spec = CANONICAL[source][table]
        for earlier, later in spec.date_order:
            mark(
                (source, table),
                frame.index[frame[later] < frame[earlier]],
                f"{later} before {earlier}",
            )
        if spec.key:
            copies = frame.index[frame[spec.key].duplicated(keep="first")]
            mark((source, table), copies, f"duplicate {spec.key}")
        else:
            mark((source, table), frame.index[frame.duplicated(keep="first")], "duplicate row")
    # Linkage, parents first: a value not among the parent's rows that have no reason.
    for (source, table, column), (parent_source, parent_table, parent_column) in LINKS:
        if (source, table) not in typed:
            continue  # a source the corpus does not hold (the optional survey)
        parent = typed[(parent_source, parent_table)]
        accepted = parent.drop(index=list(found[(parent_source, parent_table)]))
        frame = typed[(source, table)]
        unlinked = frame.index[~frame[column].isin(accepted[parent_column])]
        mark((source, table), unlinked, f"linkage: {column} not {PARENT_NAMES[parent_table]}")
    return found


def test_every_injected_defect_is_quarantined_with_its_reason(damaged) -> None:
    typed, outcome = damaged

    expected = expected_reasons(typed)

    for key, reasons in outcome.rejected.items():
        got = {row: set(text.split("; ")) for row, text in reasons.items()}
        assert got == expected[key], key
    # Every kind of defect occurred, so the comparison above had each to check.
    occurred = {reason for rows in expected.values() for found in rows.values() for reason in found}
    kinds = {
        *CODE_REASONS.values(),
        "age_at_offence outside 0..120",
        "duplicate row",
        "duplicate crime_ref",
        "duplicate victim_id",
        "duplicate urn",
        "duplicate hearing_id",
        "duplicate referral_id",
        "duplicate complaint_id",
        "recorded_at before reported_at",
        "victim_notified_at before received_at",
        "first_contact_at before referred_at",
        "acknowledged_at before received_at",
        "linkage: crime_ref not a police crime",
        "linkage: victim_id not a police victim",
        "linkage: urn not a CPS case",
    }
    assert kinds <= occurred, kinds - occurred


def test_no_accepted_row_carries_an_injected_defect(damaged) -> None:
    typed, outcome = damaged
    accepted = outcome.accepted
    for (source, table, column), code in defects.UNKNOWN_CODES.items():
        assert not (accepted[(source, table)][column] == code).any()
    assert accepted[("police", "victims")]["age_at_offence"].max() <= 120
    for (source, table), frame in accepted.items():
        spec = CANONICAL[source][table]
        assert not frame.duplicated().any(), (source, table)
        if spec.key:
            assert frame[spec.key].is_unique, (source, table)
    # rows read = rows accepted + rows quarantined, table by table
    counts = outcome.table_counts().set_index(["source", "table"])
    for key, frame in typed.items():
        read, kept, held = counts.loc[key, ["rows_read", "rows_accepted", "rows_quarantined"]]
        assert (read, kept + held) == (len(frame), len(frame)), key


# --- no input ends in a traceback -------------------------------------------------------------

FUZZ = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
FIELD = st.text(alphabet=st.sampled_from(list('ab1-:T/,;"\r\n \t.é')), max_size=12)


@FUZZ
@given(body=st.lists(st.lists(FIELD, max_size=9), max_size=5), cut=st.integers(0, 200))
def test_any_csv_text_reads_or_is_refused_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, body, cut
) -> None:
    text = lines(CRIMES_HEADER, *(",".join(row) for row in body))[: len(CRIMES_HEADER) + 1 + cut]
    folder = police_folder(tmp_path_factory.mktemp("fuzz"), crimes=text)
    source = police(folder)
    try:
        coerce_source(extract_source("police", source), source, "police")
    except VccError as error:
        assert "\n" not in str(error)


@FUZZ
@given(data=st.binary(max_size=300), kind=st.sampled_from(["csv", "xlsx", "parquet"]))
def test_any_bytes_read_or_are_refused_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, data, kind
) -> None:
    folder = police_folder(tmp_path_factory.mktemp("fuzz"), crimes=lines(CRIMES_HEADER))
    (folder / "victims.csv").unlink()
    (folder / f"victims.{kind}").write_bytes(data)
    source = police(folder)
    try:
        coerce_source(extract_source("police", source), source, "police")
    except VccError as error:
        assert "\n" not in str(error)


# --- misaligned rows: never read with shifted columns -----------------------------------------


def test_an_extra_field_on_the_first_data_row_refuses_the_file_naming_the_line(
    tmp_path: Path,
) -> None:
    # pandas would take the first column as an index and shift every column of the file.
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, CRIMES[0] + ",x", *CRIMES[1:]))

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table crimes: {folder / 'crimes.csv'} line 2 has 8 fields where the "
        "header has 7: refused rather than read with shifted columns"
    )


def test_a_missing_field_on_a_middle_row_refuses_the_file_naming_the_line(tmp_path: Path) -> None:
    short = CRIMES[1].rsplit(",", 1)[0]  # pandas would read it with district empty
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, CRIMES[0], short, CRIMES[2]))

    message = one_line_error(police(folder))

    assert message == (
        f"source police, table crimes: {folder / 'crimes.csv'} line 3 has 6 fields where the "
        "header has 7: refused rather than read with shifted columns"
    )


def test_a_quoted_value_holding_the_delimiter_and_a_line_break_is_one_field(tmp_path: Path) -> None:
    quoted = CRIMES[0].replace(",Eden", ',"Eden, north\nside"')
    folder = police_folder(tmp_path, crimes=lines(CRIMES_HEADER, quoted, *CRIMES[1:]))

    typed, _ = validated(police(folder))

    assert typed[("police", "crimes")]["district"].tolist() == [
        "Eden, north\nside",
        "Carlisle",
        "Copeland",
    ]
