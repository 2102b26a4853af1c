"""The report as a file: every table's semantics in the PDF's structure tree, and its font.

The hand-made quarter of tests/test_report.py is rendered with every optional part filled in
(slowest stages, case reviews, a revision, a victims' survey), so that every kind of table the
report can hold is in the PDF once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pikepdf
import pytest
from weasyprint import HTML

from tests.reports.pdf_fill import page_fill, part_starts
from tests.reports.pdf_structure import table_problems
from tests.reports.test_feedback_section import with_feedback
from tests.reports.test_report import THRESHOLD, a_quarter, hand_made_stages, revised
from vcc.flows.warehouse.versions import Revision
from vcc.reports.render import PAGE_STARTS, STATIC_DIR, render_report
from vcc.transforms.figures import QafFigures
from vcc.transforms.quarters import Quarter
from vcc.transforms.stages import published_stages

FONT_FILES = STATIC_DIR / "fonts"
# DejaVu Sans as the PDF names it: its four styles (WeasyPrint calls the oblique "Italic").
SHIPPED = {f"DejaVu-Sans{style}" for style in ("", "-Bold", "-Oblique", "-Italic", "-BoldOblique",
                                                "-BoldItalic")}  # fmt: skip


def case_reviews() -> QafFigures:
    """Case reviews of the quarter as the figures carry them, already suppressed."""
    return QafFigures(
        sample_id="2024Q3-1", drawn_on=date(2024, 10, 20), imported_on=date(2024, 11, 1),
        frame_size=72, sample_size=12, cases_reviewed=12, oversampling=2.0,
        estimates=pd.DataFrame(
            [("police", "care_and_respect", "12", "0", "0.6111", "0.3000", "0.8520"),
             ("cps", "communication_and_information", "[c]", "[c]", "[c]", "[c]", "[c]")],
            columns=["agency", "theme", "rated", "not_evidenced", "share", "ci_low", "ci_high"],
        ),
        disagreements=pd.DataFrame(
            [("police", "[c]", "6")],
            columns=["agency", "records_met_reviewers_not", "records_not_met_reviewers_met"],
        ),
    )  # fmt: skip


def a_full_quarter():
    revision = Revision(
        2, date(2024, 10, 16), ["late CPS data added"], ["R3-ACK rate 80.0% to 82.0%"]
    )
    stages = hand_made_stages()
    return revised(
        with_feedback(), stages=stages, published_stages=published_stages(stages, THRESHOLD),
        qaf=case_reviews(), revisions=[revision],
    )  # fmt: skip


@pytest.fixture(scope="module")
def full_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-file")
    render_report(a_full_quarter(), folder / "report.pdf")
    return folder / "report.pdf"


@pytest.mark.slow
def test_every_table_tags_its_cells_with_their_own_headers(full_pdf: Path) -> None:
    # PDF/UA (ISO 14289-1, 7.5): a screen reader reads each data cell with the header of its
    # column and of its row. Spanning headers and cells WeasyPrint has to wrap break that.
    tables, problems = table_problems(full_pdf)
    assert tables >= 20  # the summary, 4 agencies x 3, enhanced, needs, QAF, quality, method...
    assert not problems, "\n".join(problems[:20])


# Page fill (issue 28): sections share pages and a heading stays with what follows it, so no page
# is left nearly empty. A page may be less full only when it is the document's last or the page
# before a part that must start a page (PAGE_STARTS in reports/render.py: the summary, page 2,
# and the annex of published tables).
LEAST_FILL = 0.40


def test_the_parts_that_must_start_a_page_do(full_pdf: Path) -> None:
    starts = part_starts(full_pdf, PAGE_STARTS)
    assert set(starts) == set(PAGE_STARTS)
    assert all(first for _, first in starts.values()), starts
    assert starts["summary"][0] == 2  # after the cover, whatever else the report holds


def test_no_page_is_left_nearly_empty(full_pdf: Path) -> None:
    fills = page_fill(full_pdf)
    before_a_part = {page - 1 for page, _ in part_starts(full_pdf, PAGE_STARTS).values()}
    excused = before_a_part | {len(fills)}
    thin = [f"page {number} of {len(fills)}: {fill:.0%} used"
            for number, fill in enumerate(fills, 1)
            if fill < LEAST_FILL and number not in excused]  # fmt: skip
    assert not thin, f"pages under {LEAST_FILL:.0%} used: " + "; ".join(thin)


def test_the_fill_of_a_page_is_measured_from_what_it_draws(tmp_path: Path) -> None:
    # A4 with the report's 22 mm margins: 253 mm between them. A block 101.2 mm tall (40%) on
    # the first page; the second page holds one line of text at its top.
    html = """<html lang="en"><head><style>@page { size: A4; margin: 22mm 18mm; }
    body { margin: 0; } div { height: 101.2mm; background: #000; }
    p { break-before: page; margin: 0; font-size: 10pt; line-height: 1; }</style></head>
    <body><div></div><p id="part">One line</p></body></html>"""
    HTML(string=html).write_pdf(tmp_path / "fill.pdf")
    first, second = page_fill(tmp_path / "fill.pdf")
    assert first == pytest.approx(0.40, abs=0.005)
    assert second < 0.05  # a line's baseline, 10 pt below the margin: about 1.5%
    assert part_starts(tmp_path / "fill.pdf", ["part", "absent"]) == {"part": (2, True)}


def test_the_check_finds_spanning_headers_and_rows_within_rows(tmp_path: Path) -> None:
    html = """<html lang="en"><body><table><caption>Spans</caption>
      <thead><tr><th scope="col" rowspan="2">Measure</th>
                 <th scope="colgroup" colspan="2">Days</th><th scope="col" rowspan="2">N</th></tr>
             <tr><th scope="col">Median</th><th scope="col">90th</th></tr></thead>
      <tbody><tr><th scope="row" style="display: block">R3</th><td>1</td><td>2</td><td>3</td>
      </tr></tbody></table></body></html>"""
    HTML(string=html).write_pdf(tmp_path / "spans.pdf", pdf_variant="pdf/ua-1")
    tables, problems = table_problems(tmp_path / "spans.pdf")
    assert tables == 1
    assert problems == ["Spans: 2 header rows, not 1"]


def embedded_fonts(path: Path) -> set[str]:
    """The base names of the fonts the PDF embeds, without their subset prefix (ABCDEF+)."""
    names: set[str] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                names.add(str(font.BaseFont).lstrip("/").split("+")[-1])
            for xobject in (page.Resources.get("/XObject") or {}).values():
                resources = xobject.get("/Resources")
                fonts = resources.get("/Font") if resources is not None else None
                for font in (fonts or {}).values():
                    names.add(str(font.BaseFont).lstrip("/").split("+")[-1])
    return names


def test_the_pdf_embeds_only_the_shipped_font(full_pdf: Path) -> None:
    assert embedded_fonts(full_pdf) <= SHIPPED
    assert "DejaVu-Sans" in embedded_fonts(full_pdf)


def test_the_font_and_its_licence_are_in_the_repository() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONT_FILES / name).is_file(), name
    fonts = (STATIC_DIR / "fonts.css").read_text(encoding="utf-8")
    assert 'url("fonts/DejaVuSans.ttf")' in fonts
    for sheet in ("report.css", "pack.css"):
        css = (STATIC_DIR / sheet).read_text(encoding="utf-8")
        assert '"DejaVu Sans"' in css and "Arial" not in css and "Liberation" not in css


@pytest.mark.slow
def test_the_pdf_is_the_same_on_a_machine_without_fonts(tmp_path: Path) -> None:
    # Fontconfig told of no font folder at all: the report must still find its own font.
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    script = (
        "import sys; from pathlib import Path; from vcc.reports.render import render_report;"
        "from tests.reports.test_report_file import a_full_quarter;"
        "render_report(a_full_quarter(), Path(sys.argv[1]))"
    )
    pdf = tmp_path / "bare.pdf"
    environment = os.environ | {"FONTCONFIG_FILE": str(config)}
    subprocess.run([sys.executable, "-c", script, str(pdf)], check=True, env=environment)
    assert embedded_fonts(pdf) <= SHIPPED
    assert "DejaVu-Sans" in embedded_fonts(pdf)


# --- charts at print size, and wording ------------------------------------------------------


def font_sizes(svg: str) -> list[float]:
    return [float(size) for size in re.findall(r"font-size:\s*([0-9.]+)px", svg)]


def test_chart_text_is_at_least_8_points_at_print_size() -> None:
    # matplotlib writes the SVG in points (viewBox width = inches x 72), and the report prints
    # each chart at full text width, 6.85 in: one unit of the SVG is one printed point.
    from vcc.reports.charts import WIDTH_INCHES, stage_chart_svg, trend_chart_svg
    from vcc.transforms.stages import published_stages

    data = a_quarter()
    trend = trend_chart_svg(data.trend, [Quarter(2024, 2), Quarter(2024, 3)], 5, "Trend")
    stages = published_stages(hand_made_stages(), 5)
    stage = stage_chart_svg(stages[stages["agency"] == "police"], 5, "Stages", "s")
    for svg in (trend, stage):
        view_box = re.search(r'viewBox="0 0 ([0-9.]+) ', svg)
        assert view_box is not None
        width = float(view_box[1])
        assert width == pytest.approx(WIDTH_INCHES * 72)
        assert font_sizes(svg) and min(font_sizes(svg)) >= 8
    css = (STATIC_DIR / "report.css").read_text(encoding="utf-8")
    assert ".agency svg.chart { width: 100%;" in css
    assert ".agency .stages-figure svg.chart { width: 100%; }" in css


def test_trend_panels_are_titled_in_words_with_direct_labels_and_no_legend() -> None:
    from vcc.reports.charts import trend_chart_svg

    data = a_quarter()
    svg = trend_chart_svg(
        data.trend, [Quarter(2024, 2), Quarter(2024, 3)], 5, "Trend", show_agency=False
    )
    text = " ".join(re.findall(r">([^<>]+)</text>", svg)) or svg
    assert "Written acknowledgement" in svg and "R3-ACK" not in text
    assert "Target 90%" in svg  # the target line names itself
    assert "95% interval" not in svg and "legend" not in svg  # no legend box


def test_the_rate_axis_shows_change_with_the_target_in_view() -> None:
    import pandas as pd

    from vcc.reports.charts import MIN_SPAN, rate_axis_limits

    rows = pd.DataFrame(
        {"rate": [0.70, 0.72, 0.71], "ci_low": [0.68, 0.70, 0.69],
         "ci_high": [0.72, 0.74, 0.73], "target": [0.9, 0.9, 0.9]}
    )  # fmt: skip
    low, high = rate_axis_limits(rows)
    assert 0.5 < low < 0.68 and 0.9 < high <= 1.02  # not from 0: the change is visible
    flat = rows.assign(ci_low=0.899, ci_high=0.901, rate=0.9)
    low, high = rate_axis_limits(flat)
    assert high - low >= MIN_SPAN and low < 0.9 < high  # noise is not magnified


@pytest.mark.parametrize(
    ("title", "in_a_sentence"),
    [
        ("Victim Liaison Officer first contact", "Victim Liaison Officer first contact"),
        ("Victim needs assessment completed", "victim needs assessment completed"),
        ("CPS letter on a decision not to charge", "CPS letter on a decision not to charge"),
        (
            "Right to Review explained in the CPS letter",
            "Right to Review explained in the CPS letter",
        ),
        ("Victim Personal Statement offered", "Victim Personal Statement offered"),
    ],
)
def test_names_keep_their_capitals_inside_a_sentence(title: str, in_a_sentence: str) -> None:
    from vcc.reports.summary import in_sentence

    assert in_sentence(title) == in_a_sentence


def test_the_pack_prints_its_marking_once_at_the_top_of_its_first_page(tmp_path: Path) -> None:
    import datetime as dt

    import pandas as pd
    from pypdf import PdfReader

    from vcc.reports.pack import PackData, render_pack

    data = PackData(
        area="Cumbria", produced_by="OPFCC", marking="OFFICIAL-SENSITIVE", quarter=Quarter(2024, 4),
        sample_id="2024Q4-1", run_id="run-1", seed=42, as_of=dt.date(2025, 2, 14),
        drawn_at=dt.datetime(2025, 2, 20, 10, 0), frame_size=300,
        design=pd.DataFrame([{"stratum": "charged/standard", "label": "Charged, standard rights",
                              "frame": 25, "sample": 0, "weight": 12.5}]),
        cases=[],
    )  # fmt: skip
    render_pack(data, tmp_path / "pack.pdf")
    first = PdfReader(tmp_path / "pack.pdf").pages[0].extract_text()
    assert first.count("OFFICIAL-SENSITIVE") == 2  # the cover's at the top, the footer's below
