"""The Quality Assessment Framework's dip sample (README "Quality Assessment Framework"): drawn
reproducibly from a published quarter (``vcc sample``), recorded, and written as a case review
pack and review form (``pack.py``).

A sample is drawn from the files of the quarter's published run, ``<out>/<Q>/``: its sources are
reloaded from the run's checked snapshots and validated as the run validated them (so the frame
holds exactly the rows the figures were computed from), and the case timelines are the run's
``instances.parquet``. Nothing here starts Prefect. The sample, its seed and its whole frame are
recorded in the warehouse (``flows/warehouse/reviews.py``) with the run id; the pack (PDF) and form
(XLSX) go to ``<out>/qaf/<Q>/sample-<n>/``, outside the quarter's folder, which a rerun replaces.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import secrets
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.exc import IntegrityError

from vcc.flows.checksums import sha256
from vcc.flows.config import Config
from vcc.flows.errors import VccError
from vcc.flows.private import make_private, private_folder
from vcc.flows.qaf.pack import PackInputs, write_sample_files
from vcc.flows.sources.snapshot import MANIFEST, load_snapshot
from vcc.flows.sources.validate import validate_extract
from vcc.flows.warehouse.reviews import ReviewStore, Sample
from vcc.flows.warehouse.store import Warehouse, open_warehouse
from vcc.transforms.qaf import case_records
from vcc.transforms.quarters import Quarter
from vcc.transforms.sampling import (
    Stratum,
    allocate,
    design_table,
    draw_sample,
    sampling_frame,
    stratum_sizes,
)

QAF_FOLDER = "qaf"
ALLOCATION_RULE = (
    "proportional to stratum size, enhanced strata's shares multiplied by the oversampling "
    "factor, capped at the stratum's size, at least one case per non-empty stratum when the "
    "size allows, largest remainder (ties in stratum order); within a stratum a simple random "
    "sample of its victims sorted by victim_id, numpy Generator(PCG64(seed)), strata in order"
)


class QafError(VccError):
    """A sample cannot be drawn or a form cannot be imported, for a reason the analyst can fix."""


# --- drawing a sample ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleOutcome:
    sample: Sample
    folder: Path
    pack: Path
    form: Path
    design: pd.DataFrame  # transforms.sampling.design_table
    reused: bool  # an identical sample had been drawn before


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def published_run(output_root: Path, quarter: Quarter) -> tuple[Path, dict[str, Any]]:
    """The folder and manifest of the quarter's published run."""
    folder = output_root / str(quarter)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file() or not (folder / "instances.parquet").is_file():
        raise QafError(
            f"{quarter} has no published run in {output_root}: run `vcc run --quarter {quarter}` "
            "first"
        )
    try:
        return folder, json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise QafError(f"{manifest_path} cannot be read: {error}") from None


def accepted_tables(
    config: Config, output_root: Path, run_id: str
) -> dict[tuple[str, str], pd.DataFrame]:
    """The run's sources as its figures saw them: its snapshots (checked against their SHA-256)
    coerced and validated again, the accepted rows of each table."""
    raw, manifest = load_snapshot(output_root, run_id)
    unknown = sorted(set(raw) - set(config.sources))
    if unknown:
        raise QafError(
            f"run {run_id} read the source(s) {', '.join(unknown)}, which the configuration "
            "does not name; use the configuration the run used (--config)"
        )
    extracted_at = dt.datetime.fromisoformat(manifest["extracted_at"])
    outcome = validate_extract(
        raw, config.sources, config.districts, extracted_at, config.validation
    )
    return outcome.accepted


def sample_folder(output_root: Path, quarter: str, number: int) -> Path:
    """Where a sample's pack and form are written: ``<out>/qaf/<Q>/sample-<n>/``."""
    return output_root / QAF_FOLDER / quarter / f"sample-{number}"


@dataclass(frozen=True)
class _Request:
    """Which sample is asked for: of which run, how large, with which seed and oversampling."""

    quarter: Quarter
    run_folder: Path
    run_id: str
    as_of: dt.date
    size: int
    seed: int
    oversampling: float


