"""The measure catalogue as plain text (``vcc measures``): one block per measure with its id,
right, agency, deadlines, description and the survey question that speaks to it, in catalogue
order."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from vcc.transforms.catalogue import Catalogue, MeasureDefinition, Question

WIDTH = 100


def deadline_words(standard: int | None, enhanced: int | None) -> str:
    """E.g. "5 working days (1 for victims owed enhanced rights)", or "none: met or not at once"."""
    if standard is None and enhanced is None:
        return "none: met or not at once"
    if standard is None or enhanced is None or standard == enhanced:
        days = standard if standard is not None else enhanced
        return f"{days} working day{'s' if days != 1 else ''}"
    return f"{standard} working days ({enhanced} for victims owed enhanced rights)"


def _measure_lines(measure: MeasureDefinition, questions: Mapping[str, Question]) -> list[str]:
    heading = f"{measure.measure_id}  Right {measure.right}, {measure.agency}: {measure.title}"
    deadline = deadline_words(measure.deadline_standard, measure.deadline_enhanced)
    lines = [heading, f"    deadline: {deadline}"]
    wrapped = textwrap.wrap(measure.description or measure.action, WIDTH - 4)
    lines += [f"    {line}" for line in wrapped]
    question = questions.get(measure.measure_id)
    if question is not None:
        asked = f"survey question: {question.question_id}" + (
            f' "{question.text}"' if question.text else ""
        )
        lines += [f"    {line}" for line in textwrap.wrap(asked, WIDTH - 4)]
    return lines


def catalogue_text(catalogue: Catalogue, mapping: Mapping[str, str] | None = None) -> str:
    """The catalogue of one Code version, for the terminal; each measure with the survey
    question that speaks to it (``mapping``: question id -> measure id, the configuration's
    ``[feedback.questions]`` laid over the catalogue's; default the catalogue's alone)."""
    texts = {q.question_id: q.text for q in catalogue.questions}
    if mapping is None:
        mapping = {q.question_id: q.measure_id for q in catalogue.questions}
    questions: dict[str, Question] = {}
    for question_id, measure_id in mapping.items():
        if measure_id and measure_id not in questions:
            questions[measure_id] = Question(question_id, measure_id, texts.get(question_id, ""))
    lines = [
        f"Victims' Code {catalogue.version}: {catalogue.title}",
        f"in force from {catalogue.in_force_from:%-d %B %Y}; {len(catalogue.measures)} measures",
        "",
    ]
    for measure in catalogue.measures:
        lines += [*_measure_lines(measure, questions), ""]
    return "\n".join(lines).rstrip() + "\n"
