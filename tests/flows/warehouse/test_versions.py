"""The version policy (README "Reruns and revisions"): the same figures keep their version, an
uncirculated draft is replaced, changed figures after circulation are a revision that says why and
what changed. On SQLite and PostgreSQL; figures are small hand-made metrics tables; no Prefect."""

from __future__ import annotations

import datetime as dt
import json

from tests.flows.warehouse.records import (
    FACTS,
    QUARTER,
    circulate,
    finish,
    metrics_frame,
    start,
)
from vcc.flows.warehouse.versions import RunFacts, changed_headlines, revision_reasons


def test_same_figures_keep_the_version_and_a_draft_is_replaced_not_revised(warehouse):
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


def test_changed_figures_after_circulation_are_a_revision_saying_why(warehouse):
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
        "late or corrected source data (police)",
    ]
    # 30/40 = 75.0% to 36/44 = 81.8%; R9-OUTCOME's 8 of 8 hides met (not met 0 < 5) both times
    assert plan.changes == ["R6-UPDATE: eligible 40 to 44; rate 75.0% to 81.8%"]
    assert [(r.version, r.reasons) for r in plan.revisions] == [(2, plan.reasons)]
    assert [v["version"] for v in warehouse.table("report_versions", QUARTER)] == [1, 2]


def test_configuration_and_code_changes_are_named():
    class Earlier(dict):
        pass

    earlier = Earlier(as_of=FACTS.as_of, config_sha256="d" * 64, code_version="0.0.9",
                      sources_sha256=json.dumps(FACTS.sources_sha256))  # fmt: skip
    assert revision_reasons(earlier, FACTS) == [
        "configuration change",
        "code change (0.0.9 to 0.1.0+abc)",
    ]


def test_changed_headlines_keep_suppressed_figures_suppressed():
    before = metrics_frame(("R6-UPDATE", 20, 15), ("R7-VPS", 3, 1))
    after = metrics_frame(("R6-UPDATE", 20, 17), ("R7-VPS", 4, 2))
    # 17 met of 20 leaves 3 not met (< 5): the rate is hidden now; R7-VPS's eligible is small
    assert changed_headlines(before, after, threshold=5) == ["R6-UPDATE: rate 75.0% to [c]"]
