"""Where a run's report is now, and whether its process still lives: what ``vcc history`` and
``vcc show`` say about runs beyond the warehouse's rows.

A run's outputs live in ``<out>/.<quarter>-<run id>/`` while ``<out>/<quarter>`` leads to them;
once a later run replaces them, its PDF is kept with its manifest and snapshots in
``<out>/archive/<run id>/`` (``flows.run.outputs._archive``), its SHA-256 in that manifest. So
a report that was approved or circulated is never lost to a rerun, and can be named.

A run recorded as ``running`` whose process is gone (killed: SIGKILL, a power cut) is *dead*,
not running: on this host its pid no longer lives (or is another process, started after it)."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ARCHIVE = "archive"


@dataclass(frozen=True)
class ReportFile:
    path: Path
    sha256: str
    current: bool  # the quarter's published report (else kept in the archive)
    superseded_by: str | None  # the run now published for the quarter, when not this one


def report_file(output_root: Path | None, run: dict[str, Any]) -> ReportFile | None:
    """Where ``run``'s PDF is now, with its SHA-256 (from its manifest); None when the run made
    none or the file is gone."""
    manifest = json.loads(run["manifest"]) if run.get("manifest") else {}
    outputs = manifest.get("outputs") or {}
    if output_root is None or not outputs.get("report"):
        return None
    name = Path(outputs["report"]).name
    sha = (outputs.get("checksums") or {}).get(name, "")
    final = output_root / run["quarter"]
    published = _published_run(final)
    if published == run["run_id"]:
        return ReportFile(final / name, sha, True, None)
    kept = output_root / ARCHIVE / run["run_id"] / name
    if kept.is_file():
        return ReportFile(kept, sha, False, published)
    return None


def _published_run(final: Path) -> str | None:
    try:
        manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
        return str(manifest["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run_state(run: dict[str, Any]) -> str:
    """``run``'s status in words: a ``running`` run whose process is gone is ``dead``, with its
    pid (its quarter's lock, if it still holds it, is taken over by the next operation)."""
    if run["status"] != "running" or run.get("host") != socket.gethostname():
        return str(run["status"])
    if _alive_since(int(run["pid"]), run["started_at"].timestamp()):
        return "running"
    return f"dead (pid {run['pid']} is gone)"


def _alive_since(pid: int, started_at: float) -> bool:
    """Whether process ``pid`` lives and began no later than ``started_at`` (a pid is reused)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    began = _process_start(pid)
    return began is None or began <= started_at + 1


def _process_start(pid: int) -> float | None:
    """When process ``pid`` began (seconds since the epoch), from Linux's /proc; else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")
