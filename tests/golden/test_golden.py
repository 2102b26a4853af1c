"""Acceptance: the worked examples of CONTRACT.md through the real flow: ``golden`` (§1 to §5)
and ``golden-v2`` (with §6: Rights 1, 5 and 10 and the offence-group and domestic-abuse
breakdowns), copied into tests/fixtures.

Every row of ``expected.csv`` (figures from an independent implementation) must be reproduced
exactly by ``metrics.csv``; a breakdown row absent from ``expected.csv`` has no instances, so
vcc may only list it with zero counts. The first example predates the breakdowns of §6.3, whose
rows it does not list.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES, GOLDEN
from vcc.flows.run.flow import run_quarter
from vcc.transforms.quarters import Quarter

KEYS = ["measure_id", "agency", "dimension", "group"]
COMPARED = ["eligible", "met", "pending", "ci_low", "ci_high"]


NEW_DIMENSIONS = ["offence_group", "domestic_abuse"]  # CONTRACT.md §6.3


@pytest.mark.flow
@pytest.mark.parametrize("example", [GOLDEN, FIXTURES / "golden-v2"], ids=["golden", "golden-v2"])
@pytest.mark.parametrize(("quarter", "as_of"), [("2024Q2", "2024-07-12"), ("2024Q4", "2025-01-08")])
def test_golden_example_is_reproduced_exactly(
    prefect_harness, tmp_path: Path, example, quarter, as_of
) -> None:
    manifest = run_quarter(
        Quarter.parse(quarter),
        dt.date.fromisoformat(as_of),
        example / "data" / "vcc.toml",
        tmp_path,
    )
    expected = pd.read_csv(example / "expected.csv", dtype=str, keep_default_na=False)
    expected = expected[(expected["quarter"] == quarter) & (expected["as_of"] == as_of)]
    produced = pd.read_csv(tmp_path / quarter / "metrics.csv", dtype=str, keep_default_na=False)
    if not expected["dimension"].isin(NEW_DIMENSIONS).any():
        produced = produced[~produced["dimension"].isin(NEW_DIMENSIONS)]

    joined = expected.merge(
        produced, on=KEYS, how="outer", suffixes=("_expected", ""), indicator=True
    )
    missing = joined[joined["_merge"] == "left_only"]
    assert missing.empty, f"rows vcc did not produce:\n{missing[KEYS]}"
    extra = joined[joined["_merge"] == "right_only"]
    assert (extra[["eligible", "met", "pending"]] == "0").all().all(), extra[KEYS]
    both = joined[joined["_merge"] == "both"]
    for column in COMPARED:
        differ = both[both[column] != both[f"{column}_expected"]]
        assert differ.empty, f"{column} differs:\n{differ[[*KEYS, column, column + '_expected']]}"
    assert len(both) == len(expected)
    # the example is clean: nothing quarantined apart from nothing at all
    assert all(row["rows_quarantined"] == 0 for row in manifest["rows"])  # type: ignore[typeddict-item]
    # the Code in force on the quarter's first day
    assert manifest["victims_code"] == "2021-04"  # type: ignore[typeddict-item]
