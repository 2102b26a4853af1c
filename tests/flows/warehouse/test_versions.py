"""The version policy (README "Reruns and revisions"): the same figures keep their version, an
uncirculated draft is replaced, changed figures after circulation are a revision that says why and
what changed. On SQLite and PostgreSQL; figures are small hand-made metrics tables; no Prefect."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

from tests.flows.warehouse.records import (
    FACTS,
    QUARTER,
    circulate,
    finish,
    metrics_frame,
    start,
)
from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.versions import (
    RunFacts,
    changed_headlines,
    edition_reasons,
    revision_reasons,
)


def test_same_figures_keep_the_version_and_a_draft_is_replaced_not_revised(
    warehouse: Warehouse,
) -> None:
    start(warehouse, "run-1")
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    start(warehouse, "run-2")
    same = finish(warehouse, "run-2", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    assert (same.version, same.action) == (1, "same")
    start(warehouse, "run-3")
    draft = finish(warehouse, "run-3", metrics_frame(("R6-UPDATE", 40, 31)), "b" * 64)
    assert (draft.version, draft.action, draft.revisions) == (1, "replace", [])
    (version,) = warehouse.table("report_versions", QUARTER)
    assert (version["run_id"], version["metrics_sha256"]) == ("run-3", "b" * 64)


def test_changed_figures_after_circulation_are_a_revision_saying_why(warehouse: Warehouse) -> None:
    start(warehouse, "run-1")
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30), ("R9-OUTCOME", 8, 8)), "a" * 64)
    circulate(warehouse, "run-1", 1)
    later = RunFacts(dt.date(2025, 6, 2), FACTS.config_sha256, FACTS.code_version,
                     {"police.crimes.parquet": "2" * 64})  # fmt: skip
    start(warehouse, "run-2", later)
    frame = metrics_frame(("R6-UPDATE", 44, 36), ("R9-OUTCOME", 8, 8))
    plan = finish(warehouse, "run-2", frame, "b" * 64, later)
    assert (plan.version, plan.action, plan.label) == (2, "new", "Revision 1 (version 2)")
    assert plan.reasons == [
        "later data: as of 2 June 2025 (was 1 May 2025)",
        "1 of 1 source tables differ as read to that date: police crimes",
    ]
    # 30/40 = 75.0% to 36/44 = 81.8%; R9-OUTCOME's 8 of 8 hides met (not met 0 < 5) both times
    assert plan.changes == ["R6-UPDATE (police): eligible 40 to 44; rate 75.0% to 81.8%"]
    assert [(r.version, r.reasons) for r in plan.revisions] == [(2, plan.reasons)]
    assert [v["version"] for v in warehouse.table("report_versions", QUARTER)] == [1, 2]


def _says(report: str, reviews: str = "none", quality: str = "q") -> dict[str, str]:
    """A report's fingerprint (reports.render.content_fingerprints), by what its parts say."""
    return {"report": report, "case reviews": reviews, "data quality": quality}


def test_a_changed_report_with_the_same_figures_is_a_new_edition_once_circulated(
    warehouse: Warehouse,
) -> None:
    figures = metrics_frame(("R6-UPDATE", 40, 30))
    start(warehouse, "run-1")
    finish(warehouse, "run-1", figures, "a" * 64, content=_says("first words"))
    start(warehouse, "run-2")  # not yet circulated: the draft's words are replaced in place
    draft = finish(warehouse, "run-2", figures, "a" * 64, content=_says("second words"))
    assert (draft.version, draft.edition, draft.action) == (1, 1, "same")
    (row,) = warehouse.table("report_versions", QUARTER)
    assert json.loads(row["content_sha256"])["report"] == "second words"

    circulate(warehouse, "run-2", 1)
    start(warehouse, "run-3")  # the same words after circulation: nothing new
    same = finish(warehouse, "run-3", figures, "a" * 64, content=_says("second words"))
    assert (same.version, same.edition, same.action) == (1, 1, "same")

    start(warehouse, "run-4")  # case reviews imported since: the board gets a new edition
    reviewed = _says("third words", reviews="two themes rated")
    edition = finish(warehouse, "run-4", figures, "a" * 64, content=reviewed)
    assert (edition.version, edition.edition, edition.action) == (1, 2, "edition")
    assert edition.label == "First issue (version 1, edition 2)"
    assert edition.reasons == ["figures unchanged", "case reviews imported since the last edition"]
    assert [(r.name, r.reasons) for r in edition.revisions] == [("1, edition 2", edition.reasons)]
    rows = warehouse.table("report_versions", QUARTER)
    assert [(r["version"], r["edition"], r["run_id"]) for r in rows] == [
        (1, 1, "run-3"), (1, 2, "run-4"),
    ]  # fmt: skip

    start(warehouse, "run-5")  # edition 2 not circulated yet: replaced in place, still edition 2
    again = finish(warehouse, "run-5", figures, "a" * 64, content=_says("fourth words"))
    assert (again.version, again.edition, again.action) == (1, 2, "same")
    assert len(warehouse.table("report_versions", QUARTER)) == 2

    circulate(warehouse, "run-5", 1, edition=2)
    start(warehouse, "run-6")  # then the figures change: version 2, its first edition
    revised = finish(warehouse, "run-6", metrics_frame(("R6-UPDATE", 40, 35)), "b" * 64,
                     content=_says("fifth words"))  # fmt: skip
    assert (revised.version, revised.edition, revised.label) == (2, 1, "Revision 1 (version 2)")
    assert [r.name for r in revised.revisions] == ["1, edition 2", "2"]


