"""The agencies that owe victims the Code's duties, in the order every table and report lists them.

A *source* supplies data (police, CPS with its Witness Care Unit, probation: CONTRACT.md §2); an
*agency* is who a measure holds to account. The Witness Care Unit is CPS data but its own agency.
"""

from __future__ import annotations

AGENCIES: tuple[str, ...] = ("police", "cps", "wcu", "probation")
AGENCY_LABELS: dict[str, str] = {
    "police": "Police",
    "cps": "CPS",
    "wcu": "Witness Care Unit",
    "probation": "Probation",
}


def agency_label(agency: str) -> str:
    """The agency's short name as tables print it (an unknown key prints as it is)."""
    return AGENCY_LABELS.get(agency, agency)


def agency_rank(agency: str) -> int:
    """The agency's place in AGENCIES; one it does not know goes last."""
    return AGENCIES.index(agency) if agency in AGENCIES else len(AGENCIES)
