"""The quarterly report: what it must print, what it must hide, and how it must be built.

One small hand-made quarter (2024Q3, disclosure threshold 5) is rendered once; the tests read
the PDF with pypdf and the HTML version as text.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields, replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from pypdf import PdfReader

from vcc.reports import render
from vcc.reports.agencies import AGENCY_HEADINGS, stage_finding
from vcc.reports.charts import trend_chart_svg
from vcc.reports.findings import headline_findings
from vcc.reports.model import (
    METRIC_COLUMNS,
    ReportData,
    financial_year_label,
    quarter_period,
)
from vcc.reports.pdf import STATIC_DIR, StaticOnlyFetcher
from vcc.reports.render import render_report
from vcc.reports.summary import headline, summary_rows
from vcc.transforms.catalogue import MEASURES
from vcc.transforms.changes import compare_quarters
from vcc.transforms.disclosure import published_tables
from vcc.transforms.figures import QafFigures, QuarterFigures
from vcc.transforms.quarters import Quarter
from vcc.transforms.settings import MeasureSettings, ReportSettings
from vcc.transforms.stages import (
    LATENESS_COLUMNS,
    PERCENTILE_COLUMNS,
    STAGE_COLUMNS,
    published_stages,
    stage_distributions,
)

THRESHOLD = 5
TITLE = "Victims' Code compliance report"
MARKING = "OFFICIAL"


def metric(quarter: str, measure_id: str, right: int, agency: str, eligible: int, met: int,
           pending: int = 0, ci: tuple[float, float] = (math.nan, math.nan)) -> dict:  # fmt: skip
    """One ``all`` row of metrics.csv. The interval is given by hand where a test needs it."""
    rate = round(met / eligible, 4) if eligible else math.nan
    rag = (
        "none" if eligible < 10 else ("green" if rate >= 0.9 else "amber" if rate >= 0.8 else "red")
    )
    return {
        "quarter": quarter, "measure_id": measure_id, "right": right, "agency": agency,
        "dimension": "all", "group": "all", "eligible": eligible, "met": met,
        "not_met": eligible - met, "pending": pending, "rate": rate,
        "ci_low": ci[0], "ci_high": ci[1], "target": 0.9, "rag": rag,
    }  # fmt: skip


def quarter_rows(quarter: str) -> list[dict]:
    return [
        # 99 of 120 met: 82.5% (Wilson 74.7% to 88.3%); 2024Q2 was 60 of 100 (50.2% to 69.1%).
        metric(quarter, "R3-ACK", 3, "police", 120, 99, 7, (0.7472, 0.8834))
        if quarter == "2024Q3"
        else metric(quarter, "R3-ACK", 3, "police", 100, 60, 0, (0.5020, 0.6906)),
        # Three hearings, all notified: 3 is below the threshold, so nothing of it may print.
        metric(quarter, "R8-HEARING", 8, "wcu", 3, 3, 0, (0.4385, 1.0)),
        # 37 of 40 met: only 3 not met, so met (and the rate) would reveal them.
        metric(quarter, "R6-VCL", 6, "cps", 40, 37, 0, (0.7999, 0.9741)),
        # No release was due: an empty denominator.
        metric(quarter, "R11-RELEASE", 11, "probation", 0, 0, 0),
        metric(quarter, "R12-ACK", 12, "police", 50, 45, 0, (0.7864, 0.9565)),
        metric(quarter, "R12-ACK", 12, "cps", 12, 12, 0, (0.7575, 1.0)),
        metric(quarter, "R12-ACK", 12, "probation", 20, 12, 0, (0.3866, 0.7812)),
    ]


def a_quarter(settings: ReportSettings | None = None) -> ReportData:
    trend = pd.DataFrame(
        quarter_rows("2024Q2") + quarter_rows("2024Q3"), columns=list(METRIC_COLUMNS)
    )
    # Breakdown rows, which the summary must ignore: 4 enhanced victims (below the threshold),
    # so the 116 standard ones are hidden with them (secondary suppression); and two districts,
    # 3 in Eden (hidden) taking the smaller of the others, Copeland's 40, with it.
    breakdown = [
        metric("2024Q3", "R3-ACK", 3, "police", eligible, met) | {"dimension": d, "group": g}
        for d, g, eligible, met in (
            ("rights", "enhanced", 4, 4), ("rights", "standard", 116, 95),
            ("district", "Carlisle", 77, 64), ("district", "Copeland", 40, 32),
            ("district", "Eden", 3, 3),
        )
    ]  # fmt: skip
    metrics = pd.concat(
        [trend[trend["quarter"] == "2024Q3"], pd.DataFrame(breakdown)], ignore_index=True
    )
    figures = QuarterFigures(
        quarter=Quarter.parse("2024Q3"),
        as_of=date(2024, 10, 15),
        instances=pd.DataFrame(),
        metrics=metrics,
        trend=trend,
        changes=compare_quarters(trend, Quarter(2024, 3)),
        published=published_tables(metrics, THRESHOLD),
        analyses=ANALYSES,
    )
    return ReportData(
        figures=figures,
        produced_on=date(2024, 10, 16),
        settings=settings or ReportSettings(),
        measure_settings={
            "R3-ACK": MeasureSettings(deadline_standard=5, deadline_enhanced=5),
            "R6-UPDATE": MeasureSettings(deadline_standard=5, deadline_enhanced=1),
            "R11-RELEASE": MeasureSettings(),
        },
        data_quality=pd.DataFrame(
            [("police", "crimes", 1200, 1195, 5), ("cps", "hearings", 300, 300, 0)],
            columns=["source", "table", "rows_read", "rows_accepted", "rows_quarantined"],
        ),
        suppression_threshold=THRESHOLD,
        code_version="0.1.0+test",
        run_id="test-run-2024Q3",
        quality=QUALITY,
        version_label="Revision 1: late CPS data added",
    )


def revised(data: ReportData, **changes) -> ReportData:
    """``data`` with some of its figures (``QuarterFigures``) or report settings replaced."""
    names = {f.name for f in fields(QuarterFigures)}
    figures = replace(data.figures, **{k: v for k, v in changes.items() if k in names})
    return replace(data, figures=figures, **{k: v for k, v in changes.items() if k not in names})


# The analyses of the hand-made quarter: 3 victims of trafficking were owed enhanced rights,
# a count the report must hide.
ANALYSES = {
    "enhanced-identification": pd.DataFrame(
        [("2024Q3", "all", 200, 150, 50, 0.75, 0.6859, 0.8040),
         ("2024Q3", "domestic_abuse", 120, 90, 30, 0.75, 0.6655, 0.8180),
         ("2024Q3", "trafficking_modern_slavery", 3, 1, 2, 0.3333, 0.0615, 0.7923)],
        columns=["quarter", "reason", "owed", "identified", "missed", "identified_rate",
                 "ci_low", "ci_high"],
    ),
    "enhanced-update-delay": pd.DataFrame(
        [("2024Q3", "identified", 300, 150, 150, 0.5, 0.44, 0.56, 280, 1.0, 2.0, 5.0, 0.5, 0.8,
          0.0667),
         ("2024Q3", "not_identified", 100, 30, 70, 0.3, 0.22, 0.40, 90, 3.0, 5.0, 8.0, 0.3, 0.6,
          0.1),
         ("2024Q3", "all", 400, 180, 220, 0.45, 0.40, 0.50, 370, 1.0, 3.0, 6.0, 0.45, 0.75,
          0.075)],
        columns=["quarter", "identification", "instances", "met", "not_met", "rate", "ci_low",
                 "ci_high", "updated", "median_working_days", "p75_working_days",
                 "p90_working_days", "within_1_share", "within_5_share", "never_updated_share"],
    ),
    "needs-assessment-timeliness": pd.DataFrame(
        [("2024Q3", rights, band, count, np.nan, np.nan)
         for rights, counts in (("all", (50, 30, 20, 7, 0, 0, 13, 0)),
                                ("enhanced", (20, 10, 8, 3, 0, 0, 9, 0)),
                                ("standard", (30, 20, 12, 4, 0, 0, 4, 0)))
         for band, count in zip(("0", "1", "2", "3-5", "6-10", "11+", "not_assessed", "pending"),
                                counts, strict=True)],
        columns=["quarter", "rights", "band", "count", "share", "cumulative_share"],
    ),
    "needs-assessment-missing-items": pd.DataFrame(
        [("2024Q3", "any", 107, 40, 0.3738),
         ("2024Q3", "special_measures_considered", 107, 30, 0.2804),
         ("2024Q3", "vulnerability_recorded", 107, 2, 0.0187)],
        columns=["quarter", "item", "assessments", "missing", "missing_share"],
    ),
}  # fmt: skip
QUALITY = pd.DataFrame(
    [("police", "crimes", "rows", "summary", 5, 1200, 1195, 5, ""),
     ("cps", "hearings", "rows", "summary", 0, 300, 300, 0, ""),
     ("police", "crimes", "duplicate crime_ref", "row", 5, None, None, None,
      "expect_column_values_to_be_unique on crime_ref"),
     ("cps", "hearings", "linkage: urn -> cps.cases.urn", "linkage", 0, None, None, None,
      "linkage rate 1.0000")],
    columns=["source", "table", "check", "severity", "failed_rows", "rows_read",
             "rows_accepted", "rows_quarantined", "detail"],
)  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[PdfReader, str]:
    folder = tmp_path_factory.mktemp("report")
    render_report(a_quarter(), folder / "report.pdf", folder / "report.html")
    return PdfReader(folder / "report.pdf"), (folder / "report.html").read_text(encoding="utf-8")


def pdf_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def summary_row(measure_id: str, agency: str | None = None):
    rows = [r for r in summary_rows(a_quarter()) if r.measure_id == measure_id]
    return next(r for r in rows if agency is None or r.agency == agency)


# Labels (CONTRACT.md §1): calendar quarters, with the UK financial year (April to March).


@pytest.mark.parametrize(
    ("quarter", "label"),
    [
        ("2024Q3", "2024/25 Q2"),
        ("2024Q2", "2024/25 Q1"),  # April to June opens the financial year
        ("2024Q4", "2024/25 Q3"),
        ("2024Q1", "2023/24 Q4"),  # January to March closes the previous one
        ("2000Q1", "1999/00 Q4"),  # the century turns inside the label
    ],
)
def test_financial_year_label(quarter: str, label: str) -> None:
    assert financial_year_label(Quarter.parse(quarter)) == label


@pytest.mark.parametrize(
    ("quarter", "period"),
    [
        ("2024Q3", "1 July to 30 September 2024"),
        ("2024Q1", "1 January to 31 March 2024"),
        ("2023Q4", "1 October to 31 December 2023"),
    ],
)
def test_quarter_period(quarter: str, period: str) -> None:
    assert quarter_period(Quarter.parse(quarter)) == period


def test_previous_quarter_crosses_the_year() -> None:
    assert str(Quarter(2024, 1).previous()) == "2023Q4"


# The PDF: metadata, tagging, marking and page numbers.


def test_pdf_has_the_configured_title_in_its_metadata(rendered: tuple[PdfReader, str]) -> None:
    reader, _ = rendered
    assert reader.metadata is not None and TITLE in (reader.metadata.title or "")


def test_pdf_declares_british_english(rendered: tuple[PdfReader, str]) -> None:
    reader, _ = rendered
    assert reader.root_object["/Lang"] == "en-GB"


def test_pdf_is_tagged_for_accessibility(rendered: tuple[PdfReader, str]) -> None:
    catalog = rendered[0].root_object
    assert catalog["/MarkInfo"]["/Marked"].value is True  # type: ignore[index]
    assert "/StructTreeRoot" in catalog


def test_pdf_has_bookmarks_from_the_headings(rendered: tuple[PdfReader, str]) -> None:
    titles = [item.title for item in rendered[0].outline if not isinstance(item, list)]
    assert titles[0] == TITLE
    assert "Methodology" in str(rendered[0].outline)


def test_marking_is_at_the_top_and_bottom_of_every_page(rendered: tuple[PdfReader, str]) -> None:
    for page in rendered[0].pages:
        assert page.extract_text().count(MARKING) >= 2


def test_footer_numbers_pages_as_n_of_m(rendered: tuple[PdfReader, str]) -> None:
    reader, _ = rendered
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in reader.pages[0].extract_text()
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()


def test_summary_shows_every_measure_given(rendered: tuple[PdfReader, str]) -> None:
    text = pdf_text(rendered[0])
    for measure_id in ("R3-ACK", "R8-HEARING", "R6-VCL", "R11-RELEASE", "R12-ACK"):
        assert measure_id in text
    # R12-ACK is reported once per source that supplies complaints.
    assert [r.agency for r in summary_rows(a_quarter()) if r.measure_id == "R12-ACK"] == [
        "Police", "CPS", "Probation",
    ]  # fmt: skip


# Disclosure control (DOMAIN.md, "Publishing norms"; GSS symbols).


def test_count_below_threshold_prints_as_c_with_its_rate_and_interval() -> None:
    row = summary_row("R8-HEARING")
    assert (row.eligible, row.met, row.rate, row.interval) == ("[c]", "[c]", "[c]", "[c]")
    assert row.status == "suppressed" and row.change == "[c]"


def test_count_below_threshold_never_appears_in_the_pdf(rendered: tuple[PdfReader, str]) -> None:
    text = pdf_text(rendered[0])
    # The summary row of R8-HEARING runs from its id to the next measure's.
    row = text[text.index("R8-HEARING") : text.index("R11-RELEASE")]
    assert row.count("[c]") >= 4
    figures = row.replace("R8-HEARING", "")
    # Right 8 prints; the count 3 and the 100% it gives do not.
    assert not re.search(r"(?<![\d.])3(?![\d.])", figures)
    assert "100" not in figures


def test_met_is_hidden_when_few_were_not_met() -> None:
    row = summary_row("R6-VCL")  # 37 of 40: 40 - 37 = 3 people not met
    assert row.eligible == "40"
    assert (row.met, row.rate, row.interval) == ("[c]", "[c]", "[c]")


def test_empty_denominator_prints_z() -> None:
    row = summary_row("R11-RELEASE")
    assert (row.eligible, row.rate, row.interval) == ("0", "[z]", "[z]")


def test_published_figures_print_in_full() -> None:
    row = summary_row("R3-ACK")
    assert (row.eligible, row.met, row.pending) == ("120", "99", "7")
    assert (row.rate, row.interval, row.target) == ("82.5%", "74.7% to 88.3%", "90%")
    assert row.status_word == "Amber" and row.status_shape  # a word and a shape, not colour only


def test_change_on_last_quarter_says_whether_it_is_significant() -> None:
    # 60/100 to 99/120: Newcombe's interval for +22.5 points lies well above zero.
    assert summary_row("R3-ACK").change == "Up 22.5 (significant)"
    # 45 of 50 in both quarters: no change.
    assert summary_row("R12-ACK", "Police").change == "No change"


def test_headline_keeps_not_rated_and_hidden_apart_as_the_published_tables_do() -> None:
    # R2-RECORD: 23 eligible, enough to rate, but 2 not met, so its met, rate and status are
    # hidden. R4-VNA: 8 of 8, nothing to hide, but fewer than the 10 a rating needs.
    # R3-ACK: 99 of 120, amber.
    rows = [
        metric("2024Q3", "R2-RECORD", 2, "police", 23, 21),
        metric("2024Q3", "R3-ACK", 3, "police", 120, 99),
        metric("2024Q3", "R4-VNA", 4, "police", 8, 8),
    ]
    metrics = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    published = published_tables(metrics, THRESHOLD)
    data = revised(a_quarter(), metrics=metrics, trend=metrics, published=published,
                   changes=pd.DataFrame())  # fmt: skip
    hidden = int((published["rag"] == "[c]").sum())
    unrated = int((published["rag"] == "none").sum())
    assert (hidden, unrated) == (1, 1)
    assert headline(data).startswith(
        f"0 of the 3 measures met their target this quarter; 1 was amber and 0 red; "
        f"{unrated} could not be rated (too few instances); {hidden} was hidden to protect "
        "individuals."
    )
    assert headline_findings(data)[0].endswith("1 was hidden to protect individuals.")


def test_headline_counts_every_hidden_status_as_hidden() -> None:
    # The hand-made quarter: R8-HEARING (3 of 3) and R6-VCL (3 not met) are hidden; R11-RELEASE
    # had nothing eligible, so it is not rated; R12-ACK's police and CPS rows are green.
    assert (
        "2 of the 7 measures met their target this quarter; 1 was amber and 1 red; "
        "1 could not be rated (too few instances); 2 were hidden to protect individuals. "
    ) in headline(a_quarter())


def test_notes_explain_the_gss_symbols(rendered: tuple[PdfReader, str]) -> None:
    text = pdf_text(rendered[0])
    for symbol in ("[c] confidential", "[x] not available", "[z] not applicable"):
        assert symbol in text


# Safety: values from the data are text, and nothing outside reports/static is read.


@pytest.mark.slow
def test_markup_in_the_data_prints_as_text_and_nothing_is_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[str] = []
    real_fetch = StaticOnlyFetcher.fetch

    def recording_fetch(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", recording_fetch)
    injected = '<img src="file:///etc/passwd">'
    data = a_quarter(ReportSettings(area=injected, produced_by="<script>alert(1)</script>"))
    render_report(data, tmp_path / "r.pdf", tmp_path / "r.html")

    text = pdf_text(PdfReader(tmp_path / "r.pdf"))
    assert injected in text
    assert "<script>alert(1)</script>" in text
    assert "root:" not in text
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    # Only the report's own files: its stylesheets and the font files it ships.
    sheets = {(STATIC_DIR / name).as_uri() for name in ("fonts.css", "report.css")}
    fonts = [url for url in fetched if url not in sheets]
    assert sheets <= set(fetched) and fonts
    assert all(url.startswith((STATIC_DIR / "fonts").as_uri() + "/") for url in fonts)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://example.org/logo.png",
        "http://169.254.169.254/latest/meta-data/",
        (STATIC_DIR / ".." / "render.py").as_uri(),  # climbing out of static/
        "file://remote-host" + str(STATIC_DIR / "report.css"),
    ],
)
def test_fetcher_refuses_anything_outside_static(url: str) -> None:
    fetcher = StaticOnlyFetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_the_report_stylesheet() -> None:
    response = StaticOnlyFetcher().fetch((STATIC_DIR / "report.css").as_uri())
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


# Accessibility of the HTML the PDF is made from (WCAG 2.2 AA).


class Outline(HTMLParser):
    """Headings, table captions and header cells of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.titles: list[tuple[int, str]] = []
        self.tables = self.captions = self.header_cells = self.scoped = 0
        self._in_heading: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
            self._in_heading = int(tag[1])
            self.titles.append((int(tag[1]), ""))
        self.tables += tag == "table"
        self.captions += tag == "caption"
        if tag == "th":
            self.header_cells += 1
            self.scoped += dict(attrs).get("scope") in ("col", "row", "colgroup")

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._in_heading = None

    def handle_data(self, data: str) -> None:
        if self._in_heading is not None:
            level, text = self.titles[-1]
            self.titles[-1] = (level, text + data)


