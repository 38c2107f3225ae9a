"""Job queue: a dedupe key and a result on ``jobs_queue``, one active job per key, and the
per-source harvest schedules (``source_schedules``).

Revision ID: 0002_job_queue
Revises: 0002_change_feed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_job_queue"
down_revision: str | None = "0002_change_feed"
branch_labels: str | None = None
depends_on: str | None = None

ACTIVE = "state IN ('queued', 'running')"


def upgrade() -> None:
    op.add_column("jobs_queue", sa.Column("dedupe_key", sa.Text))
    op.add_column("jobs_queue", sa.Column("result", sa.Text))
    op.create_index(
        "uq_jobs_queue_dedupe_key_active",
        "jobs_queue",
        ["dedupe_key"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_table(
        "source_schedules",
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("every_s", sa.Integer, nullable=False),
        sa.Column("next_run", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_source_schedules"),
        sa.CheckConstraint("every_s >= 300", name="ck_source_schedules_every_s"),
    )
    op.create_index("ix_source_schedules_next_run", "source_schedules", ["next_run"])


def downgrade() -> None:
    op.drop_table("source_schedules")
    op.drop_index("uq_jobs_queue_dedupe_key_active", table_name="jobs_queue")
    with op.batch_alter_table("jobs_queue") as batch:
        batch.drop_column("result")
        batch.drop_column("dedupe_key")
