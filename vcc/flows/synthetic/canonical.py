"""From the generator's working frames (integer numbers and codes, numpy instants) to the
canonical tables of CONTRACT.md §2, typed as ``transforms.schema`` declares them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vcc.flows.synthetic.court import CourtRecords
from vcc.flows.synthetic.probation import ProbationRecords
from vcc.transforms.schema import (
    CANONICAL,
    DEFAULT_DISTRICTS,
    ETHNICITIES,
    OFFENCE_CATEGORIES,
    REFERRAL_CONSENT,
    SENTENCE_TYPES,
    SEXES,
    VICTIM_TYPES,
)

# The pandas dtype of each schema column kind.
DTYPES = {
    "str": "string",
    "datetime": "datetime64[us]",
    "bool": "boolean",
    "int": "Int64",
    "float": "Float64",
}

# Identifier formats: prefix and digits (CPS unique reference numbers look like 10CU0000001).
CRIME_REF = ("CR", 7)
VICTIM_ID = ("V", 7)
URN = ("10CU", 7)
HEARING_ID = ("H", 7)
REFERRAL_ID = ("P", 6)
COMPLAINT_ID = {"police": ("POC", 5), "cps": ("CPC", 5), "probation": ("PRC", 5)}


def ids(numbers: np.ndarray | pd.Series, form: tuple[str, int]) -> pd.Series:
    """Identifiers such as CR0000042 from numbers."""
    prefix, width = form
    text = pd.Series(np.asarray(numbers, dtype=np.int64)).astype("string").str.zfill(width)
    return prefix + text


def names(codes: np.ndarray | pd.Series, values: Sequence[str]) -> pd.Categorical:
    """Names from their positions in ``values``; -1 is missing."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(values))


def nullable_bool(codes: np.ndarray | pd.Series) -> pd.array:
    """Booleans from 1 (true), 0 (false) and -1 (unknown)."""
    codes = np.asarray(codes)
    return pd.array(np.where(codes < 0, None, codes == 1), dtype="boolean")


def canonical(source: str, table: str, columns: dict[str, object]) -> pd.DataFrame:
    """A frame with exactly the canonical columns of ``source.table``, typed by the schema.

    The CPS records times to the minute, so its times are cut to the minute.
    """
    spec = CANONICAL[source][table]
    frame = pd.DataFrame(
        {
            column.name: _typed(columns[column.name], column.kind)
            for column in spec.columns
            if column.name in columns or not column.optional  # §6.1 columns are added later
        }
    )
    if source == "cps":
        for column in spec.columns:
            if column.kind == "datetime":
                frame[column.name] = frame[column.name].dt.floor("min")
    return frame


def _typed(values: object, kind: str) -> pd.Series:
    if isinstance(values, pd.Series):
        values = values.reset_index(drop=True)
    return pd.Series(values).astype(DTYPES[kind])


def _complaints(source: str, complaints: pd.DataFrame) -> pd.DataFrame:
    return canonical(
        source,
        "complaints",
        {
            "complaint_id": ids(complaints["complaint_no"], COMPLAINT_ID[source]),
            **{
                column: complaints[column]
                for column in ("received_at", "acknowledged_at", "responded_at")
            },
        },
    )


def police_tables(
    crimes: pd.DataFrame,
    victims: pd.DataFrame,
    events: pd.DataFrame,
    actions: dict[str, pd.DataFrame],
    complaints: pd.DataFrame,
) -> dict:
    def victim_ids(frame: pd.DataFrame) -> pd.Series:
        return ids(frame["victim_no"], VICTIM_ID)

    assessments, referrals = actions["needs_assessments"], actions["referrals"]
    contacts, offers = actions["victim_contacts"], actions["vps_offers"]
    return {
        "crimes": canonical(
            "police",
            "crimes",
            {
                "crime_ref": ids(crimes["crime_no"], CRIME_REF),
                "reported_at": crimes["reported_at"],
                "recorded_at": crimes["recorded_at"],
                "offence_category": names(crimes["category"], OFFENCE_CATEGORIES),
                "is_domestic_abuse": crimes["is_domestic_abuse"],
                "is_hate_crime": crimes["is_hate_crime"],
                "district": names(crimes["district"], DEFAULT_DISTRICTS),
            },
        ),
        "victims": canonical(
            "police",
            "victims",
            {
                "victim_id": victim_ids(victims),
                "crime_ref": ids(victims["crime_no"], CRIME_REF),
                "victim_type": names(victims["victim_type"], VICTIM_TYPES),
                "age_at_offence": victims["age_at_offence"],
                "sex": names(victims["sex"], SEXES),
                "ethnicity": names(victims["ethnicity"], ETHNICITIES),
                "has_disability": nullable_bool(victims["has_disability"]),
                **{
                    flag: victims[flag]
                    for flag in (
                        "is_vulnerable",
                        "is_intimidated",
                        "is_persistently_targeted",
                        "is_bereaved_family",
                        "enhanced_flag",
                        "updates_opt_out",
                    )
                },
                "referral_consent": names(victims["referral_consent"], REFERRAL_CONSENT),
            },
        ),
        "needs_assessments": canonical(
            "police", "needs_assessments", {**assessments, "victim_id": victim_ids(assessments)}
        ),
        "referrals": canonical(
            "police", "referrals", {**referrals, "victim_id": victim_ids(referrals)}
        ),
        "investigation_events": canonical(
            "police",
            "investigation_events",
            {**events, "crime_ref": ids(events["crime_no"], CRIME_REF)},
        ),
        "victim_contacts": canonical(
            "police", "victim_contacts", {**contacts, "victim_id": victim_ids(contacts)}
        ),
        "vps_offers": canonical(
            "police", "vps_offers", {**offers, "victim_id": victim_ids(offers)}
        ),
        "complaints": _complaints("police", complaints),
    }


def _case_keys(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "urn": ids(frame["urn_no"], URN),
        "victim_id": ids(frame["victim_no"], VICTIM_ID),
    }


def cps_tables(court: CourtRecords, complaints: pd.DataFrame) -> dict:
    outcomes = court.outcomes
    return {
        "cases": canonical(
            "cps",
            "cases",
            {
                "urn": ids(court.cases["urn_no"], URN),
                "crime_ref": ids(court.cases["crime_no"], CRIME_REF),
            },
        ),
        "decisions": canonical(
            "cps", "decisions", {**court.decisions, **_case_keys(court.decisions)}
        ),
        "vcl_letters": canonical(
            "cps", "vcl_letters", {**court.vcl_letters, **_case_keys(court.vcl_letters)}
        ),
        "hearings": canonical(
            "cps",
            "hearings",
            {
                **court.hearings,
                **_case_keys(court.hearings),
                "hearing_id": ids(court.hearings["hearing_no"], HEARING_ID),
            },
        ),
        "outcomes": canonical(
            "cps",
            "outcomes",
            {
                **outcomes,
                **_case_keys(outcomes),
                "sentence_type": names(outcomes["sentence_type"], SENTENCE_TYPES),
            },
        ),
        "complaints": _complaints("cps", complaints),
    }


def probation_tables(probation: ProbationRecords, complaints: pd.DataFrame) -> dict:
    referrals, releases = probation.vcs_referrals, probation.release_notifications
    return {
        "vcs_referrals": canonical(
            "probation",
            "vcs_referrals",
            {
                **referrals,
                **_case_keys(referrals),
                "referral_id": ids(referrals["referral_no"], REFERRAL_ID),
            },
        ),
        "release_notifications": canonical(
            "probation", "release_notifications", {**releases, **_case_keys(releases)}
        ),
        "complaints": _complaints("probation", complaints),
    }
