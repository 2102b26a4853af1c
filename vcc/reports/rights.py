"""The twelve rights of the Code and how this report measures each (CONTRACT.md §6.1): the
measures of the run's catalogue with figures, and those the data could not support, with why.
A measure of the catalogue with no row in the figures is one the data did not support."""

from __future__ import annotations

from dataclasses import dataclass

from vcc.reports.model import ReportData
from vcc.transforms.agencies import agency_label
from vcc.transforms.catalogue import Catalogue, MeasureDefinition, load_catalogue
from vcc.transforms.support import requirement_words


@dataclass(frozen=True)
class RightRow:
    right: int
    name: str
    measured: list[str]  # "Victim needs assessment completed (Police)"
    not_measured: list[str]  # the measures the data could not support, each with why


def run_catalogue(data: ReportData) -> Catalogue:
    """The catalogue the figures were computed with (the Code of 2021 when none was handed)."""
    return data.catalogue if data.catalogue is not None else load_catalogue()


def _label(measure: MeasureDefinition) -> str:
    owner = "each agency" if measure.agency == "each source" else agency_label(measure.agency)
    return f"{measure.title} ({owner})"  # words for the board: the code is the annex's


def _why(measure: MeasureDefinition) -> str:
    reasons = "; ".join(requirement_words(need) for need in measure.requires)
    return f"{_label(measure)}: not supported by the data ({reasons or 'no figures'})"


def rights_rows(data: ReportData) -> list[RightRow]:
    catalogue = run_catalogue(data)
    with_figures = set(data.metrics["measure_id"])
    numbers = sorted({*catalogue.rights, *(m.right for m in catalogue.measures)})
    rows = []
    for number in numbers:
        measures = [m for m in catalogue.measures if m.right == number]
        rows.append(
            RightRow(
                right=number,
                name=catalogue.rights.get(number, ""),
                measured=[_label(m) for m in measures if m.measure_id in with_figures],
                not_measured=[_why(m) for m in measures if m.measure_id not in with_figures],
            )
        )
    return rows


def unsupported_rights(data: ReportData) -> list[int]:
    """The rights of which no measure could be computed from the data."""
    return [row.right for row in rights_rows(data) if not row.measured]


def rights_words(numbers: list[int]) -> str:
    """[1, 5, 10] -> "Rights 1, 5 and 10"; [] -> ""."""
    if not numbers:
        return ""
    listed = [str(number) for number in numbers]
    if len(listed) == 1:
        return f"Right {listed[0]}"
    return f"Rights {', '.join(listed[:-1])} and {listed[-1]}"
