"""The public page of the open release, ``release/index.html`` (CONTRACT.md §7.4): one page in
plain English for a member of the public, from the release's published tables alone.

What the Code promises; how the area did on each right, in words and in a small chart per
measure (inline SVG, its text alternative the same words); what changed and whether the change
is more than chance; the month-by-month signals and what victims said, when the run made them;
what the partnership will do next; the next update's date; a contact; and the data. The page is
self-contained (its stylesheet inline, no script, nothing fetched), reflows at 320 px and prints.
Figures are formatted as they arrive: a hidden figure stays hidden (``[c]`` in the tables, and
the words say why).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from vcc.reports.model import measure_sort_key
from vcc.reports.open_data import MISSING_VALUES, OpenTable
from vcc.reports.pdf import STATIC_DIR
from vcc.reports.render import template
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import Catalogue
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE
from vcc.transforms.quarters import long_date

STYLESHEET = STATIC_DIR / "release.css"
SYMBOLS = (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE, "")
RATING_WORDS = {
    "green": "Target met",
    "amber": "Close to the target",
    "red": "Well below the target",
    "none": "Too few to rate",
    CONFIDENTIAL: "Withheld",
}


def _percent(text: str) -> str:
    return f"{100 * float(text):.1f}%"


def _shown(text: Any) -> bool:
    return not pd.isna(text) and str(text) not in SYMBOLS


def _count(text: str) -> str:
    return f"{int(text):,}" if _shown(text) else str(text)


@dataclass(frozen=True)
class PageFacts:
    """What the page says beside the figures."""

    area: str
    quarter: str
    fy_label: str  # 2026/27 Q2
    period: str  # 1 July to 30 September 2026
    as_of: dt.date
    published_on: dt.date
    next_update: dt.date | None
    producer: str
    contact: str
    contact_email: str | None
    contact_url: str | None
    next_steps: str
    threshold: int
    report_version: str  # First issue (version 1)


@dataclass(frozen=True)
class MeasureLine:
    measure_id: str
    title: str
    agency: str
    sentence: str
    rating: str
    chart: Markup | None
    row: dict[str, str]  # the table's cells, as published


def _sentence(row: pd.Series, title: str, agency: str, threshold: int, timed: bool = True) -> str:
    lowered = title[:1].lower() + title[1:] if title[1:2].islower() else title  # not "cPS"
    who = f"{agency}: {lowered}" if title else agency
    eligible, met, rate = row["eligible"], row["met"], row["rate"]
    if rate == NOT_APPLICABLE or eligible == "0":
        return f"{who}. No duty of this kind fell due this quarter."
    if eligible == CONFIDENTIAL:
        return (
            f"{who}. Fewer than {threshold} duties fell due: the figures are withheld so that "
            "no one can be identified."
        )
    if not _shown(rate):
        return (
            f"{who}. {_count(eligible)} duties fell due. How many were met is withheld, "
            "because the number met or not met is small enough to identify someone."
        )
    target = _percent(row["target"])
    verdict = {
        "green": f"This meets the target of {target}.",
        "amber": f"This is just below the target of {target}.",
        "red": f"This is well below the target of {target}.",
    }.get(row["rag"], f"Too few duties fell due to judge this against the target of {target}.")
    return (
        f"{who}. {_count(met)} of {_count(eligible)} duties were met{' on time' if timed else ''} "
        f"({_percent(rate)}). "
        f"Allowing for chance, the true rate is likely between {_percent(row['ci_low'])} and "
        f"{_percent(row['ci_high'])}. {verdict}"
    )


def _chart(row: pd.Series, sentence: str, chart_id: str) -> Markup | None:
    """A bar of the rate on a 0 to 100% scale, its 95% interval as a whisker and the target as a
    dashed line, labelled; its text alternative is the sentence beside it. None when the rate
    is hidden or undefined."""
    if not _shown(row["rate"]):
        return None
    rate, low, high, target = (float(row[c]) for c in ("rate", "ci_low", "ci_high", "target"))
    left, width = 8.0, 284.0  # the scale from 0% to 100%

    def x(value: float) -> float:
        return round(left + width * value, 1)

    target_anchor = "end" if target > 0.8 else "start"
    target_dx = -3 if target > 0.8 else 3
    parts = [
        f'<svg class="bar" viewBox="0 0 300 58" role="img" aria-labelledby="{chart_id}-t" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(sentence)}</title>',
        f'<rect x="{left}" y="14" width="{width}" height="18" fill="#f3f2f1" stroke="#505a5f" '
        'stroke-width="0.5"/>',
        f'<rect x="{left}" y="14" width="{x(rate) - left}" height="18" fill="#1d70b8"/>',
        f'<line x1="{x(low)}" y1="23" x2="{x(high)}" y2="23" stroke="#0b0c0c" stroke-width="2"/>',
        f'<line x1="{x(low)}" y1="18" x2="{x(low)}" y2="28" stroke="#0b0c0c" stroke-width="2"/>',
        f'<line x1="{x(high)}" y1="18" x2="{x(high)}" y2="28" stroke="#0b0c0c" stroke-width="2"/>',
        f'<line x1="{x(target)}" y1="8" x2="{x(target)}" y2="38" stroke="#d4351c" '
        'stroke-width="2" stroke-dasharray="4 2"/>',
        f'<text x="{x(target) + target_dx}" y="10" text-anchor="{target_anchor}" '
        f'class="target">target {100 * target:.0f}%</text>',
        f'<text x="{left}" y="50" class="axis">0%</text>',
        f'<text x="{x(0.5)}" y="50" text-anchor="middle" class="axis">50%</text>',
        f'<text x="{left + width}" y="50" text-anchor="end" class="axis">100%</text>',
        "</svg>",
    ]
    return Markup("".join(parts))


def _measure_lines(
    compliance: pd.DataFrame, catalogue: Catalogue, threshold: int
) -> dict[int, list[MeasureLine]]:
    overall = compliance[compliance["dimension"] == "all"]
    order = sorted(
        overall.index,
        key=lambda i: measure_sort_key(overall.at[i, "measure_id"], overall.at[i, "agency"]),
    )
    lines: dict[int, list[MeasureLine]] = {}
    for index in order:
        row = overall.loc[index]
        definition = catalogue.by_id.get(row["measure_id"])
        title = definition.title if definition else row["measure_id"]
        agency = agency_label(row["agency"])
        timed = definition is None or definition.deadline_standard is not None
        sentence = _sentence(row, title, agency, threshold, timed)
        chart_id = f"chart-{row['measure_id'].lower()}-{row['agency']}"
        cells = {
            "title": title,
            "agency": agency,
            "met": _count(row["met"]),
            "eligible": _count(row["eligible"]),
            "rate": _percent(row["rate"]) if _shown(row["rate"]) else row["rate"],
            "interval": (
                f"{_percent(row['ci_low'])} to {_percent(row['ci_high'])}"
                if _shown(row["ci_low"])
                else row["ci_low"]
            ),
            "target": _percent(row["target"]),
        }
        rating = (
            "Nothing due"
            if row["rate"] == NOT_APPLICABLE
            else RATING_WORDS.get(row["rag"], "Withheld")
        )
        lines.setdefault(int(row["right"]), []).append(
            MeasureLine(
                row["measure_id"],
                title,
                agency,
                sentence,
                rating,
                _chart(row, sentence, chart_id),
                cells,
            )  # fmt: skip
        )
    return lines


def _change_sentences(changes: pd.DataFrame, catalogue: Catalogue) -> dict[str, list[str]]:
    """A sentence for each measure whose rate can be compared with the previous quarter: the
    changes larger than chance (``real``) apart from the rest (``chance``)."""
    sentences: dict[str, list[str]] = {"real": [], "chance": []}
    rows = changes[changes["comparison"] == "previous quarter"]
    order = sorted(rows.index, key=lambda i: measure_sort_key(rows.at[i, "measure_id"],
                                                              rows.at[i, "agency"]))  # fmt: skip
    for index in order:
        row = rows.loc[index]
        if not (_shown(row["change"]) and _shown(row["rate"]) and _shown(row["compared_rate"])):
            continue
        definition = catalogue.by_id.get(row["measure_id"])
        title = definition.title if definition else row["measure_id"]
        change = float(row["change"])
        points = abs(100 * change)
        if round(points, 1) == 0:
            moved = f"stayed at {_percent(row['rate'])}"
        else:
            direction = "rose" if change > 0 else "fell"
            moved = (
                f"{direction} from {_percent(row['compared_rate'])} to {_percent(row['rate'])} "
                f"({points:.1f} percentage points)"
            )
        real = row["significant"] == "true"
        sentences["real" if real else "chance"].append(
            f"{title} ({agency_label(row['agency'])}) {moved} since {row['compared_quarter']}."
        )
    return sentences


ASSURANCE_WORDS = {
    "pass": "consistently meets its target",
    "fail": "will not meet its target unless something changes",
    "hit_and_miss": "sometimes meets its target and sometimes misses it",
}


def _improving(months: pd.DataFrame, index: Any) -> bool | None:
    """Whether the signal at ``index`` is an improvement (every measure is higher-is-better):
    above the upper limit or below the lower (``outside``), rising or falling (``trend``), above
    or below the centre (``shift``); None when the month's rate is hidden."""
    row = months.loc[index]
    if not _shown(row["rate"]):
        return None
    rate, signals = float(row["rate"]), str(row["signals"]).split(";")
    if "outside" in signals and _shown(row["upper"]):
        return rate > float(row["upper"])
    if "trend" in signals and "shift" not in signals:
        earlier = months.loc[:index].iloc[:-1]
        earlier = earlier[earlier["rate"].map(_shown)]
        if len(earlier):
            return rate > float(earlier["rate"].iloc[-1])
    return rate > float(row["centre"])


