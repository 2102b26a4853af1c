"""The SPC panels written as SVG (reports/spc_svg.py): their ticks, where a rate lands, what a
hidden month leaves out, the shape of a signal's mark, and text that stands clear of every other
text and every panel, read from the SVG itself and measured in DejaVu Sans by matplotlib's font
machinery (not by the code that places it)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from tests.reports.test_judgements import spc_rows
from vcc.reports.spc import spc_view
from vcc.reports.spc_svg import Panel, nice_ticks, percent, spc_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        # 18.5 points: steps of 1, 2 and 2.5 put 19, 10 and 8 ticks in view; 5 puts 4
        (0.72, 0.905, [0.75, 0.80, 0.85, 0.90]),
        # 89.2% to 100.5%: 2.5 gives 90, 92.5, 95, 97.5 and 100 (five); 5 gives three
        (0.892, 1.005, [0.90, 0.95, 1.00]),
        # 90% to 98%: 2 gives 90 to 98 (five); 2.5 gives four, one of them 92.5%
        (0.90, 0.98, [0.90, 0.925, 0.95, 0.975]),
        # the whole scale: 25 gives 0, 25, 50, 75 and 100; 50 gives three
        (0.0, 1.005, [0.0, 0.5, 1.0]),
    ],
)
def test_ticks_are_the_smallest_nice_step_with_at_most_four_in_view(low, high, ticks) -> None:
    assert nice_ticks(low, high) == pytest.approx(ticks)


def test_tick_labels_are_whole_percents_unless_the_step_is_a_half() -> None:
    assert [percent(v) for v in (0.85, 0.925, 1.0, 0.0)] == ["85%", "92.5%", "100%", "0%"]


def elements(svg: str, tag: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(SVG + tag))


def test_a_rate_lands_where_the_axis_puts_it_by_hand() -> None:
    # 12 months at 80%, limits 75% and 85%, target 90%: the axis spans 75% to 90% (15 points)
    # padded by 8% of it (1.2 points): 73.8% to 91.2%, and half a point on top: 91.7%.
    panel = Panel("Crime recording ● ✔", [0.80] * 12, [0.75] * 12, [0.85] * 12, 0.80, 0.90,
                  ["common_cause"] * 12, [(3, "Jan 25")])  # fmt: skip
    svg = spc_chart_svg([panel])
    # one row: 0.45 + 1.12 inches = 113.04 pt tall, 0.3 inch (21.6 pt) above and below the
    # panel: 69.84 pt tall, its foot at 91.44 pt; 80% is (80 - 73.8) / 17.9 of the way up
    # 91.44 - 0.346369 * 69.84 = 67.25. Across: 493.2 pt, the panels from 9% to 98% of it,
    # two with a gap of 0.18 of one: 438.948 / 2.18 = 201.35 pt wide from 44.388 pt, the
    # months -0.6 to 11.6 (12.2 of them): the first month at 44.388 + 0.6 / 12.2 * 201.35 = 54.29.
    first = elements(svg, "circle")[0]
    assert (first.get("cx"), first.get("cy")) == ("54.29", "67.25")
    labels = {t.text: t.get("y") for t in elements(svg, "text")}
    # 75%, 80%, 85%, 90% by steps of 5; 90% at 91.44 - (90 - 73.8) / 17.9 * 69.84 = 28.23,
    # its label's baseline 0.3645 of 8 pt (the digits' middle) lower: 31.15
    assert [t.text for t in elements(svg, "text") if "%" in (t.text or "")] == [
        "75%", "80%", "85%", "90%"
    ]  # fmt: skip
    assert labels["90%"] == "31.15"


def test_a_hidden_month_draws_no_mark_and_no_limit_step() -> None:
    # the last month: 2 met of 3 (a count from 1 to 4 at threshold 5)
    spc = spc_rows("R3-ACK", "police", [90, 92] * 8 + [80] * 7 + [2], [100] * 23 + [3])
    view = spc_view(spc, "police", "2024Q3", 5, {"R3-ACK": 0.9})
    assert view is not None and view.hidden_months == 1
    svg = str(view.chart_svg)
    # 24 months (-0.6 to 23.6) across 201.35 pt from 44.388: month m at
    # 44.388 + (m + 0.6) / 24.2 * 201.35;
    # the last shown month (22) steps to halfway to the next: 44.388 + 23.1 / 24.2 * 201.35
    marks = elements(svg, "circle") + elements(svg, "polygon")
    assert len(marks) == 23
    dashed = [line for line in elements(svg, "polyline") if line.get("class") == "limit"]
    assert len(dashed) == 2  # the lower and the upper limit, each one unbroken run
    for limit in dashed:
        xs = [float(point.split(",")[0]) for point in limit.get("points", "").split()]
        assert max(xs) == 236.59  # not on to the last month's 44.388 + 23.6 / 24.2 * 201.35
    centres = [float(re.split("[, ]", mark.get("points", ""))[0]) for mark in marks[-8:]]
    assert max(centres) == pytest.approx(44.388 + 22.6 / 24.2 * 201.3523, abs=0.01)


def test_a_concern_is_a_downward_triangle_and_an_improvement_an_upward_one() -> None:
    # 16 months above the centre (87.3%): a shift, improvement; then 8 at 80%, below the
    # lower limit (82.5%) and below the centre: concern
    spc = spc_rows("R3-ACK", "police", [90, 92] * 8 + [80] * 8, [100] * 24)
    view = spc_view(spc, "police", "2024Q3", 5, {"R3-ACK": 0.9})
    assert view is not None
    marks = elements(str(view.chart_svg), "polygon")
    assert [mark.get("class") for mark in marks] == ["improvement"] * 16 + ["concern"] * 8
    for mark in marks:
        (tip, *base) = [float(p.split(",")[1]) for p in mark.get("points", "").split()]
        # y grows down the page: ▼'s tip is below its base, ▲'s above, by the mark's 5.5 pt
        assert tip - base[0] == pytest.approx(5.5 if mark.get("class") == "concern" else -5.5)
        assert mark.get("fill") == ("#c55a11" if mark.get("class") == "concern" else "#005eb8")


LONG_NAMES = ["ENH-IDENTIFIED", "R1-INTERPRET", "R4-VNA-CONTENT", "R6-VRR",
              "R11-RELEASE", "R11-CONTACT", "R10-PROPERTY", "R5-COMPENSATION"]  # fmt: skip


def eight_panels() -> str:
    spc = pd.concat(
        [spc_rows(m, "police", [90, 92] * 8 + [80] * 8, [100] * 24) for m in LONG_NAMES],
        ignore_index=True,
    )
    view = spc_view(spc, "police", "2024Q3", 5, dict.fromkeys(LONG_NAMES, 0.9))
    assert view is not None
    return str(view.chart_svg)


def text_box(text: ET.Element) -> tuple[str, tuple[float, float, float, float]]:
    """(words, (left, top, right, bottom)) of a text element as DejaVu Sans 8 pt sets it."""
    words = text.text or ""
    width, height, descent = TextToPath().get_text_width_height_descent(
        words, FontProperties(family="DejaVu Sans", size=8), ismath=False
    )
    x, y = float(text.get("x", "0")), float(text.get("y", "0"))
    anchor = re.search(r"text-anchor: (\w+)", text.get("style", ""))
    left = {"end": x - width, "middle": x - width / 2}.get(anchor[1] if anchor else "start", x)
    return words, (left, y - (height - descent), left + width, y + descent)


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_no_text_overlaps_another_or_any_panel() -> None:
    svg = eight_panels()
    boxes = [text_box(t) for t in elements(svg, "text")]
    # each name ends with its icons (▼ concern, ≈ hit and miss); the longest on two lines
    assert sum(words.endswith(("▼ ≈", "▼")) for words, _ in boxes) == 8
    assert tuple(
        words for words, _ in boxes if words.startswith("Victims owed") or "the police" in words
    ) == ("Victims owed enhanced rights identified by", "the police ▼ ≈")
    frames = [
        (float(r.get("x", "")), float(r.get("y", "")),
         float(r.get("x", "")) + float(r.get("width", "")),
         float(r.get("y", "")) + float(r.get("height", "")))
        for r in elements(svg, "rect") if r.get("stroke")
    ]  # fmt: skip
    assert len(frames) == 8
    width, height = (float(v) for v in ET.fromstring(svg).get("viewBox", "").split()[2:])
    found = []
    for i, (words, box) in enumerate(boxes):
        if not (box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height):
            found.append(f"{words!r} leaves the chart")
        found += [f"{words!r} overlaps {other!r}" for other, b in boxes[i + 1 :] if overlap(box, b)]
        found += [f"{words!r} overlaps panel {n}" for n, f in enumerate(frames) if overlap(box, f)]
    assert found == []


def test_same_data_same_bytes_and_ids_of_its_own() -> None:
    assert eight_panels() == eight_panels()
    police = eight_panels()
    spc = spc_rows("R3-ACK", "cps", [90, 92] * 8 + [80] * 8, [100] * 24)
    cps = spc_view(spc, "cps", "2024Q3", 5, {"R3-ACK": 0.9})
    assert cps is not None
    ids = [set(re.findall(r'id="([^"]+)"', svg)) for svg in (police, str(cps.chart_svg))]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
