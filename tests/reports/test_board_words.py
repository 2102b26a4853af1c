"""Words for the board (issue 28): no page for the board names a measure code, source table or
column; codes stay in the annex (beside each table's title) and in the analysts' files. Every
section but the annex is read: its prose, tables, captions, chart texts and alternate texts. The
quarter is the hand-made one with every optional part filled in (a revision, slowest stages,
case reviews, a victims' survey)."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from tests.reports.test_judgements import spc_rows
from tests.reports.test_report_file import a_full_quarter
from vcc.reports import render
from vcc.reports.names import codes_in_words
from vcc.reports.quality import check_words

CODE = re.compile(r"\b(?:R\d{1,2}|ENH)-[A-Z][A-Z-]*\b")
TABLE = re.compile(r"\b(?:police|cps|probation|feedback)\.[a-z_]+")
COLUMN = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
# The analysts' part, where each table's title carries the measure's code.
ANALYSTS = {"annex"}
ALTERNATE = ("aria-label", "alt")  # what a screen reader says for a chart


class Words(HTMLParser):
    """Each run of text the report shows or reads aloud, with the section it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.section: list[str] = []
        self.found: list[tuple[str, str]] = []
        self.style = False

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section.append((dict(attrs).get("class") or "").split(" ")[0])
        self.style = tag == "style"  # a chart's own stylesheet is not read
        where = self.section[-1] if self.section else ""
        self.found += [(where, value or "") for name, value in attrs if name in ALTERNATE]

    def handle_endtag(self, tag):
        if tag == "section" and self.section:
            self.section.pop()
        self.style = False

    def handle_data(self, data):
        if self.section and not self.style and data.strip():
            self.found.append((self.section[-1], " ".join(data.split())))


@pytest.fixture(scope="module")
def words() -> list[tuple[str, str]]:
    full = a_full_quarter()
    # and the police's month-by-month process-control charts, with a signal of concern
    spc = spc_rows("R3-ACK", "police", [90, 92] * 8 + [80] * 8, [100] * 24)
    data = replace(full, figures=replace(full.figures, spc=spc))
    html = render.template("report.html.j2").render(**render.report_context(data))
    parser = Words()
    parser.feed(html)
    return [(section, text) for section, text in parser.found if section not in ANALYSTS]


def test_every_section_for_the_board_was_read(words) -> None:
    sections = {section for section, _ in words}
    assert {"cover", "summary", "revisions", "rights", "agency", "enhanced", "needs", "qaf",
            "feedback", "data-quality", "glossary", "methodology"} <= sections  # fmt: skip
    assert any("Written acknowledgements ▼" in text for _, text in words)  # a chart's panel


def test_the_board_pages_name_no_measure_code(words) -> None:
    assert [(section, text) for section, text in words if CODE.search(text)] == []


def test_the_board_pages_name_no_table_or_column(words) -> None:
    found = [(s, text) for s, text in words if TABLE.search(text) or COLUMN.search(text)]
    assert found == []


def test_the_annex_keeps_each_measure_code_beside_its_title() -> None:
    html = render.template("report.html.j2").render(**render.report_context(a_full_quarter()))
    annex = html.split('id="annex"', 1)[1]
    assert "R3-ACK Written acknowledgement of the crime (Police)" in annex


def test_a_revision_names_a_changed_figure_by_its_title() -> None:
    assert codes_in_words("R12-ACK (police): rate 80.0% to 82.0%") == (
        "Complaint acknowledged (police): rate 80.0% to 82.0%"
    )
    assert codes_in_words("R99-NEW (cps)") == "R99-NEW (cps)"  # not in the catalogue: as it is
    assert codes_in_words("the letter matched under R6-VCL", quoted=True) == (
        "the letter matched under “CPS letter on a decision not to charge, to stop or to alter a "
        "charge”"
    )


def test_a_failed_check_is_said_in_words():
    assert check_words("recorded_at before reported_at") == "recorded date before reported date"
    assert check_words("linkage: victim_id not a police victim") == (
        "not linked: victim not a police victim"
    )
    assert check_words("cps.vcl_letters (urn to cps.cases)") == (
        "CPS VCL letters (case reference to CPS cases)"
    )
