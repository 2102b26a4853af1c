"""The Quality Assessment Framework's dip sample: who may be sampled, how many cases each stratum
gets, and which cases (README "Quality Assessment Framework").

**Frame.** Every victim owed the Code (CONTRACT.md §2) whose case reached the CPS in the quarter:
a CPS decision (``decided_at``), a hearing (``hearing_at``) or an outcome (``outcome_at``) dated
in the quarter and on or before the as-of date, from the validated (accepted) rows only.

**Route** of each victim, from everything dated up to the end of the quarter, by precedence:
1. ``vcs``: a sentence that makes the victim eligible for the Victim Contact Scheme (the
   R11-REFER rule of CONTRACT.md §3: a specified offence, 12 months' custody or more, or a
   hospital order);
2. ``convicted``: any other sentence (a ``verdict`` row does not say guilty or not, a sentence
   does);
3. ``not_charged_or_dropped``: a ``no_charge`` or ``discontinued`` decision (before
   ``charged``, because a discontinued case has been charged first);
4. ``charged``: the rest (a hearing, a verdict or an altered charge).

**Strata** are route × rights (``standard`` or ``enhanced``, derived as CONTRACT.md §2 says).

**Allocation** (``allocate``): each stratum's share is its size, multiplied by the oversampling
factor for enhanced strata; the sample size is split in proportion to the shares, no stratum
gets more cases than it has, and every non-empty stratum gets at least one case when the sample
is at least as large as the number of non-empty strata; the whole numbers are then found by
largest remainder (ties in stratum order). A sample as large as the frame takes everyone.

**Selection** (``draw_sample``): within each stratum, in stratum order, a simple random sample
without replacement from its victims sorted by ``victim_id``, all drawn from one
``numpy.random.Generator(PCG64(seed))``; the same frame, allocation and seed always give the same
cases. **Design weight** of a sampled case: N_h / n_h (frame victims per sampled case of its
stratum).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.transforms.figures import Tables
from vcc.transforms.matching import local_date
from vcc.transforms.quarters import Quarter
from vcc.transforms.victims import victim_profiles

ROUTES = ("not_charged_or_dropped", "charged", "convicted", "vcs")
ROUTE_LABELS = {
    "not_charged_or_dropped": "Not charged or dropped",
    "charged": "Charged",
    "convicted": "Convicted",
    "vcs": "Convicted, Victim Contact Scheme",
}
RIGHTS = ("standard", "enhanced")
FRAME_COLUMNS = ["victim_id", "crime_ref", "route", "enhanced", "stratum"]
DROPPED_DECISIONS = ("no_charge", "discontinued")


@dataclass(frozen=True)
class Stratum:
    route: str
    enhanced: bool

    @property
    def key(self) -> str:
        """``convicted/enhanced``: how the stratum is written in the frame and the warehouse."""
        return f"{self.route}/{'enhanced' if self.enhanced else 'standard'}"

    @property
    def label(self) -> str:
        rights = "enhanced rights" if self.enhanced else "standard rights"
        return f"{ROUTE_LABELS[self.route]}, {rights}"

    @classmethod
    def from_key(cls, key: str) -> Stratum:
        route, rights = key.split("/")
        return cls(route, rights == "enhanced")


# Stratum order: route order, standard before enhanced. Allocation ties and the draw follow it.
STRATA: tuple[Stratum, ...] = tuple(
    Stratum(route, enhanced) for route in ROUTES for enhanced in (False, True)
)


def qualifies_for_vcs(outcomes: pd.DataFrame) -> pd.Series:
    """Sentences that make the victim eligible for the Victim Contact Scheme: CONTRACT.md §3's
    R11-REFER instance rule (a specified offence and 12 months' custody or more, or a hospital
    order)."""
    long_custody = (outcomes["sentence_type"] == "custody") & (outcomes["sentence_months"] >= 12)
    hospital = outcomes["sentence_type"] == "hospital_order"
    return (
        (outcomes["outcome_type"] == "sentence")
        & outcomes["vcs_specified_offence"].astype("boolean").fillna(False)
        & (long_custody | hospital).astype("boolean").fillna(False)
    ).astype(bool)


def _dated(frame: pd.DataFrame, column: str, cut: pd.Timestamp) -> pd.DataFrame:
    """The rows whose ``column`` (as a local date) is on or before ``cut``, with that date."""
    dates = local_date(frame[column])
    keep = (dates <= cut).fillna(False).astype(bool) & frame["victim_id"].notna()
    return frame.assign(**{column: dates})[keep]


def sampling_frame(tables: Tables, quarter: Quarter, as_of: dt.date) -> pd.DataFrame:
    """The victims who may be sampled in ``quarter`` (module docstring), one row each with
    FRAME_COLUMNS, sorted by ``victim_id``. ``tables`` are the validated canonical tables."""
    profiles = victim_profiles(tables[("police", "victims")], tables[("police", "crimes")])
    start = pd.Timestamp(quarter.start)
    cut = pd.Timestamp(min(quarter.end, as_of))
    decisions = _dated(tables[("cps", "decisions")], "decided_at", cut)
    hearings = _dated(tables[("cps", "hearings")], "hearing_at", cut)
    outcomes = _dated(tables[("cps", "outcomes")], "outcome_at", cut)
    reached = pd.concat(
        [
            decisions.loc[decisions["decided_at"] >= start, "victim_id"],
            hearings.loc[hearings["hearing_at"] >= start, "victim_id"],
            outcomes.loc[outcomes["outcome_at"] >= start, "victim_id"],
        ]
    )
    victims = profiles[profiles["victim_id"].isin(reached)].reset_index(drop=True)
    victims = victims.sort_values("victim_id", kind="stable")
    sentences = outcomes[outcomes["outcome_type"] == "sentence"]
    eligible_for_vcs = sentences.loc[qualifies_for_vcs(sentences), "victim_id"]
    dropped = decisions.loc[decisions["decision_type"].isin(DROPPED_DECISIONS), "victim_id"]
    ids = victims["victim_id"]
    route = np.select(
        [
            ids.isin(eligible_for_vcs).to_numpy(),
            ids.isin(sentences["victim_id"]).to_numpy(),
            ids.isin(dropped).to_numpy(),
        ],
        ["vcs", "convicted", "not_charged_or_dropped"],
        default="charged",
    )
    enhanced = victims["enhanced"].to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "victim_id": ids.astype("string").to_numpy(),
            "crime_ref": victims["crime_ref"].astype("string").to_numpy(),
            "route": route,
            "enhanced": enhanced,
            "stratum": [Stratum(r, e).key for r, e in zip(route, enhanced, strict=True)],
        }
    )
    return frame[FRAME_COLUMNS].reset_index(drop=True)


def stratum_sizes(frame: pd.DataFrame) -> dict[Stratum, int]:
    """N_h: frame victims per stratum, every stratum listed (zero when empty)."""
    counts = frame["stratum"].value_counts()
    return {stratum: int(counts.get(stratum.key, 0)) for stratum in STRATA}


def allocate(sizes: Mapping[Stratum, int], size: int, oversampling: float) -> dict[Stratum, int]:
    """n_h for every stratum (module docstring, "Allocation"): proportional to N_h, enhanced
    strata's shares multiplied by ``oversampling``, capped at N_h, at least one per non-empty
    stratum when ``size`` allows, whole numbers by largest remainder."""
    if size < 1:
        raise ValueError("the sample size must be at least 1")
    if oversampling <= 0:
        raise ValueError("the oversampling factor must be positive")
    present = [s for s in STRATA if sizes.get(s, 0) > 0]
    allocation = {s: 0 for s in STRATA}
    if size >= sum(sizes.get(s, 0) for s in present):
        return allocation | {s: sizes[s] for s in present}  # a census
    share = {s: sizes[s] * (oversampling if s.enhanced else 1.0) for s in present}
    minimum = 1 if size >= len(present) else 0
    fixed: dict[Stratum, int] = {}
    quota: dict[Stratum, float] = {}
    while True:
        free = [s for s in present if s not in fixed]
        left = size - sum(fixed.values())
        total = sum(share[s] for s in free)
        quota = {s: left * share[s] / total for s in free} if free and total else {}
        over = [s for s in free if quota[s] > sizes[s]]
        under = [s for s in free if quota[s] < minimum]
        if over:  # a stratum cannot give more cases than it has: take them all
            fixed.update({s: sizes[s] for s in over})
        elif under:
            fixed.update({s: minimum for s in under})
        else:
            break
    whole = {s: math.floor(q) for s, q in quota.items()}
    spare = size - sum(fixed.values()) - sum(whole.values())
    by_remainder = sorted(quota, key=lambda s: (-(quota[s] - whole[s]), STRATA.index(s)))
    for stratum in by_remainder[:spare]:
        whole[stratum] += 1
    return allocation | fixed | whole


def draw_sample(frame: pd.DataFrame, allocation: Mapping[Stratum, int], seed: int) -> pd.DataFrame:
    """The frame with the draw: ``selected``, ``case_number`` (1 to n, in stratum order then
    ``victim_id``; missing for victims not drawn) and ``weight`` (N_h / n_h for drawn cases)."""
    generator = np.random.Generator(np.random.PCG64(seed))
    ordered = frame.sort_values("victim_id", kind="stable").reset_index(drop=True)
    selected = np.zeros(len(ordered), dtype=bool)
    weight = np.full(len(ordered), np.nan)
    for stratum in STRATA:
        members = np.flatnonzero((ordered["stratum"] == stratum.key).to_numpy())
        wanted = allocation.get(stratum, 0)
        if wanted > len(members):
            raise ValueError(f"stratum {stratum.key}: {wanted} cases asked of {len(members)}")
        if wanted == 0:
            continue
        chosen = members[generator.choice(len(members), size=wanted, replace=False)]
        selected[chosen] = True
        weight[chosen] = len(members) / wanted
    drawn = ordered.assign(selected=selected, weight=weight)
    rank = drawn["stratum"].map({s.key: i for i, s in enumerate(STRATA)})
    order = drawn[selected].assign(_rank=rank[selected]).sort_values(["_rank", "victim_id"])
    case_number = pd.Series(pd.NA, index=drawn.index, dtype="Int64")
    case_number[order.index] = np.arange(1, len(order) + 1)
    return drawn.assign(case_number=case_number)


def design_table(sizes: Mapping[Stratum, int], allocation: Mapping[Stratum, int]) -> pd.DataFrame:
    """One row per non-empty stratum: its key and label, N_h, n_h and the design weight."""
    rows = [
        {
            "stratum": s.key,
            "label": s.label,
            "frame": sizes[s],
            "sample": allocation.get(s, 0),
            "weight": sizes[s] / allocation[s] if allocation.get(s, 0) else math.nan,
        }
        for s in STRATA
        if sizes.get(s, 0) > 0
    ]
    return pd.DataFrame(rows, columns=["stratum", "label", "frame", "sample", "weight"])
