"""The measure catalogue as plain text (``vcc measures``): one block per measure with its id,
right, agency, deadlines and description, in catalogue order."""

from __future__ import annotations

import textwrap

from vcc.transforms.catalogue import Catalogue, MeasureDefinition

WIDTH = 100


def deadline_words(standard: int | None, enhanced: int | None) -> str:
    """E.g. "5 working days (1 for victims owed enhanced rights)", or "none: met or not at once"."""
    if standard is None and enhanced is None:
        return "none: met or not at once"
    if standard is None or enhanced is None or standard == enhanced:
        days = standard if standard is not None else enhanced
        return f"{days} working day{'s' if days != 1 else ''}"
    return f"{standard} working days ({enhanced} for victims owed enhanced rights)"


def _measure_lines(measure: MeasureDefinition) -> list[str]:
    heading = f"{measure.measure_id}  Right {measure.right}, {measure.agency}: {measure.title}"
    deadline = deadline_words(measure.deadline_standard, measure.deadline_enhanced)
    lines = [heading, f"    deadline: {deadline}"]
    wrapped = textwrap.wrap(measure.description or measure.action, WIDTH - 4)
    return lines + [f"    {line}" for line in wrapped]


def catalogue_text(catalogue: Catalogue) -> str:
    """The catalogue of one Code version, for the terminal."""
    lines = [
        f"Victims' Code {catalogue.version}: {catalogue.title}",
        f"in force from {catalogue.in_force_from:%-d %B %Y}; {len(catalogue.measures)} measures",
        "",
    ]
    for measure in catalogue.measures:
        lines += [*_measure_lines(measure), ""]
    return "\n".join(lines).rstrip() + "\n"
