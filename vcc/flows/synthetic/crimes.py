"""Recorded crimes and their victims, as a Cumbria-sized police force sees them.

Internal frames use integer numbers for identifiers and codes (positions in the schema's tuples),
and numpy ``datetime64[s]`` instants; ``flows.synthetic.canonical`` turns them into tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcc.flows.synthetic.compliance import (
    ENH_FLAGGED_WRONGLY,
    ENH_IDENTIFIED,
    PROFILES,
    draw_actions,
    draw_flags,
)
from vcc.flows.synthetic.timeline import Window, arrivals
from vcc.transforms.schema import (
    DEFAULT_DISTRICTS,
    OFFENCE_CATEGORIES,
    VICTIM_TYPES,
)
from vcc.transforms.victims import owed_enhanced_rights

CRIMES_PER_QUARTER = 9_000
# More crime in summer, less in winter.
SEASON = {1: 0.93, 2: 1.02, 3: 1.07, 4: 0.98}

# Share of recorded crime by offence (England and Wales mix; fraud mostly goes to Action Fraud).
OFFENCE_SHARE = {
    "homicide": 0.0002,
    "attempted_murder": 0.0003,
    "wounding_gbh_with_intent": 0.004,
    "wounding_gbh": 0.012,
    "assault_with_injury": 0.10,
    "assault_without_injury": 0.17,
    "stalking_harassment": 0.13,
    "kidnap_false_imprisonment": 0.002,
    "rape": 0.012,
    "other_sexual_offence": 0.02,
    "robbery": 0.006,
    "burglary_residential": 0.04,
    "burglary_business": 0.015,
    "vehicle_offence": 0.04,
    "theft": 0.14,
    "shoplifting": 0.09,
    "criminal_damage": 0.10,
    "arson_endangering_life": 0.001,
    "arson": 0.006,
    "public_order": 0.07,
    "trafficking_modern_slavery": 0.001,
    "terrorism": 0.0001,
    "fraud": 0.02,
    "other": 0.03,
}
# Cumbria's six districts: Carlisle and Barrow-in-Furness are the busiest, Eden the quietest.
DISTRICT_SHARE = {
    "Allerdale": 0.18,
    "Barrow-in-Furness": 0.20,
    "Carlisle": 0.27,
    "Copeland": 0.14,
    "Eden": 0.07,
    "South Lakeland": 0.14,
}
_VIOLENCE = (
    "assault_with_injury",
    "assault_without_injury",
    "wounding_gbh",
    "wounding_gbh_with_intent",
    "attempted_murder",
)
# Domestic abuse flag: about 18% of violence.
DOMESTIC_ABUSE_SHARE = {
    **dict.fromkeys(_VIOLENCE, 0.18),
    "stalking_harassment": 0.30,
    "rape": 0.30,
    "other_sexual_offence": 0.10,
    "kidnap_false_imprisonment": 0.30,
    "homicide": 0.10,
    "criminal_damage": 0.08,
}
HATE_SHARE = {
    "public_order": 0.10,
    "assault_without_injury": 0.04,
    "assault_with_injury": 0.02,
    "criminal_damage": 0.015,
    "stalking_harassment": 0.03,
}
# Crimes recorded without a victim row (public order, possession and the like).
VICTIMLESS_SHARE = {"public_order": 0.40, "other": 0.50}
# (business, business with a named contact) shares of victims; the rest are people.
BUSINESS_SHARE = {
    "shoplifting": (0.40, 0.20),
    "burglary_business": (0.35, 0.55),
    "criminal_damage": (0.06, 0.04),
    "fraud": (0.20, 0.10),
    "theft": (0.03, 0.03),
    "arson": (0.10, 0.05),
    "robbery": (0.05, 0.0),
}
SEXUAL = ("rape", "other_sexual_offence")


def _by_category(shares: dict[str, float], default: float = 0.0) -> np.ndarray:
    return np.array([shares.get(name, default) for name in OFFENCE_CATEGORIES])


def _category_mask(category: np.ndarray, names: tuple[str, ...] | frozenset[str]) -> np.ndarray:
    return np.isin(category, [OFFENCE_CATEGORIES.index(name) for name in names])


def generate_crimes(rng: np.random.Generator, window: Window, scale: float) -> pd.DataFrame:
    """Crimes reported from the start of the history to the end of the window, in report order."""
    reported_at = arrivals(rng, window, CRIMES_PER_QUARTER * scale, SEASON)
    n = len(reported_at)
    shares = _by_category(OFFENCE_SHARE)
    category = rng.choice(len(OFFENCE_CATEGORIES), n, p=shares / shares.sum())
    district = rng.choice(
        len(DEFAULT_DISTRICTS), n, p=[DISTRICT_SHARE[d] for d in DEFAULT_DISTRICTS]
    )
    crimes = pd.DataFrame(
        {
            "crime_no": np.arange(1, n + 1),
            "reported_at": reported_at,
            "recorded_at": draw_actions(
                rng, PROFILES["R2-RECORD"], window, reported_at, district=district
            ),
            "category": category,
            "is_domestic_abuse": rng.random(n) < _by_category(DOMESTIC_ABUSE_SHARE, 0.01)[category],
            "is_hate_crime": rng.random(n) < _by_category(HATE_SHARE, 0.002)[category],
            "district": district,
        }
    )
    # A crime recorded after the as-of day is not in the extract yet.
    return crimes[crimes["recorded_at"].notna()].reset_index(drop=True)


def _victims_per_crime(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    u = rng.random(len(category))
    none = u < _by_category(VICTIMLESS_SHARE, 0.08)[category]
    return np.where(none, 0, np.where(u > 0.97, 2, 1))


def _victim_types(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    business = _by_category({k: v[0] for k, v in BUSINESS_SHARE.items()})[category]
    named = _by_category({k: v[1] for k, v in BUSINESS_SHARE.items()})[category]
    u = rng.random(len(category))
    return np.where(
        u < business,
        VICTIM_TYPES.index("business"),
        np.where(
            u < business + named,
            VICTIM_TYPES.index("business_named_contact"),
            VICTIM_TYPES.index("person"),
        ),
    )


def _ages(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """Age at the offence (float, NaN unknown): children are more often victims of sexual
    offences."""
    n = len(category)
    child_share = np.where(_category_mask(category, SEXUAL), 0.30, 0.11)
    u = rng.random(n)
    age = np.select(
        [u < child_share, u < child_share + 0.16, u < child_share + 0.77],
        [rng.integers(8, 18, n), rng.integers(18, 25, n), rng.integers(25, 65, n)],
        rng.integers(65, 93, n),
    ).astype(float)
    return np.where(rng.random(n) < 0.04, np.nan, age)


def _pick(rng: np.random.Generator, n: int, shares: list[float]) -> np.ndarray:
    """Codes 0..k-1 with the given shares; -1 (unknown) for what is left over."""
    codes = np.searchsorted(np.cumsum(shares), rng.random(n), side="right")
    return np.where(codes < len(shares), codes, -1)


def generate_victims(
    rng: np.random.Generator, window: Window, crimes: pd.DataFrame
) -> pd.DataFrame:
    """Victims of each crime, with what the police recorded about them and whether they are owed
    enhanced rights (derived as CONTRACT.md §2 says)."""
    per_crime = _victims_per_crime(rng, crimes["category"].to_numpy())
    crime = crimes.loc[np.repeat(crimes.index.to_numpy(), per_crime)].reset_index(drop=True)
    n = len(crime)
    category = crime["category"].to_numpy()
    domestic = crime["is_domestic_abuse"].to_numpy()
    victim_type = _victim_types(rng, category)
    person = victim_type == VICTIM_TYPES.index("person")
    female_share = np.where(domestic, 0.78, np.where(_category_mask(category, SEXUAL), 0.88, 0.47))
    sex = np.where(rng.random(n) < female_share, 0, 1)
    sex = np.where(rng.random(n) < 0.004, 2, np.where(rng.random(n) < 0.02, -1, sex))
    disability = _pick(rng, n, [0.71, 0.17])  # 0 false, 1 true, -1 unknown
    stalking = category == OFFENCE_CATEGORIES.index("stalking_harassment")
    consent = _pick(rng, n, [0.55, 0.28]) % 3  # given, declined, else (-1) not_recorded
    victims = pd.DataFrame(
        {
            "victim_no": np.arange(1, n + 1),
            "crime_no": crime["crime_no"].to_numpy(),
            "victim_type": victim_type,
            "age_at_offence": np.where(person, _ages(rng, category), np.nan),
            "sex": np.where(person, sex, -1),
            "ethnicity": np.where(person, _pick(rng, n, [0.925, 0.012, 0.015, 0.006, 0.006]), -1),
            "has_disability": np.where(person, disability, -1),
            "is_vulnerable": person & (rng.random(n) < np.where(disability == 1, 0.2, 0.05)),
            "is_intimidated": person & (rng.random(n) < np.where(domestic, 0.25, 0.03)),
            "is_persistently_targeted": person
            & (rng.random(n) < np.where(stalking, 0.45, np.where(domestic, 0.2, 0.015))),
            "is_bereaved_family": category == OFFENCE_CATEGORIES.index("homicide"),
            "updates_opt_out": rng.random(n) < 0.07,
            "referral_consent": consent,
            "reported_at": crime["reported_at"].to_numpy(),
            "district": crime["district"].to_numpy(),
            "category": category,
            "is_domestic_abuse": domestic,
        }
    )
    victims["owed_enhanced"] = _owed_enhanced(victims, crime)
    identified = draw_flags(
        rng,
        ENH_IDENTIFIED,
        window,
        victims["reported_at"].to_numpy(),
        victims["district"].to_numpy(),
    )
    victims["enhanced_flag"] = np.where(
        victims["owed_enhanced"], identified, rng.random(n) < ENH_FLAGGED_WRONGLY
    )
    return victims


def _owed_enhanced(victims: pd.DataFrame, crime: pd.DataFrame) -> np.ndarray:
    """CONTRACT.md §2 "Enhanced rights (derived)", by the measures' own rule."""
    with_crime = victims.assign(
        is_domestic_abuse=crime["is_domestic_abuse"].to_numpy(),
        is_hate_crime=crime["is_hate_crime"].to_numpy(),
        offence_category=np.take(OFFENCE_CATEGORIES, crime["category"].to_numpy()),
    )
    return owed_enhanced_rights(with_crime).to_numpy()
