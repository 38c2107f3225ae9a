"""Web sessions, access requests with their comments, and the operator's documents.

Revision ID: 0002_sessions_requests
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sessions_requests"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("csrf", sa.Text, nullable=False),
        sa.Column("expires", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_expires", "web_sessions", ["expires"])
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("dataset_id", sa.Text, nullable=False),
        sa.Column("lab", sa.Text, nullable=False),
        sa.Column("factory", sa.Text, nullable=False),
        sa.Column("org_type", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("procedure", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_requests"),
    )
    op.create_index("ix_access_requests_requester", "access_requests", ["requester"])
    op.create_index("ix_access_requests_factory", "access_requests", ["factory"])
    op.create_table(
        "access_request_comments",
        sa.Column("seq", SEQ, sa.Identity(), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_access_request_comments"),
        sa.ForeignKeyConstraint(
            ["request"],
            ["access_requests.id"],
            name="fk_access_request_comments_request_access_requests",
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_access_request_comments_request", "access_request_comments", ["request"])
    op.create_table(
        "operator_documents",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_operator_documents"),
    )


def downgrade() -> None:
    for table in ("operator_documents", "access_request_comments", "access_requests"):
        op.drop_table(table)
    op.drop_table("web_sessions")
