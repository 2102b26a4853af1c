"""Who is owed the Code, who is owed enhanced rights, and the attributes figures are broken down by.

CONTRACT.md §2: victims with ``victim_type`` ``person`` or ``business_named_contact`` are owed the
Code; ``business`` victims are left out of every measure. Enhanced rights are derived from the
victim and the crime, never from the police's ``enhanced_flag``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcc.transforms.matching import local_date, positions_in
from vcc.transforms.schema import (
    ENHANCED_OFFENCE_CATEGORIES,
    OFFENCE_CATEGORIES,
    OFFENCE_GROUP_OF,
    VICTIMS_OWED_THE_CODE,
)

AGE_BANDS = ("0-17", "18-24", "25-64", "65+", "unknown")
BREAKDOWN_COLUMNS = (
    "district",
    "age_band",
    "sex",
    "ethnicity",
    "has_disability",
    "offence_group",  # CONTRACT.md §6.3
    "domestic_abuse",
)

_ENHANCED_VICTIM_FLAGS = (
    "is_vulnerable",
    "is_intimidated",
    "is_persistently_targeted",
    "is_bereaved_family",
)
# The enhanced offence categories in the contract's order, for tables that list them.
ENHANCED_OFFENCE_CATEGORY_ORDER = tuple(
    category for category in OFFENCE_CATEGORIES if category in ENHANCED_OFFENCE_CATEGORIES
)


def _true(column: pd.Series) -> pd.Series:
    """A boolean column with missing read as false."""
    return column.astype("boolean").fillna(False).astype(bool)


def owed_enhanced_rights(victims: pd.DataFrame) -> pd.Series:
    """CONTRACT.md §2 "Enhanced rights (derived)"; ``victims`` carries its crime's columns."""
    owed = pd.Series(False, index=victims.index)
    for flag in _ENHANCED_VICTIM_FLAGS:
        owed |= _true(victims[flag])
    owed |= (victims["age_at_offence"] < 18).fillna(False).astype(bool)
    owed |= _true(victims["is_domestic_abuse"]) | _true(victims["is_hate_crime"])
    owed |= victims["offence_category"].isin(ENHANCED_OFFENCE_CATEGORIES).astype(bool)
    return owed


def enhanced_reasons(victims: pd.DataFrame) -> pd.DataFrame:
    """Each reason of CONTRACT.md §2 "Enhanced rights (derived)" that holds, one boolean column per
    reason: ``under_18``, the victim flags (``vulnerable``, ``intimidated``,
    ``persistently_targeted``, ``bereaved_family``), ``domestic_abuse``, ``hate_crime`` and each
    enhanced offence category. ``victims`` carries its crime's columns; a victim is owed enhanced
    rights exactly when any column is true (``owed_enhanced_rights``)."""
    reasons = {"under_18": (victims["age_at_offence"] < 18).fillna(False).astype(bool)}
    for flag in _ENHANCED_VICTIM_FLAGS:
        reasons[flag.removeprefix("is_")] = _true(victims[flag])
    reasons["domestic_abuse"] = _true(victims["is_domestic_abuse"])
    reasons["hate_crime"] = _true(victims["is_hate_crime"])
    for category in ENHANCED_OFFENCE_CATEGORY_ORDER:
        reasons[category] = (victims["offence_category"] == category).fillna(False).astype(bool)
    return pd.DataFrame(reasons, index=victims.index)


def age_bands(age: pd.Series) -> pd.Series:
    bands = pd.cut(
        age.astype("Float64").astype(float),
        bins=[-1, 17, 24, 64, 1000],
        labels=list(AGE_BANDS[:-1]),
    )
    # the labels taken by code: turning the categorical into strings row by row is slow
    codes = bands.cat.codes.to_numpy()
    codes = np.where(codes < 0, AGE_BANDS.index("unknown"), codes)
    return pd.Series(
        pd.array(AGE_BANDS, dtype="string").take(codes), index=age.index, name=age.name
    )


def _with_unknown(column: pd.Series) -> pd.Series:
    return column.astype("string").fillna("unknown")


def _true_false(column: pd.Series) -> pd.Series:
    """A boolean column as "true"/"false" labels, missing read as false."""
    return pd.Series(np.where(_true(column), "true", "false"), index=column.index, dtype="string")


def victim_profiles(victims: pd.DataFrame, crimes: pd.DataFrame) -> pd.DataFrame:
    """One row per victim owed the Code, indexed by ``victim_id``, with the crime's report date.

    Columns: crime_ref, reported_date, recorded_date, enhanced, enhanced_flag, updates_opt_out,
    referral_consent, offence_category and the breakdown attributes (district, age_band, sex,
    ethnicity, has_disability as "true"/"false"/"unknown", offence_group, and domestic_abuse as
    "true"/"false" from the crime's is_domestic_abuse).
    """
    owed = victims[victims["victim_type"].isin(VICTIMS_OWED_THE_CODE)]
    crime_columns = crimes[
        [
            "crime_ref",
            "reported_at",
            "recorded_at",
            "offence_category",
            "is_domestic_abuse",
            "is_hate_crime",
            "district",
        ]
    ]
    # each victim with its crime's columns (victims of no known crime drop out), looked up by
    # position: a merge would hash the references twice more to check that crimes are unique
    [crime] = positions_in(crimes["crime_ref"], owed["crime_ref"])
    joined = pd.concat(
        [
            owed[crime >= 0].reset_index(drop=True),
            crime_columns.drop(columns="crime_ref").take(crime[crime >= 0]).reset_index(drop=True),
        ],
        axis=1,
    )
    disability = joined["has_disability"].astype("boolean")
    category = joined["offence_category"].astype("string")
    profiles = pd.DataFrame(
        {
            "victim_id": joined["victim_id"].astype("string"),
            "crime_ref": joined["crime_ref"].astype("string"),
            "reported_date": local_date(joined["reported_at"]),
            "recorded_date": local_date(joined["recorded_at"]),
            "enhanced": owed_enhanced_rights(joined).to_numpy(),
            "enhanced_flag": _true(joined["enhanced_flag"]).to_numpy(),
            "updates_opt_out": _true(joined["updates_opt_out"]).to_numpy(),
            "referral_consent": joined["referral_consent"].astype("string"),
            "offence_category": category,
            "district": _with_unknown(joined["district"]),
            "age_band": age_bands(joined["age_at_offence"]),
            "sex": _with_unknown(joined["sex"]),
            "ethnicity": _with_unknown(joined["ethnicity"]),
            "has_disability": disability.map({True: "true", False: "false"})
            .astype("string")
            .fillna("unknown"),
            "offence_group": category.map(OFFENCE_GROUP_OF).astype("string").fillna("unknown"),
            "domestic_abuse": _true_false(joined["is_domestic_abuse"]),
        }
    )
    return profiles.set_index("victim_id", drop=False)