def test_html_has_language_title_ordered_headings_and_real_tables(
    rendered: tuple[PdfReader, str],
) -> None:
    _, html = rendered
    assert '<html lang="en-GB">' in html
    assert re.search(r"<title>Victims&#39; Code compliance report: [^<]+</title>", html)
    outline = Outline()
    outline.feed(html)
    assert outline.headings[0] == 1 and outline.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(outline.headings, outline.headings[1:], strict=False))
    assert outline.tables == outline.captions >= 10
    assert outline.scoped == outline.header_cells


def test_chart_is_vector_with_text_and_alternative_text() -> None:
    data = a_quarter()
    svg = trend_chart_svg(
        data.trend, [Quarter(2024, 2), Quarter(2024, 3)], THRESHOLD, "Rates & targets"
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title>Rates &amp; targets</title>" in svg
    assert "<text" in svg and "Written acknowledgement" in svg  # text stays text (fonttype none)
    assert "<image" not in svg  # nothing rasterised


def test_chart_caption_states_a_finding(rendered: tuple[PdfReader, str]) -> None:
    _, html = rendered
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    police = next(c for c in captions if "Police:" in c)
    probation = next(c for c in captions if "Probation Service:" in c)
    assert "below target in every quarter shown: written acknowledgement of the crime." in police
    assert "below target in every quarter shown: complaint acknowledged (Probation)." in probation


# Methodology: written from the catalogue and the configured deadlines.


def test_methodology_describes_every_catalogue_measure(rendered: tuple[PdfReader, str]) -> None:
    _, html = rendered
    for measure in MEASURES:  # by its title: the code is the annex's (issue 28)
        assert f'<span class="measure-title">{escape(measure.title)}</span>' in html
    assert "5 working days (1 for victims owed enhanced rights)" in html  # R6-UPDATE
    assert "No working-day deadline" in html  # R11-RELEASE


@pytest.mark.slow
def test_a_changed_title_reaches_the_pdf_metadata(tmp_path: Path) -> None:
    data = revised(a_quarter(), settings=ReportSettings(title="Quarterly Code review"))
    render_report(data, tmp_path / "r.pdf")
    metadata = PdfReader(tmp_path / "r.pdf").metadata
    assert metadata is not None and "Quarterly Code review" in (metadata.title or "")


def test_render_module_has_no_prefect() -> None:
    source = "".join(p.read_text() for p in Path(render.__file__).parent.glob("*.py"))
    assert "prefect" not in source.lower()


# The report's structure (issue 5): sections in order, headings never skipping a level.

SECTIONS = [
    "Summary of compliance", "The twelve rights and how they are measured", "Police",
    "Crown Prosecution Service", "Witness Care Unit",
    "Probation Service", "Enhanced rights", "Victim needs assessments",
    "Quality Assessment Framework: case reviews", "What victims told us", "Data quality",
    "Methodology", "Glossary",
    "Annex: published tables",
]  # fmt: skip


def test_every_section_heading_is_present_in_order(rendered: tuple[PdfReader, str]) -> None:
    outline = Outline()
    outline.feed(rendered[1])
    assert [text.strip() for level, text in outline.titles if level == 2] == SECTIONS
    levels = [level for level, _ in outline.titles]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_pdf_bookmarks_follow_the_sections(rendered: tuple[PdfReader, str]) -> None:
    outline = rendered[0].outline
    top = [item for item in outline if not isinstance(item, list)]
    assert top[0].title == TITLE
    children = next(item for item in outline if isinstance(item, list))
    assert [c.title for c in children if not isinstance(c, list)] == SECTIONS


def test_cover_says_which_version_this_is(rendered: tuple[PdfReader, str]) -> None:
    assert "Revision 1: late CPS data added" in rendered[0].pages[0].extract_text()


def test_a_whole_quarter_says_nothing_of_a_part_quarter(rendered: tuple[PdfReader, str]) -> None:
    assert "Part quarter" not in rendered[1] and "part of the quarter" not in rendered[1]


def test_a_quarter_not_ended_on_the_as_of_date_says_it_covers_part_of_it() -> None:
    data = revised(a_quarter(), as_of=date(2024, 9, 12))
    html = render.template("report.html.j2").render(**render.report_context(data))
    assert "the end of 12 September 2024 (part of the quarter only)" in html
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert (
        "Part quarter. The quarter had not ended on the as-of date: these figures cover 1 July to "
        "12 September 2024 only, and instances due after that day are pending, not counted."
    ) in text


def test_a_part_quarters_tables_are_titled_with_the_days_they_cover() -> None:
    # as of 12 September: every table and figure covers 1 July to 12 September, not the quarter
    stages = hand_made_stages()
    data = revised(a_quarter(), as_of=date(2024, 9, 12), stages=stages,
                   published_stages=published_stages(stages, THRESHOLD))  # fmt: skip
    html = render.template("report.html.j2").render(**render.report_context(data))
    captions = re.findall(r"<(?:caption|figcaption)[^>]*>(.*?)</(?:caption|figcaption)>", html,
                          re.S)  # fmt: skip
    dated = [c for c in captions if "2024" in c]
    assert len(dated) > 10  # the summary, each agency's trend and stages, the annex...
    assert all("1 July to 12 September 2024" in c for c in dated), dated
    assert "2024Q2 to 2024Q3 (2024Q3: 1 July to 12 September 2024 only)" in html
    assert "30 September" not in html
    assert '<p class="cover-period">1 July to 12 September 2024</p>' in html


@pytest.mark.parametrize(
    ("as_of", "period"),
    [
        (date(2024, 11, 15), "1 October to 15 November 2024"),  # part of the quarter
        (date(2024, 10, 1), "1 October 2024"),  # its first day only
        (date(2024, 12, 31), "1 October to 31 December 2024"),  # the whole quarter
        (date(2025, 1, 20), "1 October to 31 December 2024"),  # after it: the whole quarter
    ],
)
def test_quarter_period_ends_on_the_as_of_date_inside_the_quarter(as_of, period) -> None:
    assert quarter_period(Quarter(2024, 4), as_of) == period


def test_every_chart_has_alternative_text(rendered: tuple[PdfReader, str]) -> None:
    _, html = rendered
    charts = re.findall(r"<svg[^>]*>", html)
    assert len(charts) == 4  # one per agency section
    for tag in charts:
        assert 'role="img"' in tag and re.search(r'aria-label="[^"]{40,}"', tag)
    titles = re.findall(r"<svg[^>]*><title>([^<]+)</title>", html)
    assert len(titles) == len(charts)


def _struct_alts(reader: PdfReader) -> list[str]:
    """The /Alt text of every /Figure element of the PDF's structure tree."""
    alts: list[str] = []
    stack: list[Any] = [reader.root_object["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not hasattr(node, "get"):
            continue
        if node.get("/S") == "/Figure":
            alts.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        if kids is not None:
            stack.extend(kids if isinstance(kids, list) else [kids])
    return alts


def test_pdf_figures_carry_alternative_text(rendered: tuple[PdfReader, str]) -> None:
    alts = _struct_alts(rendered[0])
    assert alts and all(len(alt) > 40 for alt in alts)


# Summary page: findings written by rules from the data.


def test_headline_findings_name_the_significant_rise_and_the_gap(
    rendered: tuple[PdfReader, str],
) -> None:
    _, html = rendered
    found = re.search(r'<ul class="findings">(.*?)</ul>', html, re.S)
    assert found is not None
    findings = found[1]
    assert (
        "Significant rises: written acknowledgement of the crime" in findings
        and "on 2024Q2 (the previous quarter)" in findings
    )
    assert "The police identified 150 of the 200 victims owed enhanced rights (75.0%)" in findings
    assert "Data quality: Good." in findings


def reviews(*estimates: tuple[str, ...]) -> QafFigures:
    """Case reviews as the figures carry them (already suppressed): one row per agency and
    theme, (agency, theme, rated, not evidenced, share, interval low, interval high)."""
    return QafFigures(
        sample_id="2024Q3-1", drawn_on=date(2024, 10, 20), imported_on=date(2024, 11, 1),
        frame_size=72, sample_size=30, cases_reviewed=30, oversampling=2.0,
        estimates=pd.DataFrame(list(estimates), columns=["agency", "theme", "rated",
                               "not_evidenced", "share", "ci_low", "ci_high"]),
        disagreements=pd.DataFrame(columns=["agency", "records_met_reviewers_not",
                                            "records_not_met_reviewers_met"]),
    )  # fmt: skip


def test_headline_findings_name_the_case_reviews_lowest_published_share() -> None:
    data = revised(a_quarter(), qaf=reviews(
        ("police", "care_and_respect", "30", "0", "0.8123", "0.6400", "0.9100"),
        ("police", "communication_and_information", "28", "2", "0.6111", "0.4300", "0.7600"),
        # lower still, but withheld: it may be neither named nor ranked
        ("cps", "communication_and_information", "[c]", "[c]", "[c]", "[c]", "[c]"),
        ("wcu", "enhanced_support", "0", "0", "[z]", "[z]", "[z]"),
    ))  # fmt: skip
    assert headline_findings(data)[-1] == (
        "Case reviews (sample 2024Q3-1, 30 cases reviewed): the lowest share rated met was "
        "communication and information (Police), 61.1% (95% interval 43.0% to 76.0%), weighted "
        "to all the victims whose case reached the CPS."
    )


def test_case_reviews_with_every_share_withheld_name_none() -> None:
    data = revised(a_quarter(), qaf=reviews(
        ("police", "care_and_respect", "[c]", "[c]", "[c]", "[c]", "[c]"),
    ))  # fmt: skip
    finding = headline_findings(data)[-1]
    assert finding.startswith("Case reviews (sample 2024Q3-1, 30 cases reviewed): no theme's")
    assert "%" not in finding


def test_without_case_reviews_the_findings_say_nothing_of_them() -> None:
    assert not any("Case reviews" in f for f in headline_findings(a_quarter()))


# Suppression: the report prints what the published tables print.


def _table(html: str, caption_words: str) -> str:
    tables = re.findall(r"<table.*?</table>", html, re.S)
    return next(t for t in tables if caption_words in t)


def _row(table: str, header: str) -> str:
    return next(r for r in re.findall(r"<tr.*?</tr>", table, re.S) if header in r)


def test_breakdowns_are_suppressed_as_the_published_tables_are(
    rendered: tuple[PdfReader, str],
) -> None:
    _, html = rendered
    annex = _table(html, "R3-ACK Written acknowledgement")
    eden = _row(annex, "District: Eden")  # 3 victims
    copeland = _row(annex, "District: Copeland")  # hidden with it (secondary)
    carlisle = _row(annex, "District: Carlisle")
    assert eden.count("[c]") == 5 and copeland.count("[c]") == 5
    assert "77" in carlisle and "[c]" not in carlisle
    enhanced, standard = _row(annex, "Owed enhanced rights"), _row(annex, "Standard")
    assert "[c]" in enhanced and "[c]" in standard


def test_a_small_count_in_the_analyses_prints_c(rendered: tuple[PdfReader, str]) -> None:
    _, html = rendered
    trafficking = _row(_table(html, "by the reason they are owed"), "Trafficking")
    assert trafficking.count("[c]") == 5
    assert not re.search(r">\s*[123]\s*<", trafficking)
    items = _table(html, "Required items missing")
    assert _row(items, "Vulnerability").count("[c]") == 2  # 2 assessments missed it
    bands = _table(html, "Working days from the report")
    # 3 to 5 days: 3 enhanced and 4 standard victims, both hidden (number and share); the all
    # column's 7 may show, as it cannot be split back into the two
    row = _row(bands, "3 to 5 working days")
    assert row.count("[c]") == 4 and re.search(r">7<", row)


# No personal data: nothing that identifies a victim, a crime or a case, and no event dates.

IDENTIFIER = re.compile(r"\b(?:V\d{3,}|CR[-\d]\w*\d|URN\b|\d{2}[A-Z]{2}\d{5,})")
EVENT_DATE = re.compile(
    r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}\b|\b\d{4}-\d{2}-\d{2}\b"
)


def _allowed_dates(data: ReportData) -> set[str]:
    """Quarter bounds, the data date and the production date: nothing about an event."""
    allowed = {"1 July", "30 September 2024"}
    for day in (data.as_of, data.produced_on):
        allowed |= {f"{day.day} {day:%B %Y}", day.isoformat()}
    return allowed


def assert_no_personal_data(text: str, data: ReportData) -> None:
    assert not IDENTIFIER.search(text), IDENTIFIER.search(text)
    for found in EVENT_DATE.findall(text):
        assert found in _allowed_dates(data), found


def test_no_identifiers_or_event_dates_in_the_report(rendered: tuple[PdfReader, str]) -> None:
    reader, html = rendered
    data = a_quarter()
    assert_no_personal_data(pdf_text(reader), data)
    assert_no_personal_data(re.sub(r"<[^>]+>", " ", html), data)


# Rendering time: a report the size of a scale-1 quarter (every measure and breakdown, eight
# quarters, a full data-quality table) renders in under 30 s.


def full_size_quarter() -> ReportData:
    rng = np.random.default_rng(5)
    quarters = [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)]
    groups = {
        "all": ["all"], "rights": ["enhanced", "standard"],
        "district": ["Allerdale", "Barrow-in-Furness", "Carlisle", "Copeland", "Eden",
                     "South Lakeland", "unknown"],
        "age_band": ["under_18", "18_24", "25_64", "65_plus", "unknown"],
        "sex": ["female", "male", "other", "unknown"],
        "ethnicity": ["white", "mixed", "asian", "black", "other", "unknown"],
        "has_disability": ["true", "false", "unknown"],
    }  # fmt: skip
    keys = [(m.measure_id, m.right, m.agency) for m in MEASURES if m.measure_id != "R12-ACK"]
    keys += [("R12-ACK", 12, source) for source in ("police", "cps", "probation")]
    rows = []
    for quarter in quarters:
        for measure_id, right, agency in keys:
            for dimension, names in groups.items():
                if measure_id == "R12-ACK" and dimension != "all":
                    continue
                for group in names:
                    eligible = int(rng.integers(0, 3000)) if group != "unknown" else 3
                    met = int(eligible * rng.uniform(0.5, 1.0))
                    rate = met / max(eligible, 1)
                    interval = (max(rate - 0.03, 0.0), min(rate + 0.03, 1.0))
                    rows.append(
                        metric(quarter, measure_id, right, agency, eligible, met, 0, interval)
                        | {"dimension": dimension, "group": group}
                    )
    every = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    metrics = every[every["quarter"] == "2024Q4"].reset_index(drop=True)
    quality = pd.concat([QUALITY] * 12, ignore_index=True)
    return revised(
        a_quarter(), quarter=Quarter.parse("2024Q4"), as_of=date(2025, 1, 20), metrics=metrics,
        trend=every[every["dimension"] == "all"].reset_index(drop=True),
        changes=compare_quarters(every, Quarter(2024, 4)), quality=quality,
        published=published_tables(metrics, THRESHOLD),
        analyses={k: v.assign(quarter="2024Q4") for k, v in ANALYSES.items()},
    )  # fmt: skip


@pytest.mark.slow
def test_a_full_size_report_renders_every_section(tmp_path: Path) -> None:
    # eight quarters of every measure and breakdown: how long it takes is measured by
    # benchmarks/bench_run.py (the manifest's "render" timing), not asserted here
    render_report(full_size_quarter(), tmp_path / "r.pdf", tmp_path / "r.html")
    reader = PdfReader(tmp_path / "r.pdf")
    outline = str(reader.outline)
    for agency in AGENCY_HEADINGS.values():
        assert f"'/Title': '{agency}'" in outline, agency
    assert len(reader.pages) > 15


# The slowest stages of each agency (transforms/stages.py, issue 5): a compact table and a
# strip chart per section. Hand-made stages for the quarter above (threshold 5):

STAGE_ROWS = [
    # agency, measure, deadlines, final, met, actioned, no action, after, median, p75, p90
    # ranked by the 90th percentile less the deadline: R3-ACK 8 - 5 = +3 first, then R2-RECORD
    # 2 - 1 = +1, then R12-ACK: the most days, 9, but within its 10 (-1)
    ("police", "R3-ACK", 5, 5, 120, 99, 110, 10, 11, 2, 4, 8),
    ("police", "R2-RECORD", 1, 1, 60, 40, 60, 0, 20, 0, 1, 2),
    ("police", "R12-ACK", 10, 10, 50, 45, 45, 5, 0, 4, 7, 9),
    # 48 actioned but 2 without action: both counts are [c], so are the share after the
    # deadline and the percentiles (12 days against 2 would rank it first): listed last
    ("police", "R4-VNA", 2, 2, 50, 40, 48, 2, 8, 4, 7, 12),
    ("police", "R6-UPDATE", 5, 1, 0, 0, 0, 0, 0, None, None, None),  # nothing: [z], last
    # 35 actioned, 5 without action and 2 late: the share [c], counts and percentiles shown
    ("cps", "R6-VCL", 5, 1, 40, 33, 35, 5, 2, 1, 3, 6),
    # 3 hearings, all notified: fewer than 5 actioned, so nothing of it may print
    ("wcu", "R8-HEARING", 1, 1, 3, 3, 3, 0, 0, 0, 1, 1),
    ("probation", "R11-CONTACT", 20, 20, 0, 0, 0, 0, 0, None, None, None),
]  # fmt: skip


def hand_made_stages() -> pd.DataFrame:
    rows = [
        {
            "quarter": "2024Q3", "agency": agency, "measure_id": measure_id,
            "deadline_standard": standard, "deadline_enhanced": enhanced, "final": final,
            "met": met, "pending": 0, "actioned": actioned, "no_action": no_action,
            "after_deadline": after, "median_working_days": median, "p75_working_days": p75,
            "p90_working_days": p90,
            "after_deadline_share": after / actioned if actioned else math.nan,
            # every victim here is judged by the standard deadline
            **{column: math.nan if days is None else days - standard
               for column, days in zip(LATENESS_COLUMNS, (median, p75, p90), strict=True)},
        }
        for (agency, measure_id, standard, enhanced, final, met, actioned, no_action, after,
             median, p75, p90) in STAGE_ROWS
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=STAGE_COLUMNS).astype(
        {c: float for c in (*PERCENTILE_COLUMNS, *LATENESS_COLUMNS)}
    )


@pytest.fixture(scope="module")
def staged_html() -> str:
    """The hand-made quarter with its stages, as HTML (the PDF is checked on the golden data)."""
    stages = hand_made_stages()
    data = revised(a_quarter(), stages=stages, published_stages=published_stages(stages, THRESHOLD))
    return render.template("report.html.j2").render(**render.report_context(data))


def test_every_element_id_is_unique_across_the_charts(staged_html: str) -> None:
    # matplotlib numbers each figure's ids from 1 ("patch_9"); inlined side by side, the trend
    # and stage charts would define the same anchors twice unless each chart tags its own
    ids = re.findall(r'\sid="([^"]+)"', staged_html)
    assert sum("patch_" in i for i in ids) > 10  # several charts, each with its own patches
    repeated = {i for i in ids if ids.count(i) > 1}
    assert not repeated, sorted(repeated)[:5]
    for target in re.findall(r'(?:url\(#|href="#)([^)"]+)', staged_html):
        assert target in ids, target  # every reference still finds its element


def _section(html: str, agency: str) -> str:
    section = re.search(rf'<section class="agency" id="agency-{agency}".*?</section>', html, re.S)
    assert section is not None, agency
    return section[0]


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", c).split()[0] if c.strip() else "" for c in
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]  # fmt: skip


