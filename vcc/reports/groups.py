"""A breakdown's group in words, the same in the PDF, its annex and the workbook: the codes of
``published-tables.csv`` (CONTRACT.md §2, ``violence_with_injury``, ``true``) are for machines."""

from __future__ import annotations

OFFENCE_GROUP_WORDS = {
    "violence_with_injury": "Violence with injury",
    "violence_without_injury": "Violence without injury",
    "sexual_offences": "Sexual offences",
    "robbery": "Robbery",
    "burglary": "Burglary",
    "theft": "Theft",
    "criminal_damage_arson": "Criminal damage and arson",
    "public_order": "Public order",
    "fraud": "Fraud",
    "other": "Other",
}
_GROUPS = {
    "all": {"all": "All victims"},
    "rights": {"enhanced": "Owed enhanced rights", "standard": "Standard"},
    "has_disability": {"true": "Yes", "false": "No"},
    "domestic_abuse": {"true": "Domestic abuse", "false": "Not domestic abuse"},
    "age_band": {"0-17": "0 to 17", "18-24": "18 to 24", "25-64": "25 to 64", "65+": "65 and over"},
    "offence_group": OFFENCE_GROUP_WORDS,
}


def group_label(dimension: str, group: str) -> str:
    """A breakdown's group as words: its label, else the code capitalised (``asian``: Asian,
    ``unknown``: Unknown); districts and other configured names print as configured."""
    label = _GROUPS.get(dimension, {}).get(group)
    if label is not None:
        return label
    if group == "unknown" or dimension in ("sex", "ethnicity"):
        return group[:1].upper() + group[1:]
    return group
