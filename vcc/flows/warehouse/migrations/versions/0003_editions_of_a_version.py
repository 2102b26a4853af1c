"""Editions: a report that changed around unchanged figures is a new edition of its version.

``report_versions`` holds one row per edition (the unique key gains ``edition``) with a
fingerprint of what each part of the report says; ``circulations`` records the edition sent.
Rows written before this revision are each version's first edition.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edition", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("content_sha256", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_report_versions_quarter_version", type_="unique")
        batch_op.create_unique_constraint(
            "uq_report_versions_quarter_version_edition", ["quarter", "version", "edition"]
        )
    with op.batch_alter_table("circulations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edition", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("circulations", schema=None) as batch_op:
        batch_op.drop_column("edition")
    op.execute("DELETE FROM report_versions WHERE edition > 1")
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_report_versions_quarter_version_edition", type_="unique")
        batch_op.create_unique_constraint(
            "uq_report_versions_quarter_version", ["quarter", "version"]
        )
        batch_op.drop_column("content_sha256")
        batch_op.drop_column("edition")
