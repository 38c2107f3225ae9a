"""The search service: keeps the index in step with the graph and answers searches.

>>> search = SearchService.open(catalogue)          # doctest: +SKIP  (verifies or rebuilds)
>>> page = search.search("Krankenhausdaten", filters={"data_space": ["health"]})

Opening: an index that passes its checks is used (``origin`` "existing"); with a snapshot
location configured, a missing index, or one the feed no longer covers or far behind, is
replaced by the latest snapshot (:mod:`catalog.search.snapshots`; "snapshot"); otherwise
a missing index is built from the graph ("build").

Freshness: the index follows the change feed (:mod:`catalog.search.follow`). Before every
search, and after every publish of this process (its ``catalogue.on_publish`` listener),
it applies the feed's rows after its position, re-projecting only the datasets they name;
so a publish on any replica reaches this index by the same path. A lab edit is followed on
a thread of its own (the request that made it does not wait), and rewrites only the offer
facets of the datasets it moved (:mod:`catalog.search.labs`). A source the index has never
seen (written without a feed row) is indexed whole; without a usable feed, each source's
current version is compared with the indexed one, as before the feed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from catalog import lifeline
from catalog.errors import DatalabError
from catalog.facts.read import gc_paused
from catalog.jobs.background import Coalesced
from catalog.labs.store import LABS_SOURCE
from catalog.records import held_twice_taken_once
from catalog.search import build, early, follow, labs, plan, snapshots
from catalog.search import index as index_mod
from catalog.search import query as qparse
from catalog.search.columns import FacetColumns
from catalog.search.index import FACET_FIELDS, INDEX_FILE, IndexFile, Moves, search_folder
from catalog.search.project import FacetProvider, SearchDoc, project_graph
from catalog.search.providers import UNFOLLOWED_SOURCES, LabFacetProvider
from catalog.search.request import SORTS, SearchQuery, encode_cursor
from catalog.search.snippets import pick, snippet
from catalog.search.tantivy_text import TantivyText
from catalog.search.text import forget_words
from catalog.service import Catalogue

log = logging.getLogger(__name__)


@dataclass
class Hit:
    id: str
    title: str
    snippet: str
    access: str
    modified: str | None
    links: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class SearchResult:
    """One page of hits, the total, facet counts and the cursor of the next page."""

    items: list[Hit]
    total: int
    facets: dict[str, list[dict[str, Any]]]
    next_cursor: str | None
    took_ms: float = 0.0
    query: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": [h.to_dict() for h in self.items],
            "total": self.total,
            "facets": self.facets,
            "next_cursor": self.next_cursor,
            "took_ms": round(self.took_ms, 2),
        }


@dataclass
class _Change:
    """One source's part of an index transaction."""

    source: str
    docs: list[SearchDoc]
    gone: set[str]
    #: the source's new stamp; ``None`` drops it once the source has no documents left.
    key: str | None


def version_key(graph: str, loaded_at: str | None) -> str:
    """What the index records per source: the graph and its last change (in-place upserts
    and deletes keep the graph and move ``dlab:loadedAt``)."""
    return f"{graph}|{loaded_at or ''}"


#: Where an open index came from (``SearchService.origin``, shown by ``/health``).
ORIGINS = ("existing", "build", "snapshot")
#: Facet pairs from which columns read from the index are written beside it and mapped
#: back (:meth:`FacetColumns.spill`): about 8 MB of them; fewer stay in memory.
SPILL_PAIRS = 1_000_000


