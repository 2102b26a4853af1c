"""A measure's names on the board's pages (issue 28): its title in tables and text, and a short
name where room is tight (a chart's axis or panel, a narrow column). The measure's code
(``R4-VNA-CONTENT``) is for analysts: the annex and the files carry it, the board's pages never."""

from __future__ import annotations

import re

from vcc.transforms.catalogue import MEASURES_BY_ID


def measure_title(measure_id: str) -> str:
    """The catalogue's title of the measure ("Victim needs assessment completed")."""
    definition = MEASURES_BY_ID.get(measure_id)
    return definition.title if definition else measure_id


def capitalised(text: str) -> str:
    """``text`` to start a sentence or a label: its first letter a capital, the rest as it is
    ("CPS VCL letters" stays as it is)."""
    return text[:1].upper() + text[1:]


def short_name(measure_id: str) -> str:
    """The catalogue's name of the measure's stage, capitalised ("Needs assessments"), else its
    title: a few words that fit a chart's axis."""
    definition = MEASURES_BY_ID.get(measure_id)
    if definition is None or not definition.stage:
        return measure_title(measure_id)
    return capitalised(definition.stage)


_CODE = re.compile(r"\b(?:R\d{1,2}|ENH)-[A-Z][A-Z-]*\b")


def codes_in_words(text: str, quoted: bool = False) -> str:
    """Each measure code in ``text`` said by the measure's title, in quotation marks within a
    sentence (``quoted``): the warehouse records a revision's changed figures by code ("R12-ACK
    (police): rate 80.0% to 82.0%") and the catalogue's definitions refer to other measures by
    code ("matched under R4-VNA"); the board reads them in words."""

    def title(code: re.Match[str]) -> str:
        if code[0] not in MEASURES_BY_ID:
            return code[0]  # not in the catalogue: as it is
        return f"“{measure_title(code[0])}”" if quoted else measure_title(code[0])

    return _CODE.sub(title, text)


SOURCE_WORDS = {"cps": "CPS"}
# Initials the board knows (the glossary's): a Victim Communication and Liaison letter, the
# Victim Contact Scheme, a Victim Personal Statement.
_INITIALS = {"vcl": "VCL", "vcs": "VCS", "vps": "VPS"}


def table_name_words(table: str) -> str:
    """``vcl_letters`` as a reader says it: ``VCL letters``."""
    return " ".join(_INITIALS.get(word, word) for word in table.split("_"))


def table_words(name: str) -> str:
    """``police.needs_assessments`` as a reader says it: ``police needs assessments``."""
    source, _, table = name.partition(".")
    return f"{SOURCE_WORDS.get(source, source)} {table_name_words(table)}".strip()
