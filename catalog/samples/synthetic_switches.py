"""The stewards' switch of each dataset's synthetic preview, in the operational database.

Off unless a steward (or an operator, ``datalab sample synthetic``) turns it on. The switch
says only what the steward wants: whether the dataset's terms allow derived data is read
again on every serving (:func:`catalog.offers.derived.dataset_derived_terms`), so a switch
left on after the terms changed serves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from catalog.db.database import Database
from catalog.db.schema import synthetic_previews as table


@dataclass(frozen=True)
class Switch:
    """One dataset's switch: on or off, its k, who changed it and when."""

    dataset_id: str
    enabled: bool
    min_count: int
    changed_by: str | None = None
    changed: str | None = None


class SyntheticSwitches:
    """The switches of one catalogue's operational database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, dataset_id: str) -> Switch | None:
        query = sa.select(table).where(table.c.dataset_id == dataset_id)
        with self.database.read() as db:
            row = db.execute(query).mappings().first()
        return None if row is None else Switch(**dict(row))

    def set(self, dataset_id: str, enabled: bool, min_count: int, by: str | None) -> Switch:
        """Switch the preview on or off (one row per dataset, replaced)."""
        switch = Switch(
            dataset_id, enabled, min_count, by, datetime.now(UTC).isoformat(timespec="seconds")
        )
        values = {
            "enabled": enabled,
            "min_count": min_count,
            "changed_by": by,
            "changed": switch.changed,
        }
        for attempt in range(2):  # a first switch of the dataset made by two at once
            try:
                with self.database.transaction() as db:
                    done = db.execute(
                        table.update().where(table.c.dataset_id == dataset_id).values(**values)
                    )
                    if done.rowcount == 0:
                        db.execute(table.insert().values(dataset_id=dataset_id, **values))
                break
            except IntegrityError:
                if attempt:
                    raise
        return switch
