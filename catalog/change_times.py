"""When each record last changed in this catalogue, read from the change feed.

Every publish appends one feed row per dataset it changed (``catalog/db/feed.py``; a
harvest leaves out the records whose content hash did not move), so a record's newest
``upsert`` row is the one place its change time is written: nothing else stores it. A
record with no row (stored before the feed existed, or while the feed's database failed)
falls back on the publish time of its source's version (``dlab:loadedAt``), which the
callers pass.

This is what CKAN's ``metadata_modified`` and ``/catalog?modified_since`` mean here, not the
publisher's ``dct:modified``: a peer harvesting incrementally must see a record a steward
edited today even when its publisher's date stayed the same.

:func:`change_times` keeps one :class:`ChangeTimes` per catalogue; it follows the feed from
the position it reached, so a request reads only the rows appended since the last one.
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime

from catalog.db.feed import latest_upserts
from catalog.service import Catalogue


def ckan_time(value: datetime) -> str:
    """CKAN's form of a time: UTC, ``YYYY-MM-DDTHH:MM:SS.ffffff``, no zone."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


class ChangeTimes:
    """Each dataset's newest change in one catalogue, brought up to date on every read."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.position = 0
        self._times: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def times(self) -> dict[str, datetime]:
        """``{dataset id: when it last changed}`` for every dataset the feed names (a copy)."""
        with self._lock:
            newer, self.position = latest_upserts(self.catalogue.database, self.position)
            for ident, at in newer.items():
                self._times[ident] = max(at, self._times.get(ident, at))
            return dict(self._times)


_KEPT: weakref.WeakKeyDictionary[Catalogue, ChangeTimes] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def change_times(catalogue: Catalogue) -> dict[str, datetime]:
    """The change time of every dataset of ``catalogue`` the feed names (see the module)."""
    with _KEPT_LOCK:
        kept = _KEPT.get(catalogue)
        if kept is None:
            kept = _KEPT[catalogue] = ChangeTimes(catalogue)
    return kept.times()
