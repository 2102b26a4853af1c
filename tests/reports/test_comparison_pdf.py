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
def pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
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


def test_each_measure_has_a_funnel_plot_with_its_text_alternative(pdf: tuple[Path, dict]) -> None:
    _, context = pdf
    assert [s["title"] for s in context["sections"]] == [  # plain names, not ids
        "Victim told of investigation events (Police)",
        "Victim Personal Statement offered (Police)",
    ]
    for section in context["sections"]:
        chart = section["chart"]
        # south: 60/120 = 50% against (360 + 60 + 50 + 2) / 583 = 81.0%, far below
        assert "<title>Funnel plot of" in chart and "Southshire" in chart
        assert "south: below 99.8%" in chart
        assert "Tinyshire" not in chart  # hidden by disclosure control: not drawn


def test_the_pdf_is_tagged_with_the_shipped_font_and_names_missing_areas(
    pdf: tuple[Path, dict],
) -> None:
    path, _ = pdf
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Areas missing from this comparison" in text and "table crimes is missing" in text
    assert "Northshire" in text and "Tinyshire" in text and "[c]" in text
    # a board's page: each measure by its title, never its code (as the report's pages)
    assert "R6-UPDATE" not in text and "R7-VPS" not in text
    assert text.count("All areas: 81.0%.") == 2  # (360 + 60 + 50 + 2) / 583, each measure
    tables, problems = table_problems(path)
    assert tables == 2 and not problems
    assert embedded_fonts(path) <= SHIPPED


def test_each_funnel_line_is_named_at_its_end_with_no_key(pdf: tuple[Path, dict]) -> None:
    _, context = pdf
    chart = context["sections"][0]["chart"]
    # p0 = (360 + 60 + 50 + 2) / (400 + 120 + 60 + 3) = 472 / 583
    for name in ("All areas 81.0%", "95% limit (upper)", "95% limit (lower)",
                 "99.8% limit (upper)", "99.8% limit (lower)"):  # fmt: skip
        assert f">{name}</text>" in chart
    assert "legend" not in chart


def test_line_labels_are_spread_apart_in_order_and_kept_in_range() -> None:
    from vcc.reports.comparison import spread

    # apart already: unmoved
    assert spread([0.1, 0.5, 0.9], 0.1, 0.0, 1.0) == [0.1, 0.5, 0.9]
    # too close: pushed up from the lowest, keeping order
    assert spread([0.50, 0.52, 0.51], 0.1, 0.0, 1.0) == pytest.approx([0.50, 0.70, 0.60])
    # five lines meeting at a rate of 100%: stacked down from the top, in the order given
    assert spread([1.0] * 5, 0.075, -0.02, 1.02) == pytest.approx([0.72, 0.795, 0.87, 0.945, 1.02])


# --- labels from the chart's geometry; the Code's order; the limits in plain words ---------------


def many(counts: dict[str, tuple[int, int]], measures=("R4-REFER",)) -> dict[str, pd.DataFrame]:
    return {
        name: pd.DataFrame(
            [
                dict(
                    quarter=Q,
                    measure_id=m,
                    right="R4",
                    agency="police",
                    dimension="all",
                    group="all",
                    eligible=eligible,
                    met=met,
                )
                for m in measures
            ]
        )  # fmt: skip
        for name, (eligible, met) in counts.items()
    }


THREE = {"north": (5968, 4852), "south": (2686, 2178), "east": (1194, 1034)}
# ten areas of the same size one above another (widened limits, τ² > 0), and ten near p0
STACKED = {f"area{i}": (100, met) for i, met in enumerate(range(50, 100, 5))}
CROWDED = {f"area{i}": (400 + 37 * i, 300 + 28 * i + (i % 3) * 4) for i in range(10)}


@pytest.mark.slow
@pytest.mark.parametrize("counts", [THREE, STACKED, CROWDED], ids=["three", "stacked", "crowded"])
def test_no_label_is_struck_through_by_a_line_or_runs_into_another(counts) -> None:
    from vcc.reports.comparison import funnel_figure
    from vcc.reports.labels import collisions

    table = compare_areas(many(counts), QUARTER)
    titles = {name: f"{name.title()}shire" for name in counts}
    funnel = funnel_figure(table, pd.Series(True, index=table.index), titles)
    ax = funnel.figure.axes[0]
    assert len(funnel.areas) == len(counts)
    # measured again on the finished chart, every label's text box against every line, leader,
    # point and other label
    assert collisions(ax, [label.annotation for label in funnel.areas]) == []
    assert collisions(ax, funnel.lines, inside_plot=False) == []


