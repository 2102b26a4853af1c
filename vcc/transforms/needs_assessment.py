"""The needs-assessment standard (Right 4): how soon assessments are done, and what they leave out.

The 2023 joint inspection asked for minimum standards for victim needs assessments: when they
must be completed and what they must record. R4-VNA and R4-VNA-CONTENT give one rate each; these
tables show the shape behind them:

- ``assessment_timeliness``: the working days from report to assessment, in bands.
- ``missing_items``: which of the five required items assessments most often leave out.

Both return aggregates only: no victim, crime or case identifier leaves these functions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.figures import Tables
from vcc.transforms.matching import PENDING, earliest_on_or_after, known_by, local_date
from vcc.transforms.measures import VNA_ITEMS
from vcc.transforms.quarters import Quarter

TIMELINESS_COLUMNS = ["quarter", "rights", "band", "count", "share", "cumulative_share"]
RIGHTS_GROUPS = ("all", "enhanced", "standard")
# Working days from report to assessment: (band, fewest, most) on the working-day scale.
DAY_BANDS = (("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6-10", 6, 10))
OVER_10, NOT_ASSESSED = "11+", "not_assessed"
TIMELINESS_BANDS = (*(band for band, _, _ in DAY_BANDS), OVER_10, NOT_ASSESSED, PENDING)

MISSING_ITEM_COLUMNS = ["quarter", "item", "assessments", "missing", "missing_share"]
ANY_ITEM = "any"


def _in_quarter(instances: pd.DataFrame, measure_id: str, quarter: str) -> pd.DataFrame:
    chosen = (instances["measure_id"] == measure_id) & (instances["quarter"] == quarter)
    return instances[chosen.astype(bool)]


def assessment_timeliness(
    instances: pd.DataFrame, quarter: Quarter, calendar: WorkingDayCalendar
) -> pd.DataFrame:
    """The working days from report to needs assessment for R4-VNA instances in ``quarter``.

    The days are ``WorkingDayCalendar.working_days_between(trigger_date, action_date)``: 0 when
    assessed on the day of the report, 1 on the next working day (a report on Friday assessed
    on Monday is 1). Bands: ``0``, ``1``, ``2``, ``3-5``, ``6-10``, ``11+``, ``not_assessed`` (no
    assessment by the as-of date) and ``pending``: instances not yet due at the as-of date, kept
    apart whether or not already assessed, as ``metrics.csv`` keeps them out of ``eligible``.

    One row per ``rights`` group (``all``, ``enhanced``, ``standard``; enhanced as derived, not
    the police flag) and band, every band present. Columns: quarter, rights, band, count,
    share (count over the group's final, i.e. not pending, instances; empty for ``pending``
    and when the group has no final instances) and cumulative_share (share assessed within the
    band's upper limit, e.g. the ``2`` row is the share assessed within 2 working days and the
    ``11+`` row the share assessed at all; empty for ``not_assessed`` and ``pending``).
    The shares of the seven final bands add up to 1.
    """
    label = str(quarter)
    vna = _in_quarter(instances, "R4-VNA", label)
    days = calendar.working_days_between(
        vna["trigger_date"].astype("datetime64[s]"), vna["action_date"].astype("datetime64[s]")
    )
    edges = [-1, *(most for _, _, most in DAY_BANDS), np.inf]
    labels = [*(band for band, _, _ in DAY_BANDS), OVER_10]
    band = (
        pd.cut(days.astype("Float64").astype(float), bins=edges, labels=labels)
        .astype("string")
        .fillna(NOT_ASSESSED)
        .mask((vna["status"] == PENDING).to_numpy(), PENDING)
    )
    enhanced = vna["enhanced"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {"rights": np.where(enhanced, "enhanced", "standard"), "band": band.to_numpy()}
    )
    both = pd.concat([frame.assign(rights="all"), frame], ignore_index=True)
    full = pd.MultiIndex.from_product(
        [list(RIGHTS_GROUPS), list(TIMELINESS_BANDS)], names=["rights", "band"]
    )
    table = (
        both.groupby(["rights", "band"]).size().reindex(full, fill_value=0).rename("count")
    ).reset_index()
    table["count"] = table["count"].astype("int64")

    final = table["band"] != PENDING
    final_total = table["count"].where(final, 0).groupby(table["rights"]).transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(final & (final_total > 0), table["count"] / final_total, np.nan)
    table["share"] = share
    within_days = table["band"].isin(labels)
    running = table["share"].where(within_days, 0).groupby(table["rights"]).cumsum()
    table["cumulative_share"] = running.where(within_days & (final_total > 0))
    table["quarter"] = label
    return table[TIMELINESS_COLUMNS]


def missing_items(
    instances: pd.DataFrame, tables: Tables, quarter: Quarter, as_of: dt.date
) -> pd.DataFrame:
    """Which of the five required items the needs assessments matched under R4-VNA leave out.

    Population: the R4-VNA-CONTENT instances of ``quarter`` (victims whose R4-VNA assessment was
    matched, pending or not). The instance table does not say which assessment matched, so it
    is found again with R4-VNA's own rule (``matching.earliest_on_or_after``): the victim's
    earliest ``needs_assessments`` row dated on or after the report date, by date then
    timestamp, dated on or before ``as_of``. ``as_of`` must be the date the instances were
    computed for; a ValueError says so when the two disagree.

    An item counts as missing when it is false (or blank). Columns: quarter, item (each of
    ``VNA_ITEMS``, plus ``any``: assessments missing at least one item, which equals
    R4-VNA-CONTENT's ``not_met``), assessments (the instances), missing, missing_share
    (missing / assessments, empty when there are none). Rows: ``any`` first, then the items
    most often missing first (ties in the contract's order).
    """
    label = str(quarter)
    content = _in_quarter(instances, "R4-VNA-CONTENT", label)
    assessments = tables[("police", "needs_assessments")]
    candidates = assessments.assign(
        action_date=known_by(local_date(assessments["completed_at"]), pd.Timestamp(as_of)),
        action_at=assessments["completed_at"],
    )
    matched = earliest_on_or_after(
        content[["victim_id"]].assign(trigger_date=content["trigger_date"].astype("datetime64[s]")),
        candidates,
        ["victim_id"],
        carry=list(VNA_ITEMS),
    )
    disagree = matched["action_date"].ne(content["action_date"].astype("datetime64[s]"))
    if disagree.any():
        raise ValueError(
            f"{int(disagree.sum())} R4-VNA-CONTENT instances of {label} do not match a needs "
            f"assessment dated on or before {as_of}: were the instances computed for that "
            "as-of date, from these tables?"
        )

    recorded = matched[list(VNA_ITEMS)].astype("boolean").fillna(False).astype(bool)
    missing = (~recorded).assign(**{ANY_ITEM: ~recorded.all(axis=1)})
    table = pd.DataFrame(
        {
            "item": [ANY_ITEM, *VNA_ITEMS],
            "missing": missing[[ANY_ITEM, *VNA_ITEMS]].sum(axis=0).to_numpy(dtype="int64"),
        }
    )
    total = len(content)
    table = table.assign(
        quarter=label,
        assessments=total,
        missing_share=table["missing"] / total if total else np.nan,
        _any=table["item"] == ANY_ITEM,
        _contract_order=np.arange(len(table)),
    )
    table = table.sort_values(
        ["_any", "missing", "_contract_order"], ascending=[False, False, True], kind="stable"
    )
    return table[MISSING_ITEM_COLUMNS].reset_index(drop=True)
