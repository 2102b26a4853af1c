"""Quality Assessment Framework: what the records say about a sampled case, and what the case
reviews say about the victims whose case reached the CPS (README "Quality Assessment
Framework").

**Records.** Each instance of a sampled victim is ``met``, ``late`` (an action after the due
date, or a release notice on or after the release), ``missing`` (no action), ``not met`` (a
measure judged at once that failed, such as a needs assessment missing an item) or ``pending``.
Per case and agency, the records say *met on time* when the agency has at least one final
instance and all of them are met, and *not met* when any is late, missing or not met.

**Reviews.** Reviewers rate each case, for each agency, on the four Cumbria themes, each
``met``, ``partly met``, ``not met`` or ``not evidenced``.

**Estimate** of a theme for an agency: the weighted share of the reviewed cases rated ``met``
among those rated ``met``, ``partly met`` or ``not met`` (``not evidenced`` is left out; ``partly
met`` counts as not met), each case weighted by its design weight (a ratio estimator,
sum of w·[met] / sum of w). Its 95% interval is Wilson's score interval at the estimate with Kish's
effective sample size, n_eff = (sum of w)² / sum of w², in place of n; no finite population
correction (which would only narrow it).

**Disagreement** per agency, counted in sampled cases (unweighted): the records say every right
the agency owed in the case was met on time but a reviewer rated a theme ``not met``; and the
records say a right was not met but the reviewers rated every evidenced theme ``met``.

Published figures follow CONTRACT.md §4 (``transforms.disclosure``): a count from 1 to
threshold − 1 is ``[c]``; an estimate is hidden with its interval when its cases rated, rated
met or rated otherwise are that few; and because a theme's cases rated and not evidenced add up
to the agency's cases reviewed, hiding one of the two hides the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vcc.transforms.agencies import AGENCIES
from vcc.transforms.disclosure import CONFIDENTIAL, NOT_APPLICABLE, is_small
from vcc.transforms.metrics import wilson_interval

THEMES = (
    "care_and_respect",
    "enhanced_support",
    "communication_and_information",
    "engagement_and_collaboration",
)
THEME_LABELS = {
    "care_and_respect": "Care and respect",
    "enhanced_support": "Enhanced support",
    "communication_and_information": "Communication and information",
    "engagement_and_collaboration": "Engagement and collaboration",
}
RATINGS = ("met", "partly met", "not met", "not evidenced")
EVIDENCED = RATINGS[:3]
OUTCOMES = ("met", "late", "missing", "not met", "pending")
# Agencies every sampled case is reviewed against: it was reported to the police and reached
# the CPS. The Witness Care Unit and Probation join when the records show them involved.
ALWAYS_REVIEWED = ("police", "cps")
RECORD_COLUMNS = ["victim_id", "agency", "instances", *[o.replace(" ", "_") for o in OUTCOMES]]
ESTIMATE_COLUMNS = [
    "agency", "theme", "reviewed", "rated", "not_evidenced", "rated_met", "rated_partly_met",
    "rated_not_met", "weighted_share_met", "effective_n", "ci_low", "ci_high",
]  # fmt: skip
DISAGREEMENT_COLUMNS = ["agency", "records_met_reviewers_not", "records_not_met_reviewers_met"]


def instance_outcomes(instances: pd.DataFrame) -> pd.Series:
    """Each instance's outcome in the words of a case timeline (module docstring)."""
    status = instances["status"].astype("string")
    acted = instances["action_date"].notna()
    # R11-RELEASE has no due date: a notice on or after the release is a late one.
    has_deadline = instances["due_date"].notna() | (
        instances["measure_id"].astype("string") == "R11-RELEASE"
    )
    outcome = np.select(
        [
            status == "met",
            status == "pending",
            has_deadline & acted,
            has_deadline & ~acted,
        ],
        ["met", "pending", "late", "missing"],
        default="not met",
    )
    return pd.Series(outcome, index=instances.index, dtype="string")


