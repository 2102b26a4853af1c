"""The open data of a release (CONTRACT.md §7.4): the published tables as tidy CSVs, one
observation per row, and ``datapackage.json``, a Frictionless Data Package
(https://specs.frictionlessdata.io/data-package/) with a Table Schema per file: each field's
type, description and unit, the GSS symbols that stand for a missing figure, the licence
(Open Government Licence v3.0), the producer, the period and the Victims' Code version.

Nothing here computes a figure: the tables arrive suppressed (``transforms/release.py``,
``transforms/disclosure.py``) and are described and written as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vcc.transforms.agencies import AGENCIES
from vcc.transforms.cell_text import csv_for_people

LICENCE = {
    "name": "OGL-UK-3.0",
    "title": "Open Government Licence v3.0",
    "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
# What each symbol standing for a missing figure means (GSS symbols, as the report's).
MISSING_VALUES = {
    "[c]": "confidential: withheld because the number is small enough to identify someone "
    "(a count from 1 to the disclosure threshold less one, or a figure that would give one back)",
    "[x]": "not available: no figure for the earlier period",
    "[z]": "not applicable: no one was eligible, so there is no rate",
    "": "blank: not defined for this row (see the field's description)",
}
PROPORTION = "proportion from 0 to 1 (0.9 is 90%)"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema type: string, integer, number, boolean, date
    description: str
    unit: str | None = None
    constraints: dict[str, Any] = field(default_factory=dict)

    def descriptor(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
        }
        if self.unit:
            described["unit"] = self.unit  # not in Table Schema v1: an allowed extra property
        if self.constraints:
            described["constraints"] = self.constraints
        return described


def _quarter(area_level: bool = False) -> Field:
    return Field(
        "quarter", "string", "Calendar quarter of the figures, YYYYQn (2026Q3 is July to "
        "September 2026)", constraints={"pattern": r"\d{4}Q[1-4]"},
    )  # fmt: skip


MEASURE_ID = Field(
    "measure_id", "string", "Identifier of the measure; measures.csv says what it counts"
)
RIGHT = Field(
    "right", "integer", "Number of the Victims' Code right the measure belongs to (1 to 12)",
    constraints={"minimum": 1, "maximum": 12},
)  # fmt: skip
AGENCY = Field(
    "agency", "string", "Agency held to account: police, cps (Crown Prosecution Service), wcu "
    "(Witness Care Unit) or probation", constraints={"enum": list(AGENCIES)},
)  # fmt: skip
ELIGIBLE = Field(
    "eligible", "integer", "Duties owed to victims in the quarter whose outcome is known (those "
    "still within their deadline are left out)", unit="duties",
)  # fmt: skip
MET = Field("met", "integer", "Of the eligible duties, those met on time", unit="duties")
RATE = Field("rate", "number", "Share of eligible duties met on time (met / eligible)", PROPORTION)
CI_LOW = Field("ci_low", "number", "Lower bound of the Wilson 95% confidence interval of the "
               "rate", PROPORTION)  # fmt: skip
CI_HIGH = Field("ci_high", "number", "Upper bound of the Wilson 95% confidence interval of the "
                "rate", PROPORTION)  # fmt: skip
TARGET = Field("target", "number", "The partnership's target rate for the measure", PROPORTION)

COMPLIANCE_FIELDS = (
    Field("area", "string", "The area the figures are for"),
    _quarter(),
    MEASURE_ID,
    RIGHT,
    AGENCY,
    Field(
        "dimension",
        "string",
        "What the victims are broken down by: all (no breakdown), "
        "rights (enhanced or standard), district, age_band, sex, ethnicity, has_disability, "
        "offence_group or domestic_abuse",
    ),  # fmt: skip
    Field("group", "string", "The group of the breakdown (all for the whole area)"),
    ELIGIBLE,
    MET,
    RATE,
    CI_LOW,
    CI_HIGH,
    TARGET,
    Field(
        "rag",
        "string",
        "Rating against the target: green (at or above it), amber (within the "
        "tolerance below it), red (further below), none (too few eligible to rate)",
        constraints={"enum": ["green", "amber", "red", "none"]},
    ),  # fmt: skip
)
CHANGES_FIELDS = (
    _quarter(),
    MEASURE_ID,
    AGENCY,
    Field(
        "comparison",
        "string",
        "Which earlier quarter: previous quarter or a year before",
        constraints={"enum": ["previous quarter", "a year before"]},
    ),  # fmt: skip
    Field(
        "compared_quarter",
        "string",
        "The earlier quarter, YYYYQn",
        constraints={"pattern": r"\d{4}Q[1-4]"},
    ),  # fmt: skip
    Field("rate", "number", "Share of eligible duties met in the quarter", PROPORTION),
    Field("compared_rate", "number", "Share met in the earlier quarter", PROPORTION),
    Field("change", "number", "rate minus compared_rate", "difference of proportions"),
    Field(
        "change_low",
        "number",
        "Lower bound of Newcombe's 95% interval of the change",
        "difference of proportions",
    ),  # fmt: skip
    Field(
        "change_high",
        "number",
        "Upper bound of Newcombe's 95% interval of the change",
        "difference of proportions",
    ),  # fmt: skip
    Field(
        "significant",
        "boolean",
        "true when the interval of the change excludes zero: a "
        "change larger than chance alone would explain",
    ),  # fmt: skip
)
MEASURES_FIELDS = (
    MEASURE_ID,
    RIGHT,
    Field("right_name", "string", "The right as the Victims' Code words it"),
    Field(
        "agency",
        "string",
        "Agency held to account (each source: every agency that supplies complaints)",
    ),  # fmt: skip
    Field("title", "string", "What the measure counts, in a few words"),
    Field("description", "string", "What the measure counts, in plain English"),
    Field(
        "deadline_standard",
        "integer",
        "Working days allowed (blank: met or not at once)",
        "working days",
    ),  # fmt: skip
    Field(
        "deadline_enhanced",
        "integer",
        "Working days allowed for a victim owed enhanced rights (blank: met or not at once)",
        "working days",
    ),  # fmt: skip
    TARGET,
)
SPC_FIELDS = (
    MEASURE_ID,
    AGENCY,
    Field("month", "string", "Calendar month, YYYY-MM", constraints={"pattern": r"\d{4}-\d{2}"}),
    Field(
        "rate",
        "number",
        "Share of the month's eligible duties met (blank: none eligible)",
        PROPORTION,
    ),  # fmt: skip
    Field(
        "centre",
        "number",
        "Centre line of the Laney p' chart: the rate over every month "
        "shown (blank: too few months, or every duty met or none)",
        PROPORTION,
    ),  # fmt: skip
    Field("lower", "number", "Lower process limit of the month", PROPORTION),
    Field("upper", "number", "Upper process limit of the month", PROPORTION),
    Field(
        "signals",
        "string",
        "Special-cause rules the month takes part in, ;-joined: outside "
        "(beyond a limit), shift (a run of 7 on one side of the centre), trend (7 rising or "
        "falling in a row)",
    ),  # fmt: skip
    Field(
        "assurance",
        "string",
        "From the last month's limits against the target: pass, fail or hit_and_miss",
    ),  # fmt: skip
)
FEEDBACK_FIELDS = (
    Field("question_id", "string", "The survey question"),
    Field("right", "integer", "The right the question speaks to (blank: not mapped to one)"),
    Field("measure_id", "string", "The measure the question speaks to (blank: none)"),
    Field("answered", "integer", "Victims who answered yes or no", "victims"),
    Field("yes", "integer", "Victims who answered yes", "victims"),
    Field("rate", "number", "Share of answers that were yes", PROPORTION),
    Field("ci_low", "number", "Lower bound of the Wilson 95% interval of the rate", PROPORTION),
    Field("ci_high", "number", "Upper bound of the Wilson 95% interval of the rate", PROPORTION),
    Field("records_rate", "number", "The measure's rate from the agencies' records", PROPORTION),
    Field("gap", "number", "rate minus records_rate", "difference of proportions"),
    Field(
        "gap_low",
        "number",
        "Lower bound of Newcombe's 95% interval of the gap",
        "difference of proportions",
    ),  # fmt: skip
    Field(
        "gap_high",
        "number",
        "Upper bound of Newcombe's 95% interval of the gap",
        "difference of proportions",
    ),  # fmt: skip
    Field("significant", "boolean", "true when the interval of the gap excludes zero"),
)
COMPARISON_KNOWN = {
    f.name: f
    for f in (
        Field("area", "string", "The area"),
        MEASURE_ID,
        AGENCY,
        ELIGIBLE,
        MET,
        RATE,
        CI_LOW,
        CI_HIGH,
        Field("all_areas_rate", "number", "Rate over every area compared", PROPORTION),
        Field("funnel_position", "string", "Where the area's rate falls against the funnel "
              "limits at its number eligible: within, above or below the 95% or 99.8% limits"),
        Field("phi", "number", "Overdispersion factor of the measure across areas"),
        Field("tau2", "number", "Between-area variance added to the limits (arcsine scale)"),
        Field("lower95", "number", "Lower 95% funnel limit at the area's eligible", PROPORTION),
        Field("upper95", "number", "Upper 95% funnel limit at the area's eligible", PROPORTION),
        Field("lower998", "number", "Lower 99.8% funnel limit at the area's eligible", PROPORTION),
        Field("upper998", "number", "Upper 99.8% funnel limit at the area's eligible", PROPORTION),
    )
}  # fmt: skip


@dataclass(frozen=True)
class OpenTable:
    """One CSV of the release: its file stem (ONS style: lower-case, hyphenated), title,
    description, fields and rows (as text, suppressed)."""

    stem: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rows: pd.DataFrame
    primary_key: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.stem}.csv"

    def csv(self) -> str:
        # Text that would run as a formula is neutralised, as in every CSV for people.
        return csv_for_people(self.rows[[f.name for f in self.fields]])

    def missing_values(self) -> list[str]:
        """The symbols this file uses for a missing figure (its Table Schema's missingValues)."""
        cells = set(self.rows.astype("string").fillna("").to_numpy().ravel())
        return [symbol for symbol in MISSING_VALUES if symbol in cells] or ["[c]", "[z]"]

    def resource(self) -> dict[str, Any]:
        missing = self.missing_values()
        explained = "; ".join(f"{s or '(empty)'}: {MISSING_VALUES[s]}" for s in missing)
        schema: dict[str, Any] = {
            "fields": [f.descriptor() for f in self.fields],
            "missingValues": missing,
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        return {
            "name": self.stem,
            "path": self.path,
            "title": self.title,
            "description": f"{self.description} Missing figures: {explained}.",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def comparison_fields(columns: list[str]) -> tuple[Field, ...]:
    """The fields of ``comparison.csv``, whatever columns it has (unknown ones as text)."""
    return tuple(
        COMPARISON_KNOWN.get(c, Field(c, "string", f"{c.replace('_', ' ')}")) for c in columns
    )


@dataclass(frozen=True)
class PackageFacts:
    """What the Data Package says about the release beside its tables."""

    name: str  # lower-case, hyphenated: vcc-cumbria-2026q3
    title: str
    description: str
    area: str
    producer: str
    quarter: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    published_on: dt.date
    next_update: dt.date | None
    victims_code: str  # the Code version's identifier, e.g. 2021-04
    victims_code_title: str
    code_version: str  # vcc's own version
    contact: str
    contact_email: str | None = None
    homepage: str | None = None
    threshold: int = 5


def data_package(facts: PackageFacts, tables: list[OpenTable]) -> dict[str, Any]:
    """``datapackage.json``: the Data Package descriptor of the release's CSVs."""
    publisher: dict[str, Any] = {"title": facts.producer, "role": "publisher"}
    if facts.contact_email:
        publisher["email"] = facts.contact_email
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": facts.name,
        "title": facts.title,
        "description": facts.description,
        "version": "1.0.0",
        "created": f"{facts.published_on.isoformat()}T00:00:00Z",
        "keywords": ["victims", "Victims' Code", "criminal justice", "compliance", facts.area],
        "licenses": [LICENCE],
        "contributors": [publisher],
        "sources": [
            {
                "title": f"Records of the criminal justice agencies of {facts.area}, as of "
                f"{facts.as_of.isoformat()}"
            }
        ],  # fmt: skip
        # beyond the Data Package profile, as it allows: what a reader needs to reuse the data
        "producer": facts.producer,
        "contact": facts.contact,
        "area": facts.area,
        "period": {
            "quarter": facts.quarter,
            "start": facts.period_start.isoformat(),
            "end": facts.period_end.isoformat(),
            "as_of": facts.as_of.isoformat(),
        },
        "victimsCode": {"version": facts.victims_code, "title": facts.victims_code_title},
        "codeVersion": facts.code_version,
        "disclosureControl": (
            f"Counts from 1 to {facts.threshold - 1} are withheld as [c], with any figure that "
            "would give one back (a rate, its interval, a second cell of the same breakdown)."
        ),
        "symbols": MISSING_VALUES,  # what each file's schema.missingValues stand for
        "resources": [table.resource() for table in tables],
    }
    if facts.next_update:
        package["nextUpdate"] = facts.next_update.isoformat()
    if facts.homepage:
        package["homepage"] = facts.homepage
    return package
