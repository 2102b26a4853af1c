"""The Quality Assessment Framework's records in the warehouse: each dip sample with its seed and
design, its whole frame, the records of every sampled case, and every import of a review form (the
latest import of a sample wins; earlier ones are kept).

Tables (migration 0002, declared in ``tables.py``):
- ``qaf_samples``: one row per sample drawn: quarter, the run whose files it was drawn from, the
  seed, sizes, oversampling factor, the design (JSON: each stratum's N_h, n_h and weight);
- ``qaf_frame``: every victim of the sample's frame, with route, stratum, whether drawn, the case
  number and design weight of those drawn;
- ``qaf_case_records``: per sampled case and agency reviewed (the review form's rows), the
  agency's instances for the victim as met, late, missing, not met and pending;
- ``qaf_imports``: each import of a completed form, who and when, the file's SHA-256;
- ``qaf_ratings``: each import's ratings, one row per case, agency and theme.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select, update

from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.tables import (
    qaf_case_records,
    qaf_frame,
    qaf_imports,
    qaf_ratings,
    qaf_samples,
)
from vcc.transforms.qaf import AGENCIES

FRAME_COLUMNS = [c.name for c in qaf_frame.columns if c.name != "sample_id"]
RECORD_COLUMNS = [c.name for c in qaf_case_records.columns if c.name != "sample_id"]
RATING_COLUMNS = ["victim_id", "agency", "theme", "rating", "note", "reviewer"]


@dataclass(frozen=True)
class Sample:
    """One row of ``qaf_samples``, its design decoded."""

    sample_id: str
    quarter: str
    number: int
    run_id: str
    as_of: dt.date
    seed: int
    size_requested: int
    size: int
    frame_size: int
    oversampling: float
    design: dict[str, Any]
    config_sha256: str
    drawn_at: dt.datetime
    drawn_by: str
    pack_sha256: str | None
    form_sha256: str | None

    @classmethod
    def of(cls, row: Any) -> Sample:
        values = dict(row._mapping)
        values["design"] = json.loads(values["design"])
        return cls(**values)


def _records(frame: pd.DataFrame, columns: list[str], **constant: Any) -> list[dict[str, Any]]:
    """Rows for an insert: numpy scalars and missing values as plain Python values and None."""
    rows = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [{**constant, **row} for row in rows.to_dict("records")]


class ReviewStore:
    """The QAF tables of one warehouse; every method is one short transaction."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.engine = warehouse.engine

    # --- samples --------------------------------------------------------------------------------

    def find_sample(
        self, quarter: str, run_id: str, seed: int, size_requested: int, oversampling: float
    ) -> Sample | None:
        """An earlier sample drawn with exactly these inputs (the same cases), if any."""
        query = select(qaf_samples).where(
            qaf_samples.c.quarter == quarter,
            qaf_samples.c.run_id == run_id,
            qaf_samples.c.seed == seed,
            qaf_samples.c.size_requested == size_requested,
            qaf_samples.c.oversampling == oversampling,
        )
        with self.engine.connect() as connection:
            found = connection.execute(query.order_by(qaf_samples.c.number)).first()
        return Sample.of(found) if found else None

    def save_sample(
        self,
        sample: dict[str, Any],
        frame: pd.DataFrame,
        records: pd.DataFrame,
        number: int | None = None,
    ) -> Sample:
        """Record a new sample of ``sample["quarter"]`` as its ``number`` (default the next free
        one; a number taken meanwhile raises IntegrityError), its frame and its cases' records,
        in one transaction."""
        quarter = sample["quarter"]
        with self.engine.begin() as connection:
            number = number or self._next_number(connection, quarter)
            sample_id = f"{quarter}-{number}"
            connection.execute(
                insert(qaf_samples).values(
                    {
                        **sample,
                        "sample_id": sample_id,
                        "number": number,
                        "design": json.dumps(sample["design"], sort_keys=True),
                    }
                )
            )
            connection.execute(
                insert(qaf_frame), _records(frame, FRAME_COLUMNS, sample_id=sample_id)
            )
            if len(records):
                connection.execute(
                    insert(qaf_case_records),
                    _records(records, RECORD_COLUMNS, sample_id=sample_id),
                )
        found = self.sample(sample_id)
        assert found is not None
        return found

    def next_number(self, quarter: str) -> int:
        """The number the quarter's next sample will take."""
        with self.engine.connect() as connection:
            return self._next_number(connection, quarter)

    @staticmethod
    def _next_number(connection: Any, quarter: str) -> int:
        latest = connection.execute(
            select(func.max(qaf_samples.c.number)).where(qaf_samples.c.quarter == quarter)
        ).scalar()
        return int(latest or 0) + 1

    def set_files(self, sample_id: str, pack_sha256: str, form_sha256: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(qaf_samples)
                .where(qaf_samples.c.sample_id == sample_id)
                .values(pack_sha256=pack_sha256, form_sha256=form_sha256)
            )

    def sample(self, sample_id: str) -> Sample | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(qaf_samples).where(qaf_samples.c.sample_id == sample_id)
            ).first()
        return Sample.of(found) if found else None

    def samples(self, quarter: str) -> list[Sample]:
        query = select(qaf_samples).where(qaf_samples.c.quarter == quarter)
        return [Sample.of(row) for row in self._rows(query.order_by(qaf_samples.c.number))]

    def frame(self, sample_id: str) -> pd.DataFrame:
        """The sample's frame (FRAME_COLUMNS), drawn cases first in case order."""
        return self._frame_of(
            select(*[qaf_frame.c[c] for c in FRAME_COLUMNS])
            .where(qaf_frame.c.sample_id == sample_id)
            .order_by(qaf_frame.c.case_number.is_(None), qaf_frame.c.case_number,
                      qaf_frame.c.victim_id),
            FRAME_COLUMNS,
        )  # fmt: skip

    def case_records(self, sample_id: str) -> pd.DataFrame:
        """The records of each sampled case and agency (RECORD_COLUMNS), in case order and
        then police, CPS, Witness Care Unit, Probation."""
        records = self._frame_of(
            select(*[qaf_case_records.c[c] for c in RECORD_COLUMNS]).where(
                qaf_case_records.c.sample_id == sample_id
            ),
            RECORD_COLUMNS,
        )
        rank = records["agency"].map({agency: i for i, agency in enumerate(AGENCIES)})
        order = records.assign(_rank=rank).sort_values(["case_number", "_rank"]).index
        return records.loc[order].reset_index(drop=True)

    # --- reviews --------------------------------------------------------------------------------

    def save_import(
        self, sample_id: str, imported_by: str, file_name: str, file_sha256: str,
        ratings: pd.DataFrame,
    ) -> int:  # fmt: skip
        """Record an import of a completed form and its ratings (RATING_COLUMNS); returns its
        import id. The newest import of a sample is the one that counts."""
        with self.engine.begin() as connection:
            inserted = connection.execute(
                insert(qaf_imports).values(
                    sample_id=sample_id,
                    imported_at=dt.datetime.now().replace(microsecond=0),
                    imported_by=imported_by,
                    file_name=file_name,
                    file_sha256=file_sha256,
                    rows=int(ratings[["victim_id", "agency"]].drop_duplicates().shape[0]),
                )
            )
            assert inserted.inserted_primary_key is not None
            import_id = inserted.inserted_primary_key[0]
            connection.execute(
                insert(qaf_ratings), _records(ratings, RATING_COLUMNS, import_id=import_id)
            )
        return int(import_id)

    def imports(self, sample_id: str) -> list[dict[str, Any]]:
        """Every import of the sample's form, oldest first."""
        query = select(qaf_imports).where(qaf_imports.c.sample_id == sample_id)
        return [dict(row._mapping) for row in self._rows(query.order_by(qaf_imports.c.import_id))]

    def ratings(self, import_id: int) -> pd.DataFrame:
        return self._frame_of(
            select(*[qaf_ratings.c[c] for c in RATING_COLUMNS])
            .where(qaf_ratings.c.import_id == import_id)
            .order_by(qaf_ratings.c.victim_id, qaf_ratings.c.agency, qaf_ratings.c.theme),
            RATING_COLUMNS,
        )

    def latest_reviewed_sample(self, quarter: str) -> tuple[Sample, dict[str, Any]] | None:
        """The quarter's newest sample that has an imported form, with its newest import."""
        for sample in reversed(self.samples(quarter)):
            imports = self.imports(sample.sample_id)
            if imports:
                return sample, imports[-1]
        return None

    def _frame_of(self, query: Any, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame([tuple(row) for row in self._rows(query)], columns=columns)

    def _rows(self, query: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(query).all())
