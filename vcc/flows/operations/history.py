"""What ``vcc history`` and ``vcc show`` print: the warehouse's runs and report versions as text."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from vcc.flows.checksums import CHECKSUMS, RELEASE_FOLDER
from vcc.flows.errors import VccError
from vcc.flows.operations.report_files import report_file, run_state
from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.versions import version_label

WIDTH = 100  # no line of ``vcc history`` is longer: a terminal and an email show it whole
STAGES = ("extract", "validate", "measures", "render", "outputs")  # in run order; total last


def _table(
    header: list[str], rows: list[list[str]], notes: list[list[str]] | None = None
) -> list[str]:
    """Columns aligned; each row's notes (why a run failed; who approved a version and why it
    was made), wrapped under it, indented, so that no line is longer than ``WIDTH``."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for number, row in enumerate([header, *rows]):
        line = "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append(line.rstrip())
        for note in notes[number - 1] if notes and number else []:
            lines += textwrap.wrap(note, WIDTH, initial_indent="    ", subsequent_indent="      ")
    return lines


def ordered_timings(timings: dict[str, float]) -> list[tuple[str, float]]:
    """A run's stage timings in the order the stages ran, any other after them, the total last
    (the warehouse keeps the manifest with its keys sorted)."""

    def place(stage: str) -> tuple[int, int]:
        known = STAGES.index(stage) if stage in STAGES else len(STAGES)
        return (1 if stage == "total" else 0, known)

    return sorted(timings.items(), key=lambda item: place(item[0]))


def _took(run: dict[str, Any]) -> str:
    if run["finished_at"] is None:
        return ""
    return f"{(run['finished_at'] - run['started_at']).total_seconds():.0f} s"


def history_text(warehouse: Warehouse, quarter: str | None, output_root: Path | None = None) -> str:
    """The runs (a killed one shown dead, not running) and report versions; each approved or
    circulated report named where it is kept, with its SHA-256 (``report_files``)."""
    runs = warehouse.list_runs(quarter)
    where = f" for {quarter}" if quarter else ""
    if not runs:
        return f"No runs{where} are recorded in the warehouse {warehouse.shown_url}.\n"
    run_rows = [
        [
            run["run_id"],
            run["quarter"],
            f"{run['as_of']:%Y-%m-%d}",
            run["triggered_by"],
            run_state(run),
            "" if run["version"] is None else str(run["version"]),
            f"{run['started_at']:%Y-%m-%d %H:%M}",
            _took(run),
        ]
        for run in runs
    ]
    failures = [[f"why it failed: {run['error']}"] if run["error"] else [] for run in runs]
    header = ["run", "quarter", "as of", "by", "status", "version", "started", "took"]
    lines = [f"Runs{where} ({len(runs)}):", *_table(header, run_rows, failures), ""]
    approved = warehouse.table("approvals", quarter)
    sent = warehouse.table("circulations", quarter)
    version_rows, whys, kept = [], [], []
    by_id = {run["run_id"]: run for run in runs}
    for version in warehouse.table("report_versions", quarter):
        key = (version["quarter"], version["version"], version["edition"])
        approvals = [a for a in approved if (a["quarter"], a["version"]) == key[:2]]
        recipients = {
            c["recipient"] for c in sent if (c["quarter"], c["version"], c["edition"]) == key
        }
        current = [a for a in approvals if a["pdf_sha256"] == version["pdf_sha256"]]
        made_by = by_id.get(version["run_id"])
        if (current or recipients) and made_by is not None:
            found = report_file(output_root, made_by)
            label = f"{version['quarter']} {version_label(version['version'], version['edition'])}"
            kept.append(
                f"  {label}: {found.path} (SHA-256 {found.sha256[:16]}…)"
                if found
                else f"  {label}: its PDF is not in {output_root} (SHA-256 "
                f"{version['pdf_sha256'][:16]}…)"
            )
        version_rows.append(
            [
                version["quarter"],
                version_label(version["version"], version["edition"]),
                f"{version['created_at']:%Y-%m-%d}",
                "approved" if current else "not approved",
                f"{len(recipients)} recipient(s)" if recipients else "not circulated",
            ]
        )
        approver = [f"approved by {current[-1]['approved_by']}"] if current else []
        release = current[-1].get("release_sha256") if current else None
        if release:
            approver.append(f"with its open release, checksum {release[:16]}…")
        # the run that made it on a note line: a revision's label and a run id side by side
        # would not fit a terminal's 100 characters
        why = "why: " + "; ".join(json.loads(version["reasons"]))
        whys.append([*approver, why, f"made by run {version['run_id']}"])
    if version_rows:
        header = ["quarter", "version", "first produced", "approved", "circulated"]
        lines += [
            f"Report versions ({len(version_rows)}):",
            *_table(header, version_rows, whys),
            "",
        ]
    if kept and output_root is not None:
        lines += ["Approved or circulated reports:", *kept, ""]
    return "\n".join(lines) + "\n"


