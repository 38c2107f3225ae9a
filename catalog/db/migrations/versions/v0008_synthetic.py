"""Synthetic previews: each dataset's switch and k, set by its steward (catalog/samples/).

Revision ID: 0008_synthetic
Revises: 0007_baskets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_synthetic"
down_revision: str | None = "0007_baskets"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "synthetic_previews",
        sa.Column("dataset_id", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("min_count", sa.Integer, nullable=False),
        sa.Column("changed_by", sa.Text),
        sa.Column("changed", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", name="pk_synthetic_previews"),
    )


def downgrade() -> None:
    op.drop_table("synthetic_previews")
