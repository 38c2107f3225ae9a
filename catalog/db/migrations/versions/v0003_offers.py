"""Stored offers: each dataset's terms, each terms signature's resolution per lab, the labs
they saw and the follower's position in the change feed (catalog/offers/stored.py).

Revision ID: 0003_offers
Revises: 0002_job_queue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_offers"
down_revision: str | None = "0002_job_queue"
branch_labels: str | None = None
depends_on: str | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "offer_terms",
        sa.Column("dataset_id", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("iri", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("facts", sa.LargeBinary, nullable=False),
        sa.Column("position", SEQ, nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", name="pk_offer_terms"),
    )
    op.create_index("ix_offer_terms_signature", "offer_terms", ["signature"])
    op.create_table(
        "offer_resolutions",
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("lab_id", sa.Text, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("offerable", sa.Boolean, nullable=False),
        sa.Column("ai_training", sa.Boolean, nullable=False),
        sa.Column("offer", sa.LargeBinary, nullable=False),
        sa.Column("position", SEQ, nullable=False),
        sa.PrimaryKeyConstraint("signature", "lab_id", name="pk_offer_resolutions"),
    )
    op.create_index(
        "ix_offer_resolutions_lab_id_offerable", "offer_resolutions", ["lab_id", "offerable"]
    )
    op.create_table(
        "offer_labs",
        sa.Column("lab_id", sa.Text, nullable=False),
        sa.Column("lab", sa.LargeBinary, nullable=False),
        sa.Column("position", SEQ, nullable=False),
        sa.PrimaryKeyConstraint("lab_id", name="pk_offer_labs"),
    )
    op.create_table(
        "offer_state",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", SEQ, nullable=False),
        sa.Column("licences", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_offer_state"),
    )


def downgrade() -> None:
    for table in ("offer_state", "offer_labs", "offer_resolutions", "offer_terms"):
        op.drop_table(table)
