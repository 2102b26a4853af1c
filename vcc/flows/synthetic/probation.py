"""The Probation Service's Victim Contact Scheme: referrals, first contact and releases (Right 11).

Victims of a specified violent or sexual offence whose offender gets 12 months' custody or more,
or a hospital order, are referred by the Witness Care Unit; a Victim Liaison Officer then contacts
them, and tells those who opt in when the offender is to be released (at about the halfway point
of a custodial sentence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.flows.synthetic.compliance import PROFILES, RELEASE_NOTIFIED_BEFORE, draw_actions
from vcc.flows.synthetic.timeline import NAT, Window, office_hours
from vcc.transforms.schema import SENTENCE_TYPES, VICTIM_TYPES

OPTED_IN_SHARE = 0.70
DAYS_PER_MONTH = 30.44


@dataclass
class ProbationRecords:
    vcs_referrals: pd.DataFrame
    release_notifications: pd.DataFrame


def _qualifying_sentences(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Sentences that entitle the victim to the scheme (CONTRACT.md §3, R11-REFER)."""
    kind = outcomes["sentence_type"]
    long_custody = (kind == SENTENCE_TYPES.index("custody")) & (outcomes["sentence_months"] >= 12)
    qualifies = (
        (outcomes["outcome_type"] == "sentence")
        & outcomes["vcs_specified_offence"]
        & (long_custody | (kind == SENTENCE_TYPES.index("hospital_order")))
        & (outcomes["victim_type"] != VICTIM_TYPES.index("business"))
    )
    return outcomes[qualifies].reset_index(drop=True)


def generate_probation(
    rng: np.random.Generator, window: Window, outcomes: pd.DataFrame
) -> ProbationRecords:
    sentences = _qualifying_sentences(outcomes)
    referred_at = draw_actions(
        rng, PROFILES["R11-REFER"], window, sentences["outcome_at"].to_numpy()
    )
    referrals = sentences.assign(referred_at=referred_at)[~np.isnat(referred_at)]
    referrals = referrals.sort_values("referred_at", kind="stable", ignore_index=True)
    referrals["referral_no"] = np.arange(1, len(referrals) + 1)
    first_contact_at = draw_actions(
        rng, PROFILES["R11-CONTACT"], window, referrals["referred_at"].to_numpy()
    )
    contacted = ~np.isnat(first_contact_at)
    opted_in = np.where(rng.random(len(referrals)) < OPTED_IN_SHARE, True, False).astype(object)
    opted_in[~contacted] = None
    referrals["first_contact_at"] = first_contact_at
    referrals["opted_in"] = opted_in
    return ProbationRecords(referrals, _releases(rng, window, referrals))


def _releases(rng: np.random.Generator, window: Window, referrals: pd.DataFrame) -> pd.DataFrame:
    """Releases of custodial offenders whose victims opted in, dated by the as-of day."""
    custody = referrals[
        (referrals["opted_in"] == True)  # noqa: E712 (object column with None)
        & (referrals["sentence_type"] == SENTENCE_TYPES.index("custody"))
    ]
    n = len(custody)
    # Released at about half the sentence, less time already served on remand.
    served = custody["sentence_months"].to_numpy() * DAYS_PER_MONTH * rng.uniform(0.35, 0.5, n)
    release_day = custody["outcome_at"].to_numpy().astype("datetime64[D]") + served.astype(
        np.int64
    ).astype("timedelta64[D]")
    release_at = office_hours(rng, release_day)
    before = rng.random(n) < RELEASE_NOTIFIED_BEFORE
    lead_days = rng.integers(1, 21, n)
    late_days = rng.integers(0, 8, n)
    notified_day = np.where(before, release_day - lead_days, release_day + late_days)
    notified_at = np.where(before | (rng.random(n) < 0.5), office_hours(rng, notified_day), NAT)
    releases = custody.assign(
        release_at=release_at, notified_at=window.drop_after_cutoff(notified_at)
    )
    releases = releases[releases["release_at"] < window.cutoff]
    return releases.sort_values("release_at", kind="stable", ignore_index=True)
