"""Issue 14: placeholder dates and unusable parents.

- A date before ``[validation] earliest_date`` (default 2000-01-01) is a system's placeholder for
  "unknown" (1900-01-01), not a date: its row is quarantined as ``implausible <column>: before
  2000-01-01``, whichever date column holds it.
- A link failing for more than ``[validation] max_linkage_failure`` of a table's rows (default
  0.5) means its parent is unusable, say a header-only ``cases``: the run stops with one line.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import source_tables
from tests.flows.sources.test_validate import CASE, CRIME, EXTRACTED_AT, VICTIM
from vcc.flows.config import ValidationSettings
from vcc.flows.errors import ValidationFailed
from vcc.flows.sources.validate import validate_sources
from vcc.transforms.schema import DEFAULT_DISTRICTS


def validated(rules: ValidationSettings | None = None, **tables):
    tables.setdefault("police__crimes", [CRIME])
    tables.setdefault("police__victims", [VICTIM])
    tables.setdefault("cps__cases", [CASE])
    return validate_sources(
        source_tables(**tables),
        {},
        extracted_at=EXTRACTED_AT,
        districts=list(DEFAULT_DISTRICTS),
        rules=rules,
    )


def offer(victim_id: str, offered_at: str) -> dict:
    return {"victim_id": victim_id, "offered_at": offered_at}


def test_a_placeholder_date_quarantines_its_row_naming_the_column() -> None:
    outcome = validated(
        police__vps_offers=[offer("V1", "1900-01-01T00:00"), offer("V1", "2024-12-01T10:00")]
    )

    assert outcome.rejected[("police", "vps_offers")].to_dict() == {
        0: "implausible offered_at: before 2000-01-01"
    }
    assert outcome.accepted[("police", "vps_offers")].index.tolist() == [1]
    quality = outcome.quality.set_index(["table", "check"])
    assert quality.loc[("vps_offers", "implausible offered_at"), "failed_rows"] == 1


def test_a_crime_reported_in_1900_is_quarantined() -> None:
    crime = {**CRIME, "crime_ref": "CR2", "reported_at": "1900-01-01 00:00"}
    outcome = validated(police__crimes=[CRIME, crime])

    assert outcome.rejected[("police", "crimes")].to_dict() == {
        1: "implausible reported_at: before 2000-01-01"
    }


def test_an_optional_action_date_before_the_bound_is_implausible_too() -> None:
    hearing = {
        "hearing_id": "H1",
        "urn": "U1",
        "victim_id": "V1",
        "hearing_at": "2024-12-10T10:00",
        "received_at": "2024-12-01T10:00",
        "victim_notified_at": "1899-12-31T00:00",
    }
    outcome = validated(cps__hearings=[hearing])

    assert outcome.rejected[("cps", "hearings")].to_dict() == {
        0: "victim_notified_at before received_at; "
        "implausible victim_notified_at: before 2000-01-01"
    }


def test_the_lower_bound_is_configurable() -> None:
    rules = ValidationSettings(earliest_date=dt.date(2010, 1, 1))
    outcome = validated(rules, police__vps_offers=[offer("V1", "2009-12-31T10:00")])

    assert outcome.rejected[("police", "vps_offers")].tolist() == [
        "implausible offered_at: before 2010-01-01"
    ]


def decision(victim_id: str = "V1", urn: str = "U1") -> dict:
    return {
        "urn": urn,
        "victim_id": victim_id,
        "decision_type": "no_charge",
        "decided_at": "2024-12-01T10:00",
    }


def test_a_header_only_parent_stops_the_run_in_one_line() -> None:
    with pytest.raises(ValidationFailed) as raised:
        validated(cps__cases=[], cps__decisions=[decision(), decision("V1")])

    assert str(raised.value) == (
        "validation failed: cps.decisions: 2 of 2 rows (100%) do not link on urn to "
        "cps.cases.urn, more than the 50% allowed ([validation] max_linkage_failure)"
    )


def test_linkage_failure_up_to_the_allowed_share_quarantines_rows() -> None:
    outcome = validated(cps__decisions=[decision(), decision(urn="U9")])

    assert outcome.rejected[("cps", "decisions")].tolist() == ["linkage: urn not a CPS case"]


def test_the_allowed_linkage_failure_is_configurable() -> None:
    with pytest.raises(ValidationFailed, match=r"1 of 2 rows \(50%\) do not link on urn"):
        validated(
            ValidationSettings(max_linkage_failure=0.25),
            cps__decisions=[decision(), decision(urn="U9")],
        )
