"""The measures engine: every measure of a catalogue (``transforms/catalogue.py``), as one
instance table.

``compute_instances`` returns one row per instance of every measure: which measure and agency,
the victim and the record it is about, its trigger, due and action dates, its status (met,
not_met or pending), whether the victim is owed enhanced rights, and the breakdown attributes.
The report's figures, drill-downs and audits all read from this one table. Its repeated labels
(measure_id, agency, quarter, status and the breakdowns) are categoricals, identifiers strings:
at national scale the table has tens of millions of rows.

Each measure is made by the building block (``transforms/blocks.py``) or the function
(``transforms/measure_functions.py``) its catalogue entry names. Their instance tables stay lean
while they work: an instance carries the position of its victim in the profile table
(``_victim``), not a copy of the profile, and the victim's identifier and breakdown attributes are
looked up once for every measure together in ``_instance_table``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vcc.transforms.blocks import BLOCKS
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.catalogue import Catalogue, CatalogueError, MeasureDefinition, load_catalogue
from vcc.transforms.matching import STATUSES, positions_in
from vcc.transforms.measure_context import (
    ACTION_ROW,
    LEAN_COLUMNS,
    VICTIM,
    Deadline,
    MeasureContext,
    Tables,
)
from vcc.transforms.measure_functions import FUNCTIONS
from vcc.transforms.quarters import quarter_labels
from vcc.transforms.support import unsupported_measures
from vcc.transforms.victims import BREAKDOWN_COLUMNS, victim_profiles

__all__ = ["INSTANCE_COLUMNS", "VNA_ITEMS", "Deadline", "compute_instances"]

_VICTIMS = ("police", "victims")  # read once, into the victim profiles

# The instance table: the lean columns the measures build (the victim's key named as published),
# then the breakdowns of the victim and their crime.
INSTANCE_COLUMNS = [
    "measure_id",
    "agency",
    "quarter",
    "victim_id",
    *LEAN_COLUMNS[1:],
    *BREAKDOWN_COLUMNS,
]

VNA_ITEMS = (
    "communication_needs_recorded",
    "vulnerability_recorded",
    "support_needs_recorded",
    "contact_preference_recorded",
    "special_measures_considered",
)


def _instances_of(
    ctx: MeasureContext, measure: MeasureDefinition
) -> list[tuple[str, pd.DataFrame]]:
    """The measure's instances by its block or function, as (agency, instances) pairs: one pair,
    or one per source for a measure reported per source (R12-ACK)."""
    if measure.block is not None:
        made: pd.DataFrame | dict = BLOCKS[measure.block](ctx, measure)
    else:
        assert measure.function is not None  # the catalogue guarantees a block or a function
        if measure.function not in FUNCTIONS:
            raise CatalogueError(f"{measure.measure_id}: no measure function {measure.function!r}")
        made = FUNCTIONS[measure.function](ctx, measure)
    if isinstance(made, dict):
        return list(made.items())
    return [(measure.agency, made)]


def _categorical(
    codes: np.ndarray, labels: Sequence[str] | pd.api.extensions.ExtensionArray
) -> pd.Series:
    """``labels[code]`` for each code (missing where it is -1) as a categorical column, its
    categories in the order the strings sort in. Millions of rows share a few labels: each is
    kept once, and grouping by them later costs nothing."""
    return pd.Series(pd.Categorical(labels).take(np.asarray(codes, dtype="int64"), allow_fill=True))


def _quarters(trigger: pd.Series) -> pd.Series:
    """The quarter label of each trigger date, worked out once per distinct date."""
    codes, distinct = pd.factorize(trigger)
    return _categorical(codes, quarter_labels(pd.Series(distinct)).array)


def _victim_columns(profiles: pd.DataFrame, victim: np.ndarray) -> dict[str, pd.Series]:
    """Each instance's victim_id and breakdown attributes, by its victim's position (missing
    for complaints, which have no victim)."""
    victim_ids = profiles["victim_id"].array.take(victim, allow_fill=True)
    columns = {"victim_id": pd.Series(victim_ids, dtype="string")}
    for column in BREAKDOWN_COLUMNS:
        codes, labels = pd.factorize(profiles[column])
        codes = pd.api.extensions.take(codes, victim, allow_fill=True, fill_value=-1)
        columns[column] = _categorical(codes, labels)
    return columns


def _instance_table(
    parts: Sequence[tuple[str, str, pd.DataFrame]], profiles: pd.DataFrame
) -> pd.DataFrame:
    """The measures' lean instance tables (measure id, agency, instances) as one table of
    INSTANCE_COLUMNS: each victim looked up once, repeated labels as categoricals."""
    found = [(measure_id, agency, frame) for measure_id, agency, frame in parts if len(frame)]
    if not found:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in INSTANCE_COLUMNS})
    lean = pd.concat([frame for _, _, frame in found], ignore_index=True)
    part = np.repeat(np.arange(len(found)), [len(frame) for _, _, frame in found])
    table = lean.assign(
        measure_id=_categorical(part, [measure_id for measure_id, _, _ in found]),
        agency=_categorical(part, [agency for _, agency, _ in found]),
        quarter=_quarters(lean["trigger_date"]),
        status=lean["status"].astype(pd.CategoricalDtype(STATUSES)),
        **_victim_columns(profiles, lean[VICTIM].to_numpy()),
    )
    return table[INSTANCE_COLUMNS]


def _with_victim_positions(tables: Tables, profiles: pd.DataFrame) -> dict:
    """The tables, those that name a victim with its position in the profile table as well
    (``_victim``, -1 for victims not owed the Code): measures then join and match victims on
    integers, and each victim id is hashed once, here."""
    named = [key for key, frame in tables.items() if "victim_id" in frame and key != _VICTIMS]
    positions = positions_in(profiles["victim_id"], *(tables[key]["victim_id"] for key in named))
    numbered = {
        key: tables[key].assign(**{VICTIM: at}) for key, at in zip(named, positions, strict=True)
    }
    return {**tables, **numbered}


def compute_instances(
    tables: Tables,
    as_of: dt.date,
    deadlines: Mapping[str, Deadline],
    calendar: WorkingDayCalendar,
    since: dt.date | None = None,
    catalogue: Catalogue | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Every instance of every measure of ``catalogue`` (default: the Code in force from April
    2021) whose trigger date is on or before ``as_of`` (and on or after ``since``, to limit the
    work to a trend window). ``tables`` maps (source, table) to the validated, typed canonical
    frames; ``deadlines`` and ``settings`` are the configured overrides of the catalogue's. A
    measure the data cannot support (``unsupported_measures``) has no instances."""
    catalogue = catalogue or load_catalogue()
    profiles = victim_profiles(tables[_VICTIMS], tables[("police", "crimes")])
    tables = _with_victim_positions(tables, profiles)
    window_start = pd.Timestamp(since) if since is not None else None
    ctx = MeasureContext(
        tables, profiles, pd.Timestamp(as_of), deadlines, calendar, window_start, settings or {}
    )
    left_out = set(unsupported_measures(catalogue, tables, as_of))
    children = _children(catalogue)
    parts = []
    for measure in catalogue.measures:
        if measure.measure_id in left_out:
            continue
        for agency, instances in _instances_of(ctx, measure):
            if measure.measure_id in children:  # kept, with what its children read, for them
                kept = [*LEAN_COLUMNS, ACTION_ROW, *children[measure.measure_id]]
                ctx.built[measure.measure_id] = (measure, instances[list(dict.fromkeys(kept))])
            # cut to LEAN_COLUMNS as soon as they are made, to hold no more
            parts.append((measure.measure_id, agency, instances[LEAN_COLUMNS]))
        parent = measure.params.get("parent") if measure.block == "matched_condition" else None
        if parent is not None and _last_child(catalogue, parent) == measure.measure_id:
            ctx.built.pop(parent, None)  # no later measure reads it
    return _instance_table(parts, profiles)


def _children(catalogue: Catalogue) -> dict[str, list[str]]:
    """Parent measure id -> the instance columns its children's ``where`` reads."""
    children: dict[str, list[str]] = {}
    for measure in catalogue.measures:
        if measure.block == "matched_condition":
            read = children.setdefault(measure.params["parent"], [])
            read += list(measure.params.get("where", {}))
    return children


def _last_child(catalogue: Catalogue, parent: str) -> str:
    return [
        m.measure_id
        for m in catalogue.measures
        if m.block == "matched_condition" and m.params.get("parent") == parent
    ][-1]
