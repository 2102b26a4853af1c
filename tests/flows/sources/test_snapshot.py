"""Snapshots (snapshot.py): a run's extract written as Parquet, reloaded, and checked against the
checksums its manifest recorded."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES
from tests.flows.sources.probation import (
    files_source,
    probation_folder,
)
from vcc.flows.errors import SourceError
from vcc.flows.sources.extract import RawTable, extract_source
from vcc.transforms.schema import CANONICAL

GOLDEN_DATA = FIXTURES / "golden" / "data"


def write_run(raw: dict, out: Path, run_id: str, quarter: str = "2024Q2") -> Path:
    """The snapshots and the manifest entries of a run, as flows/run/outputs.py writes them."""
    from vcc.flows.checksums import sha256
    from vcc.flows.sources.snapshot import snapshot_frame

    folder = out / quarter
    (folder / "snapshots").mkdir(parents=True)
    checksums = {}
    for source, tables in raw.items():
        for table, raw_table in tables.items():
            path = folder / "snapshots" / f"{source}.{table}.parquet"
            snapshot_frame(raw_table.frame).to_parquet(path, index=False)
            checksums[path.name] = sha256(path)
    manifest = {
        "run_id": run_id,
        "quarter": quarter,
        "configuration": {
            "sources": {
                name: {"kind": "files", "tables": {t: r.origin for t, r in tables.items()}}
                for name, tables in raw.items()
            }
        },
        "snapshots": checksums,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def measured(raw: dict, config) -> tuple[dict, pd.DataFrame]:
    """extract -> coerce -> validate -> every instance of every measure, as the flow runs them."""
    from vcc.flows.sources.coerce import coerce_source
    from vcc.flows.sources.validate import validate_sources
    from vcc.transforms.calendar import WorkingDayCalendar
    from vcc.transforms.measures import Deadline, compute_instances

    typed, problems = {}, {}
    for name, tables in raw.items():
        for table, (frame, found) in coerce_source(tables, config.sources[name], name).items():
            typed[(name, table)], problems[(name, table)] = frame, found
    outcome = validate_sources(
        typed, problems, extracted_at=dt.datetime(2025, 1, 8, 18), districts=config.districts
    )
    deadlines = {
        measure: Deadline(settings.deadline_standard, settings.deadline_enhanced)
        for measure, settings in config.measures.items()
    }
    calendar = WorkingDayCalendar(config.calendar.extra_holidays)
    instances = compute_instances(outcome.accepted, dt.date(2025, 1, 8), deadlines, calendar)
    return typed, instances


@pytest.mark.slow
def test_a_snapshot_reproduces_the_run_it_was_taken_from(tmp_path: Path) -> None:
    from vcc.flows.config import load_config
    from vcc.flows.sources.snapshot import load_snapshot

    config = load_config(GOLDEN_DATA / "vcc.toml")
    raw = {name: extract_source(name, source) for name, source in config.sources.items()}
    write_run(raw, tmp_path / "out", "20250108T180000-abc")

    reloaded, manifest = load_snapshot(tmp_path / "out", "20250108T180000-abc")

    assert manifest["run_id"] == "20250108T180000-abc"
    assert {s: set(t) for s, t in reloaded.items()} == {s: set(t) for s, t in raw.items()}
    crimes = reloaded["police"]["crimes"]
    assert crimes.origin.endswith(
        f"snapshot of run 20250108T180000-abc; read from {raw['police']['crimes'].origin})"
    )
    typed, instances = measured(raw, config)
    typed_again, instances_again = measured(reloaded, config)
    for key, frame in typed.items():
        pd.testing.assert_frame_equal(typed_again[key], frame, obj=".".join(key))
    assert len(instances) > 1000
    pd.testing.assert_frame_equal(instances_again, instances)


def test_typed_values_survive_the_snapshot_as_text(tmp_path: Path, probation_db: Path) -> None:
    """Values a database, a workbook or a Parquet file gives typed: times (with and without a
    zone), flags, whole numbers with gaps, numbers and mixed cells."""
    from vcc.flows.sources.coerce import coerce_table
    from vcc.flows.sources.snapshot import load_snapshot

    frames = {
        "vcs_referrals": pd.DataFrame(
            {
                "referral_id": ["P1", "P2", "P3"],
                "urn": [1001, 1002.0, "U3"],  # mixed cells, as a workbook gives them
                "victim_id": ["V1", "V2", None],
                "referred_at": pd.to_datetime(
                    ["2024-03-31T00:59:59Z", "2024-10-27T01:30:00Z", None]
                ).as_unit("us"),
                "first_contact_at": [dt.datetime(2024, 4, 1, 9, 0, 0, 123456), None, "x"],
                "opted_in": pd.array([True, None, False], dtype="object"),
            }
        ),
        "release_notifications": pd.DataFrame(
            {
                "urn": ["U1", "U2"],
                "victim_id": ["V1", "V2"],
                "release_at": pd.to_datetime(
                    ["2024-08-18 08:47:28.5", "2024-01-01"], format="ISO8601"
                ),
                "notified_at": [float("nan"), 1.5],  # not a time: unparseable both ways
            }
        ),
    }
    raw = {"probation": {t: RawTable("probation", t, f, "inline") for t, f in frames.items()}}
    write_run(raw, tmp_path / "out", "run-1")

    reloaded, _ = load_snapshot(tmp_path / "out", "run-1")

    for table, original in raw["probation"].items():
        spec = CANONICAL["probation"][table]
        typed, problems = coerce_table(original, spec)
        typed_again, problems_again = coerce_table(reloaded["probation"][table], spec)
        pd.testing.assert_frame_equal(typed_again, typed)
        pd.testing.assert_frame_equal(problems_again, problems)


def test_a_changed_snapshot_is_named(tmp_path: Path) -> None:
    raw = {"probation": extract_source("probation", files_source(probation_folder(tmp_path)))}
    folder = write_run(raw, tmp_path / "out", "run-1")
    changed = folder / "snapshots" / "probation.vcs_referrals.parquet"
    pd.read_parquet(changed).head(1).to_parquet(changed, index=False)

    from vcc.flows.sources.snapshot import load_snapshot

    with pytest.raises(SourceError) as error:
        load_snapshot(tmp_path / "out", "run-1")

    assert str(error.value) == (
        f"run run-1: snapshot {changed} does not match its SHA-256 in {folder / 'manifest.json'} "
        "(it has changed since the run)"
    )


def test_a_missing_snapshot_is_named(tmp_path: Path) -> None:
    raw = {"probation": extract_source("probation", files_source(probation_folder(tmp_path)))}
    folder = write_run(raw, tmp_path / "out", "run-1")
    (folder / "snapshots" / "probation.release_notifications.parquet").unlink()

    from vcc.flows.sources.snapshot import load_snapshot

    with pytest.raises(
        SourceError,
        match=r"^run run-1: snapshot .*/2024Q2/snapshots/"
        r"probation.release_notifications.parquet is missing$",
    ):
        load_snapshot(tmp_path / "out", "run-1")


def test_snapshots_are_found_for_an_archived_run(tmp_path: Path) -> None:
    raw = {"probation": extract_source("probation", files_source(probation_folder(tmp_path)))}
    write_run(raw, tmp_path / "out" / "2024Q2" / "runs", "old-run")
    write_run(raw, tmp_path / "out", "new-run")
    (tmp_path / "out" / ".staging-2024Q2-x").mkdir()
    write_run(raw, tmp_path / "out" / ".staging-2024Q2-x", "half-written")

    from vcc.flows.sources.snapshot import load_snapshot

    reloaded, manifest = load_snapshot(tmp_path / "out", "old-run")
    assert manifest["run_id"] == "old-run"
    assert "/2024Q2/runs/2024Q2/snapshots/" in reloaded["probation"]["vcs_referrals"].origin
    with pytest.raises(SourceError, match=r"^run half-written: no manifest.json under .* is of"):
        load_snapshot(tmp_path / "out", "half-written")
    with pytest.raises(SourceError, match=r"^run other: output folder .*nowhere does not exist$"):
        load_snapshot(tmp_path / "nowhere", "other")
