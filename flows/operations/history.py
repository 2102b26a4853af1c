"""What ``vcc history`` and ``vcc show`` print: the warehouse's runs and report versions as text."""

from __future__ import annotations

import json
from typing import Any

from vcc.flows.errors import VccError
from vcc.flows.warehouse.store import Warehouse


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in [header, *rows]]  # fmt: skip
    return [line.rstrip() for line in lines]


def _took(run: dict[str, Any]) -> str:
    if run["finished_at"] is None:
        return ""
    return f"{(run['finished_at'] - run['started_at']).total_seconds():.0f} s"


def history_text(warehouse: Warehouse, quarter: str | None) -> str:
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
            run["status"],
            "" if run["version"] is None else str(run["version"]),
            f"{run['started_at']:%Y-%m-%d %H:%M}",
            _took(run),
            run["error"] or "",
        ]
        for run in runs
    ]
    header = ["run", "quarter", "as of", "by", "status", "version", "started", "took", "reason"]
    lines = [f"Runs{where} ({len(runs)}):", *_table(header, run_rows), ""]
    approved = warehouse.table("approvals", quarter)
    sent = warehouse.table("circulations", quarter)
    version_rows = []
    for version in warehouse.table("report_versions", quarter):
        key = (version["quarter"], version["version"])
        approvals = [a for a in approved if (a["quarter"], a["version"]) == key]
        recipients = {c["recipient"] for c in sent if (c["quarter"], c["version"]) == key}
        current = [a for a in approvals if a["pdf_sha256"] == version["pdf_sha256"]]
        version_rows.append(
            [
                version["quarter"],
                "First issue" if version["version"] == 1 else f"Revision {version['version'] - 1}",
                str(version["version"]),
                version["run_id"],
                f"{version['created_at']:%Y-%m-%d}",
                current[-1]["approved_by"] if current else "not approved",
                f"{len(recipients)} recipient(s)" if recipients else "not circulated",
                "; ".join(json.loads(version["reasons"])),
            ]
        )
    if version_rows:
        header = [
            "quarter",
            "issue",
            "version",
            "run",
            "first produced",
            "approved",
            "circulated",
            "why",
        ]
        lines += [f"Report versions ({len(version_rows)}):", *_table(header, version_rows), ""]
    return "\n".join(lines) + "\n"


def show_text(warehouse: Warehouse, run_id: str) -> str:
    run = warehouse.run(run_id)
    if run is None:
        raise VccError(f"no run {run_id} in the warehouse {warehouse.shown_url}; "
                       "`vcc history` lists the runs")  # fmt: skip
    fields = ["run_id", "quarter", "as_of", "triggered_by", "status", "version", "started_at",
              "finished_at", "config_sha256", "code_version", "error"]  # fmt: skip
    lines = [f"{name:<14} {'' if run[name] is None else run[name]}" for name in fields]
    lines.append(f"{'parameters':<14} {run['parameters']}")
    if run["manifest"]:
        lines += ["", "Manifest:", json.dumps(json.loads(run["manifest"]), indent=2)]
    else:
        lines += ["", "No manifest: the run did not finish."]
    return "\n".join(lines) + "\n"
