"""The slowest stages: how many working days each deadline measure's action took, per agency.

For one quarter, every measure with a working-day deadline (CONTRACT.md §3; measures met or not
at once, and ``R11-RELEASE``, have none) gets the distribution of the working days from each
instance's trigger date to its action date:

- The population is the quarter's **final** instances (``met`` or ``not_met``), the ``eligible``
  of ``metrics.csv``. Pending instances are left out whether or not they were already actioned:
  only the fast ones could have been, and a distribution mixing them would flatter the agency.
- ``actioned``: final instances with an action dated on or before the as-of date; ``no_action``:
  final instances still without one (all of them past their due date, so not met).
- Working days are ``WorkingDayCalendar.working_days_between``: 0 when the action is on the
  trigger's own date, 1 on the next working day, weekends and bank holidays not counted. An
  ``R7-VPS`` offer may come before the charge it is for (it counts at any date); it waited 0.
- Percentiles are the **nearest rank** (the inverse of the empirical distribution): the p-th
  percentile is the smallest number of working days within which at least p% of the actioned
  instances were actioned. It is always a whole number of days, and "90% within 6 working days"
  reads off the 90th percentile exactly.
- ``after_deadline``: actioned instances whose action came after their own due date (the
  enhanced or standard deadline, as the measure assessed them); its share is of ``actioned``.
- ``*_days_late``: the same percentiles of how late each actioned instance was against its own
  due date, in working days (the working days to action less the working days its deadline
  allowed: 0 on the due date, negative before it). A victim owed enhanced rights is judged by
  the shorter deadline the measure gave them, as ``after_deadline`` is.

``published_stages`` applies disclosure control (CONTRACT.md §4's rule, as for the published
tables) and ranks each agency's stages **latest first against each instance's own deadline**: by
the 90th percentile of days late, then the median, then the 75th percentile, then catalogue
order. Raw days would put a 20-day stage within its 20-day deadline above a 1-day stage taking 3,
and the standard deadline alone would call a stage on time whose enhanced victims all waited past
their 1 day. A stage whose percentiles are withheld goes after those shown, in catalogue order,
so that its place gives nothing away.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vcc.transforms.agencies import AGENCIES, agency_rank
from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.catalogue import MEASURES
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE, is_small, met_is_hidden
from vcc.transforms.matching import MET, NOT_MET, PENDING
from vcc.transforms.measures import Deadline
from vcc.transforms.quarters import Quarter

PERCENTILES = (50, 75, 90)
PERCENTILE_COLUMNS = ("median_working_days", "p75_working_days", "p90_working_days")
LATENESS_COLUMNS = ("median_days_late", "p75_days_late", "p90_days_late")
STAGE_COLUMNS = [
    "quarter",
    "agency",
    "measure_id",
    "deadline_standard",
    "deadline_enhanced",
    "final",
    "met",
    "pending",
    "actioned",
    "no_action",
    "after_deadline",
    *PERCENTILE_COLUMNS,
    "after_deadline_share",
    *LATENESS_COLUMNS,
]
# What leaves the analysts' hands: counts a reader could combine into met or not_met are left
# out (final, met and pending are in the published measure tables already), and ``shown`` says
# whether the percentiles are printed; ``rank`` is 1 for the agency's stage furthest past its
# deadline.
PUBLISHED_STAGE_COLUMNS = [
    "quarter",
    "agency",
    "measure_id",
    "deadline_standard",
    "deadline_enhanced",
    "actioned",
    "no_action",
    *PERCENTILE_COLUMNS,
    "after_deadline_share",
    "p90_days_late",
    "shown",
    "rank",
]


def _catalogue_position(measure_id: str) -> int:
    ids = [m.measure_id for m in MEASURES]
    return ids.index(measure_id) if measure_id in ids else len(ids)


def _stages(instances: pd.DataFrame, timed: list[str]) -> list[tuple[str, str]]:
    """Every (agency, measure) with a deadline: the catalogue's own (those needing optional
    data, CONTRACT.md §6.1, only with instances), and any other pair in the instances
    (``R12-ACK`` once per source that supplies complaints), in report order."""
    pairs = {(m.agency, m.measure_id) for m in MEASURES if m.agency in AGENCIES and not m.requires}
    if len(instances):
        found = instances[["agency", "measure_id"]].drop_duplicates().astype(str)
        pairs |= set(found.itertuples(index=False, name=None))
    chosen = [(agency, measure_id) for agency, measure_id in pairs if measure_id in timed]
    return sorted(chosen, key=lambda p: (agency_rank(p[0]), _catalogue_position(p[1]), p))


def nearest_rank(days: np.ndarray, percentile: int) -> float:
    """The smallest value within which at least ``percentile``% of ``days`` lie (NaN if none)."""
    if not len(days):
        return np.nan
    ordered = np.sort(days)
    rank = -(-percentile * len(ordered) // 100)  # ceil(p * n / 100), in whole numbers
    return float(ordered[max(rank, 1) - 1])


def stage_distributions(
    instances: pd.DataFrame,
    quarter: Quarter,
    deadlines: Mapping[str, Deadline],
    calendar: WorkingDayCalendar,
) -> pd.DataFrame:
    """One row per agency and deadline measure (STAGE_COLUMNS), unsuppressed: the analysts'
    form. ``instances`` is ``compute_instances``'s table; only its rows triggered in
    ``quarter`` are counted."""
    label = str(quarter)
    timed = [
        measure_id
        for measure_id, deadline in deadlines.items()
        if deadline.standard is not None and deadline.enhanced is not None
    ]
    stages = _stages(instances, timed)
    if len(instances):
        # the quarter's rows first: the comparisons below then touch thousands of rows, not the
        # millions of a national trend window
        rows = instances[(instances["quarter"] == label).to_numpy(dtype=bool)]
    else:
        rows = pd.DataFrame(columns=["agency", "measure_id", "status", "trigger_date",
                                     "due_date", "action_date"])  # fmt: skip
    status = rows["status"].astype(str).to_numpy()
    final = np.isin(status, [MET, NOT_MET])
    action = pd.to_datetime(rows["action_date"]).astype("datetime64[s]")
    actioned = final & action.notna().to_numpy()
    trigger = pd.to_datetime(rows["trigger_date"]).astype("datetime64[s]")
    days = calendar.working_days_between(trigger, action)
    days = days.clip(lower=0).to_numpy(dtype="float64", na_value=np.nan)
    due = pd.to_datetime(rows["due_date"]).astype("datetime64[s]")
    after = actioned & (action > due).to_numpy()
    allowed = calendar.working_days_between(trigger, due).to_numpy(dtype="float64", na_value=np.nan)
    late = days - allowed  # working days after the instance's own due date
    keys = rows["agency"].astype(str).to_numpy() + "|" + rows["measure_id"].astype(str).to_numpy()
    table = []
    for agency, measure_id in stages:
        mine = keys == f"{agency}|{measure_id}"
        waited, lateness = days[mine & actioned], late[mine & actioned]
        lateness = lateness[~np.isnan(lateness)]
        n, deadline = len(waited), deadlines[measure_id]
        table.append(
            {
                "quarter": label,
                "agency": agency,
                "measure_id": measure_id,
                "deadline_standard": deadline.standard,
                "deadline_enhanced": deadline.enhanced,
                "final": int((mine & final).sum()),
                "met": int((mine & (status == MET)).sum()),
                "pending": int((mine & (status == PENDING)).sum()),
                "actioned": n,
                "no_action": int((mine & final & ~actioned).sum()),
                "after_deadline": int((mine & after).sum()),
                **{
                    column: nearest_rank(waited, p)
                    for column, p in zip(PERCENTILE_COLUMNS, PERCENTILES, strict=True)
                },
                "after_deadline_share": (mine & after).sum() / n if n else np.nan,
                **{
                    column: nearest_rank(lateness, p)
                    for column, p in zip(LATENESS_COLUMNS, PERCENTILES, strict=True)
                },
            }
        )
    frame = pd.DataFrame(table, columns=STAGE_COLUMNS)
    counts = ["final", "met", "pending", "actioned", "no_action", "after_deadline"]
    decimals = (*PERCENTILE_COLUMNS, *LATENESS_COLUMNS)
    return frame.astype({c: "int64" for c in counts} | {c: "float64" for c in decimals})


def _count(value: int, hidden: bool) -> str:
    return CONFIDENTIAL if hidden else str(int(value))


def published_stages(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """``stage_distributions`` as it may be published (PUBLISHED_STAGE_COLUMNS, text with GSS
    symbols), each agency's stages ranked latest first against their own deadlines.

    - ``actioned`` and ``no_action`` add up to the published ``eligible``: a count from 1 to
      threshold−1 is ``[c]``, and so is the other one of the pair with it.
    - The percentiles are ``[c]`` when fewer than ``threshold`` instances were actioned, or
      when the actioned count itself is hidden (``[z]`` when none was).
    - The share actioned after the deadline is ``[c]`` when the actioned count is hidden, or
      when the number after the deadline or the number within it is small (the rule for
      ``met``). Actioned within the deadline is exactly ``met``, and ``eligible - met`` is
      ``no_action`` plus those after it, so whenever the published ``met`` is hidden one of
      these rules hides the share too: it cannot give a hidden ``met`` back.
    """
    rows = []
    for row in table.itertuples(index=False):
        counts_hidden = is_small(row.actioned, threshold) or is_small(row.no_action, threshold)
        shown = row.actioned >= threshold and not counts_hidden
        if row.actioned == 0:
            percentiles = dict.fromkeys(PERCENTILE_COLUMNS, NOT_APPLICABLE)
        elif not shown:
            # percentiles of a hidden count would stand beside a "[c]" they belong to
            percentiles = dict.fromkeys(PERCENTILE_COLUMNS, CONFIDENTIAL)
        else:
            percentiles = {c: str(int(getattr(row, c))) for c in PERCENTILE_COLUMNS}
        if row.actioned == 0:
            share = NOT_APPLICABLE
        elif counts_hidden or met_is_hidden(row.actioned, row.after_deadline, threshold):
            share = CONFIDENTIAL
        else:
            share = f"{row.after_deadline_share:.4f}"
        rows.append(
            {
                "quarter": row.quarter,
                "agency": row.agency,
                "measure_id": row.measure_id,
                "deadline_standard": str(int(row.deadline_standard)),
                "deadline_enhanced": str(int(row.deadline_enhanced)),
                "actioned": _count(row.actioned, counts_hidden),
                "no_action": _count(row.no_action, counts_hidden),
                **percentiles,
                "after_deadline_share": share,
                "p90_days_late": str(int(row.p90_days_late))
                if shown
                else percentiles["p90_working_days"],
                "shown": shown,
                # latest first: working days after each instance's own due date at the 90th
                # percentile, then at the median, then at the 75th
                **{f"_{c}": -getattr(row, c) for c in LATENESS_COLUMNS},
            }
        )
    published = pd.DataFrame(rows)
    if published.empty:
        return pd.DataFrame(columns=PUBLISHED_STAGE_COLUMNS)
    hidden = ~published["shown"]
    published = published.assign(
        _agency=published["agency"].map(agency_rank),
        _hidden=hidden,
        _catalogue=published["measure_id"].map(_catalogue_position),
        # a withheld stage sorts by catalogue order alone: its percentiles must not place it
        **{f"_{c}": published[f"_{c}"].mask(hidden, 0.0) for c in LATENESS_COLUMNS},
    )
    lateness = [f"_{c}" for c in ("p90_days_late", "median_days_late", "p75_days_late")]
    published = published.sort_values(
        ["_agency", "agency", "_hidden", *lateness, "_catalogue", "measure_id"], kind="stable"
    )
    published["rank"] = published.groupby("agency", sort=False).cumcount() + 1
    return published[PUBLISHED_STAGE_COLUMNS].reset_index(drop=True)