def test_every_agency_section_shows_its_slowest_stages(staged_html: str) -> None:
    for agency in ("police", "cps", "wcu", "probation"):
        section = _section(staged_html, agency)
        assert "Slowest stages: working days to action" in section, agency
        assert "latest first against each measure's deadline" in section
        assert '<th scope="col" class="num">90th percentile (working days)</th>' in section


def test_stages_table_prints_the_figures_slowest_first(staged_html: str) -> None:
    table = _table(_section(staged_html, "police"), "working days from trigger to action")
    rows = re.findall(r"<tbody>.*?</tbody>", table, re.S)[0]
    order = re.findall(r'data-measure="([^"]+)"', rows)  # the code for analysts, not shown
    # against their deadlines; withheld and empty last, in catalogue order
    assert order == ["R3-ACK", "R2-RECORD", "R12-ACK", "R4-VNA", "R6-UPDATE"]
    # deadline, actioned, median, 75th, 90th, share after the deadline, still without action
    assert _cells(_row(table, "R3-ACK"))[1:] == ["5", "110", "2", "4", "8", "10.0%", "10"]
    assert _cells(_row(table, "R12-ACK"))[1:] == ["10", "45", "4", "7", "9", "0.0%", "5"]
    assert _cells(_row(table, "R4-VNA"))[1:] == ["2"] + ["[c]"] * 6  # actioned hidden
    assert _cells(_row(table, "R6-UPDATE"))[1:] == ["5", "0", "[z]", "[z]", "[z]", "[z]", "0"]
    assert "5 (1)" in _row(_table(_section(staged_html, "cps"), "trigger to action"), "R6-VCL")


