"""A synthetic victims' survey (CONTRACT.md §7.3): ``feedback`` ``responses`` and ``answers``.

Modelled on how such surveys behave rather than on any real one: about one victim in ten who is
a person (not a business) answers, a month to four months after reporting; a third of them
anonymously (no crime reference); most give their offence, age and sex, some do not. They are
asked the standard questions of the catalogue (``transforms/catalogues``). Their answers differ
from the records in the ways surveys do: victims remember being kept informed, referred or told
about compensation less often than the records say they were (the Victims' Commissioner's 2023
survey found 46% disagreeing that they were kept regularly informed); the questions about court
and the offender are "not applicable" to most, since most crimes never reach court; and some
answer "don't know". A victim whose records show a VPS offer says yes more often than one whose
records do not. Nothing here is a real person.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from vcc.transforms.schema import OFFENCE_GROUP_OF

RESPONSE_RATE = 0.10  # of victims who are people, as postal and online victim surveys get
ANONYMOUS_SHARE = 0.35
# question id -> (share "not applicable", share "yes" of those who answer yes or no, share
# "don't know" of the rest): the victims' memory of the right, lower than the records.
PROFILES: dict[str, tuple[float, float, float]] = {
    "q_interpreter": (0.93, 0.78, 0.05),
    "q_told_what_next": (0.02, 0.72, 0.08),
    "q_needs_asked": (0.03, 0.58, 0.10),
    "q_referred_support": (0.05, 0.55, 0.08),
    "q_told_compensation": (0.35, 0.28, 0.10),
    "q_kept_informed": (0.04, 0.54, 0.05),
    "q_told_decision": (0.80, 0.48, 0.08),
    "q_offered_vps": (0.70, 0.45, 0.12),
    "q_told_hearings": (0.85, 0.66, 0.06),
    "q_told_outcome": (0.75, 0.85, 0.04),
    "q_offered_vcs": (0.96, 0.50, 0.10),
}
VPS_YES_WITH_AN_OFFER = 0.62  # a recorded offer is remembered more often, though not always
AGE_EDGES = (18, 25, 65)
AGE_LABELS = np.array(["0-17", "18-24", "25-64", "65+"], dtype=object)


def generate_feedback(
    rng: np.random.Generator,
    police: dict[str, pd.DataFrame],
    until: dt.date,
    responses: int | None = None,
) -> dict[str, pd.DataFrame]:
    """The survey of the victims in ``police`` (canonical ``crimes``, ``victims`` and
    ``vps_offers``): ``responses`` of them if given, else about ``RESPONSE_RATE`` of those who
    are people. Nothing is dated on or after ``until``, the day of the extract."""
    crimes = police["crimes"].drop_duplicates("crime_ref").set_index("crime_ref")
    victims = police["victims"].drop_duplicates("victim_id")
    victims = victims[
        (victims["victim_type"] == "person") & victims["crime_ref"].isin(crimes.index)
    ]
    reported = crimes.loc[victims["crime_ref"], "reported_at"].to_numpy("datetime64[ns]")
    days_later = rng.integers(30, 120, size=len(victims))
    responded = reported + days_later.astype("timedelta64[D]") + rng.integers(
        8 * 3600, 21 * 3600, size=len(victims)
    ).astype("timedelta64[s]")  # fmt: skip
    # by the end of the day before ``until``: a response is never later than the extract
    in_time = (responded < np.datetime64(until)) & ~np.isnat(responded)
    pool = np.flatnonzero(in_time)
    count = round(RESPONSE_RATE * len(victims)) if responses is None else responses
    chosen = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
    if responses is not None and responses > len(chosen):  # a larger survey: some answer twice
        chosen = np.sort(np.concatenate([chosen, rng.choice(pool, responses - len(chosen))]))
    picked = victims.iloc[chosen]
    n = len(picked)
    offence = crimes.loc[picked["crime_ref"], "offence_category"].map(OFFENCE_GROUP_OF)
    age = picked["age_at_offence"].astype("Float64").to_numpy(float, na_value=np.nan)
    band = AGE_LABELS[np.clip(np.searchsorted(AGE_EDGES, age, side="right"), 0, 3)]
    response_ids = [f"S{index:07d}" for index in range(1, n + 1)]
    table = pd.DataFrame(
        {
            "response_id": pd.array(response_ids, dtype="string"),
            "responded_at": pd.to_datetime(responded[chosen]).floor("min"),
            "crime_ref": pd.array(picked["crime_ref"].to_numpy(), dtype="string"),
            "offence_group": pd.array(offence.to_numpy(), dtype="string"),
            "age_band": pd.array(np.where(np.isnan(age), None, band), dtype="string"),
            "sex": pd.array(picked["sex"].to_numpy(), dtype="string"),
            "ethnicity": pd.array(picked["ethnicity"].to_numpy(), dtype="string"),
            "has_disability": pd.array(picked["has_disability"].to_numpy(), dtype="boolean"),
        }
    )
    anonymous = rng.random(n) < ANONYMOUS_SHARE
    table.loc[anonymous, "crime_ref"] = pd.NA
    for column, share in (("offence_group", 0.12), ("age_band", 0.08), ("sex", 0.05)):
        table.loc[rng.random(n) < share, column] = pd.NA
    offered = picked["victim_id"].isin(police["vps_offers"]["victim_id"]).to_numpy()
    answers = _answers(rng, table["response_id"], offered)
    return {"responses": table.sort_values("responded_at", kind="stable"), "answers": answers}


def _answers(
    rng: np.random.Generator, response_ids: pd.Series, offered: np.ndarray
) -> pd.DataFrame:
    """Every standard question for every response, answered as ``PROFILES`` says."""
    n = len(response_ids)
    parts = []
    for question, (not_applicable, yes, dont_know) in PROFILES.items():
        yes_share = np.full(n, yes)
        inapplicable = np.full(n, not_applicable)
        if question == "q_offered_vps":  # a victim with a recorded offer was charged: it applies
            yes_share = np.where(offered, VPS_YES_WITH_AN_OFFER, yes)
            inapplicable = np.where(offered, 0.05, not_applicable)
        draw = rng.random(n)
        answer = np.where(
            draw < inapplicable,
            "not_applicable",
            np.where(
                rng.random(n) < dont_know,
                "dont_know",
                np.where(rng.random(n) < yes_share, "yes", "no"),
            ),
        )
        parts.append(pd.DataFrame({"response_id": response_ids.to_numpy(), "question_id": question,
                                   "answer": answer}))  # fmt: skip
    answers = pd.concat(parts, ignore_index=True)
    return answers.astype("string")
