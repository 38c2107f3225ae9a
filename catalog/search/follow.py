"""The search index follows the change feed: each replica applies every publish per dataset.

>>> follow.catch_up(service)        # doctest: +SKIP  (under the index lock; in sync())
['fixture']

The index file records the feed position it has applied (``meta.feed``, written in the
transaction of the changes it covers). :func:`catch_up` asks the feed for its head (one SQL
query: nothing more when nothing changed), then reads the rows after the position in pages
(:data:`PAGE`; a page never ends inside a publish) and hands each page to the service:

- each dataset named is re-projected from its source's *current* graph, under the source of
  its last row (a dataset that left the graph, or whose source is gone, leaves the index).
  Reading the current graph, not the version a row names (which a later replace may have
  dropped), is always right: a later row only re-projects it again;
- a source with more than :data:`BULK_IDS` datasets in one page is re-projected whole
  (a handful of whole-graph queries beat thousands of one-dataset ones);
- a row of the ``labs`` source names a lab whose edit may move the offer facets of the
  datasets it may offer now or did before: the lab is recorded as pending with the
  position, and :mod:`catalog.search.labs` rewrites those datasets' facet values once the
  offers reflect the row (nothing is re-projected; later rows do not wait for it);
- a row of the ``registry`` source (factories) may change the offers of *any* dataset, so
  the whole index is re-projected, and the position jumps to the head read *before* that
  (every row up to it was published before the graphs were read).

Rows of both sources are ignored when the index has no lab-dependent provider.

:func:`catch_up` answers ``None`` when the feed cannot be followed: the index has no
position (built before the feed), the feed is unreadable, it was cut past the position, or
it is behind the position (another database). The service then falls back to comparing
per-source version stamps (:meth:`SearchService.sync`) and takes the head read before that
as its position.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from catalog.db.feed import ChangeFeed, FeedRow
from catalog.errors import DatalabError
from catalog.labs.store import LABS_SOURCE
from catalog.search.index import IndexFile
from catalog.search.providers import PROVIDER_SOURCES

if TYPE_CHECKING:
    from catalog.search.engine import SearchService
    from catalog.service import Catalogue

log = logging.getLogger(__name__)

#: Rows asked for per page (a page holds more when a publish is larger).
PAGE = 1000
#: Above this many datasets of one source in a page, the source is re-projected whole.
BULK_IDS = 500


@dataclass
class Page:
    """What one page of the feed asks of the index."""

    #: source -> dataset ids to re-project from that source's current graph.
    ids: dict[str, set[str]] = field(default_factory=dict)
    #: lab id -> the ``seq`` of its last row: labs whose offer facets follow (pending).
    labs: dict[str, int] = field(default_factory=dict)
    #: the registry changed: every dataset's offer facets may have moved.
    everything: bool = False


@dataclass(frozen=True)
class FeedStatus:
    """How far the index is behind the feed (for ``/health``); ``None``: not known."""

    position: int | None
    head: int | None
    lag: int | None
    oldest_unapplied_s: float | None


def plan(rows: Iterable[FeedRow], providers: bool) -> Page:
    """The datasets ``rows`` changed, each under the source of its last row; ``labs`` and
    ``registry`` rows count only when the index has lab-dependent ``providers``."""
    last: dict[str, FeedRow] = {}
    page = Page()
    for row in rows:
        if row.source == LABS_SOURCE:
            if providers:
                page.labs[row.dataset_id] = row.seq
        elif row.source in PROVIDER_SOURCES:
            page.everything = page.everything or providers
        else:
            last[row.dataset_id] = row
    for ident, row in last.items():
        page.ids.setdefault(row.source, set()).add(ident)
    return page


def head(catalogue: Catalogue) -> int | None:
    """The feed's head, or ``None`` when the database cannot be read (logged)."""
    try:
        return catalogue.changes.head()
    except (DatalabError, SQLAlchemyError) as exc:
        log.warning("search: the change feed cannot be read (%s); comparing sources", exc)
        return None


def catch_up(service: SearchService) -> list[str] | None:
    """Apply the feed from the index's position up to the head read now; the sources
    touched, or ``None`` when the feed cannot be followed (see the module)."""
    position = IndexFile.feed_position(service.index.db())
    if position is None:
        return None
    feed = service.catalogue.changes
    try:
        return _catch_up(service, feed, position)
    except (DatalabError, SQLAlchemyError) as exc:
        log.warning("search: the change feed cannot be read (%s); comparing sources", exc)
        return None


def _catch_up(service: SearchService, feed: ChangeFeed, position: int) -> list[str] | None:
    target = feed.head()
    if target < position:
        log.warning("search: the change feed (head %d) is behind the index (%d)", target, position)
        return None
    touched: set[str] = set()
    while position < target:
        rows, after = feed.changes_since(position, PAGE)
        if not rows or (rows[0].seq > position + 1 and _cut(feed, position)):
            log.warning("search: the change feed was cut after position %d", position)
            return None
        page = plan(rows, bool(service.lab_providers))
        if page.everything:
            after = feed.head()  # read before the graphs: every row up to it is covered
            touched.update(service.reproject_all(after, page.labs))
        else:
            touched.update(service.apply_changes(page.ids, after, page.labs, since=position))
        position = after
    return sorted(touched)


def _cut(feed: ChangeFeed, position: int) -> bool:
    """Whether rows after ``position`` were removed (a gap of numbers alone, left by a
    rolled-back append on PostgreSQL, is not a cut)."""
    oldest = feed.oldest()
    return oldest is None or oldest > position + 1


def status(catalogue: Catalogue, position: int | None) -> FeedStatus:
    """The head, the lag and the age of the oldest row the index has not applied."""
    try:
        top = catalogue.changes.head()
        first = catalogue.changes.first_after(position) if position is not None else None
    except (DatalabError, SQLAlchemyError):
        return FeedStatus(position, None, None, None)
    lag = None if position is None else max(0, top - position)
    age = None
    if first is not None and lag:
        age = round((datetime.now(UTC) - first.at).total_seconds(), 3)
    return FeedStatus(position, top, lag, age)