def test_stages_of_few_actioned_are_withheld(staged_html: str) -> None:
    wcu = _table(_section(staged_html, "wcu"), "working days from trigger to action")
    assert _cells(_row(wcu, "R8-HEARING"))[2:] == ["[c]"] * 6
    cps = _table(_section(staged_html, "cps"), "working days from trigger to action")
    assert _cells(_row(cps, "R6-VCL"))[2:] == ["35", "1", "3", "6", "[c]", "5"]


def test_stage_chart_caption_states_its_finding(staged_html: str) -> None:
    police = _section(staged_html, "police")
    caption = re.findall(r"<figcaption>(.*?)</figcaption>", police, re.S)[-1]
    assert (
        "Furthest past its deadline: written acknowledgements, 90% actioned within 8 "
        "working days against a deadline of 5 working days, up to 3 working days after their own "
        "due date; 10.0% were actioned after it." in caption
    )
    assert "Most often late: crime recording, 33.3%" in caption
    assert "R4-VNA" not in caption  # its percentiles are withheld
    wcu = _section(staged_html, "wcu")
    assert "<p>Too few instances were actioned this quarter to show any percentile" in wcu
    probation = _section(staged_html, "probation")
    assert "No instance of these measures was actioned this quarter." in probation


def test_a_stage_finding_never_calls_a_stage_within_its_deadline_late() -> None:
    # R11-CONTACT takes the most days, 15, but its deadline is 20; R2-RECORD's 1 is at its 1
    stages = hand_made_stages().iloc[:0]
    rows = [
        {**stages.dtypes.to_dict(), "quarter": "2024Q3", "agency": "police",
         "measure_id": measure_id, "deadline_standard": deadline, "deadline_enhanced": deadline,
         "final": 50, "met": 50, "pending": 0, "actioned": 50, "no_action": 0,
         "after_deadline": 0, "median_working_days": median, "p75_working_days": p90,
         "p90_working_days": p90, "after_deadline_share": 0.0,
         "median_days_late": median - deadline, "p75_days_late": p90 - deadline,
         "p90_days_late": p90 - deadline}
        for measure_id, deadline, median, p90 in (("R11-CONTACT", 20, 8, 15),
                                                  ("R2-RECORD", 1, 0, 1))
    ]  # fmt: skip
    published = published_stages(pd.DataFrame(rows, columns=STAGE_COLUMNS), THRESHOLD)
    assert published["measure_id"].tolist() == ["R2-RECORD", "R11-CONTACT"]
    assert stage_finding(published, THRESHOLD).startswith(
        "No stage's 90th percentile was past its deadline; nearest to it: crime recording, "
        "90% actioned within 1 working day against a deadline of 1 working day"
    )
    # within the standard 5 working days, but 2 days past the 1 its enhanced victims were owed
    enhanced = published.assign(
        deadline_enhanced=published["deadline_enhanced"].where(
            published["measure_id"] != "R2-RECORD", "1"),
        deadline_standard=published["deadline_standard"].where(
            published["measure_id"] != "R2-RECORD", "5"),
        p90_working_days=published["p90_working_days"].where(
            published["measure_id"] != "R2-RECORD", "3"),
        p90_days_late=published["p90_days_late"].where(
            published["measure_id"] != "R2-RECORD", "2"),
    )  # fmt: skip
    assert stage_finding(enhanced, THRESHOLD).startswith(
        "Furthest past its deadline: crime recording, 90% actioned within 3 working "
        "days against a deadline of 5 working days (1 for victims owed enhanced rights), up to 2 "
        "working days after their own due date"
    )


