"""The comparison PDF: tagged like the quarterly report, a funnel plot per measure with its text
alternative, plain measure names and area titles, hidden areas neither drawn nor named by rate."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.reports.pdf_structure import table_problems
from tests.reports.test_report_file import SHIPPED, embedded_fonts
from vcc.reports.comparison import comparison_context, render_comparison
from vcc.transforms.comparison import compare_areas
from vcc.transforms.quarters import Quarter
from vcc.transforms.settings import ReportSettings

Q = "2024Q4"
QUARTER = Quarter(2024, 4)
TITLES = {"north": "Northshire", "south": "Southshire", "east": "Eastshire", "tiny": "Tinyshire"}


def area(eligible: int, met: int) -> pd.DataFrame:
    return pd.DataFrame([
        dict(quarter=Q, measure_id=m, right="R6", agency="police", dimension="all", group="all",
             eligible=eligible, met=met)
        for m in ("R6-UPDATE", "R7-VPS")
    ])  # fmt: skip


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> tuple[Path, dict]:
    table = compare_areas(
        {"north": area(400, 360), "south": area(120, 60), "east": area(60, 50),
         "tiny": area(3, 2)}, QUARTER,
    )  # fmt: skip
    context = comparison_context(
        table, QUARTER, TITLES, {"west": "source police: table crimes is missing"}, 5,
        ReportSettings(), dt.date(2025, 2, 14),
    )  # fmt: skip
    path = tmp_path_factory.mktemp("comparison") / f"vcc-{Q}-comparison.pdf"
    render_comparison(context, path)
    if keep := os.environ.get("VCC_KEEP_COMPARISON"):
        shutil.copy(path, keep)  # to look at its pages
    return path, context


def test_each_measure_has_a_funnel_plot_with_its_text_alternative(pdf):
    _, context = pdf
    assert [s["title"] for s in context["sections"]] == [  # plain names, not ids
        "Victim told of investigation events (Police)",
        "Victim Personal Statement offered (Police)",
    ]
    for section in context["sections"]:
        chart = section["chart"]
        # south: 60/120 = 50% against 470/583 = 80.6%, far below
        assert "<title>Funnel plot of" in chart and "Southshire" in chart
        assert "south: below 99.8%" in chart
        assert "Tinyshire" not in chart  # hidden by disclosure control: not drawn


def test_the_pdf_is_tagged_with_the_shipped_font_and_names_missing_areas(pdf):
    path, _ = pdf
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Areas missing from this comparison" in text and "table crimes is missing" in text
    assert "Northshire" in text and "Tinyshire" in text and "[c]" in text
    tables, problems = table_problems(path)
    assert tables == 2 and not problems
    assert embedded_fonts(path) <= SHIPPED


def test_each_funnel_line_is_named_at_its_end_with_no_key(pdf):
    _, context = pdf
    chart = context["sections"][0]["chart"]
    # p0 = (360 + 60 + 50 + 2) / (400 + 120 + 60 + 3) = 472 / 583
    for name in ("All areas 81.0%", "95% limit (upper)", "95% limit (lower)",
                 "99.8% limit (upper)", "99.8% limit (lower)"):  # fmt: skip
        assert f">{name}</text>" in chart
    assert "legend" not in chart


def test_line_labels_are_spread_apart_in_order_and_kept_in_range():
    from vcc.reports.comparison import spread

    # apart already: unmoved
    assert spread([0.1, 0.5, 0.9], 0.1, 0.0, 1.0) == [0.1, 0.5, 0.9]
    # too close: pushed up from the lowest, keeping order
    assert spread([0.50, 0.52, 0.51], 0.1, 0.0, 1.0) == pytest.approx([0.50, 0.70, 0.60])
    # five lines meeting at a rate of 100%: stacked down from the top, in the order given
    assert spread([1.0] * 5, 0.075, -0.02, 1.02) == pytest.approx([0.72, 0.795, 0.87, 0.945, 1.02])