class SearchService:
    """A catalogue's search index, kept fresh and queried (thread-safe).

    ``folder`` holds the index (default ``<home>/search``; a worker keeps its own)."""

    def __init__(
        self,
        catalogue: Catalogue,
        providers: Iterable[FacetProvider] = (),
        folder: Path | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.providers = list(providers)
        #: The providers whose facets depend on the labs (a lab edit asks them).
        self.lab_providers = [p for p in self.providers if isinstance(p, LabFacetProvider)]
        self.folder = folder or search_folder(catalogue.settings.home)
        self.index = IndexFile(self.folder / INDEX_FILE, self.settings.search_text_engine)
        #: Where the index came from when opened: one of :data:`ORIGINS`.
        self.origin = "existing"
        #: The snapshot it was restored from (``origin == "snapshot"``).
        self.restored: snapshots.Manifest | None = None
        self.columns = FacetColumns()
        #: The last projections: (source, dataset ids, or ``None`` for the whole source).
        self.projected: deque[tuple[str, frozenset[str] | None]] = deque(maxlen=1000)
        #: The last lab edits applied: (lab ids, the datasets whose offer facets moved).
        self.lab_updates: deque[tuple[tuple[str, ...], frozenset[str]]] = deque(maxlen=1000)
        #: The last early rows set again: (feed position reached, the datasets rewritten).
        self.early_updates: deque[tuple[int | None, frozenset[str]]] = deque(maxlen=1000)
        #: Catch-ups after a lab edit, on a thread of their own.
        self.later = Coalesced(self.sync, name="search-follow")
        self._columns_conn: sqlite3.Connection | None = None
        self._columns_stale = False
        #: Rowids whose facets were rewritten in place since the columns last caught up.
        self._rewritten: set[int] = set()
        #: The rows written since the columns last caught up (:meth:`IndexFile.take_moves`).
        self._moves: list[Moves] = []
        self.text: TantivyText | None = None
        if self.settings.search_text_engine == "tantivy":
            self.text = TantivyText(self.folder / "tantivy")

    @classmethod
    def open(
        cls,
        catalogue: Catalogue,
        providers: Iterable[FacetProvider] = (),
        attach: bool = True,
        folder: Path | None = None,
    ) -> SearchService:
        """Open (verify; else restore the latest snapshot, else rebuild) the index, catch up
        with the graph, listen for publishes."""
        service = cls(catalogue, providers, folder)
        opened = service.index.open_verified()
        restored = snapshots.restore_at_start(service, opened)
        if restored is not None:
            service.origin, service.restored = "snapshot", restored
        elif not opened:
            service.rebuild()
        with service.index.lock:
            # the columns first: on a restart after a clean close they are mapped from
            # disk and give the mirror's check the live rowids without reading them
            db = service.index.db()
            cols = service._columns(db)
            if service.text is not None:
                live = np.flatnonzero(cols.alive) if service.index.trusted else None
                service.text.sync_with(db, live=live)
        service.sync()
        if attach:
            catalogue.on_publish.append(service.on_publish)
        return service

    def close(self) -> None:
        """Stop following; close the index, leaving its integrity stamp and the facet
        columns saved beside it, so the next open skips the whole-file check and the
        reading of the columns (:mod:`catalog.search.index`, :mod:`.columns`)."""
        if self.on_publish in self.catalogue.on_publish:
            self.catalogue.on_publish.remove(self.on_publish)
        self.later.close()
        if self.text is not None:
            self.text.close()
        with self.index.lock:
            saved = self._save_columns()
            stamp = self.index.close()
            if saved is not None and stamp is not None:
                try:
                    FacetColumns.bind(saved, index_mod.stamp_digest(stamp))
                    shutil.rmtree(self._columns_folder(), ignore_errors=True)
                    os.replace(saved, self._columns_folder())
                except OSError as exc:
                    log.warning("search columns not saved: %s", exc)

    def _columns_folder(self) -> Path:
        return self.folder / "columns"

    def _save_columns(self) -> Path | None:
        """The columns, caught up and written to a staging folder (``None``: not loaded,
        or not written)."""
        conn = self.index.conn
        if conn is None or self._columns_conn is not conn:
            return None
        staged = self.folder / "columns.saving"
        try:
            self._columns(conn).save(staged)
        except (OSError, sqlite3.Error, ValueError) as exc:
            log.warning("search columns not saved: %s", exc)
            shutil.rmtree(staged, ignore_errors=True)
            return None
        return staged

    # -- keeping in step ---------------------------------------------------------------
    def rebuild(self) -> int:
        """Build a complete new index from the graph and swap it in; returns datasets.

        The feed's head is read before the graph: the new file holds at least every
        publish up to it, and follows the feed from there."""
        started = time.perf_counter()
        workers = lifeline.worker_count(self.settings.search_build_workers)
        with self.index.lock:
            position = follow.head(self.catalogue)
            try:
                staged, n, mirror, columns = self._build(workers, position)
            except BrokenProcessPool:
                log.warning("search build: the writer process failed; building in-process")
                staged, n, mirror, columns = self._build(0, position)
            self.index.swap(staged)
            if columns is not None:
                self._adopt_columns(columns)
            if self.text is not None and mirror is not None:
                self.text.adopt(mirror, self.index.db())
            elif self.text is not None:
                self.text.sync_with(self.index.db(), rebuild=True)
        self.origin, self.restored = "build", None
        # the build prepared documents here too (build.PREPARE_HERE_FROM): its words go
        forget_words()
        log.info("search index rebuilt: %d datasets in %.1fs", n, time.perf_counter() - started)
        return n

    def _build(
        self, workers: int, position: int | None
    ) -> tuple[Path, int, Path | None, Path | None]:
        """A complete new index file (not yet swapped in), its size, and the Tantivy
        mirror and facet columns built alongside it (``None``: build the mirror after
        the swap, read the columns from the file)."""
        staged = self.index.create_empty()
        mirror = self.text.staged_path() if self.text is not None else None
        columns = self.folder / "columns.built"
        shutil.rmtree(columns, ignore_errors=True)  # an interrupted build's
        writer = build.StagedBuild(staged, workers, mirror, columns)
        try:
            started = time.perf_counter()
            # millions of objects without cycles: see gc_paused; every id held twice is
            # looked up once (the feed is followed after the build)
            with gc_paused(), held_twice_taken_once(self.catalogue.store):
                for src in self.catalogue.sources():
                    writer.write(self._project(src.name, src.graph, None))
                    writer.set_source(src.name, version_key(src.graph, src.loaded_at))
            handed = time.perf_counter()
            # FTS5 ranking reads every segment: merge them once, now
            n = writer.finish(str(time.time()), optimize=self.text is None, position=position)
            log.info(
                "search build: every source projected and handed on in %.1f s, the file "
                "finished %.1f s later",
                handed - started, time.perf_counter() - handed,
            )  # fmt: skip
        finally:
            writer.close()
        return (
            staged,
            n,
            mirror if writer.mirror_built else None,
            columns if writer.columns_built else None,
        )

    def _adopt_columns(self, built: Path) -> None:
        """Map the columns the build wrote as it wrote the file just swapped in, in place
        of the last ones (else they are read from the file when first asked for)."""
        folder = self._columns_folder()
        try:
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(built, folder)
        except OSError as exc:
            log.warning("search columns of the build not kept (%s); reading the index", exc)
            return
        if self.columns.adopt(folder):
            self._columns_conn, self._columns_stale = self.index.db(), False
            self._rewritten, self._moves = set(), []

    def _project(self, source: str, graph: str, ids: set[str] | None) -> Iterator[SearchDoc]:
        """The documents of ``ids`` (``None``: all) of one graph, noted in :attr:`projected`."""
        self.projected.append((source, None if ids is None else frozenset(ids)))
        return project_graph(self.catalogue, source, graph, ids, self.providers)

    def on_publish(self, source: str, changed: set[str] | None) -> None:
        """Listener for :attr:`Catalogue.on_publish`: catch up with the change feed, which
        the publish has just appended to (the path every replica takes); after a lab edit,
        on :attr:`later`'s thread, so the edit is answered at once."""
        if source == LABS_SOURCE:
            self.later.request()
            return
        with self.index.lock:
            self.sync()
            if self.lab_providers and source in UNFOLLOWED_SOURCES:
                self.refresh_all()  # the registry's publishes name no dataset in the feed

    def sync(self) -> list[str]:
        """Catch up with the change feed (one query when nothing changed) and with sources
        the index has never seen; without a usable feed, re-index every source whose
        current version is not the indexed one."""
        with self.index.lock:
            touched = follow.catch_up(self)
            if touched is None:
                return self._sync_stamps(follow.head(self.catalogue))
            return touched + self._sync_new_sources() + self._apply_labs() + self._apply_early()

    def _sync_stamps(self, position: int | None) -> list[str]:
        """The fallback: compare each source's version stamp; then follow the feed from
        ``position`` (read before the comparison)."""
        current = {
            s.name: (s.graph, version_key(s.graph, s.loaded_at)) for s in self.catalogue.sources()
        }
        touched = []
        indexed = self.index.indexed_sources()
        for name, (graph, key) in current.items():
            if indexed.get(name) != key:
                self.reindex_source(name, graph, key)
                touched.append(name)
        for name in set(indexed) - set(current):
            self._remove_source(name)
            touched.append(name)
        if position is not None:
            self._commit([], position)
        return touched

    def _sync_new_sources(self) -> list[str]:
        """Sources published without a feed row (written behind the catalogue's back):
        index a new one whole, drop one that is gone. Known sources follow the feed."""
        current = {s.name: s for s in self.catalogue.sources()}
        indexed = self.index.indexed_sources()
        touched = []
        for name in sorted(set(current) - set(indexed)):
            src = current[name]
            self.reindex_source(name, src.graph, version_key(src.graph, src.loaded_at))
            touched.append(name)
        for name in sorted(set(indexed) - set(current)):
            self._remove_source(name)
            touched.append(name)
        return touched

    def apply_changes(
        self,
        ids: dict[str, set[str]],
        position: int,
        edited: dict[str, int] | None = None,
        since: int | None = None,
    ) -> list[str]:
        """Re-project the datasets a page of the feed named (``{source: ids}``) from their
        sources' current graphs, and record ``position`` and the labs the page ``edited``
        (pending: see :mod:`catalog.search.labs`), in one transaction. A page that starts
        after ``since`` and is applied before the offers follow it is recorded as early
        (see :mod:`catalog.search.early`)."""
        current = {s.name: s.graph for s in self.catalogue.sources()} if ids else {}
        behind = False
        if ids and since is not None and self.lab_providers:  # asked before projecting
            answered = early.answered(self.catalogue, self.lab_providers, position)
            behind = answered is not None and answered < position
        changes = []
        for source, named in sorted(ids.items()):
            graph = current.get(source)
            whole = graph is not None and len(named) > follow.BULK_IDS
            with gc_paused():
                docs = (
                    []
                    if graph is None
                    else list(self._project(source, graph, None if whole else named))
                )
            found = {d.id for d in docs}
            db = self.index.db()
            if whole:
                gone = IndexFile.source_ids(db, source) - found
            else:
                gone = IndexFile.of_source(db, source, named - found)
            # an index that follows the feed keeps the graph, not the version key: the
            # fallback comparison then re-indexes the source, never trusts it blindly
            key = None if graph is None else version_key(graph, None)
            changes.append(_Change(source, docs, gone, key))
        self._commit(changes, position, edited, (since, position) if behind else None)
        return sorted(ids)

    def reproject_all(self, position: int, edited: dict[str, int] | None = None) -> list[str]:
        """Re-project every source from its current graph (the registry changed: offer
        facets of any dataset may move), drop the gone ones, then record ``position`` and
        the labs ``edited`` (pending)."""
        current = {s.name: s for s in self.catalogue.sources()}
        for name, src in sorted(current.items()):
            self.reindex_source(name, src.graph, version_key(src.graph, src.loaded_at))
        gone = sorted(set(self.index.indexed_sources()) - set(current))
        for name in gone:
            self._remove_source(name)
        self._commit([], position, edited)
        return sorted(current) + gone

    def _apply_labs(self) -> list[str]:
        """Apply the pending lab edits once the providers answer for their rows (see
        :mod:`catalog.search.labs`); the sources of the datasets rewritten. A provider that
        fails is logged, and the labs stay pending."""
        if not self.lab_providers:
            return []
        with self.index.lock:
            waiting = labs.pending(self.index.db())
            if not waiting:
                return []
            try:
                update = labs.plan(self.catalogue, self.index, self.lab_providers, waiting)
            except (DatalabError, SQLAlchemyError) as exc:
                log.warning("search: labs %s stay pending: %s", sorted(waiting), exc)
                return []
            if update is None:  # asked again at every sync: not worth a line each time
                log.debug("search: labs %s wait for the offers to follow", sorted(waiting))
                return []
            return sorted(self._commit_lab(update))

    def _apply_early(self) -> list[str]:
        """Set again the offer facets of datasets applied before the offers followed them,
        as far as the providers answer now (see :mod:`catalog.search.early`); the sources
        of the datasets rewritten. A provider that fails is logged; the rows stay early."""
        if not self.lab_providers:
            return []
        with self.index.lock:
            waiting = early.early(self.index.db())
            if waiting is None:
                return []
            low, high = waiting
            try:
                answered = early.answered(self.catalogue, self.lab_providers, high)
                upto = high if answered is None else min(high, answered)
                if upto <= low:
                    return []
                update = early.plan(self.catalogue, self.index, self.lab_providers, low, upto)
            except (DatalabError, SQLAlchemyError) as exc:
                log.warning("search: offer facets of feed rows %d-%d wait: %s", low, high, exc)
                return []
            return sorted(self._commit_lab(update, early_upto=upto))

    def _commit_lab(self, update: labs.LabUpdate, early_upto: int | None = None) -> set[str]:
        db = self.index.db()
        db.execute("BEGIN")
        try:
            rewritten = labs.write(db, update)
            if early_upto is not None:
                early.settle(db, early_upto)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if rewritten:
            self._changed(set(rewritten))
        edited = tuple(sorted(update.labs))
        if edited:
            self.lab_updates.append((edited, frozenset(update.docs)))
            log.info("search: labs %s: offer facets of %d datasets", edited, len(update.docs))
        else:
            self.early_updates.append((early_upto, frozenset(update.docs)))
            log.info("search: offer facets of %d datasets set again", len(update.docs))
        return set(rewritten.values())

    def _commit(
        self,
        changes: list[_Change],
        position: int | None,
        edited: dict[str, int] | None = None,
        early_rows: tuple[int | None, int] | None = None,
    ) -> None:
        """Write ``changes``, the feed ``position``, the labs ``edited`` (pending) and the
        ``early_rows`` (feed rows applied before the offers followed them) in one
        transaction."""
        workers = lifeline.worker_count(self.settings.search_build_workers)
        with self.index.lock:
            db = self.index.db()
            db.execute("BEGIN")
            try:
                for change in changes:
                    IndexFile.delete_ids(db, change.gone)
                    IndexFile.write_prepared(db, build.prepared(change.docs, workers))
                    if change.key is not None or not IndexFile.source_ids(db, change.source):
                        IndexFile.set_source(db, change.source, change.key)
                if position is not None:
                    IndexFile.set_feed_position(db, position)
                labs.add_pending(db, edited or {})
                if early_rows is not None and early_rows[0] is not None:
                    early.widen(db, early_rows[0], early_rows[1])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if changes:
                self._changed()
        for change in changes:
            log.info(
                "search: %s: %d datasets re-projected, %d removed",
                change.source,
                len(change.docs),
                len(change.gone),
            )

    def reindex_source(self, source: str, graph: str, key: str) -> int:
        with gc_paused():
            docs = list(self._project(source, graph, None))
        with self.index.lock:
            gone = IndexFile.source_ids(self.index.db(), source) - {d.id for d in docs}
            self._commit([_Change(source, docs, gone, key)], None)
        log.info("search: source %s re-indexed (%d datasets)", source, len(docs))
        return len(docs)

    def _update(self, source: str, graph: str, ids: set[str], key: str) -> None:
        docs = list(self._project(source, graph, ids))
        self._commit([_Change(source, docs, ids - {d.id for d in docs}, key)], None)

    def _remove_source(self, source: str) -> None:
        with self.index.lock:
            gone = IndexFile.source_ids(self.index.db(), source)
            self._commit([_Change(source, [], gone, None)], None)

    def _changed(self, rewritten: set[int] | None = None) -> None:
        """After a commit: the columns are stale (and owe the documents whose facets were
        ``rewritten`` in place), the Tantivy mirror catches up now."""
        self._columns_stale = True
        self._rewritten.update(rewritten or ())
        db = self.index.db()
        moves = IndexFile.take_moves(db)  # read once, for the mirror now, the columns later
        self._moves.append(moves)
        if self.text is not None and self.text.index is not None:
            self.text.refresh(db, rewritten=rewritten or (), moves=moves)

    def feed_status(self) -> follow.FeedStatus:
        """The index's feed position, the feed's head, the lag and the age of the oldest
        row not applied yet."""
        with self.index.lock:
            position = IndexFile.feed_position(self.index.db())
        return follow.status(self.catalogue, position)

    def refresh(self, dataset_ids: Iterable[str]) -> None:
        """Re-project datasets whose provider facts changed (a sample upload)."""
        by_source: dict[str, set[str]] = {}
        with self.index.lock:
            db = self.index.db()
            for ident in dataset_ids:
                row = db.execute("SELECT source FROM docs WHERE id=?", (ident,)).fetchone()
                if row:
                    by_source.setdefault(row[0], set()).add(ident)
            indexed = self.index.indexed_sources()
            for source, ids in by_source.items():
                key = indexed[source]
                self._update(source, key.split("|", 1)[0], ids, key)

    def refresh_all(self) -> None:
        """Re-project every dataset (after a registry change, which may move any offer
        facet)."""
        with self.index.lock:
            for source, key in self.index.indexed_sources().items():
                self.reindex_source(source, key.split("|", 1)[0], key)

    # -- searching ---------------------------------------------------------------------
    def facet_values(
        self, ids: list[str], fields: Iterable[str] = ("data_space", "ai_training", "lab")
    ) -> dict[str, dict[str, list[str]]]:
        """The indexed values of facet ``fields`` of each dataset in ``ids`` (one query): by
        default the data space, AI-training and lab badges of a page of hits."""
        return self.index.facet_values(ids, fields)

    def _columns(self, db: sqlite3.Connection) -> FacetColumns:
        """The in-memory columns, loaded for this connection and caught up with writes."""
        if self._columns_conn is not db:
            trusted = self.index.trusted if db is self.index.conn else None
            if trusted is None or not self.columns.open_saved(self._columns_folder(), trusted):
                self.columns.load(db)
                if len(self.columns.pair_doc) >= SPILL_PAIRS:
                    self.columns.spill(self._columns_folder())
            self._columns_conn, self._columns_stale = db, False
            self._rewritten, self._moves = set(), []
        elif self._columns_stale:
            self.columns.refresh(db, Moves.merged(self._moves))
            self.columns.rewrite(db, self._rewritten)
            self._columns_stale, self._rewritten, self._moves = False, set(), []
        return self.columns

    def search(
        self,
        q: str = "",
        *,
        filters: dict[str, list[str]] | None = None,
        modified_from: str | None = None,
        modified_to: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        sort: str = "relevance",
        cursor: str | None = None,
        limit: int | None = None,
        langs: list[str] | None = None,
        fresh: bool = True,
    ) -> SearchResult:
        """:meth:`find` of the request as written (scripts, tests, staff pages)."""
        query = SearchQuery.parse(
            self.settings,
            q,
            filters=filters,
            modified_from=modified_from,
            modified_to=modified_to,
            bbox=bbox,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
        return self.find(query, langs=langs, fresh=fresh)

    def find(
        self, query: SearchQuery, *, langs: list[str] | None = None, fresh: bool = True
    ) -> SearchResult:
        """Ranked hits, facet counts and the next cursor for one (parsed) query."""
        from catalog.search.facets import labelled

        started = time.perf_counter()
        s = self.settings
        offset, size = query.offset, query.size
        filters = query.facet_filters
        langs = langs or []
        if fresh:
            self.sync()
        with self.index.lock:
            db = self.index.db()
            pq = qparse.expand(self.vocabulary(db), query.terms)
            cols = self._columns(db)
            rows, total, raw = plan.execute(
                db,
                cols,
                pq.expression,
                filters,
                query.ranges,
                query.sort,
                offset,
                size,
                self.text,
                _restriction(db, query),
            )
            facets = labelled(db, raw, langs, s.search_facet_values_shown)
        items = []
        for ident, access, modified, display_json, _ in rows[:size]:
            display = json.loads(display_json)
            items.append(
                Hit(
                    id=ident,
                    title=pick(display["titles"], langs) or ident,
                    snippet=snippet(display, pq if pq.expression else None, langs),
                    access=access,
                    modified=modified,
                    links={
                        "self": f"/datasets/{ident}",
                        "offers": f"/datasets/{ident}/offers",
                        "iri": display["iri"],
                    },
                )
            )
        more = len(rows) > size and offset + size <= s.search_max_offset
        return SearchResult(
            items,
            total,
            facets,
            encode_cursor(offset + size) if more else None,
            (time.perf_counter() - started) * 1000,
        )

    def match_ids(self, query: SearchQuery, *, fresh: bool = True) -> list[str]:
        """The ids of every hit of ``query`` in id order (no page, no facet counts): for
        callers that order hits by something the index does not hold."""
        if fresh:
            self.sync()
        with self.index.lock:
            db = self.index.db()
            pq = qparse.expand(self.vocabulary(db), query.terms)
            cols = self._columns(db)
            hits, _, _ = plan.matches(
                db,
                cols,
                pq.expression,
                query.facet_filters,
                query.ranges,
                "id",
                self.text,
                _restriction(db, query),
            )
            ordered = cols.page(db, hits, plan.ORDERS["id"], 0, len(hits))
            return _ids_of(db, ordered)

    def vocabulary(self, db: sqlite3.Connection) -> qparse.Vocabulary:
        """The text index's vocabulary (the caller holds the index lock): the mirror's
        under Tantivy, whose index file keeps no FTS5 table (``index.TEXT_TABLES``)."""
        if self.text is not None:
            return self.text.vocabulary()
        return qparse.FtsVocabulary(db)

    def all_facet_values(self, name: str, *, fresh: bool = True) -> dict[str, int]:
        """Every indexed value of facet ``name`` with its number of datasets."""
        if fresh:
            self.sync()
        with self.index.lock:
            cols = self._columns(self.index.db())
            return dict(cols.counts(None).get(name, []))


def _rowids(db: sqlite3.Connection, ids: Iterable[str]) -> np.ndarray:
    """The index rowids of dataset ``ids`` (ids not indexed are left out)."""
    return np.array(sorted(index_mod.rowids_of(db, ids).values()), dtype=np.int64)


def _ids_of(db: sqlite3.Connection, rowids: np.ndarray) -> list[str]:
    """The dataset ids of ``rowids``, in their order."""
    found: dict[int, str] = {}
    for start in range(0, len(rowids), index_mod.IN_CHUNK):
        chunk = [int(r) for r in rowids[start : start + index_mod.IN_CHUNK]]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT rowid, id FROM docs WHERE rowid IN ({marks})"  # noqa: S608
        found.update((r[0], r[1]) for r in db.execute(sql, chunk))
    return [found[int(r)] for r in rowids]


def _restriction(db: sqlite3.Connection, query: SearchQuery) -> plan.Restriction | None:
    """What of ``query`` only the columns can apply, with dataset ids as rowids."""
    if not query.restricted:
        return None
    return plan.Restriction(
        query.excluded,
        None if query.only_ids is None else _rowids(db, query.only_ids),
        _rowids(db, query.without_ids) if query.without_ids else None,
    )


__all__ = ["FACET_FIELDS", "SORTS", "Hit", "SearchQuery", "SearchResult", "SearchService"]