@dataclass(frozen=True)
class _Draw:
    """A sample drawn from the run's frame, with what its pack and form are written from."""

    frame: pd.DataFrame  # every victim of the frame, with selected, case_number and weight
    frame_size: int
    inputs: PackInputs


def draw_quarter_sample(
    config: Config,
    output_root: Path,
    quarter: Quarter,
    size: int | None = None,
    seed: int | None = None,
    warehouse: Warehouse | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> SampleOutcome:
    """Draw (or find, when drawn before with the same run, seed and design) the quarter's dip
    sample, record it and write its pack and form; ``progress`` hears of each long step.
    Holds the quarter's lock: no run replaces the published run while it is being sampled."""
    store = ReviewStore(warehouse or open_warehouse(config, output_root))
    with store.warehouse.holding(str(quarter), "sample"):
        return _sample(config, output_root, quarter, size, seed, store, progress)


def _sample(
    config: Config,
    output_root: Path,
    quarter: Quarter,
    size: int | None,
    seed: int | None,
    store: ReviewStore,
    progress: Callable[[str], None],
) -> SampleOutcome:
    run_folder, manifest = published_run(output_root, quarter)
    request = _Request(
        quarter, run_folder, str(manifest["run_id"]), dt.date.fromisoformat(manifest["as_of"]),
        size or config.qaf.sample_size, secrets.randbelow(10**9) if seed is None else seed,
        config.qaf.enhanced_oversampling,
    )  # fmt: skip
    earlier = store.find_sample(
        str(quarter), request.run_id, request.seed, request.size, request.oversampling
    )
    if earlier is None:
        number = store.next_number(str(quarter))
        folder = _unused_folder(output_root, quarter, number)
        draw = _draw(config, output_root, request, progress)
        return _record_new(config, store, number, folder, _sample_row(config, request, draw),
                           draw, progress)  # fmt: skip
    pack, form = _paths(output_root, earlier)
    if pack.is_file() and form.is_file():
        return SampleOutcome(earlier, pack.parent, pack, form, _stored_design(earlier), True)
    draw = _draw(config, output_root, request, progress)
    return _write_lost_files(config, store, earlier, pack, form, draw, progress)


def _unused_folder(output_root: Path, quarter: Quarter, number: int) -> Path:
    """The folder a new sample's files go to, refused if another warehouse's sample is there."""
    folder = sample_folder(output_root, str(quarter), number)
    if folder.is_dir() and any(folder.iterdir()):
        raise QafError(
            f"{folder} already holds the files of another sample {quarter}-{number} (from "
            "another warehouse?); move them away, then run vcc sample again"
        )
    return folder


def _draw(
    config: Config, output_root: Path, request: _Request, progress: Callable[[str], None]
) -> _Draw:
    """The run's frame, as its figures saw it, and the sample drawn from it (transforms.sampling),
    with each sampled case's records."""
    quarter, size, seed = request.quarter, request.size, request.seed
    progress(f"reading run {request.run_id}'s snapshot and validating it again")
    tables = accepted_tables(config, output_root, request.run_id)
    frame = sampling_frame(tables, quarter, request.as_of)
    if frame.empty:
        raise QafError(f"no victim's case reached the CPS in {quarter}: there is nothing to sample")
    progress(f"drawing {min(size, len(frame))} of {len(frame):,} victims with seed {seed}")
    sizes = stratum_sizes(frame)
    allocation = allocate(sizes, size, request.oversampling)
    drawn = draw_sample(frame, allocation, seed)
    design = design_table(sizes, allocation)
    instances = pd.read_parquet(request.run_folder / "instances.parquet")
    cases = drawn[drawn["selected"]].sort_values("case_number")
    records = case_records(instances, cases).merge(
        cases[["victim_id", "case_number"]], on="victim_id"
    )
    return _Draw(drawn, len(frame), PackInputs(quarter, design, cases, tables, instances, records))


def _sample_row(config: Config, request: _Request, draw: _Draw) -> dict[str, Any]:
    """The warehouse's record of a new sample: what it was drawn from, and how."""
    design = draw.inputs.design
    return {
        "quarter": str(request.quarter),
        "run_id": request.run_id,
        "as_of": request.as_of,
        "seed": request.seed,
        "size_requested": request.size,
        "size": int(draw.frame["selected"].sum()),
        "frame_size": draw.frame_size,
        "oversampling": request.oversampling,
        "design": {
            "frame": "victims owed the Code with a CPS decision, hearing or outcome dated "
            "in the quarter",
            "rule": ALLOCATION_RULE,
            "strata": design[["stratum", "frame", "sample", "weight"]].to_dict("records"),
            "numpy": np.__version__,
        },
        "config_sha256": config.fingerprint(),
        "drawn_at": dt.datetime.now().replace(microsecond=0),
        "drawn_by": current_user(),
    }


def _record_new(
    config: Config,
    store: ReviewStore,
    number: int,
    folder: Path,
    row: dict[str, Any],
    draw: _Draw,
    progress: Callable[[str], None],
) -> SampleOutcome:
    """Write a new sample's pack and form and record it, both or neither: the files are written
    to a hidden folder beside their own and moved into place only once the sample is recorded, so
    an interrupted draw leaves neither a sample without its files nor files without their sample."""
    unsaved = Sample(sample_id=f"{row['quarter']}-{number}", number=number, pack_sha256=None,
                     form_sha256=None, **row)  # fmt: skip
    pack_name, form_name = _file_names(unsaved)
    staging = private_folder(folder.parent / f".staging-{folder.name}-{uuid.uuid4().hex[:8]}")
    try:
        pack, form = staging / pack_name, staging / form_name
        write_sample_files(pack, form, config, unsaved, draw.inputs, progress)
        make_private(staging)  # case data: owner-only (flows.private)
        row |= {"pack_sha256": sha256(pack), "form_sha256": sha256(form)}
        sample = _save_sample(store, number, row, draw.frame, draw.inputs.records)
        if folder.is_dir():
            folder.rmdir()  # empty: checked before drawing
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SampleOutcome(
        sample, folder, folder / pack_name, folder / form_name, draw.inputs.design, False
    )


def _write_lost_files(
    config: Config,
    store: ReviewStore,
    earlier: Sample,
    pack: Path,
    form: Path,
    draw: _Draw,
    progress: Callable[[str], None],
) -> SampleOutcome:
    """A sample drawn before whose files have since been lost: the same cases, written again."""
    _check_same_cases(earlier, store, draw.frame)
    private_folder(pack.parent)
    write_sample_files(pack, form, config, earlier, draw.inputs, progress)
    make_private(pack.parent)
    store.set_files(earlier.sample_id, sha256(pack), sha256(form))
    found = store.sample(earlier.sample_id)
    assert found is not None
    return SampleOutcome(found, pack.parent, pack, form, draw.inputs.design, True)


def _save_sample(
    store: ReviewStore,
    number: int,
    sample: dict[str, Any],
    drawn: pd.DataFrame,
    records: pd.DataFrame,
) -> Sample:
    try:
        return store.save_sample(sample, drawn, records, number=number)
    except IntegrityError:
        raise QafError(
            f"another sample of {sample['quarter']} was drawn at the same time; run vcc sample "
            "again"
        ) from None


def _paths(output_root: Path, sample: Sample) -> tuple[Path, Path]:
    folder = sample_folder(output_root, sample.quarter, sample.number)
    pack, form = _file_names(sample)
    return folder / pack, folder / form


def _file_names(sample: Sample) -> tuple[str, str]:
    """The names of a sample's case review pack and review form."""
    stem = f"qaf-{sample.sample_id}"
    return f"{stem}-case-review-pack.pdf", f"{stem}-review-form.xlsx"


def _stored_design(sample: Sample) -> pd.DataFrame:
    strata = pd.DataFrame(sample.design["strata"])
    return strata.assign(label=strata["stratum"].map(lambda key: Stratum.from_key(key).label))


def _check_same_cases(sample: Sample, store: ReviewStore, drawn: pd.DataFrame) -> None:
    stored = store.frame(sample.sample_id)
    stored_cases = stored[stored["selected"].astype(bool)].sort_values("case_number")
    now = drawn[drawn["selected"]].sort_values("case_number")
    if stored_cases["victim_id"].tolist() != now["victim_id"].tolist():
        raise QafError(
            f"sample {sample.sample_id} drew other cases from the same run and seed; the "
            "configuration used to read the sources may have changed since"
        )
