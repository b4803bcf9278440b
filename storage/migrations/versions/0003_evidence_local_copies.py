"""evidence local copies: when a file was settled, and why it was not copied

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", storage.types.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("not_copied_reason", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("not_copied_reason")
        batch_op.drop_column("archived_at")