def test_stage_charts_are_vector_with_alternative_text(staged_html: str) -> None:
    charts = re.findall(r"<svg[^>]*>", staged_html)
    # the trend of each agency, and the stages of the police and the CPS: the WCU's and
    # probation's stages are all withheld or empty, and their finding stands alone
    assert len(charts) == 6
    for tag in charts:
        assert 'role="img"' in tag and re.search(r'aria-label="[^"]{40,}"', tag)
    police = _section(staged_html, "police")
    alt = re.findall(r'<svg[^>]*aria-label="([^"]+)"', police)[-1]
    # each stage by its name, in words (issue 28)
    assert (
        "Written acknowledgements: median 2, 75th percentile 4, 90th percentile 8, deadline 5"
        in alt
    )
    assert "Investigation updates: percentiles withheld, deadline 5 (1)" in alt
    assert "Needs assessments: percentiles withheld, deadline 2" in alt
    cps = re.findall(r'<svg[^>]*aria-label="([^"]+)"', _section(staged_html, "cps"))[-1]
    assert "Decision letters: median 1, 75th percentile 3, 90th percentile 6, deadline 5 (1)" in cps
    assert "Hearing notifications:" not in "".join(re.findall(r'aria-label="([^"]+)"', staged_html))
    assert "<text" in police  # text stays text in the SVG


