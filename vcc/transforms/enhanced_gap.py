"""The enhanced-rights identification gap: which victims owed enhanced rights the police did not
identify, and how much later their updates reach them.

A victim is owed enhanced rights whether or not the police noticed (CONTRACT.md §2, derived from
the victim and the crime, never from ``enhanced_flag``). ENH-IDENTIFIED gives the overall rate;
these tables answer the commissioner's question "what portion of victims are not receiving an
enhanced service" one step further:

- ``identification_by_reason``: for each reason a victim is owed enhanced rights, how many such
  victims the police flagged and how many they missed.
- ``update_delay_by_identification``: for enhanced victims' investigation updates (R6-UPDATE,
  1 working day for them), how the delay differs between victims the police identified and
  victims they treated as standard.

Both return aggregates only: no victim, crime or case identifier leaves these functions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from vcc.transforms.calendar import WorkingDayCalendar
from vcc.transforms.figures import Tables
from vcc.transforms.matching import MET, NOT_MET
from vcc.transforms.metrics import wilson_interval
from vcc.transforms.quarters import Quarter, quarter_labels
from vcc.transforms.victims import enhanced_reasons, victim_profiles

IDENTIFICATION_COLUMNS = [
    "quarter",
    "reason",
    "owed",
    "identified",
    "missed",
    "identified_rate",
    "ci_low",
    "ci_high",
]

UPDATE_DELAY_COLUMNS = [
    "quarter",
    "identification",
    "instances",
    "met",
    "not_met",
    "rate",
    "ci_low",
    "ci_high",
    "updated",
    "median_working_days",
    "p75_working_days",
    "p90_working_days",
    "within_1_share",
    "within_5_share",
    "never_updated_share",
]
IDENTIFICATION_GROUPS = ("identified", "not_identified", "all")

_CRIME_REASON_COLUMNS = ["crime_ref", "offence_category", "is_domestic_abuse", "is_hate_crime"]


def _rate_with_interval(met: np.ndarray, eligible: np.ndarray) -> dict[str, np.ndarray]:
    low, high = wilson_interval(met, eligible)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(eligible > 0, met / np.where(eligible > 0, eligible, 1), np.nan)
    return {"rate": rate, "ci_low": low, "ci_high": high}


def identification_by_reason(tables: Tables, quarter: Quarter, as_of: dt.date) -> pd.DataFrame:
    """How many victims owed enhanced rights the police identified, per reason they are owed them.

    Population: victims owed the Code (``person``, ``business_named_contact``) who are owed
    enhanced rights, whose crime was reported in ``quarter`` and on or before ``as_of``: the
    victims of ENH-IDENTIFIED in that quarter. Identified means the police's ``enhanced_flag``
    is true.

    One row per reason (``victims.enhanced_reasons``: ``under_18``, ``vulnerable``,
    ``intimidated``, ``persistently_targeted``, ``bereaved_family``, ``domestic_abuse``,
    ``hate_crime`` and each enhanced offence category, e.g. ``rape``, ``stalking_harassment``).
    A victim owed enhanced rights for several reasons counts under each, so the reason rows do
    not add up to the first row, ``all``, which counts each victim once (and equals
    ENH-IDENTIFIED's ``all`` figures). Every reason has a row every quarter, so that quarters
    line up; a reason with no victims has ``owed`` 0 and an empty rate.

    Columns: quarter, reason, owed, identified, missed (= owed - identified), identified_rate
    (identified / owed, empty when owed is 0) and its Wilson 95% interval ci_low, ci_high.
    Rows: ``all`` first, then the reasons by ``missed`` descending (then ``owed`` descending,
    then the contract's order).
    """
    label = str(quarter)
    victims, crimes = tables[("police", "victims")], tables[("police", "crimes")]
    profiles = victim_profiles(victims, crimes).reset_index(drop=True)
    in_quarter = (
        profiles["enhanced"]
        & (quarter_labels(profiles["reported_date"]) == label).fillna(False).astype(bool)
        & (profiles["reported_date"] <= pd.Timestamp(as_of))
    )
    owed = profiles.loc[in_quarter, ["victim_id", "enhanced_flag"]]

    with_crime = victims.merge(crimes[_CRIME_REASON_COLUMNS], on="crime_ref", how="inner")
    reasons = enhanced_reasons(with_crime).assign(
        victim_id=with_crime["victim_id"].astype("string")
    )
    owed = owed.merge(reasons, on="victim_id", how="left", validate="one_to_one")
    reason_names = [column for column in reasons.columns if column != "victim_id"]

    # victims x reasons, 1 where the reason holds: column sums count each victim under each reason
    holds = owed[reason_names].astype("int64")
    flagged = owed["enhanced_flag"].astype("int64").to_numpy()
    table = pd.DataFrame(
        {
            "reason": ["all", *reason_names],
            "owed": [len(owed), *holds.sum(axis=0).to_numpy()],
            "identified": [flagged.sum(), *holds.mul(flagged, axis=0).sum(axis=0).to_numpy()],
        }
    ).astype({"owed": "int64", "identified": "int64"})
    table["missed"] = table["owed"] - table["identified"]
    rate = _rate_with_interval(table["identified"].to_numpy(), table["owed"].to_numpy())
    table = table.assign(
        quarter=label,
        identified_rate=rate["rate"],
        ci_low=rate["ci_low"],
        ci_high=rate["ci_high"],
        _overall=table["reason"] == "all",
        _contract_order=np.arange(len(table)),
    )
    table = table.sort_values(
        ["_overall", "missed", "owed", "_contract_order"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    return table[IDENTIFICATION_COLUMNS].reset_index(drop=True)


def update_delay_by_identification(
    instances: pd.DataFrame,
    tables: Tables,
    quarter: Quarter,
    calendar: WorkingDayCalendar,
) -> pd.DataFrame:
    """How much later investigation updates reach enhanced victims the police did not identify.

    Population: R6-UPDATE instances in ``quarter`` of victims owed enhanced rights, pending ones
    left out (as in ``metrics.csv``). Right 6 owes these victims an update within 1 working day
    (the configured enhanced deadline); a victim the police did not flag (``enhanced_flag``
    false, read from the police ``victims`` table) is likely treated as standard and given the
    standard 5. ``identification`` is ``identified``, ``not_identified`` and ``all``; every
    group has a row, with empty figures when it has no instances.

    Columns:
    - quarter, identification; instances (final: met + not met), met, not_met, rate (met /
      instances) and its Wilson 95% interval ci_low, ci_high: as R6-UPDATE in ``metrics.csv``.
    - updated: instances with an update dated on or before the as-of date.
    - median_working_days, p75_working_days, p90_working_days: percentiles (linear
      interpolation) of the working days from the event's date to the update's date
      (``WorkingDayCalendar.working_days_between``: 0 on the same day, 1 on the next working
      day), **among updated instances**.
    - within_1_share, within_5_share: share of all the group's instances updated within 1 and
      within 5 working days; never_updated_share: share with no update by the as-of date.

    The headline is the difference between the ``not_identified`` and ``identified`` rows.
    """
    label = str(quarter)
    chosen = (
        (instances["measure_id"] == "R6-UPDATE")
        & (instances["quarter"] == label)
        & instances["enhanced"].astype("boolean").fillna(False)
        & instances["status"].isin([MET, NOT_MET])
    ).astype(bool)
    updates = instances[chosen]

    victims = tables[("police", "victims")]
    flags = (
        victims["enhanced_flag"]
        .astype("boolean")
        .fillna(False)
        .set_axis(victims["victim_id"].astype("string"))
    )
    identified = updates["victim_id"].astype("string").map(flags).fillna(False).astype(bool)
    days = calendar.working_days_between(
        updates["trigger_date"].astype("datetime64[s]"),
        updates["action_date"].astype("datetime64[s]"),
    )
    frame = pd.DataFrame(
        {
            "identification": np.where(identified, "identified", "not_identified"),
            "met": (updates["status"] == MET).to_numpy(),
            "updated": updates["action_date"].notna().to_numpy(),
            "days": days.astype("Float64").astype(float).to_numpy(),
        }
    )
    frame = frame.assign(
        within_1=frame["days"] <= 1,
        within_5=frame["days"] <= 5,
        never_updated=~frame["updated"],
    )
    both = pd.concat([frame, frame.assign(identification="all")], ignore_index=True)
    grouped = both.groupby("identification")
    counts = grouped[["met", "updated", "within_1", "within_5", "never_updated"]].sum()
    counts["instances"] = grouped.size()
    counts = counts.reindex(list(IDENTIFICATION_GROUPS), fill_value=0).astype("int64")
    percentiles = (
        grouped["days"]
        .quantile([0.5, 0.75, 0.9])
        .unstack()
        .reindex(index=list(IDENTIFICATION_GROUPS), columns=[0.5, 0.75, 0.9])
    )

    n = counts["instances"].to_numpy()
    rate = _rate_with_interval(counts["met"].to_numpy(), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {
            f"{column}_share": np.where(n > 0, counts[column].to_numpy() / np.maximum(n, 1), np.nan)
            for column in ("within_1", "within_5", "never_updated")
        }
    table = pd.DataFrame(
        {
            "quarter": label,
            "identification": list(IDENTIFICATION_GROUPS),
            "instances": n,
            "met": counts["met"].to_numpy(),
            "not_met": n - counts["met"].to_numpy(),
            **rate,
            "updated": counts["updated"].to_numpy(),
            "median_working_days": percentiles[0.5].to_numpy(dtype=float),
            "p75_working_days": percentiles[0.75].to_numpy(dtype=float),
            "p90_working_days": percentiles[0.9].to_numpy(dtype=float),
            **shares,
        }
    )
    return table[UPDATE_DELAY_COLUMNS]
