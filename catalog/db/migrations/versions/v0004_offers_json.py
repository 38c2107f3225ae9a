"""Stored offers as JSON text instead of pickled bytes, and a write counter for replicas.

The values of ``offer_terms.facts``, ``offer_resolutions.offer`` and ``offer_labs.lab`` are
JSON (catalog/offers/codec.py); ``offer_state.generation`` counts the writes (a replica's
in-process mirror compares it). Stored offers are derived state: the four tables are
emptied, and the follower builds them again on its next run.

Revision ID: 0004_offers_json
Revises: 0003_offers
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_offers_json"
down_revision: str | None = "0003_offers"
branch_labels: str | None = None
depends_on: str | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VALUES = (("offer_terms", "facts"), ("offer_resolutions", "offer"), ("offer_labs", "lab"))
TABLES = ("offer_state", "offer_labs", "offer_resolutions", "offer_terms")


def _retype(kind: sa.types.TypeEngine[Any]) -> None:
    for table in TABLES:
        op.execute(sa.table(table).delete())
    for table, column in VALUES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
            batch.add_column(sa.Column(column, kind, nullable=False))


def upgrade() -> None:
    _retype(sa.Text())
    with op.batch_alter_table("offer_state") as batch:
        batch.add_column(sa.Column("generation", SEQ, nullable=False))


def downgrade() -> None:
    _retype(sa.LargeBinary())
    with op.batch_alter_table("offer_state") as batch:
        batch.drop_column("generation")
