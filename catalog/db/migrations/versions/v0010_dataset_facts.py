"""Dataset facts: each dataset's facts as derived from one version of its source graph.

A bulk read that derives the facts anyway (the search projection) stores them, so that a
full offers build copies them instead of reading the RDF store again
(catalog/facts/table.py).

Revision ID: 0010_dataset_facts
Revises: 0009_feed_source_seq
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_dataset_facts"
down_revision: str | None = "0009_feed_source_seq"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "dataset_facts",
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("dataset_id", sa.Text, nullable=False),
        sa.Column("iri", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("source", "token", "dataset_id", name="pk_dataset_facts"),
    )
    op.create_index(
        "ix_dataset_facts_dataset_id", "dataset_facts", ["dataset_id", "source", "token"]
    )
    op.create_table(
        "facts_sources",
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("graph", sa.Text, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("stamp", sa.Text, nullable=False),
        sa.Column("datasets", sa.Integer, nullable=False),
        sa.Column("written", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_facts_sources"),
    )


def downgrade() -> None:
    op.drop_table("facts_sources")
    op.drop_index("ix_dataset_facts_dataset_id", table_name="dataset_facts")
    op.drop_table("dataset_facts")
