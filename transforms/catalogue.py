"""The measure catalogue of CONTRACT.md §3: one entry per measure, in plain English.

The methodology text of the report, the ``right`` and ``agency`` columns of ``metrics.csv`` and the
tests all read from here. Deadlines and targets are not here: they are configuration
(``[measures.<id>]`` in the TOML), so that a changed local standard needs no code change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MeasureDefinition:
    measure_id: str
    right: int
    agency: str  # police | cps | wcu | probation; R12-ACK takes each source supplying complaints
    title: str
    instance: str  # what one instance is, and its trigger
    action: str  # what meets it
    per_victim: bool = True  # has victim breakdowns (complaints do not)


MEASURES: tuple[MeasureDefinition, ...] = (
    MeasureDefinition(
        "R2-RECORD",
        2,
        "police",
        "Crime recorded without delay",
        "each victim of a crime reported in the quarter (trigger: the crime's report date)",
        "the crime is recorded within the deadline",
    ),
    MeasureDefinition(
        "R3-ACK",
        3,
        "police",
        "Written acknowledgement of the crime",
        "each victim of a crime reported in the quarter",
        "a written acknowledgement is sent to the victim within the deadline",
    ),
    MeasureDefinition(
        "R4-VNA",
        4,
        "police",
        "Victim needs assessment completed",
        "each victim of a crime reported in the quarter",
        "a needs assessment is completed for the victim within the deadline",
    ),
    MeasureDefinition(
        "R4-VNA-CONTENT",
        4,
        "police",
        "Needs assessment records all five required items",
        "each victim whose needs assessment was matched under R4-VNA (same trigger)",
        "that assessment records communication needs, vulnerability, support needs and contact "
        "preference, and considered special measures",
    ),
    MeasureDefinition(
        "R4-REFER",
        4,
        "police",
        "Referral to victim support services",
        "each victim of a crime reported in the quarter who did not decline a referral",
        "the victim is referred to a support service within the deadline",
    ),
    MeasureDefinition(
        "R6-UPDATE",
        6,
        "police",
        "Victim told of investigation events",
        "each investigation event (arrest, interview, bail, release under investigation, no "
        "further action, charge and the like) for each victim who has not opted out of updates",
        "the victim is told of that event (a contact of the same type) within the deadline",
    ),
    MeasureDefinition(
        "R6-VCL",
        6,
        "cps",
        "CPS letter on a decision not to charge, to stop or to alter a charge",
        "each CPS decision not to charge, to discontinue or to alter a charge, per victim",
        "a Victim Communication and Liaison letter for that decision is sent within the deadline",
    ),
    MeasureDefinition(
        "R6-VRR",
        6,
        "cps",
        "Right to Review explained in the CPS letter",
        "each no-charge or discontinuance decision whose letter was matched under R6-VCL",
        "that letter explains the Victims' Right to Review",
    ),
    MeasureDefinition(
        "R7-VPS",
        7,
        "police",
        "Victim Personal Statement offered",
        "each victim of a crime in which a suspect was charged (trigger: the first charge)",
        "the victim is offered a Victim Personal Statement at any time up to the deadline",
    ),
    MeasureDefinition(
        "R8-HEARING",
        8,
        "wcu",
        "Victim told of hearing date, time and place",
        "each hearing notice received by the Witness Care Unit",
        "the victim is told within the deadline of the Unit receiving it",
    ),
    MeasureDefinition(
        "R9-OUTCOME",
        9,
        "wcu",
        "Victim told of verdict and sentence",
        "each verdict or sentence received by the Witness Care Unit",
        "the victim is told within the deadline of the Unit receiving it",
    ),
    MeasureDefinition(
        "R11-REFER",
        11,
        "wcu",
        "Referral to the Victim Contact Scheme",
        "each sentence for a specified offence of 12 months' custody or more, or a hospital order "
        "(trigger: the sentence date)",
        "the victim is referred to the Probation Victim Contact Scheme within the deadline",
    ),
    MeasureDefinition(
        "R11-CONTACT",
        11,
        "probation",
        "Victim Liaison Officer first contact",
        "each referral to the Victim Contact Scheme",
        "a Victim Liaison Officer first contacts the victim within the deadline",
    ),
    MeasureDefinition(
        "R11-RELEASE",
        11,
        "probation",
        "Victim told before the offender's release",
        "each release of an offender in the Victim Contact Scheme, on or before the as-of date",
        "the victim is told before the release date",
    ),
    MeasureDefinition(
        "R12-ACK",
        12,
        "each source",
        "Complaint acknowledged",
        "each complaint received (reported once per source that supplies complaints)",
        "the complaint is acknowledged within the deadline",
        per_victim=False,
    ),
    MeasureDefinition(
        "ENH-IDENTIFIED",
        4,
        "police",
        "Victims owed enhanced rights identified by the police",
        "each victim owed enhanced rights (derived from the crime and the victim, not from the "
        "police flag) of a crime reported in the quarter",
        "the police recorded the victim as entitled to enhanced rights",
    ),
)

MEASURES_BY_ID: dict[str, MeasureDefinition] = {m.measure_id: m for m in MEASURES}
