"""The Quality Assessment Framework (README "Quality Assessment Framework"): draw a reproducible
dip sample of a published quarter (``vcc sample``), write its case review pack and review form,
import completed forms (``vcc review import``). The quarterly report's estimates from the reviews
are figures, made with the rest in ``flows.run.figures``.

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

from vcc.flows.config import Config
from vcc.flows.errors import VccError
from vcc.flows.qaf.form import FormCase, form_sample_id, read_form, write_form
from vcc.flows.sources.snapshot import MANIFEST, load_snapshot, sha256
from vcc.flows.warehouse.reviews import ReviewStore, Sample
from vcc.flows.warehouse.store import Warehouse, open_warehouse
from vcc.transforms.matching import local_date
from vcc.transforms.qaf import (
    case_records,
    instance_outcomes,
)
from vcc.transforms.quarters import Quarter
from vcc.transforms.sampling import (
    ROUTE_LABELS,
    Stratum,
    allocate,
    design_table,
    draw_sample,
    sampling_frame,
    stratum_sizes,
)
from vcc.transforms.victims import enhanced_reasons

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


@dataclass(frozen=True)
class _PackInputs:
    """What the pack and form of a drawn sample are written from."""

    quarter: Quarter
    design: pd.DataFrame  # transforms.sampling.design_table
    cases: pd.DataFrame  # the drawn frame rows, in case order
    tables: dict  # the run's validated canonical tables
    instances: pd.DataFrame  # the run's instances.parquet
    records: pd.DataFrame  # transforms.qaf.case_records, with case_number


def _user() -> str:
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
    from vcc.flows.sources.validate import validate_extract  # Great Expectations is slow to import

    raw, manifest = load_snapshot(output_root, run_id)
    unknown = sorted(set(raw) - set(config.sources))
    if unknown:
        raise QafError(
            f"run {run_id} read the source(s) {', '.join(unknown)}, which the configuration "
            "does not name; use the configuration the run used (--config)"
        )
    extracted_at = dt.datetime.fromisoformat(manifest["extracted_at"])
    return validate_extract(raw, config.sources, config.districts, extracted_at).accepted


def sample_folder(output_root: Path, quarter: str, number: int) -> Path:
    """Where a sample's pack and form are written: ``<out>/qaf/<Q>/sample-<n>/``."""
    return output_root / QAF_FOLDER / quarter / f"sample-{number}"


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
    sample, record it and write its pack and form; ``progress`` hears of each long step."""
    folder, manifest = published_run(output_root, quarter)
    run_id = str(manifest["run_id"])
    as_of = dt.date.fromisoformat(manifest["as_of"])
    size = size or config.qaf.sample_size
    seed = secrets.randbelow(10**9) if seed is None else seed
    oversampling = config.qaf.enhanced_oversampling
    store = ReviewStore(warehouse or open_warehouse(config, output_root))
    earlier = store.find_sample(str(quarter), run_id, seed, size, oversampling)
    if earlier is not None:
        pack, form = _paths(output_root, earlier)
        if pack.is_file() and form.is_file():
            return SampleOutcome(earlier, pack.parent, pack, form, _stored_design(earlier), True)
    else:
        number = store.next_number(str(quarter))
        taken = sample_folder(output_root, str(quarter), number)
        if taken.is_dir() and any(taken.iterdir()):
            raise QafError(
                f"{taken} already holds the files of another sample {quarter}-{number} (from "
                "another warehouse?); move them away, then run vcc sample again"
            )

    progress(f"reading run {run_id}'s snapshot and validating it again")
    tables = accepted_tables(config, output_root, run_id)
    frame = sampling_frame(tables, quarter, as_of)
    if frame.empty:
        raise QafError(f"no victim's case reached the CPS in {quarter}: there is nothing to sample")
    progress(f"drawing {min(size, len(frame))} of {len(frame):,} victims with seed {seed}")
    sizes = stratum_sizes(frame)
    allocation = allocate(sizes, size, oversampling)
    drawn = draw_sample(frame, allocation, seed)
    design = design_table(sizes, allocation)
    instances = pd.read_parquet(folder / "instances.parquet")
    cases = drawn[drawn["selected"]].sort_values("case_number")
    records = case_records(instances, cases).merge(
        cases[["victim_id", "case_number"]], on="victim_id"
    )
    inputs = _PackInputs(quarter, design, cases, tables, instances, records)
    if earlier is not None:  # drawn before, its files since lost: write them again
        _check_same_cases(earlier, store, drawn)
        pack, form = _paths(output_root, earlier)
        pack.parent.mkdir(parents=True, exist_ok=True)
        _write_files(pack, form, config, earlier, inputs, progress)
        store.set_files(earlier.sample_id, sha256(pack), sha256(form))
        found = store.sample(earlier.sample_id)
        assert found is not None
        return SampleOutcome(found, pack.parent, pack, form, design, True)

    row: dict[str, Any] = {
        "quarter": str(quarter),
        "run_id": run_id,
        "as_of": as_of,
        "seed": seed,
        "size_requested": size,
        "size": int(drawn["selected"].sum()),
        "frame_size": len(frame),
        "oversampling": oversampling,
        "design": {
            "frame": "victims owed the Code with a CPS decision, hearing or outcome dated "
            "in the quarter",
            "rule": ALLOCATION_RULE,
            "strata": design[["stratum", "frame", "sample", "weight"]].to_dict("records"),
            "numpy": np.__version__,
        },
        "config_sha256": config.fingerprint(),
        "drawn_at": dt.datetime.now().replace(microsecond=0),
        "drawn_by": _user(),
    }
    # The pack and form are written to a hidden folder beside their own and moved into place only
    # once the sample is recorded: an interrupted draw leaves neither a sample without its files
    # nor files without their sample.
    unsaved = Sample(sample_id=f"{quarter}-{number}", number=number, pack_sha256=None,
                     form_sha256=None, **row)  # fmt: skip
    final_pack, final_form = _paths(output_root, unsaved)
    staging = taken.parent / f".staging-{taken.name}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        pack, form = staging / final_pack.name, staging / final_form.name
        _write_files(pack, form, config, unsaved, inputs, progress)
        row |= {"pack_sha256": sha256(pack), "form_sha256": sha256(form)}
        sample = _save_sample(store, number, row, drawn, records)
        if taken.is_dir():
            taken.rmdir()  # empty: checked above
        staging.rename(taken)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SampleOutcome(sample, taken, final_pack, final_form, design, False)


def _write_files(
    pack: Path,
    form: Path,
    config: Config,
    sample: Sample,
    inputs: _PackInputs,
    progress: Callable[[str], None],
) -> None:
    """The sample's case review pack and review form, each unless it is already there (a form a
    reviewer may be filling in is never overwritten)."""
    if not pack.is_file():
        progress(f"writing the case review pack of {sample.size} cases (about a second a case)")
        _write_pack(pack, config, sample, inputs)
    if not form.is_file():
        _write_form(form, config, sample, inputs.cases, inputs.records)


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
    stem = f"qaf-{sample.sample_id}"
    return folder / f"{stem}-case-review-pack.pdf", folder / f"{stem}-review-form.xlsx"


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


# --- the pack and the form ----------------------------------------------------------------------


def _write_form(
    path: Path, config: Config, sample: Sample, cases: pd.DataFrame, records: pd.DataFrame
) -> None:
    about = [
        ("Sample", sample.sample_id),
        ("Quarter", sample.quarter),
        ("Cases", str(sample.size)),
        ("Drawn on", f"{sample.drawn_at:%Y-%m-%d}, seed {sample.seed}"),
        ("From run", sample.run_id),
        ("Area", config.report.area),
    ]
    write_form(path, form_cases(cases, records), about, config.qaf.pack_marking)


def form_cases(cases: pd.DataFrame, records: pd.DataFrame) -> list[FormCase]:
    """The rows a sample's form has: each case and agency reviewed, in case order."""
    joined = records.merge(
        cases[["victim_id", "crime_ref", "route", "enhanced"]], on="victim_id", how="left"
    ).sort_values("case_number", kind="stable")
    return [
        FormCase(
            int(row.case_number),
            str(row.victim_id),
            str(row.crime_ref),
            str(row.agency),
            ROUTE_LABELS[str(row.route)],
            bool(row.enhanced),
        )  # fmt: skip
        for row in joined.itertuples(index=False)
    ]


