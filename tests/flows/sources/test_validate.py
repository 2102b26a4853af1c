"""Validation (flows/sources/validate.py, expectations/*.json): each rule on a hand-worked case.

Every case starts from one clean crime CR1 (Eden, reported Fri 1 Mar 2024 09:00, recorded 10:00),
its victim V1 and a CPS case U1 for it, and adds the rows the rule is about. The extract is taken
on 1 Jan 2025 at noon unless a test says otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.builders import source_tables
from tests.conftest import FIXTURES
from vcc.flows.config import ValidationSettings
from vcc.flows.errors import ValidationFailed
from vcc.flows.sources.validate import (
    LINKAGE_COLUMNS,
    QUALITY_COLUMNS,
    ValidationOutcome,
    validate_sources,
)
from vcc.transforms.schema import CANONICAL, DEFAULT_DISTRICTS

REPO = Path(__file__).resolve().parents[3]
GOLDEN_DATA = FIXTURES / "golden" / "data"
EXTRACTED_AT = datetime(2025, 1, 1, 12, 0)

CRIME = {
    "crime_ref": "CR1",
    "reported_at": "2024-03-01 09:00",
    "recorded_at": "2024-03-01 10:00",
    "offence_category": "theft",
    "district": "Eden",
}
VICTIM = {
    "victim_id": "V1",
    "crime_ref": "CR1",
    "victim_type": "person",
    "referral_consent": "given",
}
CASE = {"urn": "U1", "crime_ref": "CR1"}


@pytest.fixture(scope="session")
def great_expectations_loaded() -> None:
    """Importing Great Expectations takes seconds: pay it once, and only in tests that validate."""
    import great_expectations  # noqa: F401


@pytest.fixture
def validate(great_expectations_loaded: None):
    """validate_sources on the given tables (parents CR1, V1, U1 unless overridden), checking
    on every outcome that each row read is either accepted or quarantined, never both."""

    def run(
        problems: dict | None = None,
        extracted_at: datetime = EXTRACTED_AT,
        districts: list[str] | None = None,
        **tables: list[dict],
    ) -> ValidationOutcome:
        tables.setdefault("police__crimes", [CRIME])
        tables.setdefault("police__victims", [VICTIM])
        tables.setdefault("cps__cases", [CASE])
        typed = source_tables(**tables)
        outcome = validate_sources(
            typed,
            problems or {},
            extracted_at=extracted_at,
            districts=list(DEFAULT_DISTRICTS) if districts is None else districts,
            # tiny tables here show row-by-row linkage; the share that stops a run is tested in
            # test_implausible_data.py
            rules=ValidationSettings(max_linkage_failure=1.0),
        )
        for key, frame in typed.items():
            accepted, rejected = outcome.accepted[key].index, outcome.rejected[key].index
            assert accepted.intersection(rejected).empty
            assert accepted.union(rejected).sort_values().equals(frame.index)
        return outcome

    return run


def reasons(outcome: ValidationOutcome, source: str, table: str) -> dict[int, str]:
    return outcome.rejected[(source, table)].to_dict()


def failed(outcome: ValidationOutcome, source: str, table: str) -> dict[str, int]:
    """check -> failed_rows of the failed rules of one table (without the summary row)."""
    quality = outcome.quality
    rows = quality[(quality.source == source) & (quality.table == table)]
    rows = rows[rows.check != "rows"]
    return dict(zip(rows.check, rows.failed_rows, strict=True))


# --- the suites ---------------------------------------------------------------------------------


def test_suites_on_disk_are_what_build_suites_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_suites", REPO / "expectations/build_suites.py"
    )
    assert spec is not None and spec.loader is not None
    build_suites = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_suites)
    expected = build_suites.suite_files()
    on_disk = {path.name: path.read_text() for path in (REPO / "expectations").glob("*.json")}
    assert on_disk == expected, "run: python expectations/build_suites.py"
    assert len(expected) == sum(len(tables) for tables in CANONICAL.values()) == 21


def test_every_expectation_says_what_happens_when_it_fails() -> None:
    for path in (REPO / "expectations").glob("*.json"):
        for expectation in json.loads(path.read_text())["expectations"]:
            meta = expectation["meta"]
            assert meta["severity"] in ("critical", "row"), path.name
            assert meta["reason"] and meta["notes"], path.name


# --- row rules ----------------------------------------------------------------------------------


def test_missing_value_quarantines_the_row(validate) -> None:
    outcome = validate(
        police__victims=[VICTIM, {**VICTIM, "victim_id": "V2", "victim_type": None}],
    )
    assert reasons(outcome, "police", "victims") == {1: "missing victim_type"}
    assert outcome.accepted[("police", "victims")].victim_id.tolist() == ["V1"]


def test_optional_columns_may_be_empty(validate) -> None:
    # sex, ethnicity, age_at_offence and has_disability are "?" columns in CONTRACT.md §2.
    outcome = validate(police__victims=[{**VICTIM, "sex": None, "age_at_offence": None}])
    assert reasons(outcome, "police", "victims") == {}


def test_value_outside_the_allowed_codes_is_quarantined(validate) -> None:
    outcome = validate(
        police__crimes=[CRIME, {**CRIME, "crime_ref": "CR2", "offence_category": "burglary"}],
        police__victims=[VICTIM, {**VICTIM, "victim_id": "V2", "sex": "unknown"}],
    )
    assert reasons(outcome, "police", "crimes") == {1: "offence_category not an allowed value"}
    assert reasons(outcome, "police", "victims") == {1: "sex not an allowed value"}


def test_district_is_checked_against_the_configured_list(validate) -> None:
    crimes = [CRIME, {**CRIME, "crime_ref": "CR2", "district": "Lancaster"}]
    outcome = validate(police__crimes=crimes)
    assert reasons(outcome, "police", "crimes") == {1: "district not a configured district"}

    outcome = validate(police__crimes=crimes, districts=["Eden", "Lancaster"])
    assert reasons(outcome, "police", "crimes") == {}


def test_duplicate_key_keeps_the_first_row(validate) -> None:
    outcome = validate(
        police__crimes=[
            CRIME,
            {**CRIME, "crime_ref": "CR2"},
            {**CRIME, "district": "Carlisle"},  # a second CR1
            {**CRIME, "district": "Copeland"},  # a third CR1
        ],
    )
    assert reasons(outcome, "police", "crimes") == {
        2: "duplicate crime_ref",
        3: "duplicate crime_ref",
    }
    assert outcome.accepted[("police", "crimes")].district.tolist() == ["Eden", "Eden"]
    assert failed(outcome, "police", "crimes") == {"duplicate crime_ref": 2}
    assert reasons(outcome, "police", "victims") == {}  # V1's crime CR1 is still there


def test_a_row_repeated_in_every_column_keeps_the_first(validate) -> None:
    contact = {"victim_id": "V1", "contact_type": "general_update", "method": None}
    event = {"crime_ref": "CR1", "event_type": "suspect_charged", "event_at": "2024-03-04 10:00"}
    outcome = validate(
        police__victim_contacts=[
            {**contact, "contacted_at": "2024-03-02 10:00"},
            {**contact, "contacted_at": "2024-03-02 10:00"},  # a copy, empty method and all
            {**contact, "contacted_at": "2024-03-02 10:00", "method": "phone"},  # another
            {**contact, "contacted_at": "2024-03-02 10:00"},  # a second copy
        ],
        police__investigation_events=[event, event],
    )
    assert reasons(outcome, "police", "victim_contacts") == {1: "duplicate row", 3: "duplicate row"}
    assert reasons(outcome, "police", "investigation_events") == {1: "duplicate row"}
    assert failed(outcome, "police", "investigation_events") == {"duplicate row": 1}


def test_later_date_before_earlier_date_is_quarantined(validate) -> None:
    outcome = validate(
        police__crimes=[
            CRIME,
            {**CRIME, "crime_ref": "CR2", "recorded_at": "2024-03-01 08:59"},  # before report
            {**CRIME, "crime_ref": "CR3", "recorded_at": "2024-03-01 09:00"},  # same moment: fine
        ],
        cps__hearings=[
            {
                "hearing_id": "H1",
                "urn": "U1",
                "victim_id": "V1",
                "hearing_at": "2024-04-01 10:00",
                "received_at": "2024-03-20 10:00",
                "victim_notified_at": None,  # not yet notified: not checked
            }
        ],
    )
    assert reasons(outcome, "police", "crimes") == {1: "recorded_at before reported_at"}
    assert reasons(outcome, "cps", "hearings") == {}


def test_implausible_age_and_sentence_are_quarantined(validate) -> None:
    outcome = validate(
        police__victims=[
            {**VICTIM, "victim_id": "V1", "age_at_offence": 0},
            {**VICTIM, "victim_id": "V2", "age_at_offence": 120},
            {**VICTIM, "victim_id": "V3", "age_at_offence": 121},
            {**VICTIM, "victim_id": "V4", "age_at_offence": -1},
        ],
        cps__outcomes=[
            {
                "urn": "U1",
                "victim_id": "V1",
                "outcome_type": "sentence",
                "outcome_at": "2024-05-01 10:00",
                "received_at": "2024-05-01 11:00",
                "sentence_type": "custody",
                "sentence_months": months,
            }
            for months in (0.0, 1200.0, 1200.5)
        ],
    )
    assert reasons(outcome, "police", "victims") == {
        2: "age_at_offence outside 0..120",
        3: "age_at_offence outside 0..120",
    }
    assert reasons(outcome, "cps", "outcomes") == {2: "sentence_months outside 0..1200"}


def test_date_after_the_extract_was_taken_is_quarantined(validate) -> None:
    contact = {"victim_id": "V1", "contact_type": "general_update"}
    outcome = validate(
        police__victim_contacts=[
            {**contact, "contacted_at": "2025-01-01 12:00"},  # the moment of the extract: fine
            {**contact, "contacted_at": "2025-01-01 12:01"},
        ],
        # A hearing is listed before it happens: its date may lie after the extract.
        cps__hearings=[
            {
                "hearing_id": "H1",
                "urn": "U1",
                "victim_id": "V1",
                "hearing_at": "2025-02-01 10:00",
                "received_at": "2024-12-20 10:00",
            }
        ],
    )
    expected = {1: "contacted_at after the extract was taken"}
    assert reasons(outcome, "police", "victim_contacts") == expected
    assert reasons(outcome, "cps", "hearings") == {}


def test_extract_moment_with_an_offset_is_compared_in_local_time(validate) -> None:
    # 11:00 UTC on 1 July 2024 is 12:00 in London (BST).
    contact = {"victim_id": "V1", "contact_type": "general_update"}
    outcome = validate(
        extracted_at=datetime(2024, 7, 1, 11, 0, tzinfo=UTC),
        police__victim_contacts=[
            {**contact, "contacted_at": "2024-07-01 11:30"},
            {**contact, "contacted_at": "2024-07-01 12:30"},
        ],
    )
    expected = {1: "contacted_at after the extract was taken"}
    assert reasons(outcome, "police", "victim_contacts") == expected


def test_unparseable_value_is_quarantined_with_its_reason(validate) -> None:
    # Coerce read "31/02/2024" as missing and listed it; the reason does not repeat the value.
    problems = pd.DataFrame(
        {
            "row": [1],
            "column": ["reported_at"],
            "value": ["31/02/2024"],
            "reason": ["reported_at: '31/02/2024' is not a valid date"],
        }
    )
    outcome = validate(
        problems={("police", "crimes"): problems},
        police__crimes=[CRIME, {**CRIME, "crime_ref": "CR2", "reported_at": None}],
    )
    assert reasons(outcome, "police", "crimes") == {1: "unparseable reported_at: not a date"}
    assert failed(outcome, "police", "crimes") == {"unparseable reported_at": 1}


def test_a_row_failing_several_rules_gets_every_reason(validate) -> None:
    outcome = validate(
        police__victims=[
            VICTIM,
            {**VICTIM, "victim_id": "V2", "victim_type": None, "referral_consent": "maybe"},
        ],
    )
    assert reasons(outcome, "police", "victims") == {
        1: "missing victim_type; referral_consent not an allowed value"
    }


# --- linkage ------------------------------------------------------------------------------------


def test_cps_and_probation_rows_must_link_to_police_victims_and_cps_cases(validate) -> None:
    decision = {"decision_type": "no_charge", "decided_at": "2024-04-01 10:00"}
    outcome = validate(
        cps__decisions=[
            {**decision, "urn": "U1", "victim_id": "V1"},
            {**decision, "urn": "U1", "victim_id": "V9"},
            {**decision, "urn": "U9", "victim_id": "V1"},
        ],
        probation__release_notifications=[
            {"urn": "U9", "victim_id": "V9", "release_at": "2024-06-01 09:00"},
        ],
    )
    assert reasons(outcome, "cps", "decisions") == {
        1: "linkage: victim_id not a police victim",
        2: "linkage: urn not a CPS case",
    }
    assert reasons(outcome, "probation", "release_notifications") == {
        0: "linkage: urn not a CPS case; linkage: victim_id not a police victim"
    }
    linkage = outcome.linkage.set_index(["source", "table", "column"])
    assert linkage.loc[("cps", "decisions", "victim_id"), ["rows", "linked"]].tolist() == [3, 2]
    assert linkage.loc[("cps", "decisions", "victim_id"), "rate"] == pytest.approx(0.6667)
    assert linkage.loc[("cps", "decisions", "victim_id"), "target"] == "police.victims.victim_id"


def test_linkage_is_to_accepted_parents_only(validate) -> None:
    # CR2 is quarantined (recorded before reported), so its victim V2 and case U2 link to nothing,
    # and U2's decision links to no case.
    outcome = validate(
        police__crimes=[CRIME, {**CRIME, "crime_ref": "CR2", "recorded_at": "2024-02-01 09:00"}],
        police__victims=[VICTIM, {**VICTIM, "victim_id": "V2", "crime_ref": "CR2"}],
        cps__cases=[CASE, {"urn": "U2", "crime_ref": "CR2"}],
        cps__decisions=[
            {
                "urn": "U2",
                "victim_id": "V1",
                "decision_type": "no_charge",
                "decided_at": "2024-04-01 10:00",
            }
        ],
        police__victim_contacts=[
            {"victim_id": "V2", "contact_type": "general_update", "contacted_at": "2024-03-02"}
        ],
    )
    assert reasons(outcome, "police", "victims") == {1: "linkage: crime_ref not a police crime"}
    assert reasons(outcome, "cps", "cases") == {1: "linkage: crime_ref not a police crime"}
    assert reasons(outcome, "cps", "decisions") == {0: "linkage: urn not a CPS case"}
    assert reasons(outcome, "police", "victim_contacts") == {
        0: "linkage: victim_id not a police victim"
    }


# --- critical failures --------------------------------------------------------------------------


def test_missing_column_stops_the_run_naming_each_table(great_expectations_loaded: None) -> None:
    typed = source_tables(police__crimes=[CRIME], police__victims=[VICTIM], cps__cases=[CASE])
    typed[("police", "crimes")] = typed[("police", "crimes")].drop(columns="district")
    typed[("cps", "hearings")] = typed[("cps", "hearings")].drop(columns=["urn", "hearing_at"])
    with pytest.raises(ValidationFailed) as raised:
        validate_sources(typed, {}, extracted_at=EXTRACTED_AT, districts=list(DEFAULT_DISTRICTS))
    message = str(raised.value)
    assert "police.crimes: missing column(s) district" in message
    assert "cps.hearings: missing column(s) hearing_at, urn" in message
    assert "CR1" not in message


def test_a_rule_that_cannot_be_evaluated_stops_the_run(great_expectations_loaded: None) -> None:
    # A date column left as text (a coercion bug) cannot be compared with the extract moment.
    typed = source_tables(police__crimes=[CRIME], police__victims=[VICTIM], cps__cases=[CASE])
    crimes = typed[("police", "crimes")]
    typed[("police", "crimes")] = crimes.assign(reported_at=crimes.reported_at.astype("string"))
    with pytest.raises(ValidationFailed, match="police.crimes: check 'reported_at after the"):
        validate_sources(typed, {}, extracted_at=EXTRACTED_AT, districts=list(DEFAULT_DISTRICTS))


def test_extra_columns_are_ignored(great_expectations_loaded: None) -> None:
    typed = source_tables(police__crimes=[CRIME], police__victims=[VICTIM], cps__cases=[CASE])
    typed[("police", "crimes")] = typed[("police", "crimes")].assign(officer="PC 123")
    outcome = validate_sources(
        typed, {}, extracted_at=EXTRACTED_AT, districts=list(DEFAULT_DISTRICTS)
    )
    assert outcome.rejected[("police", "crimes")].empty


def test_empty_tables_are_legal(validate) -> None:
    outcome = validate(police__crimes=[], police__victims=[], cps__cases=[])
    assert all(frame.empty for frame in outcome.accepted.values())
    assert set(outcome.quality.check) == {"rows"}


# --- what the flow receives ---------------------------------------------------------------------


def test_quality_has_a_summary_row_per_table_and_a_row_per_failed_rule(validate) -> None:
    outcome = validate(
        police__crimes=[
            CRIME,
            {**CRIME, "district": "Carlisle"},  # duplicate CR1
            {**CRIME, "crime_ref": "CR2", "district": None},
        ],
    )
    assert list(outcome.quality.columns) == QUALITY_COLUMNS
    assert list(outcome.linkage.columns) == LINKAGE_COLUMNS
    crimes = outcome.quality[outcome.quality.table.eq("crimes")].set_index("check")
    summary = crimes.loc["rows"]
    assert (summary.severity, summary.failed_rows) == ("summary", 2)
    assert summary.detail == "3 read, 1 accepted, 2 quarantined"
    assert failed(outcome, "police", "crimes") == {"missing district": 1, "duplicate crime_ref": 1}
    assert crimes.loc["missing district", "detail"] == (
        "expect_column_values_to_not_be_null on district"
    )
    counts = outcome.table_counts().set_index(["source", "table"]).loc[("police", "crimes")]
    assert counts.tolist() == [3, 1, 2]


def test_inputs_are_not_changed(great_expectations_loaded: None) -> None:
    typed = source_tables(
        police__crimes=[CRIME, {**CRIME, "district": None}], police__victims=[VICTIM]
    )
    before = {key: frame.copy() for key, frame in typed.items()}
    validate_sources(typed, {}, extracted_at=EXTRACTED_AT, districts=list(DEFAULT_DISTRICTS))
    for key, frame in typed.items():
        pd.testing.assert_frame_equal(frame, before[key])


def test_golden_example_has_nothing_to_quarantine(great_expectations_loaded: None) -> None:
    from vcc.flows.config import load_config
    from vcc.flows.sources.coerce import coerce_source
    from vcc.flows.sources.extract import extract_source

    config = load_config(GOLDEN_DATA / "vcc.toml")
    typed: dict[tuple[str, str], pd.DataFrame] = {}
    problems: dict[tuple[str, str], pd.DataFrame] = {}
    for name, source in config.sources.items():
        for table, (frame, table_problems) in coerce_source(
            extract_source(name, source), source, name
        ).items():
            typed[(name, table)], problems[(name, table)] = frame, table_problems

    outcome = validate_sources(
        typed, problems, extracted_at=datetime(2026, 1, 1), districts=config.districts
    )

    quarantined: dict[Any, str] = {
        key: "; ".join(sorted(set(series)))
        for key, series in outcome.rejected.items()
        if len(series)
    }
    assert quarantined == {}
    assert len(outcome.accepted) == 17
    assert (outcome.linkage.rate == 1).all()


# --- Great Expectations' Data Docs ----------------------------------------------------------------


def test_data_docs_show_every_table_and_no_value(validate, tmp_path: Path) -> None:
    from vcc.flows.sources.suites import build_data_docs

    outcome = validate(
        police__crimes=[
            CRIME,
            {**CRIME, "crime_ref": "CR2", "offence_category": "burglary_dwelling"},
            {**CRIME, "district": "Cumberland"},  # a second CR1
        ],
        police__victims=[VICTIM, {**VICTIM, "victim_id": "V9", "crime_ref": "CR7"}],
    )

    index = build_data_docs(outcome, tmp_path / "data-docs", run_name="run-42")

    assert index == tmp_path / "data-docs" / "index.html"
    pages = {
        path.relative_to(index.parent).as_posix(): path for path in index.parent.rglob("*.html")
    }
    assert len([page for page in pages if page.startswith("validations/")]) == 19
    assert len([page for page in pages if page.startswith("expectations/")]) == 19
    crimes = next(path for page, path in pages.items() if page.endswith("/police.crimes.html"))
    text = crimes.read_text(encoding="utf-8")
    assert "run-42" in text and "offence_category" in text
    for value in ("burglary_dwelling", "Cumberland", "CR1", "CR2", "V9", "CR7"):
        assert not any(value in path.read_text(encoding="utf-8") for path in pages.values()), value


EXTERNAL_ADDRESS = re.compile(
    r"""(?:\b(?:src|href|action)\s*=\s*["']?|url\(\s*["']?)(?:https?:)?//""", re.I
)


def test_data_docs_ask_nothing_of_any_other_host(validate, tmp_path: Path) -> None:
    # Offline they must work; online they must not make requests from an analyst's browser.
    from vcc.flows.sources.suites import build_data_docs

    outcome = validate(police__crimes=[CRIME, {**CRIME, "crime_ref": "CR2", "district": "Nowhere"}])
    index = build_data_docs(outcome, tmp_path / "data-docs", run_name="run-42")

    files = [*index.parent.rglob("*.html"), *index.parent.rglob("*.css")]
    assert len(files) > 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = EXTERNAL_ADDRESS.search(text)
        assert found is None, (
            f"{path.relative_to(index.parent)}: {text[found.start() : found.start() + 80]}"
        )
        assert "<script" not in text, path  # every script needed a library from a CDN
    front = index.read_text(encoding="utf-8")
    assert "police.crimes" in front and "Failed" in front and "Passed" in front
    for link in re.findall(r'href="([^"#]+)"', front):
        assert (index.parent / link).is_file(), link  # every page it lists is there
    page = next(index.parent.glob("validations/**/police.crimes.html"))
    image = re.search(r'<img[^>]*src="([^"]+)"', page.read_text(encoding="utf-8"))
    assert image is not None
    logo = image[1]
    assert (page.parent / logo).resolve() == (index.parent / "static/images/logo-long.png")
    # every address of the site's own, at any depth, is a file there (the favicon was not)
    for path in index.parent.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for local in re.findall(r'(?:href|src)="(?!#|[a-z]+:|//)([^"#?]+)"', text):
            assert (path.parent / local).is_file(), (path.relative_to(index.parent), local)
        assert 'rel="shortcut icon"' not in text or "static/images/favicon.ico" in text, path