SIGNAL_WORDS = {
    True: "a sign of improvement in the last three months",
    False: "a sign of concern in the last three months",
    None: "an unusual pattern in the last three months",
}
COMMON_CAUSE = "no unusual change in the last three months (common cause variation)"


def _spc_readings(spc: pd.DataFrame, catalogue: Catalogue) -> list[tuple[str, str | None, str]]:
    """For each measure with process limits: its name, the signal of the last three months in
    words (None: none, common cause variation) and its assurance (pass, fail, hit_and_miss)."""
    readings = []
    for (measure_id, agency), months in spc.groupby(["measure_id", "agency"], sort=False):
        months = months.sort_values("month")
        if not _shown(months["centre"].iloc[-1]):
            continue  # too few months for limits
        definition = catalogue.by_id.get(measure_id)
        title = definition.title if definition else measure_id
        recent = months.tail(3)
        flagged = recent[recent["signals"].fillna("") != ""]
        words = SIGNAL_WORDS[_improving(months, flagged.index[-1])] if len(flagged) else None
        name = f"{title} ({agency_label(str(agency))})"
        readings.append((name, words, str(months["assurance"].iloc[-1])))
    return readings


def _spc_sentences(spc: pd.DataFrame, catalogue: Catalogue) -> list[str]:
    """A sentence per measure with process limits: its signal and its assurance, in words."""
    sentences = []
    for name, words, assurance in _spc_readings(spc, catalogue):
        said = ASSURANCE_WORDS.get(assurance, "")
        sentence = f"{name}: {words or COMMON_CAUSE}"
        sentences.append(sentence + (f"; on present form it {said}." if said else "."))
    return sentences


