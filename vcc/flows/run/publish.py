"""Publishing a run: its manifest, then one atomic switch of ``<out>/<quarter>`` to the run's
folder inside the warehouse transaction that records it (both change or neither does), the
archive of the outputs it replaces, and ``recover``, which tidies what a killed run left."""

from __future__ import annotations

import json
import os
import platform
import shutil
from collections.abc import Callable
from pathlib import Path

from vcc.flows.checksums import sha256
from vcc.flows.manifest import Manifest
from vcc.flows.private import make_private, private_folder
from vcc.flows.run.outputs import RunOutputs
from vcc.flows.version import code_version
from vcc.flows.warehouse.versions import VersionPlan
from vcc.transforms.quarters import Quarter


def _revised(previous: Path, staging: Path) -> bool | None:
    """Whether this run changes the figures of an earlier run of the same quarter."""
    if not (previous / "metrics.csv").exists():
        return None
    return (previous / "metrics.csv").read_bytes() != (staging / "metrics.csv").read_bytes()


def _manifest(run: RunOutputs, staging: Path, total_seconds: float) -> Manifest:
    counts = run.outcome.table_counts()
    return {
        "run_id": run.run_id,
        "quarter": str(run.quarter),
        "as_of": run.as_of.isoformat(),
        "extracted_at": run.extracted_at.isoformat(timespec="seconds"),
        "triggered_by": run.triggered_by,
        "from_snapshot": run.from_snapshot,
        "code_version": code_version(),
        "victims_code": run.config.code.version,  # the Code's catalogue (CONTRACT.md §6.4)
        "python": platform.python_version(),
        "configuration": {
            "files": run.config.files,
            "sha256": run.config.fingerprint(),
            "settings": json.loads(run.config.model_dump_json(exclude={"files", "sources"})),
            "sources": {
                name: {
                    "kind": source.kind,
                    "timezone": source.timezone,
                    "date_format": source.date_format,
                    "tables": {table: raw.origin for table, raw in run.raw.get(name, {}).items()},
                }
                for name, source in run.config.sources.items()
            },
        },
        "rows": counts.to_dict(orient="records"),
        "snapshots": {
            path.name: sha256(path) for path in sorted((staging / "snapshots").glob("*"))
        },
        "outputs": {
            "report": str(run.final_dir / f"{run.report_name}.pdf"),
            "checksums": {
                str(path.relative_to(staging)): sha256(path)
                for path in sorted(staging.rglob("*"))
                if path.is_file() and path.parent.name != "snapshots"
            },
        },
        "findings": run.findings,
        "timings_seconds": {**run.timer, "total": round(total_seconds, 3)},
        "revised_earlier_figures": _revised(run.final_dir, staging),
    }


def run_folder(output_root: Path, quarter: Quarter | str, run_id: str) -> Path:
    """Where a published run's files live: ``<out>/.<quarter>-<run id>/``, which the link
    ``<out>/<quarter>`` leads to while it is the quarter's current run."""
    return output_root / f".{quarter}-{run_id}"


def publish(staging: Path, run: RunOutputs, plan: VersionPlan, total_seconds: float) -> Manifest:
    """Add the manifest, then, in the warehouse transaction that records the run, switch
    ``<out>/<quarter>`` to the new outputs in one atomic step: both change or neither does, and
    ``<out>/<quarter>`` never goes missing. The outputs it led to are then archived."""
    manifest = _manifest(run, staging, total_seconds)
    manifest["version"] = {
        "number": plan.version, "edition": plan.edition, "label": plan.label,
        "reasons": plan.reasons, "changes": plan.changes,
    }  # fmt: skip
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    def record(switch: Callable[[], None]) -> None:
        run.warehouse.finish_run(
            run.run_id,
            plan,
            run.figures.metrics,
            manifest["outputs"]["checksums"]["metrics.csv"],
            manifest["outputs"]["checksums"][f"{run.report_name}.pdf"],
            run.facts(manifest["snapshots"]),
            manifest,
            publish=switch,
        )

    publish_folder(staging, run.output_root, run.quarter, run.run_id, record)
    return manifest


