"""Every table of the warehouse, on the one metadata the migrations are checked against: runs,
their metrics, report versions, approvals, the circulation log, the instance tables of circulated
versions and the quarter locks (migration 0001; the operation holding a lock since 0004), used by
``store.py``; the QAF's samples, frames, case records, form imports and ratings (migration 0002,
used by ``reviews.py``); the editions of a version (migration 0003: ``report_versions`` holds one
row per edition, ``circulations`` names it).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from vcc.transforms.schema import IDENTIFIER_MAX_LENGTH

metadata = MetaData()


def _of_a_version(*, indexed: bool) -> list[Column]:
    """A row's own id and the report version it is about: quarter, version and the run that made
    it (a function: each table needs columns of its own)."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("quarter", String(6), nullable=False, index=indexed),
        Column("version", Integer, nullable=False),
        Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    ]


runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("as_of", Date, nullable=False),
    Column("triggered_by", String(40), nullable=False),
    Column("parameters", Text, nullable=False),  # JSON
    Column("config_sha256", String(64), nullable=False),
    Column("code_version", String(120), nullable=False),
    Column("status", String(12), nullable=False),  # running, succeeded, failed, abandoned
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("timings", Text),  # JSON: seconds per stage
    Column("error", Text),  # the one-line reason a run failed
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("version", Integer),  # the report version the run produced or confirmed
    Column("metrics_sha256", String(64)),
    Column("sources_sha256", Text),  # JSON: snapshot file -> SHA-256
    Column("manifest", Text),  # JSON, as written to manifest.json
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False, index=True),
    Column("quarter", String(6), nullable=False),
    Column("measure_id", String(40), nullable=False),
    Column("right", String(40), nullable=False),
    Column("agency", String(20), nullable=False),
    Column("dimension", String(40), nullable=False),
    Column("group", String(120), nullable=False),
    Column("eligible", Integer, nullable=False),
    Column("met", Integer, nullable=False),
    Column("not_met", Integer, nullable=False),
    Column("pending", Integer, nullable=False),
    Column("rate", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("target", Float),
    Column("rag", String(20)),
)

# One row per edition of a version: a version's figures never change; a later edition of it is
# a changed report (case reviews added, say) around the same figures (flows.warehouse.versions).
report_versions = Table(
    "report_versions",
    metadata,
    *_of_a_version(indexed=False),
    Column("edition", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime, nullable=False),
    Column("metrics_sha256", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("content_sha256", Text),  # JSON: part of the report -> SHA-256 of what it says
    Column("reasons", Text, nullable=False),  # JSON list of sentences
    Column("changes", Text, nullable=False),  # JSON list of changed headline figures
    UniqueConstraint(
        "quarter", "version", "edition", name="uq_report_versions_quarter_version_edition"
    ),
)

approvals = Table(
    "approvals",
    metadata,
    *_of_a_version(indexed=True),
    Column("pdf_sha256", String(64), nullable=False),
    Column("release_sha256", String(64)),  # the open release's (migration 0005); None: no release
    Column("approved_by", String(200), nullable=False),
    Column("approved_at", DateTime, nullable=False),
    Column("note", Text),
)

circulations = Table(
    "circulations",
    metadata,
    *_of_a_version(indexed=True),
    Column("edition", Integer, nullable=False, server_default="1"),
    Column("recipient", String(320), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("message_id", String(320), nullable=False),
    Column("sent_at", DateTime, nullable=False),
    Column("sent_by", String(200), nullable=False),
)

circulated_instances = Table(
    "circulated_instances",
    metadata,
    *_of_a_version(indexed=False),
    Column("sha256", String(64), nullable=False),
    Column("parquet", LargeBinary, nullable=False),  # instances.parquet as circulated
    UniqueConstraint("quarter", "version", name="uq_circulated_instances_quarter_version"),
)

run_locks = Table(
    "run_locks",
    metadata,
    Column("quarter", String(6), primary_key=True),
    Column("run_id", String(64), nullable=False),  # the run's id, else the holder's own token
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", DateTime, nullable=False),
    # run, approve, circulate, sample or review import (migration 0004)
    Column("operation", String(20), nullable=False, server_default="run"),
)

# --- the Quality Assessment Framework's (README "Quality Assessment Framework") ---------------

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
    Column("victim_id", String(IDENTIFIER_MAX_LENGTH), primary_key=True),
    Column("crime_ref", String(IDENTIFIER_MAX_LENGTH), nullable=False),
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
    Column("victim_id", String(IDENTIFIER_MAX_LENGTH), primary_key=True),
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
    Column("victim_id", String(IDENTIFIER_MAX_LENGTH), primary_key=True),
    Column("agency", String(20), primary_key=True),
    Column("theme", String(40), primary_key=True),
    Column("rating", String(20), nullable=False),
    Column("note", Text),
    Column("reviewer", String(200)),
)
