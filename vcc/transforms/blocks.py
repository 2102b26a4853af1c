"""The building blocks measures are made of: each turns a catalogue entry's parameters into the
measure's instances, vectorised over whole tables (``transforms/catalogue.py`` documents the
parameters; the matching and timeliness rules are CONTRACT.md §1's, in ``transforms/matching``).

- ``first_match``: each victim (or each row of a table) is met by the earliest matching action
  on or after its trigger, within N working days.
- ``own_date``: each row of a table is met by a date on the same row, within N working days.
- ``at_once``: each victim is met at once if a condition holds.
- ``matched_condition``: each instance of a parent measure whose action was matched is met at
  once if that action records every item asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vcc.transforms.catalogue import MeasureDefinition
from vcc.transforms.matching import assess_at_once, earliest_on_or_after, known_by, local_date
from vcc.transforms.measure_context import (
    ACTION_ROW,
    VICTIM,
    MeasureContext,
    for_victims,
    victim_instances,
)

Block = Callable[[MeasureContext, MeasureDefinition], pd.DataFrame]


def table_key(name: str) -> tuple[str, str]:
    """``"police.victim_contacts"`` -> ``("police", "victim_contacts")``."""
    source, _, table = name.partition(".")
    return source, table


def _true(values: pd.Series) -> pd.Series:
    return values.astype("boolean").fillna(False).astype(bool)


def rows_where(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.Series:
    """Which rows match every condition of ``where``: column -> a value (equal to it), a list (one
    of them), ``{"not": [...]}`` (none of them), or true/false (a flag, missing read as false)."""
    keep = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        values = frame[column]
        if isinstance(wanted, bool):
            keep &= _true(values) == wanted
        elif isinstance(wanted, Mapping):
            keep &= ~values.isin(list(wanted["not"])).fillna(False).astype(bool)
        elif isinstance(wanted, list | tuple):
            keep &= values.isin(list(wanted)).fillna(False).astype(bool)
        else:
            keep &= (values == wanted).fillna(False).astype(bool)
    return keep


def _resolved(ctx: MeasureContext, measure: MeasureDefinition, value: Any) -> Any:
    """A parameter with each ``"$name"`` replaced by the measure's setting of that name."""
    if isinstance(value, str) and value.startswith("$"):
        return ctx.setting(measure, value[1:])
    if isinstance(value, Mapping):
        return {key: _resolved(ctx, measure, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(ctx, measure, item) for item in value]
    return value


def params_of(ctx: MeasureContext, measure: MeasureDefinition) -> dict[str, Any]:
    return _resolved(ctx, measure, dict(measure.params))


def first_match(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """Each victim (trigger: the crime's report date) or each row of a table, met by the earliest
    matching action on or after its trigger, by the due date."""
    params = params_of(ctx, measure)
    where = params.get("where", {})
    if params["population"] == "victims":
        extra = [column for column in where if column != "enhanced"]
        instances = victim_instances(ctx, *extra)
        match_on = [VICTIM]
    else:
        rows = for_victims(ctx.triggers(*table_key(params["population"]), params["trigger"]), ctx)
        instances = rows.assign(
            trigger_date=rows[params["trigger"]], record_key=rows[params["record_key"]]
        )
        match_on = [VICTIM if key == "victim" else key for key in params["match_on"]]
    instances = instances[rows_where(instances, where)]
    actions = ctx.action_dates(*table_key(params["actions"]), params["action_date"])
    actions = actions.assign(**{ACTION_ROW: np.arange(len(actions))})
    actions = actions[rows_where(actions, params.get("actions_where", {}))]
    matched = earliest_on_or_after(instances, actions, match_on, carry=[ACTION_ROW])
    action_row = matched[ACTION_ROW].fillna(-1).astype("int64")
    return ctx.assess(
        measure, instances.assign(action_date=matched["action_date"], **{ACTION_ROW: action_row})
    )


def own_date(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """Each row of a table whose trigger is dated in the window, met by the same row's action
    date (on or after the trigger, and by D), by the due date."""
    params = params_of(ctx, measure)
    trigger = params["trigger"]
    rows = for_victims(ctx.triggers(*table_key(params["table"]), trigger), ctx)
    rows = rows[rows_where(rows, params.get("where", {}))]
    acted = known_by(local_date(rows[params["action"]]), ctx.as_of)
    instances = rows.assign(
        trigger_date=rows[trigger],
        record_key=rows[params["record_key"]],
        action_date=acted.where(acted >= rows[trigger]),
    )
    return ctx.assess(measure, instances)


def at_once(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """Each victim (trigger: the crime's report date) matching ``where``, met at once when the
    profile's ``met_when`` flag holds."""
    params = params_of(ctx, measure)
    where, met_when = params.get("where", {}), params["met_when"]
    wanted = dict.fromkeys(column for column in [*where, met_when] if column != "enhanced")
    instances = victim_instances(ctx, *wanted)
    instances = instances[rows_where(instances, where)]
    return assess_at_once(instances.assign(action_date=pd.NaT), instances[met_when])


def matched_condition(ctx: MeasureContext, measure: MeasureDefinition) -> pd.DataFrame:
    """Each instance of ``parent`` whose action was matched (pending or not) and that matches
    ``where``, met at once when every ``all_true`` column of that action is true."""
    params = params_of(ctx, measure)
    parent, parent_instances = ctx.built[params["parent"]]
    matched = parent_instances[parent_instances[ACTION_ROW] >= 0]
    matched = matched[rows_where(matched, params.get("where", {}))]
    actions = ctx.tables[table_key(parent.params["actions"])]
    recorded = actions[list(params["all_true"])].take(matched[ACTION_ROW].to_numpy())
    met = recorded.astype("boolean").fillna(False).all(axis=1)
    return assess_at_once(matched, pd.Series(met.to_numpy(), index=matched.index))


BLOCKS: dict[str, Block] = {
    "first_match": first_match,
    "own_date": own_date,
    "at_once": at_once,
    "matched_condition": matched_condition,
}
