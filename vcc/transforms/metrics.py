"""From instances to the figures of ``metrics.csv`` (CONTRACT.md §4).

One row per quarter × measure × agency × breakdown group: eligible (met + not met), met, not met,
pending, the rate met / eligible with its Wilson 95% interval, the target and the RAG rating.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vcc.transforms.catalogue import Catalogue, load_catalogue
from vcc.transforms.matching import MET, NOT_MET, PENDING, combined_codes
from vcc.transforms.schema import OFFENCE_GROUPS
from vcc.transforms.victims import AGE_BANDS, BREAKDOWN_COLUMNS

METRIC_COLUMNS = [
    "quarter",
    "measure_id",
    "right",
    "agency",
    "dimension",
    "group",
    "eligible",
    "met",
    "not_met",
    "pending",
    "rate",
    "ci_low",
    "ci_high",
    "target",
    "rag",
]

DIMENSIONS = ("all", "rights", *BREAKDOWN_COLUMNS)
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Rating:
    """Target and RAG rule of one measure (configuration, CONTRACT.md §3 defaults)."""

    target: float = 0.90
    tolerance: float = 0.10
    min_eligible: int = 10


def wilson_interval(met: np.ndarray, eligible: np.ndarray, z: float = Z_95) -> tuple:
    """Wilson score interval for met/eligible; NaN where eligible is 0."""
    n = np.asarray(eligible, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.asarray(met, dtype=float) / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def rag_ratings(met: np.ndarray, eligible: np.ndarray, rating: Sequence[Rating]) -> np.ndarray:
    """green at or above target, amber within the tolerance below it, red below that, none when
    too few are eligible to rate. Compared as met >= target × eligible to avoid rounding."""
    target = np.array([r.target for r in rating])
    tolerance = np.array([r.tolerance for r in rating])
    minimum = np.array([r.min_eligible for r in rating])
    met = np.asarray(met, dtype=float)
    eligible = np.asarray(eligible, dtype=float)
    epsilon = 1e-9
    return np.select(
        [
            eligible < minimum,
            met >= target * eligible - epsilon,
            met >= (target - tolerance) * eligible - epsilon,
        ],
        ["none", "green", "amber"],
        default="red",
    )


def _group_order(dimension: str, districts: Sequence[str]) -> list[str]:
    return {
        "all": ["all"],
        "rights": ["enhanced", "standard"],
        "district": [*districts, "unknown"],
        "age_band": list(AGE_BANDS),
        "sex": ["female", "male", "other", "unknown"],
        "ethnicity": ["white", "mixed", "asian", "black", "other", "unknown"],
        "has_disability": ["true", "false", "unknown"],
        "offence_group": [*OFFENCE_GROUPS, "unknown"],
        "domestic_abuse": ["true", "false"],
    }[dimension]


def _groups(instances: pd.DataFrame, dimension: str) -> pd.Series:
    if dimension == "all":
        return pd.Series("all", index=instances.index)
    if dimension == "rights":
        enhanced = instances["enhanced"].astype(bool)
        return pd.Series(np.where(enhanced, "enhanced", "standard"), index=instances.index)
    return instances[dimension].astype("string").fillna("unknown")


# The breakdowns counted together: cells of every combination of one set stay few (thousands),
# where one set of all of them would have nearly as many cells as instances.
CELL_SETS = (
    ("district", "age_band", "sex", "ethnicity", "has_disability"),
    ("offence_group", "domestic_abuse"),
)
assert sorted(sum(CELL_SETS, ())) == sorted(BREAKDOWN_COLUMNS), "every breakdown is counted"


def _cells(in_window: pd.DataFrame, breakdowns: Sequence[str]) -> pd.DataFrame:
    """The instances counted (``instances``) per distinct combination of the columns the figures
    read, with ``breakdowns``: thousands of cells in place of millions of rows, so that the
    breakdowns below label and group cells, not rows. Missing values keep a cell of their own."""
    columns = ["quarter", "measure_id", "agency", "status", "enhanced", *breakdowns]
    in_window = in_window[columns]
    combination = combined_codes(_codes(in_window[column]) for column in columns)
    cell, _ = pd.factorize(combination)
    first_rows = pd.Series(cell).drop_duplicates().index  # one row shows each cell's values
    cells = in_window.iloc[first_rows].reset_index(drop=True)
    return cells.assign(**_plain(cells), instances=np.bincount(cell))


def _codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """The column's values as integer codes (-1 for missing) and how many codes there are: a
    categorical's own, or factorize's (which marks missing values without the separate pass that
    groupby(dropna=False) makes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), len(column.cat.categories)
    codes, distinct = pd.factorize(column)
    return codes, len(distinct)