def _victim_rows(tables: dict, table: tuple[str, str], victim_id: str) -> pd.DataFrame:
    frame = tables.get(table)
    if frame is None:
        return pd.DataFrame()
    return frame[frame["victim_id"] == victim_id]


def _case_events(tables: dict, victim_id: str, crime_ref: str, cut: pd.Timestamp) -> list:
    """The investigation and court events of a case up to ``cut``, oldest first."""
    from vcc.reports.pack import CaseEvent

    events: list[tuple[pd.Timestamp, str, str]] = []

    def add(rows: pd.DataFrame, column: str, agency: str, describe) -> None:  # noqa: ANN001
        if rows.empty:
            return
        for row, day in zip(rows.itertuples(index=False), local_date(rows[column]), strict=True):
            if pd.notna(day) and day <= cut:
                events.append((day, agency, describe(row)))

    investigation = tables[("police", "investigation_events")]
    add(
        investigation[investigation["crime_ref"] == crime_ref],
        "event_at",
        "Police",
        lambda r: str(r.event_type).replace("_", " "),
    )
    add(
        _victim_rows(tables, ("cps", "decisions"), victim_id),
        "decided_at",
        "CPS",
        lambda r: f"decision: {str(r.decision_type).replace('_', ' ')} (case {r.urn})",
    )
    add(
        _victim_rows(tables, ("cps", "hearings"), victim_id),
        "hearing_at",
        "Court",
        lambda r: f"hearing {r.hearing_id} (case {r.urn})",
    )
    add(
        _victim_rows(tables, ("cps", "outcomes"), victim_id),
        "outcome_at",
        "Court",
        _describe_outcome,
    )
    add(
        _victim_rows(tables, ("probation", "vcs_referrals"), victim_id),
        "referred_at",
        "Probation",
        lambda r: f"referred to the Victim Contact Scheme ({r.referral_id})",
    )
    add(
        _victim_rows(tables, ("probation", "release_notifications"), victim_id),
        "release_at",
        "Probation",
        lambda r: "offender released",
    )
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [CaseEvent(day.date(), agency, text) for day, agency, text in events]


