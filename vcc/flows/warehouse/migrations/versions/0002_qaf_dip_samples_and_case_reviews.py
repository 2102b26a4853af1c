"""Quality Assessment Framework: dip samples, their frames and case records, review imports and
ratings (flows/warehouse/reviews.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:16:46.178612
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qaf_samples",
        sa.Column("sample_id", sa.String(length=20), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("size_requested", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("frame_size", sa.Integer(), nullable=False),
        sa.Column("oversampling", sa.Float(), nullable=False),
        sa.Column("design", sa.Text(), nullable=False),
        sa.Column("config_sha256", sa.String(length=64), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("drawn_by", sa.String(length=200), nullable=False),
        sa.Column("pack_sha256", sa.String(length=64), nullable=True),
        sa.Column("form_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("sample_id"),
        sa.UniqueConstraint("quarter", "number", name="uq_qaf_samples_quarter_number"),
    )
    with op.batch_alter_table("qaf_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qaf_samples_quarter"), ["quarter"], unique=False)

    op.create_table(
        "qaf_case_records",
        sa.Column("sample_id", sa.String(length=20), nullable=False),
        sa.Column("victim_id", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=False),
        sa.Column("instances", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("not_met", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["qaf_samples.sample_id"],
        ),
        sa.PrimaryKeyConstraint("sample_id", "victim_id", "agency"),
    )
    op.create_table(
        "qaf_frame",
        sa.Column("sample_id", sa.String(length=20), nullable=False),
        sa.Column("victim_id", sa.String(length=64), nullable=False),
        sa.Column("crime_ref", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=30), nullable=False),
        sa.Column("enhanced", sa.Boolean(), nullable=False),
        sa.Column("stratum", sa.String(length=40), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.Column("case_number", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["qaf_samples.sample_id"],
        ),
        sa.PrimaryKeyConstraint("sample_id", "victim_id"),
    )
    op.create_table(
        "qaf_imports",
        sa.Column("import_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sample_id", sa.String(length=20), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["qaf_samples.sample_id"],
        ),
        sa.PrimaryKeyConstraint("import_id"),
    )
    with op.batch_alter_table("qaf_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qaf_imports_sample_id"), ["sample_id"], unique=False)

    op.create_table(
        "qaf_ratings",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("victim_id", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["qaf_imports.import_id"],
        ),
        sa.PrimaryKeyConstraint("import_id", "victim_id", "agency", "theme"),
    )


def downgrade() -> None:
    op.drop_table("qaf_ratings")
    with op.batch_alter_table("qaf_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qaf_imports_sample_id"))

    op.drop_table("qaf_imports")
    op.drop_table("qaf_frame")
    op.drop_table("qaf_case_records")
    with op.batch_alter_table("qaf_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qaf_samples_quarter"))

    op.drop_table("qaf_samples")
