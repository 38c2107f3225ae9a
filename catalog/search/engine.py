"""The search service: keeps the index in step with the graph and answers searches.

>>> search = SearchService.open(catalogue)          # doctest: +SKIP  (verifies or rebuilds)
>>> page = search.search("Krankenhausdaten", filters={"data_space": ["health"]})

Freshness: the service registers on ``catalogue.on_publish``. For an upsert or delete it
re-projects only the changed datasets, when the index holds exactly the version the
publish replaced (the source's ``dlab:previousGraph``); otherwise it re-projects the
source. Every search also compares each source's current graph with the indexed one (one
small SPARQL query), so publishes that bypass :class:`Catalogue` (a harvest run) are
picked up before the answer.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.graphs import META_GRAPH, source_iri
from catalog.namespaces import DLAB
from catalog.search import build, plan
from catalog.search import query as qparse
from catalog.search.columns import FacetColumns
from catalog.search.index import FACET_FIELDS, IndexFile
from catalog.search.project import FacetProvider, project_graph
from catalog.search.providers import PROVIDER_SOURCES
from catalog.search.request import SORTS, SearchQuery, encode_cursor
from catalog.search.snippets import pick, snippet
from catalog.search.tantivy_text import TantivyText
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


def version_key(graph: str, loaded_at: str | None) -> str:
    """What the index records per source: the graph and its last change (in-place upserts
    and deletes keep the graph and move ``dlab:loadedAt``)."""
    return f"{graph}|{loaded_at or ''}"


class SearchService:
    """A catalogue's search index, kept fresh and queried (thread-safe)."""

    def __init__(self, catalogue: Catalogue, providers: Iterable[FacetProvider] = ()) -> None:
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.providers = list(providers)
        self.index = IndexFile(catalogue.settings.home / "search" / "index.sqlite")
        self.columns = FacetColumns()
        self._columns_conn: sqlite3.Connection | None = None
        self._columns_stale = False
        self.text: TantivyText | None = None
        if self.settings.search_text_engine == "tantivy":
            self.text = TantivyText(catalogue.settings.home / "search" / "tantivy")

    @classmethod
    def open(
        cls, catalogue: Catalogue, providers: Iterable[FacetProvider] = (), attach: bool = True
    ) -> SearchService:
        """Open (verify, or rebuild) the index, catch up with the graph, listen for publishes."""
        service = cls(catalogue, providers)
        if not service.index.open_verified():
            service.rebuild()
        service.sync()
        with service.index.lock:
            service._columns(service.index.db())
            if service.text is not None:
                service.text.sync_with(service.index.db())
        if attach:
            catalogue.on_publish.append(service.on_publish)
        return service

    def close(self) -> None:
        if self.on_publish in self.catalogue.on_publish:
            self.catalogue.on_publish.remove(self.on_publish)
        if self.text is not None:
            self.text.close()
        self.index.close()

    # -- keeping in step ---------------------------------------------------------------
    def rebuild(self) -> int:
        """Build a complete new index from the graph and swap it in; returns datasets."""
        started = time.perf_counter()
        workers = build.worker_count(self.settings.search_build_workers)
        with self.index.lock:
            try:
                staged, n, mirror = self._build(workers)
            except BrokenProcessPool:
                log.warning("search build: the writer process failed; building in-process")
                staged, n, mirror = self._build(0)
            self.index.swap(staged)
            if self.text is not None and mirror is not None:
                self.text.adopt(mirror, self.index.db())
            elif self.text is not None:
                self.text.sync_with(self.index.db(), rebuild=True)
        log.info("search index rebuilt: %d datasets in %.1fs", n, time.perf_counter() - started)
        return n

    def _build(self, workers: int) -> tuple[Path, int, Path | None]:
        """A complete new index file (not yet swapped in), its size, and the Tantivy
        mirror built alongside it (``None``: build the mirror after the swap)."""
        staged = self.index.create_empty()
        mirror = self.text.staged_path() if self.text is not None else None
        writer = build.StagedBuild(staged, workers, mirror)
        try:
            for src in self.catalogue.sources():
                writer.write(
                    project_graph(self.catalogue, src.name, src.graph, None, self.providers)
                )
                writer.set_source(src.name, version_key(src.graph, src.loaded_at))
            # FTS5 ranking reads every segment: merge them once, now
            n = writer.finish(str(time.time()), optimize=self.text is None)
        finally:
            writer.close()
        return staged, n, mirror if writer.mirror_built else None

    def _graphs(self, source: str) -> tuple[str | None, str | None, str | None]:
        """The source's current graph, previous graph and version key."""
        src = source_iri(source)
        rows = self.catalogue.store.select(
            f"SELECT ?g ?p ?at WHERE {{ GRAPH <{META_GRAPH}> {{ "
            f"OPTIONAL {{ <{src}> <{DLAB.currentGraph}> ?g }} "
            f"OPTIONAL {{ <{src}> <{DLAB.previousGraph}> ?p }} "
            f"OPTIONAL {{ <{src}> <{DLAB.loadedAt}> ?at }} }} }}"
        )
        r = rows[0] if rows else {}
        current = r["g"].value if "g" in r else None
        at = r["at"].value if "at" in r else None
        key = version_key(current, at) if current else None
        return current, (r["p"].value if "p" in r else None), key

    def on_publish(self, source: str, changed: set[str] | None) -> None:
        """Listener for :attr:`Catalogue.on_publish`: update what the publish changed."""
        with self.index.lock:
            current, previous, key = self._graphs(source)
            indexed = self.index.indexed_sources().get(source)
            indexed_graph = indexed.split("|", 1)[0] if indexed else None
            if current is None or key is None:
                self._remove_source(source)
            elif changed is not None and indexed_graph in {previous, current} - {None}:
                # an upsert/delete: a new version on top of the indexed one, or the
                # indexed version changed in place
                self._update(source, current, changed, key)
            elif indexed != key:
                self.reindex_source(source, current, key)
            if self.providers and source in PROVIDER_SOURCES:
                self.refresh_all()

    def sync(self) -> list[str]:
        """Catch up with every source whose current graph is not the indexed one."""
        current = {
            s.name: (s.graph, version_key(s.graph, s.loaded_at)) for s in self.catalogue.sources()
        }
        touched = []
        with self.index.lock:
            indexed = self.index.indexed_sources()
            for name, (graph, key) in current.items():
                if indexed.get(name) != key:
                    self.reindex_source(name, graph, key)
                    touched.append(name)
            for name in set(indexed) - set(current):
                self._remove_source(name)
                touched.append(name)
        return touched

    def reindex_source(self, source: str, graph: str, key: str) -> int:
        docs = list(project_graph(self.catalogue, source, graph, None, self.providers))
        with self.index.lock:
            db = self.index.db()
            db.execute("BEGIN")
            try:
                gone = IndexFile.source_ids(db, source) - {d.id for d in docs}
                IndexFile.delete_ids(db, gone)
                IndexFile.write_prepared(
                    db, build.prepared(docs, build.worker_count(self.settings.search_build_workers))
                )
                IndexFile.set_source(db, source, key)
                db.execute("COMMIT")
                self._changed()
            except BaseException:
                db.execute("ROLLBACK")
                raise
        log.info("search: source %s re-indexed (%d datasets)", source, len(docs))
        return len(docs)

    def _update(self, source: str, graph: str, ids: set[str], key: str) -> None:
        docs = list(project_graph(self.catalogue, source, graph, ids, self.providers))
        db = self.index.db()
        db.execute("BEGIN")
        try:
            IndexFile.delete_ids(db, ids - {d.id for d in docs})
            IndexFile.write_docs(db, docs)
            IndexFile.set_source(db, source, key)
            db.execute("COMMIT")
            self._changed()
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _remove_source(self, source: str) -> None:
        db = self.index.db()
        db.execute("BEGIN")
        IndexFile.delete_ids(db, IndexFile.source_ids(db, source))
        IndexFile.set_source(db, source, None)
        db.execute("COMMIT")
        self._changed()

    def _changed(self) -> None:
        """After a commit: the columns are stale, the Tantivy mirror catches up now."""
        self._columns_stale = True
        if self.text is not None and self.text.index is not None:
            self.text.refresh(self.index.db())

    def refresh(self, dataset_ids: Iterable[str]) -> None:
        """Re-project datasets whose provider facts changed (a sample upload, a lab edit)."""
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
        """Re-project every dataset (after a lab change, which moves offer facets)."""
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
            self.columns.load(db)
            self._columns_conn, self._columns_stale = db, False
        elif self._columns_stale:
            self.columns.refresh(db)
            self._columns_stale = False
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
            pq = qparse.expand(db, query.terms)
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


__all__ = ["FACET_FIELDS", "SORTS", "Hit", "SearchQuery", "SearchResult", "SearchService"]