def _plain(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The categorical columns of ``frame`` as columns of their labels' own type: cells are
    few, and the figures are counted from plain labels whatever the instances' column types."""
    return {
        column: frame[column].astype(frame[column].cat.categories.dtype)
        for column in frame
        if isinstance(frame[column].dtype, pd.CategoricalDtype)
    }


def _count(cells: pd.DataFrame, dimension: str, without_victims: Sequence[str]) -> pd.DataFrame:
    per_victim = ~cells["measure_id"].isin(list(without_victims))
    frame = cells if dimension == "all" else cells[per_victim]
    status = frame["status"]
    counts = pd.DataFrame(
        {
            "quarter": frame["quarter"].astype("string"),
            "measure_id": frame["measure_id"],
            "agency": frame["agency"],
            "dimension": dimension,
            "group": _groups(frame, dimension),
            "met": (status == MET).astype("int64") * frame["instances"],
            "not_met": (status == NOT_MET).astype("int64") * frame["instances"],
            "pending": (status == PENDING).astype("int64") * frame["instances"],
        }
    )
    keys = ["quarter", "measure_id", "agency", "dimension", "group"]
    return counts.groupby(keys, as_index=False, sort=False)[["met", "not_met", "pending"]].sum()


def _always_present(
    quarters: Iterable[str], complaint_sources: Iterable[str], catalogue: Catalogue
) -> pd.DataFrame:
    """Rows every quarter carries even with no instances: each measure's ``all`` row and its
    ``rights`` rows (ENH-IDENTIFIED has no standard victims by definition)."""
    rows = []
    for quarter in quarters:
        for measure in catalogue.measures:
            if measure.agency == "each source":  # R12-ACK: once per source supplying complaints
                rows += [(quarter, measure.measure_id, s, "all", "all") for s in complaint_sources]
                continue
            rows.append((quarter, measure.measure_id, measure.agency, "all", "all"))
            rows.append((quarter, measure.measure_id, measure.agency, "rights", "enhanced"))
            if measure.measure_id != "ENH-IDENTIFIED":
                rows.append((quarter, measure.measure_id, measure.agency, "rights", "standard"))
    return pd.DataFrame(rows, columns=["quarter", "measure_id", "agency", "dimension", "group"])


def supported_by_default(instances: pd.DataFrame) -> Catalogue:
    """The measures reported when the caller names none: the catalogue of the Code in force
    from April 2021, less the measures needing optional data (CONTRACT.md §6.1) that have no
    instance at all."""
    catalogue = load_catalogue()
    present = set(instances["measure_id"].astype("string").dropna().unique())
    return catalogue.without(
        m.measure_id for m in catalogue.measures if m.requires and m.measure_id not in present
    )


def summarise(
    instances: pd.DataFrame,
    quarters: Sequence[str],
    ratings: Mapping[str, Rating],
    districts: Sequence[str],
    complaint_sources: Sequence[str] = ("police", "cps", "probation"),
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """The metrics of ``quarters``: every measure of ``catalogue`` (the measures the data
    supports) and breakdown, ordered as in the catalogue."""
    catalogue = catalogue or supported_by_default(instances)
    in_window = instances.loc[instances["quarter"].isin(list(quarters))]
    without_victims = [m.measure_id for m in catalogue.measures if not m.per_victim]
    parts = []
    for number, breakdowns in enumerate(CELL_SETS):
        cells = _cells(in_window, breakdowns)
        dimensions = ["all", "rights", *breakdowns] if number == 0 else breakdowns
        parts += [_count(cells, dimension, without_victims) for dimension in dimensions]
    counted = pd.concat(parts)
    keys = ["quarter", "measure_id", "agency", "dimension", "group"]
    always = _always_present(quarters, complaint_sources, catalogue)
    metrics = always.merge(counted, on=keys, how="outer")
    counts = ["met", "not_met", "pending"]
    metrics[counts] = metrics[counts].fillna(0).astype("int64")
    metrics["eligible"] = metrics["met"] + metrics["not_met"]
    rights = {m.measure_id: m.right for m in catalogue.measures}
    metrics["right"] = metrics["measure_id"].map(rights)
    low, high = wilson_interval(metrics["met"].to_numpy(), metrics["eligible"].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(metrics["eligible"] > 0, metrics["met"] / metrics["eligible"], np.nan)
    metrics["rate"], metrics["ci_low"], metrics["ci_high"] = rate, low, high
    rules = [ratings.get(m, Rating()) for m in metrics["measure_id"]]
    metrics["target"] = [rule.target for rule in rules]
    metrics["rag"] = rag_ratings(metrics["met"], metrics["eligible"], rules)
    ordered = _in_report_order(metrics, districts, catalogue.ids)
    return ordered[METRIC_COLUMNS].reset_index(drop=True)


def _in_report_order(
    metrics: pd.DataFrame, districts: Sequence[str], measure_ids: Sequence[str]
) -> pd.DataFrame:
    """Catalogue order of measures; police, CPS, WCU, probation; the contract's order of
    dimensions and groups, with groups outside the known lists (e.g. an unlisted district) last
    in alphabetical order."""
    measure_rank = {measure_id: i for i, measure_id in enumerate(measure_ids)}
    agency_rank = {"police": 0, "cps": 1, "wcu": 2, "probation": 3}
    dimension_rank = {d: i for i, d in enumerate(DIMENSIONS)}
    group_rank = {
        (dimension, group): position
        for dimension in DIMENSIONS
        for position, group in enumerate(_group_order(dimension, districts))
    }
    keys = pd.Series(list(zip(metrics["dimension"], metrics["group"], strict=True)))
    ranked = metrics.assign(
        _measure=metrics["measure_id"].map(measure_rank),
        _agency=metrics["agency"].map(agency_rank),
        _dimension=metrics["dimension"].map(dimension_rank),
        _group=keys.map(group_rank).fillna(len(group_rank)).to_numpy(),
    )
    order = ["quarter", "_measure", "_agency", "_dimension", "_group", "group"]
    return ranked.sort_values(order, kind="stable")