def agencies_reviewed(route: str, instance_agencies: Sequence[str]) -> list[str]:
    """The agencies a sampled case is reviewed against, in AGENCIES order: police and CPS
    always, any agency with an instance for the victim, and Probation for a victim eligible for
    the Victim Contact Scheme."""
    involved = set(ALWAYS_REVIEWED) | set(instance_agencies)
    if route == "vcs":
        involved.add("probation")
    return [agency for agency in AGENCIES if agency in involved]


def case_records(instances: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """One row per sampled case and agency reviewed (RECORD_COLUMNS): the agency's instances for
    the victim and how many are met, late, missing, not met and pending. ``cases`` has
    ``victim_id`` and ``route``; ``instances`` is the instance table (INSTANCE_COLUMNS)."""
    mine = instances[instances["victim_id"].isin(cases["victim_id"])]
    mine = mine.assign(outcome=instance_outcomes(mine), agency=mine["agency"].astype("string"))
    counts = (
        mine.groupby(["victim_id", "agency", "outcome"], observed=True).size().unstack(fill_value=0)
    )
    counts = counts.reindex(columns=list(OUTCOMES), fill_value=0)
    rows = []
    for victim_id, route in zip(cases["victim_id"], cases["route"], strict=True):
        held = mine.loc[mine["victim_id"] == victim_id, "agency"].unique().tolist()
        for agency in agencies_reviewed(route, held):
            found = (
                counts.loc[(victim_id, agency)]
                if (victim_id, agency) in counts.index
                else pd.Series(0, index=list(OUTCOMES))
            )
            rows.append(
                {
                    "victim_id": victim_id,
                    "agency": agency,
                    "instances": int(found.sum()),
                    **{o.replace(" ", "_"): int(found[o]) for o in OUTCOMES},
                }
            )
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def records_verdict(records: pd.DataFrame) -> pd.Series:
    """Per case and agency: ``met on time``, ``not met`` or ``no final record``."""
    failed = records["late"] + records["missing"] + records["not_met"]
    final = records["met"] + failed
    verdict = np.select(
        [failed > 0, final > 0], ["not met", "met on time"], default="no final record"
    )
    return pd.Series(verdict, index=records.index, dtype="string")


def reviewers_verdict(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per case and agency (``victim_id``, ``agency``, ``verdict``): ``not served`` when any
    theme is rated ``not met``, ``served`` when every evidenced theme is rated ``met`` (at least
    one), otherwise ``mixed``."""
    flags = ratings.assign(
        not_met=ratings["rating"] == "not met",
        met=ratings["rating"] == "met",
        evidenced=ratings["rating"].isin(EVIDENCED),
    )
    per_case = flags.groupby(["victim_id", "agency"], as_index=False)[
        ["not_met", "met", "evidenced"]
    ].sum()
    verdict = np.select(
        [
            per_case["not_met"] > 0,
            (per_case["evidenced"] > 0) & (per_case["met"] == per_case["evidenced"]),
        ],
        ["not served", "served"],
        default="mixed",
    )
    return per_case[["victim_id", "agency"]].assign(verdict=verdict)


def theme_estimates(ratings: pd.DataFrame) -> pd.DataFrame:
    """Weighted estimate of each theme per agency (module docstring), ESTIMATE_COLUMNS, in
    AGENCIES then THEMES order. ``ratings`` has one row per case, agency and theme:
    ``victim_id``, ``agency``, ``theme``, ``rating`` and the case's design ``weight``."""
    rows = []
    for agency in AGENCIES:
        for theme in THEMES:
            rated_here = ratings[(ratings["agency"] == agency) & (ratings["theme"] == theme)]
            if rated_here.empty:
                continue
            evidenced = rated_here[rated_here["rating"].isin(EVIDENCED)]
            weight = evidenced["weight"].to_numpy(dtype=float)
            met = (evidenced["rating"] == "met").to_numpy()
            total = weight.sum()
            share = weight[met].sum() / total if total > 0 else np.nan
            effective = total**2 / (weight**2).sum() if total > 0 else 0.0
            low, high = wilson_interval(np.array([share * effective]), np.array([effective]))
            rows.append(
                {
                    "agency": agency,
                    "theme": theme,
                    "reviewed": len(rated_here),
                    "rated": len(evidenced),
                    "not_evidenced": len(rated_here) - len(evidenced),
                    "rated_met": int(met.sum()),
                    "rated_partly_met": int((evidenced["rating"] == "partly met").sum()),
                    "rated_not_met": int((evidenced["rating"] == "not met").sum()),
                    "weighted_share_met": share,
                    "effective_n": effective,
                    "ci_low": float(low[0]),
                    "ci_high": float(high[0]),
                }
            )
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def cases_reviewed(ratings: pd.DataFrame, records: pd.DataFrame) -> tuple[int, int]:
    """How many sampled cases have a review imported for at least one of their agencies, and
    how many of those lack one for another agency they are reviewed against (a form imported
    part filled): the report says both, so that a partial import is not read as a whole one."""
    rated = ratings[["victim_id", "agency"]].drop_duplicates()
    rows = records[["victim_id", "agency"]].drop_duplicates()
    owed = rows.groupby("victim_id").size()
    done = rated.groupby("victim_id").size()
    partly = done.reindex(owed.index, fill_value=0).pipe(lambda d: (d > 0) & (d < owed))
    return int(rated["victim_id"].nunique()), int(partly.sum())


def disagreements(ratings: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Per agency with reviews, the sampled cases where reviewers and records disagree
    (DISAGREEMENT_COLUMNS; module docstring)."""
    reviewed = reviewers_verdict(ratings)
    both = reviewed.merge(
        records.assign(records=records_verdict(records))[["victim_id", "agency", "records"]],
        on=["victim_id", "agency"],
        how="left",
    )
    rows = []
    for agency in AGENCIES:
        here = both[both["agency"] == agency]
        if here.empty:
            continue
        rows.append(
            {
                "agency": agency,
                "records_met_reviewers_not": int(
                    ((here["records"] == "met on time") & (here["verdict"] == "not served")).sum()
                ),
                "records_not_met_reviewers_met": int(
                    ((here["records"] == "not met") & (here["verdict"] == "served")).sum()
                ),
            }
        )
    return pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)


def _count_text(counts: pd.Series, hidden: pd.Series) -> pd.Series:
    return counts.astype("Int64").astype("string").mask(hidden, CONFIDENTIAL)


def published_estimates(estimates: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The estimates as published (text): ``agency``, ``theme``, ``rated``, ``not_evidenced``,
    ``share``, ``ci_low``, ``ci_high`` (4 decimal places), with ``[c]`` and ``[z]`` as the module
    docstring says."""
    rated, not_evidenced = estimates["rated"], estimates["not_evidenced"]
    met = estimates["rated_met"]
    hide_rated = is_small(rated, threshold)
    hide_not_evidenced = is_small(not_evidenced, threshold)
    # the two add up to the agency's cases reviewed: never hide exactly one of them
    hide_rated |= hide_not_evidenced & (rated > 0)
    hide_not_evidenced |= hide_rated & (not_evidenced > 0)
    # the share reveals a count only through its own cases rated, met and not met
    hide_share = (
        is_small(rated, threshold) | is_small(met, threshold) | is_small(rated - met, threshold)
    )
    published = estimates[["agency", "theme"]].assign(
        rated=_count_text(rated, hide_rated),
        not_evidenced=_count_text(not_evidenced, hide_not_evidenced),
    )
    for column, source in (
        ("share", "weighted_share_met"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
    ):
        text = estimates[source].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
        published[column] = text.astype("string").mask(hide_share, CONFIDENTIAL)
        published[column] = published[column].mask(rated == 0, NOT_APPLICABLE)
    return published.reset_index(drop=True)


def published_disagreements(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The disagreement counts as published: 1 to threshold − 1 is ``[c]``."""
    published = table[["agency"]].copy()
    for column in DISAGREEMENT_COLUMNS[1:]:
        published[column] = _count_text(table[column], is_small(table[column], threshold))
    return published.reset_index(drop=True)
