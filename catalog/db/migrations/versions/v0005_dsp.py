"""The Dataspace Protocol's provider side: contract negotiations, transfer processes and the
outbox of messages owed to consumers' callbacks (catalog/dsp/).

Revision ID: 0005_dsp
Revises: 0004_offers_json
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_dsp"
down_revision: str | None = "0004_offers_json"
branch_labels: str | None = None
depends_on: str | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dsp_negotiations",
        sa.Column("provider_pid", sa.Text, nullable=False),
        sa.Column("consumer_pid", sa.Text, nullable=False),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("offer", sa.Text, nullable=False),
        sa.Column("dataset_id", sa.Text, nullable=False),
        sa.Column("lab", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("agreement_id", sa.Text),
        sa.Column("agreement", sa.Text),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("provider_pid", name="pk_dsp_negotiations"),
        sa.ForeignKeyConstraint(
            ["request"], ["access_requests.id"], name="fk_dsp_negotiations_request_access_requests"
        ),
        sa.UniqueConstraint("agreement_id", name="uq_dsp_negotiations_agreement_id"),
        sa.UniqueConstraint(
            "consumer", "consumer_pid", name="uq_dsp_negotiations_consumer_consumer_pid"
        ),
    )
    op.create_index("ix_dsp_negotiations_request", "dsp_negotiations", ["request"])
    op.create_index("ix_dsp_negotiations_state", "dsp_negotiations", ["state"])
    op.create_table(
        "dsp_transfers",
        sa.Column("provider_pid", sa.Text, nullable=False),
        sa.Column("consumer_pid", sa.Text, nullable=False),
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("negotiation", sa.Text, nullable=False),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("token_id", sa.Text),
        sa.Column("token_digest", sa.Text),
        sa.Column("token_expires", sa.Text),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("provider_pid", name="pk_dsp_transfers"),
        sa.ForeignKeyConstraint(
            ["negotiation"],
            ["dsp_negotiations.provider_pid"],
            name="fk_dsp_transfers_negotiation_dsp_negotiations",
        ),
        sa.UniqueConstraint("token_id", name="uq_dsp_transfers_token_id"),
        sa.UniqueConstraint(
            "consumer", "consumer_pid", name="uq_dsp_transfers_consumer_consumer_pid"
        ),
    )
    op.create_index("ix_dsp_transfers_negotiation", "dsp_transfers", ["negotiation"])
    op.create_table(
        "dsp_outbox",
        sa.Column("seq", SEQ, sa.Identity(), nullable=False),
        sa.Column("process", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("on_ack", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try", sa.Double, nullable=False),
        sa.Column("claimed_until", sa.Double),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("seq", name="pk_dsp_outbox"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_dsp_outbox_process", "dsp_outbox", ["process"])
    op.create_index("ix_dsp_outbox_state_next_try", "dsp_outbox", ["state", "next_try"])


def downgrade() -> None:
    for table in ("dsp_outbox", "dsp_transfers", "dsp_negotiations"):
        op.drop_table(table)