def _spc_summary(spc: pd.DataFrame, catalogue: Catalogue) -> dict[str, Any]:
    """The month-by-month part of the page: the measures showing a signal, each in a sentence;
    how many show none; and the measures by assurance against their targets."""
    readings = _spc_readings(spc, catalogue)
    return {
        "signals": [f"{name}: {words}." for name, words, _ in readings if words],
        "steady": sum(1 for _, words, _ in readings if not words),
        "assurance": [
            (heading, [name for name, _, a in readings if a == assurance])
            for assurance, heading in (
                ("pass", "Consistently meet their target"),
                ("fail", "Will not meet their target unless something changes"),
                ("hit_and_miss", "Sometimes meet their target and sometimes miss it"),
            )
        ],
        "measured": len(readings),
    }


def _feedback_sentences(feedback: pd.DataFrame, catalogue: Catalogue) -> list[str]:
    sentences = []
    for _, row in feedback.iterrows():
        if not _shown(row["measure_id"]) or not _shown(row["rate"]):
            continue
        definition = catalogue.by_id.get(row["measure_id"])
        title = definition.title if definition else row["measure_id"]
        sentence = (
            f"{title}: {_count(row['yes'])} of {_count(row['answered'])} victims who answered "
            f"said yes ({_percent(row['rate'])})"
        )
        if _shown(row["records_rate"]):
            sentence += f"; the agencies' records say {_percent(row['records_rate'])}"
            if row["significant"] == "true":
                sentence += ", a difference larger than chance alone would explain"
        sentences.append(sentence + ".")
    return sentences


