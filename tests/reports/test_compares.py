""" "How <area> compares" (CONTRACT.md §7.2), the section an area's own report gains in a run of
many areas: built from a small comparison table written out here, its figures worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from vcc.reports.compares import area_compares, compares_section
from vcc.reports.render import COMPARES_END, COMPARES_START, with_section
from vcc.transforms.comparison import compare_areas
from vcc.transforms.quarters import Quarter

Q = "2024Q4"
QUARTER = Quarter(2024, 4)
# Victim Personal Statement offered: ten areas of 100 eligible, 50 to 95 met (p0 = 725 / 1,000
# = 72.5%). Against binomial limits (0.576 to 0.850 at 99.8%, n = 100) a (50%) is below and
# i (90%) and j (95%) are above the 99.8% limit (tests/transforms/test_comparison.py).
VPS = dict(zip("abcdefghij", [50, 55, 60, 65, 70, 75, 80, 85, 90, 95], strict=True))
# Crime recorded without delay: a 98 of 100 (2 not met: a small count, so a's met is hidden, and
# one other area with it), every other area 80 of 100: p0 = (98 + 720) / 1,000 = 81.8%.
RECORD = {name: 98 if name == "a" else 80 for name in VPS}
TITLES = {name: f"{name.upper()}ville" for name in VPS}


def metrics(name: str) -> pd.DataFrame:
    rows = [("R7-VPS", VPS[name]), ("R2-RECORD", RECORD[name])]  # not in the Code's order
    return pd.DataFrame([
        dict(quarter=Q, measure_id=measure, right=measure[:2], agency="police",
             dimension="all", group="all", eligible=100, met=met)
        for measure, met in rows
    ])  # fmt: skip


def table(method: str) -> pd.DataFrame:
    return compare_areas({name: metrics(name) for name in VPS}, QUARTER, method)


def test_rates_positions_group_and_ones_to_learn_from_in_code_order() -> None:
    view = area_compares(
        table("none"), "a", TITLES, ["b", "c"], {}, 5, "1 October to 31 December 2024"
    )
    record, vps = view["lines"]  # Right 2 before Right 7
    assert record["title"] == "Crime recorded without delay (Police)"
    assert vps["title"] == "Victim Personal Statement offered (Police)"
    # a's 50 of 100 against all areas' 72.5%; its group (a, b, c) pooled: (50 + 55 + 60) / 300
    assert (vps["rate"], vps["position"], vps["all_areas"]) == ("50.0%", "below 99.8%", "72.5%")
    assert vps["group"] == "55.0%"  # pooled, not the mean of the three rates (also 55.0% here)
    assert vps["learn_from"] == "Iville, Jville"  # above 99.8%, by name, not ranked
    # a's own rate of crimes recorded is withheld (2 not met), so are its position and its group's
    # pooled rate (with b's and c's counts published it would give a's back); a, above the
    # 99.8% limit, is not named as one to learn from, its position being withheld
    assert (record["rate"], record["position"], record["group"]) == ("[c]", "[c]", "[c]")
    assert (record["all_areas"], record["learn_from"]) == ("81.8%", "None")
    assert view["group"] and view["members"] == "Bville, Cville"
    assert view["widened"] == ""  # "none": binomial limits


def test_pooled_group_rate_differs_from_the_mean_of_rates_when_sizes_differ() -> None:
    # b 55 of 100 and a tenth area k, 10 of 20 (50%): pooled 65 / 120 = 54.2%; the mean of the
    # two rates would be 52.5%
    areas = {name: metrics(name) for name in VPS}
    areas["k"] = metrics("a").assign(eligible=20, met=10)
    view = area_compares(compare_areas(areas, QUARTER, "none"), "b", TITLES, ["k"], {}, 5, "Q")
    assert view["lines"][1]["group"] == "54.2%"


def test_without_a_group_it_says_no_comparison_group_is_configured() -> None:
    view = area_compares(table("none"), "b", TITLES, [], {"z": "source police: gone"}, 5, "Q")
    assert not view["group"]
    assert view["no_group"].startswith("Bville has no comparison group configured")
    assert view["missing"] == "Not compared this quarter (their runs failed): z."
    html = compares_section("Bville", QUARTER, view)
    assert "How Bville compares" in html and "Its group" not in html
    assert "no comparison group configured" in html


def test_widened_limits_are_said_in_one_plain_sentence() -> None:
    # VPS: φ 9.48, τ² 0.0238 (widened); crimes recorded: φ 0.19, so I·φ − (I − 1) < 0 and τ² 0
    view = area_compares(table("additive"), "a", TITLES, ["b"], {}, 5, "Q")
    assert view["widened"] == (
        "For 1 of the 2 measures the limits were widened, because areas differ more than chance "
        "alone explains; the comparison of areas says which and by how much."
    )
    # widened, a's 50% is within the limits and no area is above the 99.8% one
    assert (view["lines"][1]["position"], view["lines"][1]["learn_from"]) == ("within", "None")


def test_the_section_takes_the_place_the_report_keeps_for_it() -> None:
    section = compares_section(
        "Aville", QUARTER, area_compares(table("none"), "a", TITLES, ["b"], {}, 5, "Q")
    )
    kept = f"<main>\n{COMPARES_START}\n<p>one sentence</p>\n{COMPARES_END}\n<h2>Next</h2>"
    report = with_section(kept, section)
    assert "one sentence" not in report and "How Aville compares" in report
    assert report.endswith("\n<h2>Next</h2>") and report.count(COMPARES_START) == 1
    with pytest.raises(ValueError, match="no place"):
        with_section("<main></main>", section)


def test_the_pdf_is_laid_out_from_the_html_file_with_its_stylesheet_linked_again() -> None:
    from vcc.reports.render import LINKED_STYLESHEETS, linked_html, standalone_html

    rendered = f"<html><head>\n  <title>R</title>\n{LINKED_STYLESHEETS}</head><body></body></html>"
    assert linked_html(standalone_html(rendered)) == rendered
    # a stylesheet of an earlier vcc in the file is replaced all the same
    older = rendered.replace(LINKED_STYLESHEETS, "  <style>p { color: red; }</style>\n")
    assert linked_html(older) == rendered
    with pytest.raises(ValueError, match="stylesheet"):
        linked_html("<html><head></head><body><style>svg</style></body></html>")
