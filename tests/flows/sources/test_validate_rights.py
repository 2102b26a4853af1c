"""Validation of the optional tables of CONTRACT.md §6.1: linkage failures are quarantined, as
in §2, and a source may leave the tables and columns out."""

from __future__ import annotations

from tests.conftest import GOLDEN
from tests.flows.sources.test_validate import great_expectations_loaded, reasons, validate  # noqa: F401
from vcc.flows.config import SourceConfig
from vcc.flows.sources.extract import extract_source

ITEM = {
    "item_id": "IT1",
    "crime_ref": "CR1",
    "victim_id": "V1",
    "seized_at": "2024-03-01 10:00",
    "released_at": "2024-03-20 10:00",
}
CLAIM = {
    "claim_id": "EC1",
    "urn": "U1",
    "victim_id": "V1",
    "received_at": "2024-06-01 10:00",
    "completed_at": "2024-06-02 10:00",
}


def test_property_of_an_unknown_crime_or_victim_is_quarantined(validate) -> None:  # noqa: F811
    outcome = validate(
        police__property=[
            ITEM,
            {**ITEM, "item_id": "IT2", "crime_ref": "CR9"},
            {**ITEM, "item_id": "IT3", "victim_id": "V9"},
            {**ITEM, "item_id": "IT1"},  # the key again
        ]
    )
    assert reasons(outcome, "police", "property") == {
        1: "linkage: crime_ref not a police crime",
        2: "linkage: victim_id not a police victim",
        3: "duplicate item_id",
    }


def test_an_expenses_claim_of_an_unknown_case_or_victim_is_quarantined(validate) -> None:  # noqa: F811
    outcome = validate(
        cps__expense_claims=[
            CLAIM,
            {**CLAIM, "claim_id": "EC2", "urn": "U9"},
            {**CLAIM, "claim_id": "EC3", "victim_id": "V9"},
            {**CLAIM, "claim_id": "EC4", "received_at": None},
        ]
    )
    assert reasons(outcome, "cps", "expense_claims") == {
        1: "linkage: urn not a CPS case",
        2: "linkage: victim_id not a police victim",
        3: "missing received_at",
    }
    linkage = outcome.linkage[outcome.linkage["table"] == "expense_claims"]
    assert linkage[["column", "rows", "linked"]].values.tolist() == [
        ["urn", 4, 3],  # every row with a value, whatever else is wrong with it
        ["victim_id", 4, 3],
    ]


def test_a_source_without_the_optional_tables_and_columns_reads_as_before() -> None:
    police = extract_source("police", SourceConfig(kind="files", path=GOLDEN / "data" / "police"))
    assert "property" not in police  # an optional table not supplied has no entry
    assessments = police["needs_assessments"].frame
    assert assessments["interpreter_needed"].isna().all()  # an absent column reads as empty
    assert police["victim_contacts"].frame["interpreter_used"].isna().all()
