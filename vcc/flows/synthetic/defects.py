"""The faults real extracts have, at a small realistic rate, so that validation has work to do.

Each kind touches about 0.3% of a table's rows: exact duplicate rows, a key reused by a
different row, a later date before its earlier one, codes outside the contract's lists, CPS and
probation rows that link to no police victim or CPS case, and impossible ages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vcc.flows.synthetic import canonical as f
from vcc.transforms.schema import CANONICAL

RATE = 0.003
# Codes no contract list holds: an old Home Office offence name, a contact recorded by its
# method, the unitary authority that replaced three districts in 2023, a youth sentence.
UNKNOWN_CODES = {
    ("police", "crimes", "offence_category"): "burglary_dwelling",
    ("police", "crimes", "district"): "Cumberland",
    ("police", "victim_contacts", "contact_type"): "letter",
    ("cps", "outcomes", "sentence_type"): "YRO",
}
# Tables whose rows may carry a victim or case the other sources do not know.
UNLINKED = (
    ("cps", "decisions"),
    ("cps", "vcl_letters"),
    ("cps", "hearings"),
    ("cps", "outcomes"),
    ("probation", "vcs_referrals"),
    ("probation", "release_notifications"),
    ("police", "victim_contacts"),
)
IMPOSSIBLE_AGE = 150


def inject_defects(
    rng: np.random.Generator, sources: dict[str, dict[str, pd.DataFrame]]
) -> dict[str, dict[str, pd.DataFrame]]:
    """New tables with defects added; the tables given are not changed."""
    damaged = {
        source: {table: frame.copy() for table, frame in tables.items()}
        for source, tables in sources.items()
    }
    for (source, table, column), code in UNKNOWN_CODES.items():
        frame = damaged[source][table]
        rows = _some(rng, frame[column].notna().to_numpy())
        frame.loc[rows, column] = code
    for source, table in UNLINKED:
        _unlink(rng, damaged[source][table], "victim_id", f.VICTIM_ID)
        if "urn" in damaged[source][table]:
            _unlink(rng, damaged[source][table], "urn", f.URN)
    _unlink(rng, damaged["cps"]["cases"], "crime_ref", f.CRIME_REF)
    victims = damaged["police"]["victims"]
    victims.loc[_some(rng, victims["age_at_offence"].notna().to_numpy()), "age_at_offence"] = (
        IMPOSSIBLE_AGE
    )
    for source, tables in damaged.items():
        for table, frame in tables.items():
            spec = CANONICAL[source][table]
            for earlier, later in spec.date_order:
                _date_before(rng, frame, earlier, later)
            frame = _reused_keys(rng, frame, spec.key) if spec.key else frame
            # Copied values can lose their extension dtype; the tables keep the canonical ones.
            tables[table] = _duplicated(rng, frame).astype(sources[source][table].dtypes)
    return damaged


def _some(rng: np.random.Generator, population: int | np.ndarray) -> np.ndarray:
    """Index labels of about RATE of the rows (of those marked True, given a mask)."""
    if isinstance(population, int):
        candidates = np.arange(population)
    else:
        candidates = np.flatnonzero(population)
    count = rng.binomial(len(candidates), RATE)
    return np.sort(rng.choice(candidates, count, replace=False))


def _strangers(rng: np.random.Generator, form: tuple[str, int], count: int) -> pd.Series:
    """Identifiers no source holds: mistyped references beyond any issued (9 followed by
    random digits)."""
    width = form[1]
    return f.ids(9 * 10 ** (width - 1) + rng.integers(0, 10 ** (width - 1), count), form)


def _unlink(
    rng: np.random.Generator, frame: pd.DataFrame, column: str, form: tuple[str, int]
) -> None:
    rows = _some(rng, len(frame))
    frame.loc[rows, column] = _strangers(rng, form, len(rows)).to_numpy()


def _date_before(rng: np.random.Generator, frame: pd.DataFrame, earlier: str, later: str) -> None:
    """A later date (recorded, notified, contacted) typed as hours or days before the earlier."""
    rows = _some(rng, frame[later].notna().to_numpy())
    hours = rng.uniform(1, 72, len(rows))
    frame.loc[rows, later] = (frame.loc[rows, earlier] - pd.to_timedelta(hours, unit="h")).dt.floor(
        "min"
    )


def _reused_keys(rng: np.random.Generator, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Copies of some rows given the key of another row: two different rows, one key."""
    rows = _some(rng, len(frame))
    copies = frame.loc[rows].copy()
    copies[key] = frame[key].to_numpy()[rng.integers(0, len(frame), len(rows))]
    return _insert_after(frame, rows, copies)


def _duplicated(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Exact copies of some rows, next to the originals, as a doubled extract delivers them."""
    rows = _some(rng, len(frame))
    return _insert_after(frame, rows, frame.loc[rows])


def _insert_after(frame: pd.DataFrame, positions: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
    combined = pd.concat([frame, rows], ignore_index=True)
    order = np.argsort(np.r_[np.arange(len(frame)), positions + 0.5], kind="stable")
    return combined.iloc[order].reset_index(drop=True)