def _describe_outcome(row: Any) -> str:
    if row.outcome_type != "sentence":
        return f"verdict (case {row.urn})"
    sentence = str(row.sentence_type).replace("_", " ") if pd.notna(row.sentence_type) else ""
    if pd.notna(row.sentence_months):
        sentence += f", {float(row.sentence_months):g} months"
    return f"sentence: {sentence or 'type not recorded'} (case {row.urn})"


def _write_pack(path: Path, config: Config, sample: Sample, inputs: _PackInputs) -> None:
    from vcc.reports.pack import PackCase, PackData, render_pack

    tables, instances = inputs.tables, inputs.instances
    cases, records = inputs.cases, inputs.records
    victims = tables[("police", "victims")]
    crimes = tables[("police", "crimes")]
    cut = pd.Timestamp(min(inputs.quarter.end, sample.as_of))
    mine = instances[instances["victim_id"].isin(cases["victim_id"])]
    mine = mine.assign(outcome=instance_outcomes(mine))
    urns = tables[("cps", "cases")]
    pack_cases = []
    for case in cases.itertuples(index=False):
        joined = victims[victims["victim_id"] == case.victim_id].merge(crimes, on="crime_ref")
        victim = joined.iloc[0]
        reasons = enhanced_reasons(joined).iloc[0]
        reported = local_date(joined["reported_at"]).iloc[0]
        pack_cases.append(
            PackCase(
                number=int(case.case_number),
                victim_id=str(case.victim_id),
                crime_ref=str(case.crime_ref),
                route=ROUTE_LABELS[case.route],
                stratum=Stratum.from_key(case.stratum).label,
                weight=float(case.weight),
                enhanced=bool(case.enhanced),
                enhanced_reasons=[r.replace("_", " ") for r in reasons.index[reasons.to_numpy()]],
                police_flagged_enhanced=bool(pd.notna(flag := victim["enhanced_flag"]) and flag),
                offence=str(victim["offence_category"]).replace("_", " "),
                district=str(victim["district"]),
                reported=reported.date() if pd.notna(reported) else None,
                urns=sorted(urns.loc[urns["crime_ref"] == case.crime_ref, "urn"].astype(str)),
                events=_case_events(tables, case.victim_id, case.crime_ref, cut),
                timeline=mine[mine["victim_id"] == case.victim_id],
                agencies=records.loc[records["victim_id"] == case.victim_id, "agency"].tolist(),
            )
        )
    data = PackData(
        area=config.report.area,
        produced_by=config.report.produced_by,
        marking=config.qaf.pack_marking,
        quarter=sample.quarter,
        sample_id=sample.sample_id,
        run_id=sample.run_id,
        seed=sample.seed,
        as_of=sample.as_of,
        drawn_at=sample.drawn_at,
        frame_size=sample.frame_size,
        design=inputs.design,
        cases=pack_cases,
    )
    render_pack(data, path)


# --- importing a completed form -----------------------------------------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    sample_id: str
    import_id: int
    rows: int
    cases: int
    replaces: int | None  # the import id this one supersedes


def import_review_form(
    config: Config, output_root: Path, path: Path, warehouse: Warehouse | None = None
) -> ImportOutcome:
    """Check a completed review form against its sample and store its ratings as the sample's
    newest import (raises vcc.flows.qaf.form.FormProblems naming each problem's row)."""
    sample_id = form_sample_id(path)
    store = ReviewStore(warehouse or open_warehouse(config, output_root))
    sample = store.sample(sample_id)
    if sample is None:
        raise QafError(
            f"{path.name} is the form of sample {sample_id}, which is not in the warehouse "
            f"{store.warehouse.shown_url}"
        )
    frame = store.frame(sample_id)
    cases = frame[frame["selected"].astype(bool)]
    expected = form_cases(cases, store.case_records(sample_id))
    ratings = read_form(path, sample_id, expected)
    earlier = store.imports(sample_id)
    import_id = store.save_import(sample_id, _user(), path.name, sha256(path), ratings)
    return ImportOutcome(
        sample_id,
        import_id,
        len(expected),
        ratings["victim_id"].nunique(),
        earlier[-1]["import_id"] if earlier else None,
    )
