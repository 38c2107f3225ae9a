"""Accounts people can use: password hashes, identities from an OpenID Connect provider
linked to local users, and the pending single sign-ons (state, nonce, PKCE verifier).

Revision ID: 0006_passwords
Revises: 0005_dsp
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_passwords"
down_revision: str | None = "0005_dsp"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "passwords",
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("changed", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("user", name="pk_passwords"),
        sa.ForeignKeyConstraint(["user"], ["users.name"], name="fk_passwords_user_users"),
    )
    op.create_table(
        "oidc_identities",
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("issuer", "subject", name="pk_oidc_identities"),
        sa.ForeignKeyConstraint(["user"], ["users.name"], name="fk_oidc_identities_user_users"),
    )
    op.create_index("ix_oidc_identities_user", "oidc_identities", ["user"])
    op.create_table(
        "oidc_logins",
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("browser", sa.Text, nullable=False),
        sa.Column("nonce", sa.Text, nullable=False),
        sa.Column("verifier", sa.Text, nullable=False),
        sa.Column("next", sa.Text, nullable=False),
        sa.Column("expires", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("state", name="pk_oidc_logins"),
    )
    op.create_index("ix_oidc_logins_expires", "oidc_logins", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_oidc_logins_expires", table_name="oidc_logins")
    op.drop_table("oidc_logins")
    op.drop_index("ix_oidc_identities_user", table_name="oidc_identities")
    op.drop_table("oidc_identities")
    op.drop_table("passwords")
