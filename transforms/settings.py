"""The settings the figures and the report are made with, typed once.

``flows.config`` reads them from the TOML file (``[measures.<id>]``, ``[report]``, ``[calendar]``,
``[disclosure]``) with the rest of the configuration; they live here so that the layers below the
flows (``transforms`` and ``reports``) can take them without reading any configuration file.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vcc.transforms.schema import OFFENCE_CATEGORIES


class Strict(BaseModel):
    """A settings section: unknown keys are refused, values never change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureSettings(Strict):
    """Deadlines in working days (None: the catalogue's), target and rating rule, and for
    R5-COMPENSATION the offence categories it counts (None: the catalogue's)."""

    deadline_standard: int | None = None
    deadline_enhanced: int | None = None
    categories: list[str] | None = None

    @model_validator(mode="after")
    def _known_categories(self) -> MeasureSettings:
        unknown = sorted(set(self.categories or ()) - set(OFFENCE_CATEGORIES))
        if unknown:
            raise ValueError(f"categories: not offence categories: {', '.join(unknown)}")
        return self

    target: float = 0.90
    rag_tolerance: float = 0.10
    min_eligible_for_rating: int = 10


class ReportSettings(Strict):
    area: str = "Cumbria"
    title: str = "Victims' Code compliance report"
    marking: str = "OFFICIAL"
    produced_by: str = "Office of the Police, Fire and Crime Commissioner"
    trend_quarters: int = 8


class CalendarSettings(Strict):
    extra_holidays: list[dt.date] = Field(default_factory=list)


class DisclosureSettings(Strict):
    threshold: int = 5
