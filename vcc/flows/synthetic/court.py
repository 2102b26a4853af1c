"""CPS cases and the Witness Care Unit: decisions, letters, hearings and outcomes.

A case opens for each charged crime and for each file the CPS advised not to charge. A charged
case is heard one to seven times; some are discontinued or have their charge altered on the way;
the rest end in a verdict at the last hearing and, on conviction, a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.flows.synthetic.compliance import PROFILES, draw_actions
from vcc.flows.synthetic.timeline import (
    Window,
    after_days,
    between,
    office_hours,
    plus_hours,
    working_day,
)
from vcc.transforms.schema import OFFENCE_CATEGORIES, SENTENCE_TYPES

DISCONTINUED_SHARE = 0.08
CHARGE_ALTERED_SHARE = 0.10
CONVICTED_SHARE = 0.82
VRR_EXPLAINED_SHARE = 0.90
# Offences the Victim Contact Scheme treats as specified violent or sexual offences (stalking and
# harassment as if all put the victim in fear of violence, a simplification).
VCS_SPECIFIED = frozenset(
    {
        "homicide",
        "attempted_murder",
        "wounding_gbh_with_intent",
        "wounding_gbh",
        "assault_with_injury",
        "stalking_harassment",
        "rape",
        "other_sexual_offence",
        "robbery",
        "kidnap_false_imprisonment",
        "arson_endangering_life",
        "trafficking_modern_slavery",
        "terrorism",
    }
)
# Sentence shares, in SENTENCE_TYPES order, for specified offences and for the rest.
SENTENCE_SHARE_SPECIFIED = (0.47, 0.20, 0.20, 0.06, 0.04, 0.03)
SENTENCE_SHARE_OTHER = (0.12, 0.15, 0.25, 0.33, 0.145, 0.005)


@dataclass
class CourtRecords:
    cases: pd.DataFrame
    decisions: pd.DataFrame
    vcl_letters: pd.DataFrame
    hearings: pd.DataFrame
    outcomes: pd.DataFrame


def _open_cases(charges: pd.DataFrame) -> pd.DataFrame:
    charged = charges.loc[charges["charged_at"].notna(), ["crime_no", "charged_at"]]
    advised = charges.loc[charges["advice_at"].notna(), ["crime_no", "advice_at"]]
    cases = pd.concat(
        [
            charged.rename(columns={"charged_at": "opened_at"}).assign(charged=True),
            advised.rename(columns={"advice_at": "opened_at"}).assign(charged=False),
        ]
    ).sort_values(["opened_at", "crime_no"], kind="stable", ignore_index=True)
    cases["urn_no"] = np.arange(1, len(cases) + 1)
    return cases


def _court_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A sitting time on each day, or the next working day: courts list from 09:30."""
    seconds = rng.integers(int(9.5 * 3600), 15 * 3600, len(days))
    return working_day(days).astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def _hearings(rng: np.random.Generator, cases: pd.DataFrame) -> pd.DataFrame:
    """The hearings of each charged case: the first two to five weeks after charge, each later one
    listed at the one before. ``received_at`` is when the Witness Care Unit learnt of it."""
    count = 1 + np.minimum(rng.poisson(1.6, len(cases)), 6)
    case_row = np.repeat(np.arange(len(cases)), count)
    first = np.r_[0, np.cumsum(count)[:-1]]
    is_first = np.zeros(len(case_row), bool)
    is_first[first] = True
    gap_days = np.where(
        is_first, rng.uniform(14, 35, len(case_row)), rng.uniform(14, 100, len(case_row))
    )
    elapsed = np.cumsum(gap_days)
    elapsed -= np.repeat(elapsed[first] - gap_days[first], count)
    charged_at = cases["opened_at"].to_numpy()[case_row]
    hearing_at = _court_times(
        rng, charged_at.astype("datetime64[D]") + elapsed.astype("timedelta64[D]")
    )
    previous_at = np.where(is_first, charged_at, np.roll(hearing_at, 1))
    received_at = plus_hours(rng, previous_at, 1, np.where(is_first, 72, 40))
    return pd.DataFrame(
        {
            "urn_no": cases["urn_no"].to_numpy()[case_row],
            "hearing_at": hearing_at,
            "received_at": received_at,
        }
    )


