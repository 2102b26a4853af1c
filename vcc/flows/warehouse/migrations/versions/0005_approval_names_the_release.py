"""An approval records the open release's checksum beside the PDF's (CONTRACT.md §7.4): the
SHA-256 of the release's SHA256SUMS, which lists the SHA-256 of each of its files; empty for
a run that has no release (an older vcc's).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("approvals", sa.Column("release_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("release_sha256")
