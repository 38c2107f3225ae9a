"""Training baskets: a developer's datasets, profile and model, the answer they last looked
at, and the access requests filed from each basket (catalog/baskets/).

Revision ID: 0007_baskets
Revises: 0006_passwords
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_baskets"
down_revision: str | None = "0006_passwords"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "baskets",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("holder", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("datasets", sa.Text, nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("seen", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_baskets"),
    )
    op.create_index("ix_baskets_owner", "baskets", ["owner"])
    op.create_index("ix_baskets_holder", "baskets", ["holder"])
    op.create_table(
        "basket_requests",
        sa.Column("basket", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("dataset_id", sa.Text, nullable=False),
        sa.Column("lab", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("basket", "request", name="pk_basket_requests"),
        sa.ForeignKeyConstraint(
            ["basket"], ["baskets.id"], name="fk_basket_requests_basket_baskets"
        ),
        sa.ForeignKeyConstraint(
            ["request"], ["access_requests.id"], name="fk_basket_requests_request_access_requests"
        ),
    )


def downgrade() -> None:
    op.drop_table("basket_requests")
    op.drop_index("ix_baskets_holder", "baskets")
    op.drop_index("ix_baskets_owner", "baskets")
    op.drop_table("baskets")
