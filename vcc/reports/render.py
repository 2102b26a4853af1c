"""Render the quarterly report: one set of Jinja2 templates, written as a tagged PDF and as HTML.

Every value from the data is escaped (autoescape on), and WeasyPrint may read nothing but the
report's own files under ``reports/static``: a source value such as ``<img src="file:///...">``
prints as text and can neither pull a local file into the PDF nor reach the network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape

from vcc.reports.agencies import AgencySection, AnnexTable, agency_sections, annex_tables
from vcc.reports.analyses import (
    BandRow,
    DelayRow,
    IdentificationRow,
    ItemRow,
    delay_finding,
    delay_rows,
    identification_finding,
    identification_rows,
    missing_item_rows,
    timeliness_rows,
)
from vcc.reports.disclosure import GSS_SYMBOLS
from vcc.reports.feedback import feedback_view
from vcc.reports.findings import headline_findings
from vcc.reports.methodology import MethodRow, configuration_rows, methodology_rows, rating_rule
from vcc.reports.model import (
    ReportData,
    financial_year_label,
    part_quarter_note,
    quarter_period,
    quarters_ending,
)
from vcc.reports.names import codes_in_words
from vcc.reports.pdf import REPORTS_DIR, STATIC_DIR, write_pdf
from vcc.reports.qaf import QafView, qaf_view
from vcc.reports.quality import QualityView, quality_view
from vcc.reports.rights import (
    RightRow,
    rights_rows,
    rights_words,
    run_catalogue,
    unsupported_rights,
)
from vcc.reports.summary import (
    STATUS_SHAPES,
    STATUS_WORDS,
    SummaryRow,
    headline,
    summary_rows,
    trend_finding,
)
from vcc.transforms.catalogue import Catalogue
from vcc.transforms.quarters import Quarter, long_date
from vcc.transforms.settings import ReportSettings

TEMPLATES_DIR = REPORTS_DIR / "templates"
STYLESHEET = STATIC_DIR / "report.css"
# The parts of the report that must start a page (issue 28), by their section's id: the summary
# opens page 2 whatever else the report holds (the cover, page 1, ends its page itself), and the
# annex of published tables, the analysts' part, starts its own. Every other section follows on
# the page the one before it ends on, so that no page is left nearly empty.
PAGE_STARTS = ("summary", "annex")


@cache
def template(name: str) -> Template:
    """One of the templates under ``reports/templates``, from the one Jinja environment the report
    and the case review pack share: every value escaped, a misspelt variable an error."""
    return _environment().get_template(name)


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,  # a misspelt variable fails the run, not prints blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["codes_in_words"] = codes_in_words
    return environment


def _trend_quarters(data: ReportData) -> list[Quarter]:
    """The quarters the trend covers: from the earliest one supplied (at most
    ``trend_quarters`` back) to the report's quarter; a missing quarter shows as a gap."""
    window = quarters_ending(data.quarter, max(data.settings.trend_quarters, 1))
    supplied = set(data.trend["quarter"]) | {str(data.quarter)}
    first = next(index for index, quarter in enumerate(window) if str(quarter) in supplied)
    return window[first:]


class EnhancedSection(TypedDict):
    """The enhanced-rights section: ENH-IDENTIFIED's published row, identification by reason and
    the delay of updates by identification (None where the run has no such table)."""

    overall: dict[str, Any] | None
    finding: str | None
    reasons: list[IdentificationRow] | None
    delay: list[DelayRow] | None
    delay_finding: str | None


class NeedsSection(TypedDict):
    """The needs-assessment section: timeliness bands and the missing required items."""

    bands: list[BandRow] | None
    item_rows: list[ItemRow] | None
    assessments: str | None


class ReportContext(TypedDict):
    """Everything ``report.html.j2`` prints, each already formatted and disclosure-controlled."""

    data: ReportData
    settings: ReportSettings
    document_title: str
    fy_label: str
    period: str
    as_of: str
    part_quarter: str | None
    produced_on: str
    headline: str
    summary: list[SummaryRow]
    status_words: dict[str, str]
    status_shapes: dict[str, str]
    gss_symbols: tuple[tuple[str, str], ...]
    findings: list[str]
    trend_quarters: list[Quarter]
    trend_finding: str
    agencies: list[AgencySection]
    enhanced: EnhancedSection
    needs: NeedsSection
    quality: QualityView
    methods: list[MethodRow]
    configuration: list[tuple[str, str]]
    rating_rule: str
    annex: list[AnnexTable]
    qaf: QafView | None
    code: Catalogue
    rights: list[RightRow]
    unsupported_rights: str
    feedback: dict[str, Any]  # reports.feedback.feedback_view
    page_starts: tuple[str, ...]


def report_context(data: ReportData) -> ReportContext:
    """Everything the templates print, already formatted and disclosure-controlled."""
    quarters = _trend_quarters(data)
    fy_label = financial_year_label(data.quarter)
    summary, headline_text = summary_rows(data), headline(data)  # each computed once
    return {
        "data": data,
        "settings": data.settings,
        "document_title": f"{data.settings.title}: {data.settings.area}, {fy_label}",
        "fy_label": fy_label,
        "period": quarter_period(data.quarter, data.as_of),  # a part quarter: up to as_of
        "as_of": long_date(data.as_of),
        "part_quarter": part_quarter_note(data.quarter, data.as_of),
        "produced_on": long_date(data.produced_on),
        "headline": headline_text,
        "summary": summary,
        "status_words": STATUS_WORDS,
        "status_shapes": STATUS_SHAPES,
        "gss_symbols": GSS_SYMBOLS,
        "findings": headline_findings(data, summary, headline_text),
        "trend_quarters": quarters,
        "trend_finding": trend_finding(data, quarters),
        "agencies": agency_sections(data, quarters),
        "enhanced": _enhanced_section(data),
        "needs": _needs_section(data),
        "quality": quality_view(data),
        "methods": methodology_rows(data),
        "configuration": configuration_rows(data),
        "rating_rule": rating_rule(data),
        "annex": annex_tables(data),
        "qaf": qaf_view(data),
        "feedback": feedback_view(data),
        "code": run_catalogue(data),
        "rights": rights_rows(data),
        "unsupported_rights": rights_words(unsupported_rights(data)),
        "page_starts": PAGE_STARTS,
    }


