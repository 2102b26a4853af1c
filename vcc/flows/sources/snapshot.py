"""Reload the source snapshots of an earlier run, so that its figures can be reproduced from exactly
the data they came from (``vcc run --from-snapshot RUN_ID``).

A run writes each table it extracted to ``snapshots/<source>.<table>.parquet`` as text,
``snapshot_frame(raw.frame)``: each value as the text coercion reads it
(``flows.sources.coerce.as_text``:
a time in ISO 8601 with its offset if it has one, a whole number from a column with gaps without
``.0``), empty as null. It records each file's SHA-256 in its ``manifest.json``
(``flows/run/outputs.py``). Coercion reads that text exactly as it read the values first given
(a time, a flag, a number), so the reloaded tables type, validate and measure as the originals
did.

Where a run's files are: the manifest whose ``run_id`` is the run's, anywhere under the output
folder (``<out>/<quarter>/manifest.json``, or an archived copy deeper down), leaving out folders
whose names start with a dot (runs being written or retired). Its snapshots are in the folder the
manifest names as ``snapshot_dir`` (relative to the manifest's folder), else in
``snapshots/<run id>/`` beside it if that exists, else in ``snapshots/`` beside it. Every file the
manifest lists must be there with its checksum: a missing or changed file is an error naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow

from vcc.flows.checksums import sha256
from vcc.flows.errors import SourceError
from vcc.flows.sources.coerce import as_text
from vcc.flows.sources.extract import RawTable
from vcc.transforms import schema

MANIFEST = "manifest.json"


def load_snapshot(
    output_root: Path, run_id: str
) -> tuple[dict[str, dict[str, RawTable]], dict[str, Any]]:
    """(source -> table -> RawTable, the run's manifest), every file checked against its
    SHA-256 first. The frames hold text; ``flows.sources.coerce`` types them as it typed the
    originals."""
    manifest_path = find_manifest(output_root, run_id)
    manifest = _read_manifest(manifest_path)
    listed = manifest.get("snapshots")
    if not isinstance(listed, dict) or not listed:
        raise SourceError(f"run {run_id}: {manifest_path} lists no snapshots")
    folder = snapshot_folder(manifest_path, manifest)
    origins = _origins(manifest)
    raw: dict[str, dict[str, RawTable]] = {}
    for name, checksum in sorted(listed.items()):
        source, table = _table_of(name, run_id, manifest_path)
        path = folder / name
        if not path.is_file():
            raise SourceError(f"run {run_id}: snapshot {path} is missing")
        if sha256(path) != checksum:
            raise SourceError(
                f"run {run_id}: snapshot {path} does not match its SHA-256 in {manifest_path} "
                "(it has changed since the run)"
            )
        frame = _read(path, run_id, schema.CANONICAL[source][table])
        origin = f"{path} (snapshot of run {run_id}"
        origin += f"; read from {origins[(source, table)]})" if (source, table) in origins else ")"
        raw.setdefault(source, {})[table] = RawTable(source, table, frame, origin)
    return raw, manifest


def snapshot_as_of(output_root: Path, run_id: str) -> dt.date:
    """The as-of date of an earlier run, whose snapshots hold its sources up to that day."""
    manifest_path = find_manifest(output_root, run_id)
    try:
        return dt.date.fromisoformat(str(_read_manifest(manifest_path)["as_of"]))
    except (KeyError, ValueError):
        raise SourceError(f"run {run_id}: {manifest_path} has no valid as_of date") from None


def snapshot_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A raw frame as the text its snapshot holds (``raw.frame`` itself is not changed)."""
    return pd.DataFrame({column: as_text(frame[column]) for column in frame.columns})


def find_manifest(output_root: Path, run_id: str) -> Path:
    """The manifest of run ``run_id`` under ``output_root`` (see the module docstring)."""
    if not output_root.is_dir():
        raise SourceError(f"run {run_id}: output folder {output_root} does not exist")
    published = sorted(output_root.glob(f"*/{MANIFEST}"))
    archived = sorted(set(output_root.rglob(MANIFEST)) - set(published))
    for path in published + archived:
        hidden = any(part.startswith(".") for part in path.relative_to(output_root).parts)
        if not hidden and _run_id_of(path) == run_id:
            return path
    raise SourceError(f"run {run_id}: no manifest.json under {output_root} is of that run")


def snapshot_folder(manifest_path: Path, manifest: dict[str, Any]) -> Path:
    beside = manifest_path.parent
    if isinstance(manifest.get("snapshot_dir"), str):
        return beside / manifest["snapshot_dir"]
    own = beside / "snapshots" / str(manifest.get("run_id"))
    return own if own.is_dir() else beside / "snapshots"


def _run_id_of(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("run_id")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None  # not a manifest we can read: not the one asked for


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SourceError(f"{path} cannot be read: {error}") from None
    if not isinstance(manifest, dict):
        raise SourceError(f"{path} is not a run manifest")
    return manifest


def _table_of(name: str, run_id: str, manifest_path: Path) -> tuple[str, str]:
    source, _, rest = name.partition(".")
    table = rest.removesuffix(".parquet")
    if rest == table or table not in schema.CANONICAL.get(source, {}):
        raise SourceError(
            f"run {run_id}: {manifest_path} lists {name}, not a snapshot of a canonical table"
        )
    return source, table


def _origins(manifest: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Where each table was first read from, as the manifest recorded it."""
    sources = manifest.get("configuration", {}).get("sources", {})
    return {
        (source, table): str(origin)
        for source, recorded in sources.items()
        if isinstance(recorded, dict)
        for table, origin in recorded.get("tables", {}).items()
    }


def _read(path: Path, run_id: str, table: schema.Table) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0]
        raise SourceError(f"run {run_id}: snapshot {path} cannot be read ({reason})") from None
    if list(frame.columns) != table.column_names:
        raise SourceError(
            f"run {run_id}: snapshot {path} does not hold the columns of {table.name}"
        )
    return frame.reset_index(drop=True)
