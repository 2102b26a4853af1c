"""The settings the figures and the report are made with, typed once.

``flows.config`` reads them from the TOML file (``[measures.<id>]``, ``[report]``, ``[calendar]``,
``[disclosure]``) with the rest of the configuration; they live here so that the layers below the
flows (``transforms`` and ``reports``) can take them without reading any configuration file.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vcc.transforms.schema import OFFENCE_CATEGORIES

# How funnel limits allow for areas differing more than chance explains (CONTRACT.md §7.2):
# additive random-effects limits, or none (exact binomial limits).
OVERDISPERSION_METHODS = ("additive", "none")


class Strict(BaseModel):
    """A settings section: unknown keys are refused, values never change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureSettings(Strict):
    """Deadlines in working days (None: the catalogue's), target and rating rule, and for
    R5-COMPENSATION the offence categories it counts (None: the catalogue's)."""

    deadline_standard: int | None = Field(default=None, ge=0)
    deadline_enhanced: int | None = Field(default=None, ge=0)
    categories: list[str] | None = None
    target: float = Field(default=0.90, ge=0, le=1)  # a share of instances met
    rag_tolerance: float = Field(default=0.10, ge=0, le=1)
    min_eligible_for_rating: int = Field(default=10, ge=0)

    @model_validator(mode="after")
    def _known_categories(self) -> MeasureSettings:
        unknown = sorted(set(self.categories or ()) - set(OFFENCE_CATEGORIES))
        if unknown:
            raise ValueError(f"categories: not offence categories: {', '.join(unknown)}")
        return self


class ReportSettings(Strict):
    area: str = "Cumbria"
    title: str = "Victims' Code compliance report"
    marking: str = "OFFICIAL"
    produced_by: str = "Office of the Police, Fire and Crime Commissioner"
    trend_quarters: int = Field(default=8, ge=1, le=100)  # this quarter and the ones before it


class ReleaseSettings(Strict):
    """``[release]``: what the open release's public page says beside the figures
    (CONTRACT.md §7.4): the partnership's next steps, and whom the public may contact."""

    next_steps: str = (
        "The partnership's Criminal Justice Board reads these figures each quarter. Each agency "
        "whose figures fall below the target explains why to the board and what it will change, "
        "and the board checks at its next meeting that it has."
    )
    contact: str = "Office of the Police, Fire and Crime Commissioner"
    contact_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    contact_url: str | None = Field(default=None, pattern=r"^https?://\S+$")


class CalendarSettings(Strict):
    extra_holidays: list[dt.date] = Field(default_factory=list)


class DisclosureSettings(Strict):
    threshold: int = Field(default=5, ge=0)  # counts below it are suppressed


class FeedbackSettings(Strict):
    """``[feedback]``: the victims' survey (CONTRACT.md §7.3). ``questions`` maps a survey
    question id to the measure it speaks to, laid over the catalogue's standard questions; an
    empty string leaves a question unmapped."""

    questions: dict[str, str] = Field(default_factory=dict)

    def mapping(self, defaults: dict[str, str]) -> dict[str, str]:
        """Question id -> measure id: ``defaults`` (the catalogue's) with these laid over them,
        unmapped questions left out."""
        return {q: m for q, m in {**defaults, **self.questions}.items() if m}
