"""How well the synthetic agencies keep the Code: one profile per measure, in one place.

These are the patterns a report on the demo data should find. Each profile gives the share of
instances whose action comes within the measure's default deadline (CONTRACT.md §3) for a
standard victim in an average district in the middle of the requested quarters, and how that
share moves with enhanced rights, district and time. The rest are late, or never happen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vcc.flows.synthetic.timeline import NAT, Window, after_working_days, quarter_of
from vcc.transforms.catalogue import MEASURES_BY_ID
from vcc.transforms.schema import DEFAULT_DISTRICTS

# Police compliance by district (local policing areas differ); Barrow-in-Furness is the one a
# report should pick out as noticeably worse.
WORSE_DISTRICT = "Barrow-in-Furness"
DISTRICT_EFFECT = {
    "Allerdale": 0.01,
    "Barrow-in-Furness": -0.13,
    "Carlisle": 0.03,
    "Copeland": 0.0,
    "Eden": 0.05,
    "South Lakeland": 0.05,
}


@dataclass(frozen=True)
class Profile:
    """The intended compliance with one measure."""

    rate: float  # share on time: standard victim, average district, middle of the range
    deadline: int  # working days it is judged against (the catalogue's default: _profile)
    deadline_enhanced: int | None = None  # for victims owed enhanced rights, if different
    enhanced: float = 0.0  # added to the rate for victims owed enhanced rights
    trend: float = 0.0  # added per quarter: positive improves, negative worsens
    district: float = 0.0  # how much of DISTRICT_EFFECT applies (police measures)
    missing_share: float = 0.5  # of the instances not on time, the share never actioned
    late_mean: float = 3.0  # mean working days past the deadline when late


def _profile(key: str, rate: float, **shape: float) -> Profile:
    """``key``'s profile, judged against its measure's deadlines in the catalogue (the measure
    ``key`` names, or for one agency's complaints, ``R12-ACK-<agency>``, R12-ACK's). A measure
    the catalogue no longer holds stops the generator here rather than going stale."""
    measure_id = key if key in MEASURES_BY_ID else key.rpartition("-")[0]
    definition = MEASURES_BY_ID.get(measure_id)
    if definition is None or definition.deadline_standard is None:
        raise ValueError(f"synthetic profile {key}: no measure with a deadline in the catalogue")
    enhanced = definition.deadline_enhanced
    return Profile(
        rate,
        definition.deadline_standard,
        None if enhanced == definition.deadline_standard else enhanced,
        **shape,
    )


PROFILES: dict[str, Profile] = {
    "R2-RECORD": _profile("R2-RECORD", 0.95, district=0.5, missing_share=0.0, late_mean=2.0),
    "R3-ACK": _profile("R3-ACK", 0.85, trend=0.005, district=1.0, missing_share=0.6),
    # Improving quarter on quarter: a needs-assessment drive.
    "R4-VNA": _profile("R4-VNA", 0.75, enhanced=0.04, trend=0.025, district=1.0),
    "R4-REFER": _profile("R4-REFER", 0.80, enhanced=0.08, district=1.0, missing_share=0.6),
    # Right 6: 1 working day for enhanced victims, whom officers update on much the same
    # timetable as everyone else, so many of them are late.
    "R6-UPDATE": _profile("R6-UPDATE", 0.84, enhanced=-0.34, district=1.0, missing_share=0.45),
    # Worsening quarter on quarter: CPS letters slip as caseloads grow.
    "R6-VCL": _profile("R6-VCL", 0.91, enhanced=-0.25, trend=-0.02, missing_share=0.4),
    # Offers made after the charge; a third more are made at statement time, before it, so about
    # 81% of victims are offered a statement in time.
    "R7-VPS": _profile("R7-VPS", 0.72, district=0.5, missing_share=0.6),
    # Worsening quarter on quarter: Witness Care Unit staffing.
    "R8-HEARING": _profile("R8-HEARING", 0.92, trend=-0.012, missing_share=0.3, late_mean=2.0),
    "R9-OUTCOME": _profile("R9-OUTCOME", 0.87, missing_share=0.3, late_mean=2.0),
    "R11-REFER": _profile("R11-REFER", 0.85, missing_share=0.5, late_mean=6.0),
    "R11-CONTACT": _profile("R11-CONTACT", 0.70, missing_share=0.4, late_mean=10.0),
    "R12-ACK-police": _profile("R12-ACK-police", 0.88, missing_share=0.3),
    "R12-ACK-cps": _profile("R12-ACK-cps", 0.80, missing_share=0.3),
    "R12-ACK-probation": _profile("R12-ACK-probation", 0.92, missing_share=0.3),
}
# Victims owed enhanced rights whom the police flag as such; improving with training.
ENH_IDENTIFIED = Profile(0.66, 0, trend=0.015, district=1.0)
# Victims not owed enhanced rights whom the police flag anyway.
ENH_FLAGGED_WRONGLY = 0.03
# Probation tells an opted-in victim of a release before the day (R11-RELEASE).
RELEASE_NOTIFIED_BEFORE = 0.88

ON_TIME, LATE, MISSING = 0, 1, 2
# District effects indexed by district code (the position in DEFAULT_DISTRICTS).
_EFFECT_BY_CODE = np.array([DISTRICT_EFFECT[name] for name in DEFAULT_DISTRICTS])


def on_time_probability(
    profile: Profile,
    window: Window,
    trigger: np.ndarray,
    enhanced: np.ndarray | None = None,
    district: np.ndarray | None = None,
) -> np.ndarray:
    """Each instance's chance of an on-time action under the profile. ``enhanced`` marks victims
    owed enhanced rights; ``district`` holds district codes (positions in DEFAULT_DISTRICTS)."""
    shifted = profile.rate + window.compliance_shift  # an area's own compliance, 0 by default
    rate = shifted + profile.trend * (quarter_of(trigger) - window.centre)
    if enhanced is not None:
        rate = rate + profile.enhanced * enhanced
    if district is not None and profile.district:
        rate = rate + profile.district * _EFFECT_BY_CODE[district]
    return np.clip(rate, 0.01, 0.995)


def draw_outcomes(
    rng: np.random.Generator, on_time: np.ndarray, missing_share: float
) -> np.ndarray:
    """ON_TIME, LATE or MISSING for each instance."""
    u = rng.random(len(on_time))
    missing = u < on_time + (1 - on_time) * missing_share
    return np.where(u < on_time, ON_TIME, np.where(missing, MISSING, LATE))


def draw_actions(
    rng: np.random.Generator,
    profile: Profile,
    window: Window,
    trigger: np.ndarray,
    enhanced: np.ndarray | None = None,
    district: np.ndarray | None = None,
    rate_factor: np.ndarray | float = 1.0,
) -> np.ndarray:
    """The instant each instance's action was taken, NaT if never or after the as-of day.

    On time means within the profile's deadline (the enhanced one for victims owed enhanced
    rights); ``rate_factor`` scales the on-time chance of some instances down (victims who opted
    out of updates are seldom sent them on time).
    """
    chance = on_time_probability(profile, window, trigger, enhanced, district) * rate_factor
    outcome = draw_outcomes(rng, chance, profile.missing_share)
    deadline = np.full(len(trigger), profile.deadline)
    if profile.deadline_enhanced is not None and enhanced is not None:
        deadline = np.where(enhanced, profile.deadline_enhanced, profile.deadline)
    on_time_days = rng.integers(0, deadline + 1)
    late_days = deadline + rng.geometric(1 / profile.late_mean, len(trigger))
    days = np.where(outcome == LATE, late_days, on_time_days)
    action = after_working_days(rng, trigger, days)
    action = np.where(outcome == MISSING, NAT, action)
    return window.drop_after_cutoff(action)


def draw_flags(
    rng: np.random.Generator,
    profile: Profile,
    window: Window,
    trigger: np.ndarray,
    district: np.ndarray | None = None,
) -> np.ndarray:
    """True where the profile's action (a recorded flag, not a dated action) was taken."""
    return rng.random(len(trigger)) < on_time_probability(profile, window, trigger, None, district)