def _sentences(rng: np.random.Generator, specified: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sentence type code, months or NaN) per convicted case."""
    n = len(specified)
    u = rng.random(n)
    kind = np.where(
        specified,
        np.searchsorted(np.cumsum(SENTENCE_SHARE_SPECIFIED), u, side="right"),
        np.searchsorted(np.cumsum(SENTENCE_SHARE_OTHER), u, side="right"),
    )
    kind = np.minimum(kind, len(SENTENCE_TYPES) - 1)
    custody = np.clip(np.round(rng.lognormal(np.log(np.where(specified, 20, 6)), 0.7)), 1, 240)
    months = np.select(
        [
            kind == SENTENCE_TYPES.index("custody"),
            kind == SENTENCE_TYPES.index("suspended"),
            kind == SENTENCE_TYPES.index("community"),
        ],
        [
            custody,
            rng.choice([6.0, 12.0, 18.0, 24.0], n),
            rng.choice([6.0, 12.0, 18.0, 24.0, 36.0], n),
        ],
        np.nan,
    )
    return kind, months


def generate_court(
    rng: np.random.Generator,
    window: Window,
    crimes: pd.DataFrame,
    victims: pd.DataFrame,
    charges: pd.DataFrame,
) -> CourtRecords:
    """The CPS and Witness Care Unit records of every case, one row per victim where the
    contract has a victim column, none dated after the as-of day."""
    cases = _open_cases(charges).merge(crimes[["crime_no", "category"]], on="crime_no")
    cases["vcs_specified"] = np.isin(
        cases["category"], [OFFENCE_CATEGORIES.index(name) for name in VCS_SPECIFIED]
    )
    charged = cases[cases["charged"]].reset_index(drop=True)
    hearings = _hearings(rng, charged)
    fates = _fates(rng, charged, hearings.groupby("urn_no")["hearing_at"].max().to_numpy())
    # A discontinued case is not listed again after the decision.
    stopped_at = fates.set_index("urn_no")["decided_at"].where(fates["discontinued"].to_numpy())
    stop = stopped_at.reindex(hearings["urn_no"]).to_numpy()
    hearings = hearings[np.isnat(stop) | (hearings["received_at"].to_numpy() < stop)]

    advised = cases[~cases["charged"]]
    case_decisions = pd.concat(
        [
            pd.DataFrame(
                {
                    "urn_no": advised["urn_no"],
                    "decision_type": "no_charge",
                    "decided_at": advised["opened_at"],
                }
            ),
            fates[fates["discontinued"]].assign(decision_type="discontinued"),
            fates[fates["altered"]].assign(decision_type="charge_altered"),
        ],
        ignore_index=True,
    )[["urn_no", "decision_type", "decided_at"]]
    case_victims = cases[["urn_no", "crime_no"]].merge(
        victims[["victim_no", "crime_no", "owed_enhanced", "victim_type"]], on="crime_no"
    )
    decisions = _per_victim(case_decisions, case_victims, "decided_at", window)
    hearings = _per_victim(hearings, case_victims, "received_at", window)
    hearings["hearing_no"] = np.arange(1, len(hearings) + 1)
    outcomes = _per_victim(_case_outcomes(fates), case_victims, "outcome_at", window)
    return CourtRecords(
        cases=cases.loc[cases["opened_at"] < window.cutoff, ["urn_no", "crime_no"]],
        decisions=decisions,
        vcl_letters=_letters(rng, window, decisions),
        hearings=_notified(rng, window, "R8-HEARING", hearings),
        outcomes=_notified(rng, window, "R9-OUTCOME", _outcomes_received(rng, outcomes, window)),
    )


def _fates(
    rng: np.random.Generator, charged: pd.DataFrame, last_hearing_at: np.ndarray
) -> pd.DataFrame:
    """How each charged case ends: discontinued or not, its charge altered on the way or not,
    and otherwise a verdict at the last hearing and, on conviction, a sentence."""
    m = len(charged)
    fate = rng.random(m)
    discontinued = fate < DISCONTINUED_SHARE
    specified = charged["vcs_specified"].to_numpy()
    sentence_type, months = _sentences(rng, specified)
    verdict_at = plus_hours(rng, last_hearing_at, 0.5, 3)
    # Half are sentenced at once; the rest after reports, three to six weeks on.
    adjourned = _court_times(rng, after_days(rng, verdict_at, 10.0, 21.0).astype("datetime64[D]"))
    return pd.DataFrame(
        {
            "urn_no": charged["urn_no"].to_numpy(),
            "vcs_specified_offence": specified,
            "discontinued": discontinued,
            "altered": ~discontinued & (fate < DISCONTINUED_SHARE + CHARGE_ALTERED_SHARE),
            "decided_at": office_hours(
                rng, working_day(between(rng, charged["opened_at"].to_numpy(), last_hearing_at))
            ),
            "convicted": ~discontinued & (rng.random(m) < CONVICTED_SHARE),
            "verdict_at": verdict_at,
            "sentence_at": np.where(rng.random(m) < 0.5, verdict_at, adjourned),
            "sentence_type": sentence_type,
            "sentence_months": months,
        }
    )


def _case_outcomes(fates: pd.DataFrame) -> pd.DataFrame:
    """A verdict for each case heard to the end, and a sentence for each conviction."""
    columns = [
        "urn_no",
        "outcome_type",
        "outcome_at",
        "sentence_type",
        "sentence_months",
        "vcs_specified_offence",
    ]
    verdicts = fates[~fates["discontinued"]].assign(
        outcome_type="verdict",
        outcome_at=lambda f: f["verdict_at"],
        sentence_type=-1,
        sentence_months=np.nan,
    )
    sentences = fates[fates["convicted"]].assign(
        outcome_type="sentence", outcome_at=lambda f: f["sentence_at"]
    )
    return pd.concat([verdicts[columns], sentences[columns]], ignore_index=True)


def _per_victim(
    case_rows: pd.DataFrame, case_victims: pd.DataFrame, date: str, window: Window
) -> pd.DataFrame:
    """One row per victim of the case, for rows dated by the as-of day."""
    rows = case_rows[case_rows[date] < window.cutoff].merge(case_victims, on="urn_no")
    return rows.sort_values([date, "urn_no", "victim_no"], kind="stable", ignore_index=True)


def _letters(rng: np.random.Generator, window: Window, decisions: pd.DataFrame) -> pd.DataFrame:
    """Right 6: a Victim Communication and Liaison letter for each decision."""
    sent_at = draw_actions(
        rng,
        PROFILES["R6-VCL"],
        window,
        decisions["decided_at"].to_numpy(),
        enhanced=decisions["owed_enhanced"].to_numpy(),
    )
    letters = decisions.assign(sent_at=sent_at)[~np.isnat(sent_at)]
    # The Right to Review applies to decisions not to charge or to stop a case.
    reviewable = letters["decision_type"].isin(["no_charge", "discontinued"]).to_numpy()
    letters["vrr_information"] = reviewable & (rng.random(len(letters)) < VRR_EXPLAINED_SHARE)
    return letters.sort_values("sent_at", kind="stable", ignore_index=True)


def _outcomes_received(
    rng: np.random.Generator, outcomes: pd.DataFrame, window: Window
) -> pd.DataFrame:
    """The Witness Care Unit hears of a result in office hours that day or the next."""
    outcome_at = outcomes["outcome_at"].to_numpy()
    next_day = outcome_at.astype("datetime64[D]") + rng.integers(0, 2, len(outcomes))
    received_at = np.maximum(
        office_hours(rng, working_day(next_day)), plus_hours(rng, outcome_at, 0.25, 1)
    )
    outcomes = outcomes.assign(received_at=received_at)
    return outcomes[outcomes["received_at"] < window.cutoff].reset_index(drop=True)


def _notified(
    rng: np.random.Generator, window: Window, measure: str, rows: pd.DataFrame
) -> pd.DataFrame:
    """Rights 8 and 9: when the Witness Care Unit told the victim (NaT if not yet)."""
    notified = draw_actions(rng, PROFILES[measure], window, rows["received_at"].to_numpy())
    return rows.assign(victim_notified_at=notified)
