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

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from vcc.transforms.calendar import WorkingDayCalendar

MET, NOT_MET, PENDING = "met", "not_met", "pending"
STATUSES = (MET, NOT_MET, PENDING)


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
    usable = actions[list(dict.fromkeys([*keys, *order, *carry]))].dropna(
        subset=["action_date", *keys]
    )
    # an action dated before every trigger can match none of them
    usable = usable[usable["action_date"] >= instances["trigger_date"].min()]
    # in date order, ties kept in table order: a stable sort, as numpy does it without first
    # factorising each column as DataFrame.sort_values does
    usable = usable.iloc[np.lexsort([usable[column].to_numpy() for column in reversed(order)])]
    instance_keys, action_keys = shared_key_codes(instances[keys], usable[keys])
    right = usable[["action_date", *carry]].assign(_key=action_keys)
    left = pd.DataFrame(
        {
            "_key": instance_keys,
            "trigger_date": instances["trigger_date"].to_numpy(),
            "_position": np.arange(len(instances)),
        }
    ).sort_values("trigger_date", kind="stable")
    matched = pd.merge_asof(
        left,
        right,
        left_on="trigger_date",
        right_on="action_date",
        by="_key",
        direction="forward",
        allow_exact_matches=True,
    ).sort_values("_position")
    matched.index = instances.index
    return matched[["action_date", *carry]]


def shared_key_codes(left: pd.DataFrame, right: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row for its combination of key values, equal on the two sides exactly
    when every key is (identifiers compared as text, integer positions as they are); -1 where a
    key is missing. Grouping and joining on one integer is many times cheaper than on strings."""
    missing = np.zeros(len(left) + len(right), dtype=bool)

    def factorized(key: str) -> tuple[np.ndarray, int]:
        values = pd.concat([left[key], right[key]], ignore_index=True)
        if not pd.api.types.is_integer_dtype(values.dtype):
            values = values.astype("string")
        codes, distinct = pd.factorize(values)
        missing[codes < 0] = True
        return codes, len(distinct)

    combined = combined_codes(factorized(key) for key in left.columns)
    combined[missing] = -1
    return combined[: len(left)], combined[len(left) :]


def combined_codes(columns: Iterable[tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per row for its combination of codes, from each column's codes (below its
    size, or -1 for missing, which is kept apart from every code) and size; equal exactly when
    every code is. Columns are taken one at a time, so that only one column's codes are held."""
    combined, bound = None, 1
    for codes, size in columns:
        if combined is None:
            combined, bound = codes.astype("int64") + 1, size + 1
            continue
        if bound * (size + 1) >= 2**62:  # renumber the combinations so far, before overflowing
            combined, distinct = pd.factorize(combined)
            bound = len(distinct)
        combined *= size + 1  # in place: these are arrays of tens of millions
        combined += codes
        combined += 1
        bound *= size + 1
    if combined is None:
        raise ValueError("combined_codes needs at least one column")
    return combined


def positions_in(unique_keys: pd.Series, *keys: pd.Series) -> list[np.ndarray]:
    """For each series of ``keys``, the position in ``unique_keys`` of each of its values (-1
    where it is absent or missing), from one factorisation of them all, so that each identifier
    is hashed once. ``unique_keys`` must not repeat a value."""
    codes, _ = pd.factorize(pd.concat([unique_keys, *keys], ignore_index=True))
    known = len(unique_keys)
    if not np.array_equal(codes[:known], np.arange(known)):
        raise pd.errors.MergeError(f"{unique_keys.name} has a missing or repeated value")
    # factorize numbers values in order of appearance: codes below ``known`` are positions
    bounds = np.cumsum([known, *(len(series) for series in keys)])
    return [
        np.where(codes[start:end] < known, codes[start:end], -1)
        for start, end in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def statuses(met: np.ndarray, pending: np.ndarray | bool = False) -> pd.Categorical:
    """``met``, ``not_met`` or ``pending`` (whether met or not) for each instance, as a
    categorical: millions of instances share three values, kept once rather than once a row."""
    met_or_not = np.where(met, STATUSES.index(MET), STATUSES.index(NOT_MET))
    codes = np.where(pending, STATUSES.index(PENDING), met_or_not)
    return pd.Categorical.from_codes(codes, categories=STATUSES)


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
    status = statuses(met.to_numpy(dtype=bool), pending=(due > as_of).to_numpy(dtype=bool))
    return instances.assign(due_date=due, status=status)


def assess_at_once(instances: pd.DataFrame, met: pd.Series) -> pd.DataFrame:
    """Measures with no deadline are met or not at once and never pending."""
    return instances.assign(
        due_date=pd.NaT,
        status=statuses(met.fillna(False).to_numpy(dtype=bool)),
    )
