"""The matching and timeliness rules of CONTRACT.md §1, shared by every measure.

- The action for an instance is the earliest matching action dated on or after the trigger date;
  actions dated before the trigger never match it, and one action may satisfy several instances.
- The due date is the N-th working day strictly after the trigger date.
- Met: an action was matched on or before the due date.
- Pending: the due date is after the as-of date D; pending instances are in neither ``eligible``
  nor ``met``.
All rules work on local dates; rows and actions dated after D have already been removed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from transforms.calendar import WorkingDayCalendar

MET, NOT_MET, PENDING = "met", "not_met", "pending"


def local_date(timestamps: pd.Series) -> pd.Series:
    """The local calendar date of each timestamp, as a midnight datetime64 (second resolution,
    so that dates from any source compare and merge alike)."""
    return timestamps.astype("datetime64[s]").dt.normalize()


def known_by(dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Dates after the as-of date count as no date at all (CONTRACT.md §1)."""
    return dates.where(dates <= as_of)


def earliest_on_or_after(
    instances: pd.DataFrame,
    actions: pd.DataFrame,
    keys: Sequence[str],
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """For each instance, the earliest action with the same ``keys`` dated on or after its
    ``trigger_date``.

    ``actions`` has the ``keys``, ``action_date`` and, optionally, ``action_at`` (the full
    timestamp, to choose between actions on the same day) and ``carry`` columns to bring along.
    Returns ``action_date`` and the ``carry`` columns aligned with ``instances.index``.
    """
    keys = list(keys)
    order = ["action_date", "action_at"] if "action_at" in actions else ["action_date"]
    right = (
        actions.dropna(subset=["action_date", *keys])
        .sort_values(order, kind="stable")[[*keys, "action_date", *carry]]
        .astype({key: "string" for key in keys})
    )
    left = instances[[*keys, "trigger_date"]].astype({key: "string" for key in keys})
    left = left.assign(_position=np.arange(len(left))).sort_values("trigger_date", kind="stable")
    matched = pd.merge_asof(
        left,
        right,
        left_on="trigger_date",
        right_on="action_date",
        by=keys,
        direction="forward",
        allow_exact_matches=True,
    ).sort_values("_position")
    matched.index = instances.index
    return matched[["action_date", *carry]]


def assess_deadline(
    instances: pd.DataFrame,
    standard_days: int,
    enhanced_days: int,
    as_of: pd.Timestamp,
    calendar: WorkingDayCalendar,
) -> pd.DataFrame:
    """Add ``due_date`` and ``status`` to instances with ``trigger_date``, ``action_date`` and
    ``enhanced``: the deadline is ``enhanced_days`` for victims owed enhanced rights."""
    days = np.where(instances["enhanced"].to_numpy(dtype=bool), enhanced_days, standard_days)
    due = calendar.due_dates(instances["trigger_date"], days)
    met = instances["action_date"].notna() & (instances["action_date"] <= due)
    status = np.where(due > as_of, PENDING, np.where(met, MET, NOT_MET))
    return instances.assign(due_date=due, status=status)


def assess_at_once(instances: pd.DataFrame, met: pd.Series) -> pd.DataFrame:
    """Measures with no deadline are met or not at once and never pending."""
    return instances.assign(
        due_date=pd.NaT,
        status=np.where(met.fillna(False).astype(bool), MET, NOT_MET),
    )