def publish_folder(
    staging: Path,
    output_root: Path,
    quarter: Quarter | str,
    run_id: str,
    record: Callable[[Callable[[], None]], None],
) -> None:
    """Make the complete ``staging`` folder the quarter's current outputs: ``record(switch)``
    records the run in one transaction and calls ``switch`` inside it, before committing. The
    switch renames ``staging`` to the run's folder, then replaces the link ``<out>/<quarter>``
    in one atomic rename; if recording fails the link leads back to the previous outputs. Those
    are archived once the run is recorded (if that fails, by the next run's ``recover``)."""
    final = output_root / str(quarter)
    folder = run_folder(output_root, quarter, run_id)
    previous: list[Path] = []

    def switch() -> None:
        os.replace(staging, folder)  # complete: named as a run's folder, not yet current
        previous.extend(_current(final, str(quarter)))
        _point(final, folder)  # the one step that publishes

    try:
        record(switch)
    except BaseException:
        _unpublish(final, folder, previous)
        raise
    for retired in previous:  # the run is published and recorded: tidying may wait
        try:
            _archive(retired, output_root / "archive")
            shutil.rmtree(retired, ignore_errors=True)
        except OSError:
            pass  # left for the next run's ``recover`` to archive


def _point(final: Path, folder: Path) -> None:
    """Make ``final`` a link to ``folder`` (beside it) in one step: a new link renamed over the
    old one, which ``rename(2)`` does atomically."""
    link = final.parent / f".link-{final.name}-{folder.name}"
    link.unlink(missing_ok=True)
    os.symlink(folder.name, link)
    os.replace(link, final)


def _current(final: Path, quarter: str) -> list[Path]:
    """The run folder ``final`` leads to now (none before a quarter's first run). Outputs an
    older vcc left as a real folder first become a run folder of their own, so the switch can
    replace a link: a kill in between leaves no ``final``, and ``recover`` puts it back."""
    if final.is_symlink():
        return [final.parent / os.readlink(final)]
    if not final.is_dir():
        return []
    folder = run_folder(final.parent, quarter, _run_id_of(final) or "earlier")
    os.replace(final, folder)
    try:
        _point(final, folder)
    except BaseException:
        os.replace(folder, final)
        raise
    return [folder]


def _unpublish(final: Path, folder: Path, previous: list[Path]) -> None:
    """Undo a publication whose recording failed: ``final`` leads back to what it led to."""
    if final.is_symlink() and os.readlink(final) == folder.name:
        if previous:
            _point(final, previous[0])
        else:
            final.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    (final.parent / f".link-{final.name}-{folder.name}").unlink(missing_ok=True)


def _run_id_of(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _archive(retired: Path, archive: Path) -> None:
    """Keep a replaced run's manifest and snapshots, so that its figures stay reproducible
    (``vcc run --from-snapshot RUN_ID``), and its report: a PDF that was approved or circulated
    is a record (its SHA-256 is in the manifest; ``vcc show`` and ``vcc history`` name it)."""
    manifest = retired / "manifest.json"
    if not manifest.exists():
        return
    run_id = json.loads(manifest.read_text(encoding="utf-8"))["run_id"]
    kept = private_folder(private_folder(archive) / run_id)
    if (retired / "snapshots").exists():
        os.replace(retired / "snapshots", kept / "snapshots")
    for report in retired.glob("*.pdf"):
        os.replace(report, kept / report.name)
    # the manifest last: while the retired folder has it, it still has something to archive
    os.replace(manifest, kept / "manifest.json")
    make_private(kept)  # case data: owner-only (flows.private)


def recover(
    output_root: Path, quarter: Quarter, unfinished: Callable[[str], bool] = lambda run_id: False
) -> list[str]:
    """Tidy what a killed run of ``quarter`` left behind; call it holding the quarter's lock.
    ``unfinished(run_id)``: the warehouse knows the run and it did not succeed.

    A staging folder or a half-made link is removed. If ``<out>/<quarter>`` is missing (a kill
    while an older vcc's folder became a run folder) or leads to an unfinished run (a kill after
    the switch, before the warehouse recorded it), it is led back to the newest other run folder.
    Run folders it does not lead to are removed if unfinished, else archived."""
    done = []
    leftovers = [
        *output_root.glob(f".staging-{quarter}-*"),
        *output_root.glob(f".link-{quarter}-*"),
    ]
    for leftover in sorted(leftovers):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        done.append(f"removed the half-made {leftover.name}")
    final = output_root / str(quarter)
    folders = sorted(path for path in output_root.glob(f".{quarter}-*") if path.is_dir())
    finished = [f for f in folders if not unfinished(_run_id_of(f) or "")]
    current = (final.parent / os.readlink(final)) if final.is_symlink() else None
    if not final.is_dir() or (current is not None and current not in finished):
        if finished:
            _point(final, finished[-1])
            current = finished[-1]
            done.append(f"restored the previous outputs from {current.name}")
        elif final.is_symlink():
            final.unlink()
            current = None
    for folder in folders:
        if folder == current:
            continue
        if folder in finished:
            _archive(folder, output_root / "archive")
            done.append(f"archived {folder.name}")
        else:
            done.append(f"removed {folder.name}, never recorded")
        shutil.rmtree(folder, ignore_errors=True)
    return done