def test_stages_keep_headings_in_order_and_no_personal_data(staged_html: str) -> None:
    outline = Outline()
    outline.feed(staged_html)
    levels = [level for level, _ in outline.titles]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    stages = [lvl for lvl, t in outline.titles if "Slowest stages" in t]
    assert stages == [3, 3, 3, 3]
    assert_no_personal_data(re.sub(r"<[^>]+>", " ", staged_html), a_quarter())


def test_a_report_without_stages_says_so(rendered: tuple[PdfReader, str]) -> None:
    _, html = rendered
    assert html.count("The working-day distributions were not supplied with these figures") == 4


# The same on the golden example (tests/fixtures/golden), through the measures engine: the
# Witness Care Unit's stages, worked out again here from the CSV files and the bank-holiday list.

GOLDEN_QUARTER, GOLDEN_AS_OF = "2024Q2", date(2024, 7, 12)


@pytest.fixture(scope="module")
def golden_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportData, str, str]:
    from tests.conftest import GOLDEN
    from vcc.flows.config import load_config
    from vcc.flows.run.figures import FigureSettings, instances_and_metrics
    from vcc.flows.sources.coerce import coerce_source
    from vcc.flows.sources.extract import extract_source
    from vcc.transforms.calendar import WorkingDayCalendar
    from vcc.transforms.quarters import Quarter

    config = load_config(GOLDEN / "data" / "vcc.toml")
    typed = {}
    for name, source in config.sources.items():
        for table, (frame, problems) in coerce_source(
            extract_source(name, source), source, name
        ).items():
            assert problems.empty, (name, table)
            typed[(name, table)] = frame
    quarter = Quarter.parse(GOLDEN_QUARTER)
    window = [quarter.shift(-back) for back in range(4, -1, -1)]
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    catalogue = config.catalogue(quarter.start)
    settings = FigureSettings.of(config.settled(catalogue), catalogue)
    instances, every = instances_and_metrics(
        typed, settings, quarter, GOLDEN_AS_OF, window, calendar
    )
    metrics = every[every["quarter"] == GOLDEN_QUARTER].reset_index(drop=True)
    stages = stage_distributions(instances, quarter, settings.deadlines(), calendar)
    data = revised(
        a_quarter(), quarter=quarter, as_of=GOLDEN_AS_OF, produced_on=GOLDEN_AS_OF,
        metrics=metrics, trend=every[every["dimension"] == "all"].reset_index(drop=True),
        measure_settings=dict(config.measures), changes=compare_quarters(every, quarter),
        analyses={}, published=published_tables(metrics, THRESHOLD),
        stages=stages, published_stages=published_stages(stages, THRESHOLD),
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("golden-report")
    render_report(data, folder / "report.pdf", folder / "report.html")
    pdf = " ".join(pdf_text(PdfReader(folder / "report.pdf")).split())
    return data, pdf, (folder / "report.html").read_text(encoding="utf-8")


def _hand_worked_notifications(table: str) -> dict:
    """R8-HEARING (hearings) or R9-OUTCOME (outcomes) of GOLDEN_QUARTER, by hand: each row
    received in the quarter about a victim owed the Code; notified on or after receipt and by
    the as-of date; 1 working day allowed; working days counted one by one against the
    bank-holiday list in tests/fixtures."""
    from tests.conftest import FIXTURES, GOLDEN

    holidays = set(pd.read_csv(FIXTURES / "bank_holidays_england_wales.csv")["date"])
    rows = pd.read_csv(GOLDEN / "data" / "cps" / f"{table}.csv", dtype=str)
    victims = pd.read_csv(GOLDEN / "data" / "police" / "victims.csv", dtype=str)
    owed = set(victims.loc[victims["victim_type"] != "business", "victim_id"])

    def working(day: date) -> bool:
        return day.weekday() < 5 and day.isoformat() not in holidays

    def day_after(day: date) -> date:
        return date.fromordinal(day.toordinal() + 1)

    waits, late, without = [], 0, 0
    for row in rows.itertuples(index=False):
        received = date.fromisoformat(row.received_at[:10])
        if row.victim_id not in owed or not date(2024, 4, 1) <= received <= date(2024, 6, 30):
            continue
        due = received
        while not working(due):  # a non-working day counts from the working day before
            due = date.fromordinal(due.toordinal() - 1)
        due = day_after(due)
        while not working(due):
            due = day_after(due)
        notified = (
            date.fromisoformat(row.victim_notified_at[:10])
            if isinstance(row.victim_notified_at, str) else None
        )  # fmt: skip
        if notified is None or notified < received or notified > GOLDEN_AS_OF:
            without += 1
            continue
        day, wait = received, 0
        while day < notified:
            day = day_after(day)
            wait += working(day)
        waits.append(wait)
        late += notified > due
    waits.sort()

    def rank(p: int) -> int:
        return waits[math.ceil(p * len(waits) / 100) - 1]

    return {
        "actioned": len(waits), "no_action": without, "after_deadline": late,
        "median_working_days": rank(50), "p75_working_days": rank(75),
        "p90_working_days": rank(90),
    }  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("measure_id", "table"), [("R8-HEARING", "hearings"),
                                                   ("R9-OUTCOME", "outcomes")])  # fmt: skip
