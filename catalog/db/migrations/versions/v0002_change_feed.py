"""Change feed: an index to find each dataset's last row per source.

A publish whose writer cannot tell what changed appends a delete for every dataset the feed
holds as live but which is gone (:meth:`catalog.db.feed.ChangeFeed.append_whole`); this
index keeps that look-up to the source's own rows.

Revision ID: 0002_change_feed
Revises: 0002_harvest_state
"""

from __future__ import annotations

from alembic import op

revision = "0002_change_feed"
down_revision: str | None = "0002_harvest_state"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_change_feed_source_dataset_id_seq"


def upgrade() -> None:
    op.create_index(INDEX, "change_feed", ["source", "dataset_id", "seq"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="change_feed")