def _run_record(warehouse: Warehouse, run_id: str) -> dict[str, Any]:
    run = warehouse.run(run_id)
    if run is None:
        raise VccError(f"no run {run_id} in the warehouse {warehouse.shown_url}; "
                       "`vcc history` lists the runs")  # fmt: skip
    return run


def _long_date(day: Any) -> str:
    return f"{day.day} {day:%B %Y}" if hasattr(day, "day") else str(day)


def show_text(warehouse: Warehouse, run_id: str, output_root: Path | None = None) -> str:
    """One run in words: what it reported, how it ended, the report it made (and where it is
    now: a superseded run's is kept in the archive), its source rows, its timings and
    provenance; the manifest itself is ``vcc show --json``."""
    run = _run_record(warehouse, run_id)
    manifest = json.loads(run["manifest"]) if run["manifest"] else {}
    finished = run["finished_at"]
    ended = f", finished {finished:%Y-%m-%d %H:%M} ({_took(run)})" if finished else ""
    lines = [
        f"Run {run['run_id']}: {run['quarter']}, data as of {_long_date(run['as_of'])}",
        f"{'Status':<14} {run_state(run)}, started by {run['triggered_by']} on "
        f"{run['started_at']:%Y-%m-%d %H:%M}{ended}",
    ]
    if run["error"]:
        lines.append(f"{'Why it failed':<14} {run['error']}")
    version = manifest.get("version") or {}
    if version:
        reasons = "; ".join(version.get("reasons", []))
        why = f": {reasons}" if reasons else ""
        lines.append(f"{'Report':<14} {version.get('label', '')}{why}")
    elif run["version"] is not None:
        lines.append(f"{'Report':<14} {version_label(int(run['version']))}")
    outputs = manifest.get("outputs") or {}
    found = report_file(output_root, run)
    if found is not None and found.current:
        lines.append(f"{'':<14} {found.path} (SHA-256 {found.sha256})")
    elif found is not None:
        by = f" by run {found.superseded_by}" if found.superseded_by else ""
        lines.append(f"{'':<14} superseded{by}; this run's report is kept at {found.path} "
                     f"(SHA-256 {found.sha256})")  # fmt: skip
    elif outputs.get("report"):
        lines.append(f"{'':<14} {outputs['report']}")
    release = (outputs.get("checksums") or {}).get(f"{RELEASE_FOLDER}/{CHECKSUMS}")
    if release:
        lines.append(f"{'Open release':<14} {RELEASE_FOLDER}/, checksum {release} "
                     f"(the SHA-256 of its {CHECKSUMS})")  # fmt: skip
    rows = manifest.get("rows") or []
    if rows:
        read = sum(int(r.get("rows_read", 0)) for r in rows)
        quarantined = sum(int(r.get("rows_quarantined", 0)) for r in rows)
        share = f" ({quarantined / read:.1%})" if read else ""
        lines.append(f"{'Source rows':<14} {read:,} read from {len(rows)} tables, "
                     f"{quarantined:,} quarantined{share}")  # fmt: skip
    if manifest.get("from_snapshot"):
        lines.append(f"{'Sources':<14} the snapshots of run {manifest['from_snapshot']}")
    timings = manifest.get("timings_seconds") or {}
    if timings:
        took = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in ordered_timings(timings))
        lines.append(f"{'Timings':<14} {took}")
    if outputs.get("checksums"):
        lines.append(f"{'Outputs':<14} {len(outputs['checksums'])} files, with their SHA-256 in "
                     "the manifest")  # fmt: skip
    lines.append(f"{'Configuration':<14} SHA-256 {run['config_sha256']}")
    lines.append(f"{'Code version':<14} {run['code_version']}")
    if manifest:
        lines += ["", f"The whole manifest: vcc show {run['run_id']} --json"]
    else:
        lines += ["", "No manifest: the run did not finish."]
    return "\n".join(lines) + "\n"


def show_json(warehouse: Warehouse, run_id: str) -> str:
    """The run's manifest, as ``manifest.json`` holds it."""
    run = _run_record(warehouse, run_id)
    if not run["manifest"]:
        raise VccError(f"run {run_id} has no manifest: it did not finish ({run['status']})")
    return json.dumps(json.loads(run["manifest"]), indent=2) + "\n"
