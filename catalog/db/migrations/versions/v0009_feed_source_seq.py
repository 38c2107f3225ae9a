"""Change feed: an index to find a source's newest row.

:meth:`catalog.db.feed.ChangeFeed.last_of` (the position the conformance and quality caches
are keyed on) asks for the highest ``seq`` of one source; without this index the database
walks the feed from its newest row back to that source's, the whole feed for a source
that has not changed in a while.

Revision ID: 0009_feed_source_seq
Revises: 0008_synthetic
"""

from __future__ import annotations

from alembic import op

revision = "0009_feed_source_seq"
down_revision: str | None = "0008_synthetic"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_change_feed_source_seq"


def upgrade() -> None:
    op.create_index(INDEX, "change_feed", ["source", "seq"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="change_feed")