def test_collisions_are_found_where_a_label_is_struck_through() -> None:
    from vcc.reports.comparison import funnel_figure
    from vcc.reports.labels import collisions

    table = compare_areas(many(THREE), QUARTER)
    funnel = funnel_figure(table, pd.Series(True, index=table.index), {})
    ax = funnel.figure.axes[0]
    p0 = float(table["all_areas_rate"].iloc[0])
    # a label written across the all-areas line, and one on another label
    struck = ax.annotate("Across", (3000, p0), ha="center", va="center", fontsize=8)
    found = collisions(ax, [struck])
    assert "Across: struck by a line" in found
    first = funnel.areas[0].annotation
    over = ax.annotate("Over", first.xyann, xycoords=first.xycoords, textcoords=first.anncoords,
                       xytext=first.xyann, fontsize=8)  # fmt: skip
    over.xy = first.xy
    assert any(f"over {first.get_text()}" in problem or f"{first.get_text()}: over" in problem
               for problem in collisions(ax, [first, over]))  # fmt: skip


def test_measures_follow_the_codes_order_right_1_to_12() -> None:
    from vcc.reports.comparison import code_order

    keys = [("R12-ACK", "probation"), ("ENH-IDENTIFIED", "police"), ("R10-EXPENSES", "cps"),
            ("R12-ACK", "police"), ("R2-RECORD", "police"), ("R4-VNA", "police"),
            ("R11-REFER", "wcu"), ("R1-INTERPRET", "police"), ("R12-ACK", "cps")]  # fmt: skip
    assert code_order(keys) == [
        ("R1-INTERPRET", "police"), ("R2-RECORD", "police"), ("R4-VNA", "police"),
        ("ENH-IDENTIFIED", "police"), ("R10-EXPENSES", "cps"), ("R11-REFER", "wcu"),
        ("R12-ACK", "police"), ("R12-ACK", "cps"), ("R12-ACK", "probation"),
    ]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    ("counts", "method", "words"),
    [
        (STACKED, "additive", "The limits are widened: areas differ more than chance alone "
                              "explains (their spread is 9.5 times what chance would give)"),
        (STACKED, "none", "The limits are those of chance alone: the configuration asks for no "
                          "widening"),
        (THREE, "additive", "with 3 areas (fewer than 10), how far areas really differ cannot be "
                            "estimated, so the limits are not widened"),
        ({f"a{i}": (80, 72) for i in range(10)}, "additive",
         "areas differ no more than chance explains"),
    ],
)  # fmt: skip
def test_the_pdf_says_in_plain_words_whether_and_why_limits_were_widened(
    counts, method, words
) -> None:
    table = compare_areas(many(counts), QUARTER, overdispersion_method=method)
    context = comparison_context(
        table, QUARTER, {}, {}, 5, ReportSettings(), dt.date(2025, 2, 14), method
    )
    section = context["sections"][0]
    assert words in section["limits_note"]
    assert words in section["chart"]  # the plot's text alternative says it too
    assert section["widened"] == (counts is STACKED and method == "additive")


def test_an_area_with_a_most_similar_group_has_how_it_compares() -> None:
    from vcc.reports.render import template

    counts = {"north": (400, 360), "south": (120, 60), "east": (60, 50), "tiny": (3, 2)}
    table = compare_areas(many(counts), QUARTER)
    context = comparison_context(
        table, QUARTER, TITLES, {}, 5, ReportSettings(), dt.date(2025, 2, 14), "additive",
        {"north": ["south"], "south": [], "east": ["north"]},
    )  # fmt: skip
    # south has no group; east is hidden with tiny (secondary suppression), so its group's
    # pooled rate would give its counts back
    assert [group["title"] for group in context["groups"]] == ["Northshire", "Eastshire"]
    line = context["groups"][0]["lines"][0]
    # north 360/400 = 90.0%; all 472/583 = 81.0%; the group (north, south) 420/520 = 80.8%
    assert (line["rate"], line["all_areas"], line["group"]) == ("90.0%", "81.0%", "80.8%")
    assert line["learn_from"] == "None"  # north itself is the only area above 99.8%
    east = context["groups"][1]["lines"][0]
    assert (east["rate"], east["group"], east["learn_from"]) == ("[c]", "[c]", "Northshire")
    html = template("comparison.html.j2").render(**context)
    assert "How Northshire compares" in html and "most similar areas: Southshire." in html
