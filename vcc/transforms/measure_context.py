"""What every measure is computed from: the sources, the victims owed the Code, the as-of cut,
the deadlines and the working-day calendar (``MeasureContext``), and the lean instance table the
building blocks and measure functions return.

An instance carries the position of its victim in the profile table (``_victim``, -1 for rows
about victims not owed the Code and for complaints), not a copy of the profile: the victim's
identifier and breakdown attributes are looked up once, for every measure together, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.catalogue import MeasureDefinition
from vcc.transforms.figures import Tables
from vcc.transforms.matching import assess_deadline, known_by, local_date

VICTIM = "_victim"
LEAN_COLUMNS = [
    VICTIM,
    "record_key",
    "trigger_date",
    "due_date",
    "action_date",
    "status",
    "enhanced",
]
# The position of an instance's matched action in its action table (-1: none), kept while the
# measures are computed so that a child measure can read that action's columns.
ACTION_ROW = "_action_row"


@dataclass(frozen=True)
class Deadline:
    """Working days allowed; ``None`` for a measure that is met or not at once (or, as a
    configured override, for a deadline the configuration leaves to the catalogue)."""

    standard: int | None
    enhanced: int | None


@dataclass(frozen=True)
class MeasureContext:
    """What every measure needs: the sources, the victims owed the Code, the cut-off and rules."""

    tables: Tables
    profiles: pd.DataFrame
    as_of: pd.Timestamp
    deadlines: Mapping[str, Deadline]  # configured overrides of the catalogue's deadlines
    calendar: WorkingDayCalendar
    since: pd.Timestamp | None  # the first day of the window instances are computed for
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # configured
    built: dict[str, pd.DataFrame] = field(default_factory=dict)  # instances made so far

    @cached_property
    def victims(self) -> pd.DataFrame:
        """The profiles with their position (``_victim``), the handle instances carry."""
        return self.profiles.reset_index(drop=True).assign(
            **{VICTIM: np.arange(len(self.profiles))}
        )

    def in_window(self, dates: pd.Series) -> pd.Series:
        """Whether each date is in the window instances are computed for: ``since`` to D."""
        inside = dates <= self.as_of
        return inside if self.since is None else inside & (dates >= self.since)

    def dated(self, source: str, table: str, column: str) -> pd.DataFrame:
        """A table with ``<column>`` turned into local dates, rows dated after D left out."""
        frame = self.tables[(source, table)]
        dates = local_date(frame[column])
        return frame.assign(**{column: dates})[dates <= self.as_of]

    def triggers(self, source: str, table: str, column: str) -> pd.DataFrame:
        """The rows whose ``<column>`` triggers an instance in the window, as local dates. Rows
        before the window are left out here, before any matching is paid for them."""
        rows = self.dated(source, table, column)
        return rows[self.in_window(rows[column])]

    def action_dates(self, source: str, table: str, column: str) -> pd.DataFrame:
        """A table of candidate actions: ``action_date`` (local date, blank after D) and
        ``action_at`` (the timestamp, to order actions on the same day)."""
        frame = self.tables[(source, table)]
        return frame.assign(
            action_date=known_by(local_date(frame[column]), self.as_of),
            action_at=frame[column],
        )

    def setting(self, measure: MeasureDefinition, name: str) -> Any:
        """A measure's setting: the configured value, else the catalogue's default."""
        configured = self.settings.get(measure.measure_id, {}).get(name)
        if configured is not None:
            return configured
        if name not in measure.settings:
            raise ValueError(f"{measure.measure_id}: no setting {name!r} in the catalogue")
        return measure.settings[name]

    def deadline(self, measure: MeasureDefinition) -> Deadline:
        """The measure's deadline: configured where given, else the catalogue's."""
        configured = self.deadlines.get(measure.measure_id, Deadline(None, None))
        return Deadline(
            configured.standard if configured.standard is not None else measure.deadline_standard,
            configured.enhanced if configured.enhanced is not None else measure.deadline_enhanced,
        )

    def assess(self, measure: MeasureDefinition, instances: pd.DataFrame) -> pd.DataFrame:
        deadline = self.deadline(measure)
        if deadline.standard is None or deadline.enhanced is None:
            raise ValueError(
                f"{measure.measure_id} needs a deadline for standard and enhanced victims"
            )
        return assess_deadline(
            self.not_before_report(instances),
            deadline.standard,
            deadline.enhanced,
            self.as_of,
            self.calendar,
        )

    def reported_dates(self, victim: pd.Series) -> np.ndarray:
        """The report date of each victim's crime, by victim position (NaT for -1)."""
        reported = self.profiles["reported_date"].array
        return np.asarray(reported.take(victim.to_numpy(), allow_fill=True))

    def not_before_report(self, instances: pd.DataFrame) -> pd.DataFrame:
        """An action dated before the victim's crime was reported never meets a duty, whatever
        the measure: such a date is a placeholder or an error, not the duty done."""
        if VICTIM not in instances or not len(instances):
            return instances
        reported = self.reported_dates(instances[VICTIM])
        action = instances["action_date"]
        return instances.assign(action_date=action.where(action.to_numpy() >= reported))


def for_victims(frame: pd.DataFrame, ctx: MeasureContext) -> pd.DataFrame:
    """Attach the victim's enhanced status; rows about victims not owed the Code drop out here."""
    rows = frame[frame[VICTIM] >= 0].reset_index(drop=True)
    return rows.assign(enhanced=ctx.profiles["enhanced"].to_numpy()[rows[VICTIM].to_numpy()])


def victim_instances(ctx: MeasureContext, *columns: str) -> pd.DataFrame:
    """One instance per victim owed the Code, triggered by their crime's report date, with the
    profile ``columns`` the measure needs."""
    victims = ctx.victims
    chosen = victims.loc[
        ctx.in_window(victims["reported_date"]),
        [VICTIM, "crime_ref", "reported_date", "enhanced", *columns],
    ]
    return chosen.reset_index(drop=True).rename(
        columns={"reported_date": "trigger_date", "crime_ref": "record_key"}
    )
