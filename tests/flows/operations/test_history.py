"""``vcc history`` and ``vcc show`` as text: a terminal's width, stages in the order they ran."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from tests.flows.warehouse.records import FACTS, QUARTER, circulate, finish, metrics_frame, start
from vcc.flows.operations.history import WIDTH, history_text, ordered_timings, show_text
from vcc.flows.warehouse.store import Warehouse, default_url
from vcc.flows.warehouse.tables import approvals


def test_no_line_of_the_history_is_longer_than_100_characters(tmp_path):
    warehouse = Warehouse(default_url(tmp_path))
    start(warehouse, "run-1")
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    circulate(warehouse, "run-1", 1)
    reason = (
        "source police: table crimes: column crime_ref is missing; the extract read 0 of the "
        "19 tables it was asked for, so nothing was measured and the last report stands"
    )
    start(warehouse, "run-2")
    warehouse.fail_run("run-2", QUARTER, reason)
    text = history_text(warehouse, QUARTER)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH == 100
    # the reason is not lost: it follows its run, indented, wrapped at words
    failed = next(n for n, line in enumerate(lines) if line.startswith("run-2 "))
    assert lines[failed + 1].startswith("    why it failed: source police: table crimes:")
    assert " ".join(line.strip() for line in lines[failed + 1 : failed + 3]) == (
        f"why it failed: {reason}"
    )
    version = next(n for n, line in enumerate(lines) if "First issue (version 1)" in line)
    assert lines[version + 1] == "    why: first issue"  # not approved: no approver's line
    assert "1 recipient(s)" in lines[version] and FACTS.as_of.isoformat() in text


def test_timings_are_listed_in_the_order_the_stages_ran_with_the_total_last():
    # the warehouse keeps the manifest with its keys sorted: "total" between "render" and
    # "validate"
    stored = {"extract": 7.3, "measures": 2.2, "outputs": 16.7, "render": 10.0, "total": 31.9,
              "validate": 5.7}  # fmt: skip
    assert [stage for stage, _ in ordered_timings(stored)] == [
        "extract", "validate", "measures", "render", "outputs", "total",
    ]  # fmt: skip


def test_an_approved_versions_notes_name_its_open_release(tmp_path) -> None:
    warehouse = Warehouse(default_url(tmp_path))
    start(warehouse, "run-1")
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    with warehouse.transaction() as connection:  # as `vcc approve` records it
        connection.execute(
            insert(approvals).values(
                quarter=QUARTER, version=1, run_id="run-1", pdf_sha256="p" + "a" * 63,
                release_sha256="0123456789abcdef" + "f" * 48, approved_by="Head of Service",
                approved_at=dt.datetime(2024, 10, 20, 9, 0), note=None,
            )
        )  # fmt: skip
    lines = history_text(warehouse, QUARTER).splitlines()
    version = next(n for n, line in enumerate(lines) if "First issue (version 1)" in line)
    assert "approved" in lines[version] and "not approved" not in lines[version]
    assert lines[version + 1 : version + 4] == [
        "    approved by Head of Service",
        "    with its open release, checksum 0123456789abcdef…",
        "    why: first issue",
    ]


def test_show_names_the_runs_open_release_by_its_checksum(tmp_path) -> None:
    warehouse = Warehouse(default_url(tmp_path))
    start(warehouse, "run-1")
    sums = "5" * 64  # the SHA-256 of release/SHA256SUMS, as the manifest lists it
    checksums = {"metrics.csv": "1" * 64, "release/SHA256SUMS": sums}
    finish(warehouse, "run-1", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64, checksums=checksums)
    lines = show_text(warehouse, "run-1").splitlines()
    assert f"Open release   release/, checksum {sums} (the SHA-256 of its SHA256SUMS)" in lines
    start(warehouse, "run-2")  # a run without a release says nothing of one
    finish(warehouse, "run-2", metrics_frame(("R6-UPDATE", 40, 30)), "a" * 64)
    assert not any(
        line.startswith("Open release") for line in show_text(warehouse, "run-2").splitlines()
    )