def test_a_new_edition_names_what_it_was_made_from_that_differs() -> None:
    class Earlier(dict):
        pass

    earlier = Earlier(as_of=FACTS.as_of, config_sha256="d" * 64, code_version=FACTS.code_version,
                      sources_sha256=json.dumps(FACTS.sources_sha256))  # fmt: skip
    same = _says("a")
    assert edition_reasons(same, _says("b"), earlier, FACTS) == [
        "figures unchanged", "configuration changed",
    ]  # fmt: skip
    assert edition_reasons(same, _says("b", quality="more rows"), None, FACTS) == [
        "figures unchanged", "data quality figures changed (rows read or quarantined)",
    ]  # fmt: skip
    assert edition_reasons(same, _says("b"), None, FACTS) == [
        "figures unchanged", "the report's wording changed",
    ]  # fmt: skip


def test_configuration_and_code_changes_are_named() -> None:
    class Earlier(dict):
        pass

    earlier = Earlier(as_of=FACTS.as_of, config_sha256="d" * 64, code_version="0.0.9",
                      sources_sha256=json.dumps(FACTS.sources_sha256))  # fmt: skip
    assert revision_reasons(earlier, FACTS) == [
        "configuration changed",  # the earlier run recorded no settings to say which
        "code changed (version 0.0.9 to 0.1.0+abc)",
    ]


SOURCES = {"police.crimes.parquet": "1" * 64, "cps.hearings.parquet": "h" * 64}
ROWS = {"police.crimes": 1240, "cps.hearings": 28118}
SETTINGS = {"measures": {"R6-UPDATE": {"target": 0.9}}, "disclosure": {"threshold": 5}}
NOVEMBER = RunFacts(dt.date(2026, 11, 20), "c" * 64, "0.1.0", SOURCES, ROWS, SETTINGS)


def _circulated_then_rerun(warehouse, facts: RunFacts) -> list[str]:
    """Version 1 made from ``NOVEMBER`` and circulated, then a rerun made from ``facts`` with
    other figures: the revision's reasons."""
    start(warehouse, "run-1", NOVEMBER)
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64, NOVEMBER)
    circulate(warehouse, "run-1", 1)
    start(warehouse, "run-2", facts)
    plan = finish(warehouse, "run-2", metrics_frame(("R6-UPDATE", 38, 29)), "b" * 64, facts)
    assert plan.label == "Revision 1 (version 2)"
    return plan.reasons


def test_an_earlier_data_date_on_the_same_sources_is_said_so(warehouse):
    # The case: version 1 as of 20 November, a rerun as of 10 October whose source
    # tables read the same: the date is earlier and no source changed.
    october = replace(NOVEMBER, as_of=dt.date(2026, 10, 10))
    assert _circulated_then_rerun(warehouse, october) == [
        "an earlier data date: as of 10 October 2026 (was 20 November 2026)",
        "no source table differs",
    ]


def test_an_earlier_data_date_names_the_tables_read_differently_with_their_rows(warehouse):
    october = replace(
        NOVEMBER, as_of=dt.date(2026, 10, 10),
        sources_sha256={**SOURCES, "police.crimes.parquet": "2" * 64},
        source_rows={**ROWS, "police.crimes": 1105},
    )  # fmt: skip
    assert _circulated_then_rerun(warehouse, october) == [
        "an earlier data date: as of 10 October 2026 (was 20 November 2026)",
        "1 of 2 source tables differ as read to that date: police crimes 1,105 rows (was 1,240)",
    ]


def test_the_same_data_date_with_other_source_tables_is_late_or_corrected_data(warehouse):
    corrected = replace(
        NOVEMBER,
        sources_sha256={"police.crimes.parquet": "2" * 64, "cps.hearings.parquet": "i" * 64},
        source_rows={**ROWS, "cps.hearings": 28131},
    )  # fmt: skip
    # the table with more rows changed first; the other has the same rows, other values
    assert _circulated_then_rerun(warehouse, corrected) == [
        "late or corrected source data in 2 of 2 tables: CPS hearings 28,131 rows (was 28,118); "
        "police crimes (the same 1,240 rows, values changed)",
    ]


def test_a_configuration_change_names_the_sections_that_changed(warehouse):
    stricter = replace(
        NOVEMBER, config_sha256="d" * 64,
        settings={**SETTINGS, "measures": {"R6-UPDATE": {"target": 0.95}}},
    )  # fmt: skip
    assert _circulated_then_rerun(warehouse, stricter) == ["configuration changed (measures)"]


def test_changed_headlines_keep_suppressed_figures_suppressed() -> None:
    before = metrics_frame(("R6-UPDATE", 20, 15), ("R7-VPS", 3, 1))
    after = metrics_frame(("R6-UPDATE", 20, 17), ("R7-VPS", 4, 2))
    # 17 met of 20 leaves 3 not met (< 5): the rate is hidden now; R7-VPS's eligible is small
    assert changed_headlines(before, after, threshold=5) == [
        "R6-UPDATE (police): rate 75.0% to [c]"
    ]


def test_changed_headlines_name_the_agency_and_separate_thousands():
    # R12-ACK is reported once per source: each changed row is named with its own agency.
    def complaints(police: tuple[int, int], cps: tuple[int, int]):
        frame = metrics_frame(("R12-ACK", *police), ("R12-ACK", *cps))
        return frame.assign(agency=["police", "cps"])

    before = complaints((1240, 1200), (40, 30))
    after = complaints((1250, 1200), (40, 30))
    # 1200/1240 = 96.8% to 1200/1250 = 96.0%; the CPS row did not change
    assert changed_headlines(before, after, threshold=5) == [
        "R12-ACK (police): eligible 1,240 to 1,250; rate 96.8% to 96.0%"
    ]
