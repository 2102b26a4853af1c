"""Importing a completed review form (``vcc review import``): checked against its sample, row by
row, and stored as the sample's newest import (the latest import counts; earlier ones are kept)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vcc.flows.checksums import sha256
from vcc.flows.config import Config
from vcc.flows.qaf.form import form_sample_id, read_form
from vcc.flows.qaf.pack import form_cases
from vcc.flows.qaf.sample import QafError, current_user
from vcc.flows.warehouse.reviews import ReviewStore
from vcc.flows.warehouse.store import Warehouse, open_warehouse


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
    newest import (raises vcc.flows.qaf.form.FormProblems naming each problem's row), holding
    the sample's quarter's lock."""
    sample_id = form_sample_id(path)
    store = ReviewStore(warehouse or open_warehouse(config, output_root))
    sample = store.sample(sample_id)
    if sample is None:
        raise QafError(
            f"{path.name} is the form of sample {sample_id}, which is not in the warehouse "
            f"{store.warehouse.shown_url}"
        )
    with store.warehouse.holding(sample.quarter, "review import"):
        frame = store.frame(sample_id)
        cases = frame[frame["selected"].astype(bool)]
        expected = form_cases(cases, store.case_records(sample_id))
        ratings = read_form(path, sample_id, expected)
        earlier = store.imports(sample_id)
        import_id = store.save_import(sample_id, current_user(), path.name, sha256(path), ratings)
    return ImportOutcome(
        sample_id,
        import_id,
        len(expected),
        ratings["victim_id"].nunique(),
        earlier[-1]["import_id"] if earlier else None,
    )
