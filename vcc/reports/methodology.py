"""The methodology note, written from the measure catalogue and the configured settings, so the
report always describes the definitions and deadlines the figures were computed with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from vcc.reports.model import ReportData
from vcc.reports.rights import run_catalogue
from vcc.transforms.agencies import agency_label
from vcc.transforms.quarters import long_date
from vcc.transforms.settings import MeasureSettings


@dataclass(frozen=True)
class MethodRow:
    measure_id: str
    right: int
    agency: str
    title: str
    instance: str
    action: str
    deadline: str
    target: str


def _working_days(count: int) -> str:
    return f"{count} working day" if count == 1 else f"{count} working days"


def deadline_text(settings: MeasureSettings) -> str:
    """E.g. "5 working days (1 for victims owed enhanced rights)"."""
    standard, enhanced = settings.deadline_standard, settings.deadline_enhanced
    if standard is None and enhanced is None:
        return "No working-day deadline: met or not at once"
    if standard is None or enhanced is None or standard == enhanced:
        return _working_days(standard if standard is not None else enhanced)  # type: ignore[arg-type]
    return f"{_working_days(standard)} ({enhanced} for victims owed enhanced rights)"


def _rating(settings: MeasureSettings) -> tuple[float, int]:
    return settings.rag_tolerance, settings.min_eligible_for_rating


def _common_rating(data: ReportData) -> tuple[float, int]:
    """The RAG tolerance and minimum n most measures share, stated once in the text."""
    ratings = [_rating(data.settings_for(m.measure_id)) for m in run_catalogue(data).measures]
    return Counter(ratings).most_common(1)[0][0]


def rating_rule(data: ReportData) -> str:
    tolerance, minimum = _common_rating(data)
    return (
        f"A measure's status is green at or above its target, amber up to {100 * tolerance:.0f} "
        f"percentage points below it, red further below, and not rated when fewer than "
        f"{minimum} instances are eligible, unless the table says otherwise."
    )


def target_text(settings: MeasureSettings, common: tuple[float, int]) -> str:
    """E.g. "90%", or "90% (amber from 85%; rated from 20 eligible)" where the rating rule
    differs from the common one."""
    text = f"{100 * settings.target:.0f}%"
    if _rating(settings) != common:
        amber_from = max(settings.target - settings.rag_tolerance, 0.0)
        text += (
            f" (amber from {100 * amber_from:.0f}%; "
            f"rated from {settings.min_eligible_for_rating} eligible)"
        )
    return text


def methodology_rows(data: ReportData) -> list[MethodRow]:
    common = _common_rating(data)
    rows = []
    for measure in run_catalogue(data).measures:
        settings = data.settings_for(measure.measure_id)
        rows.append(
            MethodRow(
                measure_id=measure.measure_id,
                right=measure.right,
                agency=agency_label(measure.agency),
                title=measure.title,
                instance=measure.instance,
                action=measure.action,
                deadline=deadline_text(settings),
                target=target_text(settings, common),
            )
        )
    return rows


def configuration_rows(data: ReportData) -> list[tuple[str, str]]:
    """The settings this report was produced with, beyond each measure's deadline and target
    (which Table of measure definitions gives), so a reader can reproduce or question them."""
    published = data.published_figures()
    districts = list(dict.fromkeys(published.loc[published["dimension"] == "district", "group"]))
    districts = [d for d in districts if d != "unknown"]
    tolerance, minimum = _common_rating(data)
    settings = data.settings
    code = run_catalogue(data)
    return [
        ("Victims' Code (measure catalogue)", f"{code.version}: {code.title}"),
        ("Area", settings.area),
        ("Districts reported", ", ".join(districts) if districts else "none in the data"),
        ("Data complete to the end of", long_date(data.as_of)),
        (
            "Suppression threshold",
            f"counts from 1 to {data.suppression_threshold - 1} shown as [c]",
        ),
        ("Quarters in the trend charts", str(settings.trend_quarters)),
        ("RAG tolerance below target (most measures)", f"{100 * tolerance:.0f} percentage points"),
        ("Fewest eligible instances for a RAG status", str(minimum)),
        ("Confidence level of intervals and change tests", "95%"),
        ("Security marking", settings.marking),
    ]
