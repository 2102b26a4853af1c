"""The quarter lock names the operation holding it: run, approve, circulate, sample or review
import all take the one lock of their quarter (flows/warehouse/store.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "run_locks",
        sa.Column("operation", sa.String(length=20), nullable=False, server_default="run"),
    )


def downgrade() -> None:
    with op.batch_alter_table("run_locks") as batch:
        batch.drop_column("operation")