def page_html(
    facts: PageFacts,
    catalogue: Catalogue,
    compliance: OpenTable,
    changes: OpenTable | None,
    spc: OpenTable | None,
    feedback: OpenTable | None,
    files: list[OpenTable],
) -> str:
    """``index.html``, with its stylesheet inline."""
    lines = _measure_lines(compliance.rows, catalogue, facts.threshold)
    numbers = sorted({*catalogue.rights, *lines})
    rights = [
        {"number": n, "name": catalogue.rights.get(n, ""), "measures": lines.get(n, [])}
        for n in numbers
    ]
    context = {
        "facts": facts,
        "title": f"Victims' rights in {facts.area}: {facts.period}",
        "code_title": catalogue.title,
        "rights": rights,
        "measured": [line for n in numbers for line in lines.get(n, [])],
        "changes": _change_sentences(changes.rows, catalogue) if changes is not None else None,
        "spc": _spc_summary(spc.rows, catalogue) if spc is not None else None,
        "feedback": (
            _feedback_sentences(feedback.rows, catalogue) if feedback is not None else None
        ),
        "files": files,
        "symbols": [(s, MISSING_VALUES[s]) for s in ("[c]", "[x]", "[z]")],
        "as_of": long_date(facts.as_of),
        "published_on": long_date(facts.published_on),
        "next_update": long_date(facts.next_update) if facts.next_update else None,
        "css": Markup(STYLESHEET.read_text(encoding="utf-8")),
    }
    return template("release.html.j2").render(**context)


POSITION_WORDS = {
    "within": "within the limits",
    "above 95%": "above the 95% limit",
    "above 99.8%": "above the 99.8% limit",
    "below 95%": "below the 95% limit",
    "below 99.8%": "below the 99.8% limit",
}


def comparison_page_html(
    facts: Any,  # flows.run.release.ReleaseFacts
    catalogue: Catalogue,
    comparison: OpenTable,
    titles: dict[str, str],
    missing: dict[str, str],
) -> str:
    """The comparison release's ``index.html``: for each measure, which areas lie beyond the
    funnel limits, in words, and every area's figures in a table in area order (never ranked)."""
    rows = comparison.rows
    measures = []
    keys = rows[["measure_id", "agency"]].drop_duplicates()
    order = sorted(keys.index, key=lambda i: measure_sort_key(keys.at[i, "measure_id"],
                                                              keys.at[i, "agency"]))  # fmt: skip
    for index in order:
        measure_id, agency = keys.at[index, "measure_id"], keys.at[index, "agency"]
        areas = rows[(rows["measure_id"] == measure_id) & (rows["agency"] == agency)]
        definition = catalogue.by_id.get(measure_id)

        def named(position: str, areas: pd.DataFrame = areas) -> list[str]:
            found = areas[areas["funnel_position"] == position]["area"]
            return [titles.get(a, a) for a in found]

        overall = areas["all_areas_rate"].iloc[0] if len(areas) else ""
        measures.append(
            {
                "id": f"{measure_id.lower()}-{agency}",
                "title": definition.title if definition else measure_id,
                "agency": agency_label(agency),
                "overall": _percent(overall) if _shown(overall) else overall,
                "learn_from": named("above 99.8%"),
                "concern": named("below 99.8%"),
                "rows": [
                    {
                        "area": titles.get(r["area"], r["area"]),
                        "eligible": _count(r["eligible"]),
                        "rate": _percent(r["rate"]) if _shown(r["rate"]) else r["rate"],
                        "position": POSITION_WORDS.get(r["funnel_position"], r["funnel_position"]),
                    }
                    for _, r in areas.sort_values("area").iterrows()
                ],
            }
        )
    context = {
        "facts": facts,
        "title": f"Victims' rights compared between areas: {facts.period}",
        "measures": measures,
        "missing": [(titles.get(a, a), why) for a, why in missing.items()],
        "area_count": rows["area"].nunique(),
        "file": comparison,
        "published_on": long_date(facts.published_on),
        "as_of": long_date(facts.as_of),
        "css": Markup(STYLESHEET.read_text(encoding="utf-8")),
    }
    return template("release-comparison.html.j2").render(**context)
