"""Importing a completed review form (``vcc review import``): read row by row against its sample
(``reading.py``), its reviewed rows stored as the sample's newest import.

A form may be imported part filled, and again as its rows are completed, by one reviewer or by
several each with a copy: a new import holds the rows the form rates in full together with the
rows of the sample's latest import that the form does not (left blank, not reviewed, or with a
problem now), so no review once imported is lost and none is counted twice; a row rated in both
takes the form's ratings. A form that rates nothing new or changed adds no import (importing the
same form twice changes nothing). Each import is kept whole: the newest one is what the report
reads.

The rows not imported for a problem are listed in full in ``<form>-problems.csv`` beside the
form (owner-only, like the form: it names case numbers); a stale list is removed once a form has
no problem left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vcc.flows.checksums import sha256
from vcc.flows.config import Config
from vcc.flows.private import private_file
from vcc.flows.qaf.pack import form_cases
from vcc.flows.qaf.reading import FormReading, RowProblem, form_sample_id, read_form
from vcc.flows.qaf.sample import QafError, current_user
from vcc.flows.warehouse.reviews import RATING_COLUMNS, ReviewStore
from vcc.flows.warehouse.store import Warehouse, open_warehouse
from vcc.transforms.cell_text import csv_for_people

PROBLEM_COLUMNS = ["row", "case", "agency", "column", "problem", "allowed"]


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did, row by row (a row: one case and agency of the form)."""

    sample_id: str
    import_id: int | None  # the new import; None when the form rated nothing new or changed
    replaces: int | None  # the sample's latest import before this one
    form_rows: int  # the rows the form was made with
    new: int  # rows rated in full, not in the latest import before
    changed: int  # rows rated in full, rated otherwise in the latest import before
    unchanged: int  # rows rated in full as in the latest import before
    kept: int  # rows of the latest import before that this form does not rate in full
    not_reviewed: int  # blank or marked not reviewed
    with_problems: int  # not imported
    cases: int  # cases with a reviewed row in the sample's newest import
    sample_size: int  # cases drawn
    problems: list[RowProblem] = field(default_factory=list)
    problems_file: Path | None = None

    @property
    def reviewed(self) -> int:
        """Rows this form rates in full."""
        return self.new + self.changed + self.unchanged


def problems_file(form: Path) -> Path:
    """Where the full list of a form's problems is written: beside it."""
    return form.with_name(f"{form.stem}-problems.csv")


def import_review_form(
    config: Config, output_root: Path, path: Path, warehouse: Warehouse | None = None
) -> ImportOutcome:
    """Check a completed review form against its sample and store the rows it rates in full as
    the sample's newest import (module docstring), holding the sample's quarter's lock; raises
    FormError or FormProblems for a form that cannot be read at all."""
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
        expected = form_cases(frame[frame["selected"].astype(bool)], store.case_records(sample_id))
        reading = read_form(path, sample_id, expected)
        listed = write_problems(path, reading.problems)
        earlier = store.imports(sample_id)
        latest = earlier[-1]["import_id"] if earlier else None
        before = store.ratings(latest) if latest is not None else reading.ratings.iloc[:0]
        merged, counts = merge_ratings(before, reading.ratings)
        import_id = None
        if counts["new"] or counts["changed"]:
            import_id = store.save_import(
                sample_id, current_user(), path.name, sha256(path), merged
            )
    return _outcome(
        sample_id, import_id, latest, len(expected), reading, counts, merged, listed, sample.size
    )


def _outcome(
    sample_id: str,
    import_id: int | None,
    latest: int | None,
    form_rows: int,
    reading: FormReading,
    counts: dict[str, int],
    merged: pd.DataFrame,
    listed: Path | None,
    sample_size: int,
) -> ImportOutcome:
    return ImportOutcome(
        sample_id, import_id, latest, form_rows, counts["new"], counts["changed"],
        counts["unchanged"], counts["kept"], reading.not_reviewed, reading.with_problems,
        merged["victim_id"].nunique(), sample_size, reading.problems, listed,
    )  # fmt: skip


def merge_ratings(before: pd.DataFrame, form: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The ratings of a new import: the form's rows (case and agency) with the rows of ``before``
    (the latest import) that the form does not rate, and how many of the form's rows are new,
    changed or unchanged, and how many of ``before``'s are kept."""
    old, now = _rows_of(before), _rows_of(form)
    kept = {key for key in old if key not in now}
    counts = {
        "new": sum(key not in old for key in now),
        "changed": sum(key in old and old[key] != answers for key, answers in now.items()),
        "unchanged": sum(old.get(key) == answers for key, answers in now.items()),
        "kept": len(kept),
    }
    keys = zip(before["victim_id"], before["agency"], strict=True)
    carried = before[pd.Series([key in kept for key in keys], index=before.index, dtype=bool)]
    merged = pd.concat([form[RATING_COLUMNS], carried[RATING_COLUMNS]], ignore_index=True)
    return merged, counts


def _rows_of(ratings: pd.DataFrame) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Each row's (case and agency's) answers, comparable: theme, rating, note and reviewer."""
    plain = ratings[RATING_COLUMNS].astype(object).where(ratings[RATING_COLUMNS].notna(), None)
    rows: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for record in plain.itertuples(index=False):
        rows.setdefault((record.victim_id, record.agency), []).append(
            (record.theme, record.rating, record.note, record.reviewer)
        )
    return {key: tuple(sorted(answers, key=str)) for key, answers in rows.items()}


def write_problems(form: Path, problems: list[RowProblem]) -> Path | None:
    """Every problem of a form, a line each, in ``<form>-problems.csv`` beside it (owner-only,
    cells inert in a spreadsheet); with no problem, a list left by an earlier import is removed."""
    path = problems_file(form)
    try:
        if not problems:
            path.unlink(missing_ok=True)
            return None
        table = pd.DataFrame(
            [(p.row, p.case, p.agency, p.column, p.problem, p.allowed) for p in problems],
            columns=PROBLEM_COLUMNS,
        ).astype({"row": "Int64", "case": "Int64"})
        private_file(path).write_text(csv_for_people(table), encoding="utf-8")
    except OSError as error:
        raise QafError(
            f"the list of the form's problems cannot be written to {path}: {error.strerror}; "
            "nothing was imported"
        ) from None
    return path
