"""Harvest state: sources, jobs and the validation queue (before: files under <home>/harvest).

Revision ID: 0002_harvest_state
Revises: 0002_sessions_requests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_harvest_state"
down_revision: str | None = "0002_sessions_requests"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("incremental", sa.Boolean, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("owner", sa.Text),
        sa.PrimaryKeyConstraint("name", name="pk_harvest_sources"),
    )
    op.create_index("ix_harvest_sources_owner", "harvest_sources", ["owner"])
    op.create_table(
        "harvest_jobs",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_harvest_jobs"),
    )
    op.create_index("ix_harvest_jobs_source_id", "harvest_jobs", ["source", "id"])
    op.create_index("ix_harvest_jobs_status", "harvest_jobs", ["status"])
    op.create_table(
        "harvest_validation",
        sa.Column("job", sa.Text, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("findings", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_at", sa.Double),
        sa.Column("queued_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("job", "record", name="pk_harvest_validation"),
    )
    op.create_index("ix_harvest_validation_state_job", "harvest_validation", ["state", "job"])


def downgrade() -> None:
    for table in ("harvest_validation", "harvest_jobs", "harvest_sources"):
        op.drop_table(table)
