"""The Quality Assessment Framework's tables in the warehouse (flows/warehouse.py): each dip
sample with its seed and design, its whole frame, the records of every sampled case, and every
import of a review form (the latest import of a sample wins; earlier ones are kept).

Tables (migration 0002):
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
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from vcc.flows.warehouse.store import Warehouse
from vcc.flows.warehouse.tables import metadata
from vcc.transforms.qaf import AGENCIES

qaf_samples = Table(
    "qaf_samples",
    metadata,
    Column("sample_id", String(20), primary_key=True),  # "2024Q4-1"
    Column("quarter", String(6), nullable=False, index=True),
    Column("number", Integer, nullable=False),  # 1, 2, ... within the quarter
    Column("run_id", String(64), nullable=False),  # the published run the frame came from
    Column("as_of", Date, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("size_requested", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("frame_size", Integer, nullable=False),
    Column("oversampling", Float, nullable=False),
    Column("design", Text, nullable=False),  # JSON: strata, rule, numpy version
    Column("config_sha256", String(64), nullable=False),
    Column("drawn_at", DateTime, nullable=False),
    Column("drawn_by", String(200), nullable=False),
    Column("pack_sha256", String(64)),
    Column("form_sha256", String(64)),
    UniqueConstraint("quarter", "number", name="uq_qaf_samples_quarter_number"),
)

qaf_frame = Table(
    "qaf_frame",
    metadata,
    Column("sample_id", String(20), ForeignKey("qaf_samples.sample_id"), primary_key=True),
    Column("victim_id", String(64), primary_key=True),
    Column("crime_ref", String(64), nullable=False),
    Column("route", String(30), nullable=False),
    Column("enhanced", Boolean, nullable=False),
    Column("stratum", String(40), nullable=False),
    Column("selected", Boolean, nullable=False),
    Column("case_number", Integer),
    Column("weight", Float),
)

qaf_case_records = Table(
    "qaf_case_records",
    metadata,
    Column("sample_id", String(20), ForeignKey("qaf_samples.sample_id"), primary_key=True),
    Column("victim_id", String(64), primary_key=True),
    Column("agency", String(20), primary_key=True),
    Column("case_number", Integer, nullable=False),
    Column("instances", Integer, nullable=False),
    Column("met", Integer, nullable=False),
    Column("late", Integer, nullable=False),
    Column("missing", Integer, nullable=False),
    Column("not_met", Integer, nullable=False),
    Column("pending", Integer, nullable=False),
)

qaf_imports = Table(
    "qaf_imports",
    metadata,
    Column("import_id", Integer, primary_key=True, autoincrement=True),
    Column("sample_id", String(20), ForeignKey("qaf_samples.sample_id"), nullable=False,
           index=True),
    Column("imported_at", DateTime, nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
)  # fmt: skip

qaf_ratings = Table(
    "qaf_ratings",
    metadata,
    Column("import_id", Integer, ForeignKey("qaf_imports.import_id"), primary_key=True),
    Column("victim_id", String(64), primary_key=True),
    Column("agency", String(20), primary_key=True),
    Column("theme", String(40), primary_key=True),
    Column("rating", String(20), nullable=False),
    Column("note", Text),
    Column("reviewer", String(200)),
)

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
        with self.engine.connect() as connection:
            found = connection.execute(
                select(qaf_samples)
                .where(qaf_samples.c.quarter == quarter)
                .order_by(qaf_samples.c.number)
            ).all()
        return [Sample.of(row) for row in found]

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
        with self.engine.connect() as connection:
            found = connection.execute(
                select(qaf_imports)
                .where(qaf_imports.c.sample_id == sample_id)
                .order_by(qaf_imports.c.import_id)
            ).all()
        return [dict(row._mapping) for row in found]

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
        with self.engine.connect() as connection:
            found = connection.execute(query).all()
        return pd.DataFrame([tuple(row) for row in found], columns=columns)