def test_golden_stages_match_a_hand_calculation(
    golden_report: tuple[ReportData, str, str], measure_id, table
) -> None:
    data, _, _ = golden_report
    row = data.stages[data.stages["measure_id"] == measure_id].iloc[0]
    expected = _hand_worked_notifications(table)
    assert {key: int(row[key]) for key in expected} == expected
    # the final instances are the eligible of the independent implementation's expected.csv
    from tests.conftest import GOLDEN

    golden = pd.read_csv(GOLDEN / "expected.csv", dtype=str)
    figures = golden[
        (golden["quarter"] == GOLDEN_QUARTER) & (golden["as_of"] == GOLDEN_AS_OF.isoformat())
        & (golden["measure_id"] == measure_id) & (golden["dimension"] == "all")
    ].iloc[0]  # fmt: skip
    assert (row["final"], row["met"]) == (int(figures["eligible"]), int(figures["met"]))


@pytest.mark.slow
def test_golden_report_shows_the_witness_care_units_stages(
    golden_report: tuple[ReportData, str, str],
) -> None:
    data, pdf, html = golden_report
    # R9-OUTCOME: 34 notified, 5 not, 10 of the 34 late; R8-HEARING: 43 notified but 3 not,
    # a small count that hides both; R11-REFER: 2 referrals made, too few for percentiles
    table = _table(_section(html, "wcu"), "working days from trigger to action")
    order = re.findall(r'data-measure="([^"]+)"', table)
    assert order == ["R9-OUTCOME", "R8-HEARING", "R11-REFER"]
    assert _cells(_row(table, "R9-OUTCOME"))[1:] == ["1", "34", "1", "1", "3", "29.4%", "5"]
    # its hidden actioned count hides its percentiles too
    assert _cells(_row(table, "R8-HEARING"))[1:] == ["1"] + ["[c]"] * 6
    assert _cells(_row(table, "R11-REFER"))[1:] == ["10", "[c]"] + ["[c]"] * 5
    finding = (
        "Furthest past its deadline: outcome notifications, 90% actioned within 3 "
        "working days against a deadline of 1 working day, up to 2 working days after their own "
        "due date; 29.4% were actioned after it."
    )
    assert finding in pdf
    assert pdf.count("Slowest stages: working days to action") == 4
    assert "Victim told of verdict and sentence 1 34 1 1 3 29.4% 5" in pdf
    assert not IDENTIFIER.search(pdf), IDENTIFIER.search(pdf)
    allowed = {"30 June 2024", "12 July 2024", GOLDEN_AS_OF.isoformat()}  # quarter end, as-of
    assert set(EVENT_DATE.findall(pdf)) <= allowed


def test_the_rights_the_data_cannot_support_are_named_with_why(
    golden_report: tuple[ReportData, str, str],
) -> None:
    # the first golden example carries none of the data of CONTRACT.md §6.1
    _, pdf, html = golden_report
    assert "The data could not support any measure of Rights 1, 5 and 10." in pdf
    assert "Property returned once no longer needed (Police): not supported by " in (
        " ".join(html.split())
    )
    assert "no police property table was supplied" in html
    assert "Victims' Code catalogue 2021-04" in pdf