def _enhanced_section(data: ReportData) -> EnhancedSection:
    published = data.published_figures()
    overall = published[
        (published["measure_id"] == "ENH-IDENTIFIED") & (published["dimension"] == "all")
    ]
    return {
        "overall": overall.iloc[0].to_dict() if len(overall) else None,
        "finding": identification_finding(data),
        "reasons": identification_rows(data),
        "delay": delay_rows(data),
        "delay_finding": delay_finding(data),
    }


def _needs_section(data: ReportData) -> NeedsSection:
    items = missing_item_rows(data)
    return {
        "bands": timeliness_rows(data),
        "item_rows": items[0] if items else None,
        "assessments": items[1] if items else None,
    }


def _without_provenance(data: ReportData) -> ReportData:
    """What a report says apart from which run made it, when and as which version: the
    fingerprint that tells a new edition from a rerun (flows.warehouse.versions)."""
    return dataclasses.replace(
        data, produced_on=dt.date(2000, 1, 1), run_id="", code_version="", version_label="",
        revisions=[],
    )  # fmt: skip


def content_fingerprints(context: ReportContext) -> dict[str, str]:
    """SHA-256 of what the report in ``context`` (``report_context``) says: ``report`` for the
    whole of it, and of the parts a changed report is explained by (``case reviews``, ``data
    quality``). The run's id, production date, code version and version label are left out,
    so a rerun that changes none of its words has the same fingerprint."""
    data = _without_provenance(context["data"])
    words = template("report.html.j2").render(**{**context, "data": data, "produced_on": ""})
    parts = {"report": words, "case reviews": repr(context["qaf"]),
             "data quality": repr(context["quality"])}  # fmt: skip
    return {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in parts.items()}


# The template's stylesheets, as the PDF fetches them; the HTML file carries report.css inline.
LINKED_STYLESHEETS = (
    '  <link rel="stylesheet" href="fonts.css">\n  <link rel="stylesheet" href="report.css">\n'
)


def report_html(data: ReportData, context: ReportContext | None = None) -> str:
    """The report rendered from its template once, for the PDF and the HTML file alike.
    ``context``, if given, is ``report_context`` of the same figures made earlier (for the
    edition's fingerprint); ``data`` then only brings the version label and revisions."""
    if context is None:
        context = report_context(data)
    else:
        context = context.copy()
        context["data"] = data
    return template("report.html.j2").render(**context)


def render_report(
    data: ReportData,
    pdf_path: Path,
    html_path: Path | None = None,
    context: ReportContext | None = None,
) -> None:
    """Write the report as a tagged PDF (PDF/UA-1: title, language, structure tree and bookmarks
    from the headings) and, if asked, as a self-contained HTML file, from one rendering of the
    template (``report_html``). A run writes its PDF in a helper process instead
    (``flows/run/pdf.py``)."""
    html = report_html(data, context)
    write_pdf(html, pdf_path)  # the PDF links the stylesheets, fetched from reports/static
    if html_path is not None:
        html_path.write_text(standalone_html(html), encoding="utf-8")


def standalone_html(html: str) -> str:
    """The rendered report with its stylesheet inline, so that the HTML file travels alone. It
    names the font family without the font files (fonts.css): a reader's own font serves."""
    if html.count(LINKED_STYLESHEETS) != 1:
        raise ValueError("report.html.j2 no longer links its stylesheets as LINKED_STYLESHEETS")
    css = STYLESHEET.read_text(encoding="utf-8")
    return html.replace(LINKED_STYLESHEETS, f"  <style>{css}</style>\n")


def linked_html(standalone: str) -> str:
    """The rendered report a standalone HTML file holds (``standalone_html``), with its stylesheets
    linked again in place of the stylesheet it carries in its head, as the PDF is laid out."""
    head = standalone[: standalone.find("</head>")]
    start = head.find("  <style>")
    end = head.find("</style>\n", start)
    if start < 0 or end < 0:
        raise ValueError("this HTML file does not carry its stylesheet as standalone_html does")
    return standalone[:start] + LINKED_STYLESHEETS + standalone[end + len("</style>\n") :]


# The place of "How <area> compares" in the report of one area of many (_compares.html.j2).
COMPARES_START = "<!-- how-area-compares -->"
COMPARES_END = "<!-- /how-area-compares -->"


def with_section(html: str, section: str) -> str:
    """The report ``html`` with its "How <area> compares" replaced by ``section`` (both as
    ``_compares.html.j2`` renders them, between its two markers)."""
    start, end = html.find(COMPARES_START), html.find(COMPARES_END)
    if start < 0 or end < start or html.count(COMPARES_START) != 1:
        raise ValueError("this report has no place for how its area compares")
    return html[:start] + section.strip() + html[end + len(COMPARES_END) :]
