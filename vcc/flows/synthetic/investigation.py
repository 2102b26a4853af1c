"""Investigation events: what happened to each crime after it was recorded.

Each crime takes one path: screened out (``not_investigated``), investigated without a suspect
(ending in ``no_further_action``), or investigated with a suspect (arrest or voluntary interview,
perhaps bail or release under investigation, then a charge, an out-of-court disposal or no further
action; some are still open). About 11% of crimes end in a charge; a few suspect cases that end in
no further action went to the CPS for charging advice first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcc.flows.synthetic.timeline import NAT, Window, after_days, between, office_hours, plus_hours
from vcc.transforms.schema import OFFENCE_CATEGORIES

# Per offence group: (share screened out, share with a suspect, share of suspects charged).
PATHS = {
    "violence": (0.08, 0.55, 0.30),
    "serious": (0.0, 0.80, 0.60),
    "sexual": (0.03, 0.50, 0.18),
    "stalking": (0.05, 0.55, 0.22),
    "acquisitive": (0.45, 0.15, 0.30),
    "shoplifting": (0.20, 0.45, 0.40),
    "damage": (0.40, 0.20, 0.30),
    "public_order": (0.10, 0.60, 0.30),
    "other": (0.30, 0.30, 0.25),
}
GROUP = {
    "assault_with_injury": "violence",
    "assault_without_injury": "violence",
    "wounding_gbh": "violence",
    "homicide": "serious",
    "attempted_murder": "serious",
    "wounding_gbh_with_intent": "serious",
    "kidnap_false_imprisonment": "serious",
    "trafficking_modern_slavery": "serious",
    "terrorism": "serious",
    "rape": "sexual",
    "other_sexual_offence": "sexual",
    "stalking_harassment": "stalking",
    "robbery": "acquisitive",
    "burglary_residential": "acquisitive",
    "burglary_business": "acquisitive",
    "vehicle_offence": "acquisitive",
    "theft": "acquisitive",
    "fraud": "acquisitive",
    "shoplifting": "shoplifting",
    "criminal_damage": "damage",
    "arson": "damage",
    "arson_endangering_life": "damage",
    "public_order": "public_order",
    "other": "other",
}
OUT_OF_COURT_SHARE = 0.15
STILL_OPEN_SHARE = 0.10
# Of suspect cases ending in no further action, the share the CPS advised on (a CPS case with a
# no-charge decision).
CPS_ADVICE_SHARE = 0.12


def _path_table(column: int) -> np.ndarray:
    return np.array([PATHS[GROUP[name]][column] for name in OFFENCE_CATEGORIES])


def _events(
    crime_no: np.ndarray, event_type: str, event_at: np.ndarray, keep: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {"crime_no": crime_no[keep], "event_type": event_type, "event_at": event_at[keep]}
    )


def generate_investigations(
    rng: np.random.Generator, window: Window, crimes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events, per-crime outcome) where the outcome frame has ``charged_at`` (the charge, NaT if
    none) and ``advice_at`` (when the CPS advised no charge, NaT if it did not) for every crime."""
    n = len(crimes)
    crime_no = crimes["crime_no"].to_numpy()
    reported = crimes["reported_at"].to_numpy()
    category = crimes["category"].to_numpy()
    u = rng.random(n)
    screened_out = u < _path_table(0)[category]
    suspect = ~screened_out & (u < _path_table(0)[category] + _path_table(1)[category])
    no_suspect = ~screened_out & ~suspect

    arrested = suspect & (rng.random(n) < 0.75)
    arrest_at = after_days(rng, reported, 4.0)
    interviewed = suspect & (rng.random(n) < 0.95)
    interview_at = np.where(
        arrested, plus_hours(rng, arrest_at, 2, 20), after_days(rng, reported, 10.0, 1.0)
    )
    held = rng.random(n)
    bailed = interviewed & (held < 0.25)
    released = interviewed & (held >= 0.25) & (held < 0.55)
    released_at = plus_hours(rng, interview_at, 0.5, 3)
    # Suspects on bail or released under investigation wait much longer for a decision.
    decision_at = after_days(rng, interview_at, np.where(bailed | released, 70.0, 20.0), 1.0)
    conditions_changed = bailed & (rng.random(n) < 0.15)

    final = rng.random(n)
    charge_share = _path_table(2)[category]
    charged = suspect & (final < charge_share)
    out_of_court = suspect & ~charged & (final < charge_share + OUT_OF_COURT_SHARE)
    open_case = suspect & ~charged & ~out_of_court & (rng.random(n) < STILL_OPEN_SHARE)
    suspect_nfa = suspect & ~charged & ~out_of_court & ~open_case
    unsolved_nfa = no_suspect & (rng.random(n) < 0.85)  # the rest are still being looked at
    nfa_at = np.where(suspect, decision_at, after_days(rng, reported, 25.0, 3.0))

    events = pd.concat(
        [
            _events(crime_no, "not_investigated", after_days(rng, reported, 1.5), screened_out),
            _events(crime_no, "suspect_arrested", arrest_at, arrested),
            _events(crime_no, "suspect_interviewed", interview_at, interviewed),
            _events(crime_no, "suspect_bailed", released_at, bailed),
            _events(crime_no, "suspect_released_under_investigation", released_at, released),
            _events(
                crime_no,
                "bail_conditions_changed",
                between(rng, released_at, decision_at),
                conditions_changed,
            ),
            _events(crime_no, "suspect_charged", decision_at, charged),
            _events(crime_no, "out_of_court_disposal", decision_at, out_of_court),
            _events(crime_no, "no_further_action", nfa_at, suspect_nfa | unsolved_nfa),
        ],
        ignore_index=True,
    )
    events = events[events["event_at"] < window.cutoff]
    events = events.sort_values(["event_at", "crime_no"], kind="stable").reset_index(drop=True)

    charged_at = np.where(charged & (decision_at < window.cutoff), decision_at, NAT)
    advised = suspect_nfa & (rng.random(n) < CPS_ADVICE_SHARE) & (decision_at < window.cutoff)
    # The CPS advises in office hours, up to two days before the police record no further action.
    advice_day = (decision_at - rng.integers(0, 3, n).astype("timedelta64[D]")).astype(
        "datetime64[D]"
    )
    advice_at = np.minimum(np.maximum(office_hours(rng, advice_day), interview_at), decision_at)
    advice_at = np.where(advised, advice_at, NAT)
    outcome = pd.DataFrame({"crime_no": crime_no, "charged_at": charged_at, "advice_at": advice_at})
    return events, outcome
