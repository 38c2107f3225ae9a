"""Datasets projected before the offers followed them: their offer facets are set again later.

With ``DATALAB_WORKERS=queue`` the stored offers are followed by workers, a poll or two
after a publish, while a replica's search applies the feed row at its next search. The row
is applied at once (the dataset is searchable within the feed lag), reading the offer
facets (``lab``, ``ai_training``) as the stored offers answer then: for a new or changed
dataset, not yet (or not newly) resolved. So:

1. when a page of dataset rows ``(since, position]`` is applied while a lab-dependent
   provider (:class:`~catalog.search.providers.LabFacetProvider`) answers for an earlier
   position, the range is recorded as *early* in the index file (``meta.offers_early``:
   ``[from, to]``, widened by later pages), in the transaction of the position;
2. at every sync, once the providers answer for some position past ``from``, the datasets
   the feed rows ``(from, min(to, answered)]`` name get their providers' current facet
   values; those whose indexed values differ are rewritten in place (as a lab edit's are:
   :func:`catalog.search.labs.write`), and ``from`` moves on. Rows after ``answered`` wait
   for the next sync, so a feed that never rests does not starve the range.

A replica stopped meanwhile still owes the range after a restart (it is in the index
file); a dataset deleted since is skipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from catalog.db.feed import ChangeFeed
from catalog.search.labs import LabUpdate, differing
from catalog.search.project import provider_pairs
from catalog.search.providers import PROVIDER_SOURCES, LabFacetProvider

if TYPE_CHECKING:
    from catalog.search.index import IndexFile
    from catalog.service import Catalogue

#: The ``meta`` key of the early range (a JSON ``[from, to]``).
EARLY = "offers_early"
#: Feed rows read per page, datasets asked per provider call.
_PAGE = 1000


def early(db: sqlite3.Connection) -> tuple[int, int] | None:
    """The range of feed rows applied before the offers followed them, if any."""
    row = db.execute("SELECT value FROM meta WHERE key=?", (EARLY,)).fetchone()
    if row is None:
        return None
    low, high = json.loads(row[0])
    return int(low), int(high)


def widen(db: sqlite3.Connection, since: int, position: int) -> None:
    """Record rows ``(since, position]`` as early (the caller holds the transaction)."""
    current = early(db)
    if current is not None:
        since, position = min(since, current[0]), max(position, current[1])
    _write(db, (since, position))


def settle(db: sqlite3.Connection, upto: int) -> None:
    """Rows up to ``upto`` are set again (the caller holds the transaction)."""
    current = early(db)
    if current is not None:
        _write(db, None if upto >= current[1] else (max(upto, current[0]), current[1]))


def _write(db: sqlite3.Connection, value: tuple[int, int] | None) -> None:
    db.execute("DELETE FROM meta WHERE key=?", (EARLY,))
    if value is not None:
        db.execute("INSERT INTO meta VALUES (?, ?)", (EARLY, json.dumps(list(value))))


def answered(
    catalogue: Catalogue, providers: Sequence[LabFacetProvider], wanted: int
) -> int | None:
    """The feed position every provider answers for, asked for ``wanted`` (``None``: all
    answer currently)."""
    positions = [p.answered_upto(catalogue, wanted) for p in providers]
    known = [p for p in positions if p is not None]
    return min(known) if known else None


def plan(
    catalogue: Catalogue,
    index: IndexFile,
    providers: Sequence[LabFacetProvider],
    low: int,
    high: int,
) -> LabUpdate:
    """The facets to set again of the datasets the feed rows ``(low, high]`` name."""
    ids = sorted(_named(catalogue.changes, low, high))  # one deleted since: never rewritten
    fields: set[str] = set()
    answers: dict[str, set[tuple[str, str]]] = {}
    for provider in providers:
        fields.update(provider.fields)
        for i in range(0, len(ids), _PAGE):
            for ident, extra in provider(catalogue, ids[i : i + _PAGE]).items():
                answers.setdefault(ident, set()).update(provider_pairs(extra))
    return LabUpdate({}, frozenset(fields), differing(index, ids, fields, answers))


def _named(feed: ChangeFeed, low: int, high: int) -> set[str]:
    """The datasets the rows ``(low, high]`` name (not the labs or the registry)."""
    out: set[str] = set()
    position = low
    while position < high:
        rows, after = feed.changes_since(position, _PAGE)
        if not rows:
            break
        out.update(r.dataset_id for r in rows if r.seq <= high and r.source not in PROVIDER_SOURCES)
        position = after
    return out
