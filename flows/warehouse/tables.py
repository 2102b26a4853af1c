"""The warehouse of record's own tables (migration 0001), on the metadata that the migrations and
the QAF's tables (``flows/warehouse/reviews.py``) share: runs, their metrics, report versions,
approvals, the circulation log, the instance tables of circulated versions and the run locks.
"""

from __future__ import annotations

from sqlalchemy import (
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

metadata = MetaData()

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

report_versions = Table(
    "report_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("metrics_sha256", String(64), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of sentences
    Column("changes", Text, nullable=False),  # JSON list of changed headline figures
    UniqueConstraint("quarter", "version", name="uq_report_versions_quarter_version"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("approved_at", DateTime, nullable=False),
    Column("note", Text),
)

circulations = Table(
    "circulations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("pdf_sha256", String(64), nullable=False),
    Column("message_id", String(320), nullable=False),
    Column("sent_at", DateTime, nullable=False),
    Column("sent_by", String(200), nullable=False),
)

circulated_instances = Table(
    "circulated_instances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("quarter", String(6), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("parquet", LargeBinary, nullable=False),  # instances.parquet as circulated
    UniqueConstraint("quarter", "version", name="uq_circulated_instances_quarter_version"),
)

run_locks = Table(
    "run_locks",
    metadata,
    Column("quarter", String(6), primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", DateTime, nullable=False),
)
