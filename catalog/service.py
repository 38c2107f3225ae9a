"""The catalogue's Python API: one object over one store.

>>> from catalog.settings import get_settings
>>> with Catalogue.open(get_settings(home="/tmp/cat")) as cat:   # doctest: +SKIP
...     report = cat.load(Path("datasets.ttl").read_bytes(), fmt="turtle")
...     page = cat.datasets(limit=10)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox
from sqlalchemy.exc import SQLAlchemyError

from catalog import records
from catalog.db import Database
from catalog.db.documents import OperatorDocuments
from catalog.db.feed import ChangeFeed
from catalog.errors import DatalabError, DatasetNotFound, UnsupportedFormat
from catalog.graphs import CURRENT_GRAPHS, SourceGraph, SourceGraphs, check_source_name
from catalog.loading import LoadReport, load_quads
from catalog.namespaces import INTERNAL_PREDICATES, PREFIXES
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import (
    ContextResolver,
    default_context_resolver,
    format_from_name,
    guess_format,
    iter_triples,
)
from catalog.settings import Settings
from catalog.skolem import unskolemise
from catalog.store import GraphStore, open_store
from catalog.write_lock import SourceWriteLock

LOCAL_SOURCE = "local"
log = logging.getLogger(__name__)

#: ``(source, changed dataset ids or None for "the whole source may have changed")``.
PublishListener = Callable[[str, "set[str] | None"], None]

EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "ntriples": ox.RdfFormat.N_TRIPLES,
}


@dataclass(frozen=True)
class Unchanged:
    """Datasets a writer knows are unchanged since version ``since`` of their source (a
    harvest knows it by record hash): a publish leaves them out of the change feed, if it
    replaced exactly that version. ``ids`` is read after the statements were stored, so a
    writer may fill it while they stream."""

    since: str
    ids: AbstractSet[str]


@dataclass
class DatasetPage:
    items: list[records.DatasetSummary]
    next_cursor: str | None


@dataclass
class DatasetRecord:
    """One dataset as stored: where it lives and its triples (blank nodes restored)."""

    ref: records.DatasetRef
    triples: list[ox.Triple]


def export_format(name: str) -> ox.RdfFormat:
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise UnsupportedFormat(
            f"unknown export format {name!r}; known: {', '.join(EXPORT_FORMATS)}"
        ) from None


def serialize(triples: Iterable[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    """Serialise triples, with the catalogue's prefixes where the syntax has them."""
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    public = {k: v for k, v in (prefixes or {}).items() if k != "dlab"}
    return ox.serialize(list(triples), format=fmt, prefixes=public or None) or b""


class Catalogue:
    """Load, list, show, delete and export DCAT-AP datasets in one graph store.

    Every publish is also appended to the change feed (:attr:`changes`) of the operational
    database (:attr:`database`), which other replicas follow.
    """

    def __init__(
        self, settings: Settings, store: GraphStore, database: Database | None = None
    ) -> None:
        """``database`` (owned: closed with the catalogue) is opened from the settings on
        first use when not given."""
        self.settings = settings
        self.store = store
        self._database = database
        self._database_guard = threading.Lock()
        self._documents: OperatorDocuments | None = None
        self.graphs = SourceGraphs(store, settings)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.context_resolver: ContextResolver = default_context_resolver(settings.jsonld_contexts)
        #: Called after every publish by load/delete/remove_source (e.g. the search index).
        self.on_publish: list[PublishListener] = []

    @classmethod
    def open(cls, settings: Settings) -> Catalogue:
        """The catalogue the settings describe: its graph store and operational database
        (refused when a PostgreSQL database is behind the code: run ``datalab db upgrade``)."""
        settings.home.mkdir(parents=True, exist_ok=True)
        database = Database.open(settings)
        try:
            return cls(settings, open_store(settings), database)
        except BaseException:
            database.close()
            raise

    @property
    def database(self) -> Database:
        """The operational database (accounts, audit, change feed, jobs)."""
        with self._database_guard:
            return self._open_database()

    def _open_database(self) -> Database:
        if self._database is None:
            self._database = Database.open(self.settings)
        return self._database

    @property
    def documents(self) -> OperatorDocuments:
        """The operator's documents (licence mappings, added data spaces) in the database,
        with their per-version caches."""
        with self._database_guard:
            if self._documents is None:
                self._documents = OperatorDocuments(self._open_database())
            return self._documents

    @property
    def changes(self) -> ChangeFeed:
        """The change feed every publish appends to."""
        return ChangeFeed(self.database)

    def close(self) -> None:
        try:
            self.store.close()
        finally:
            with self._database_guard:
                if self._database is not None:
                    self._database.close()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    @property
    def limits(self) -> ParseLimits:
        return ParseLimits.from_settings(self.settings)

    def source_lock(self, source: str) -> SourceWriteLock:
        """The lock serialising writes to one source, in this process and in every other
        process sharing the database (see :mod:`catalog.write_lock`)."""
        with self._locks_guard:
            thread_lock = self._locks.setdefault(source, threading.Lock())
        return SourceWriteLock(
            source,
            thread_lock,
            database=self.database,
            folder=self.settings.home / "locks",
            wait_s=self.settings.source_write_lock_wait_s,
        )

    def load(
        self,
        data: bytes,
        *,
        fmt: str | ox.RdfFormat | None = None,
        filename: str | None = None,
        media_type: str | None = None,
        source: str = LOCAL_SOURCE,
        replace: bool = False,
        base_iri: str | None = None,
    ) -> LoadReport:
        """Parse an untrusted RDF document and store its datasets under ``source``."""
        check_source_name(source)
        if isinstance(fmt, str):
            rdf_format = format_from_name(fmt)
        elif fmt is None:
            rdf_format = guess_format(filename, media_type)
        else:
            rdf_format = fmt
        triples = iter_triples(
            data, rdf_format, self.limits, base_iri=base_iri, resolver=self.context_resolver
        )
        return self.store_quads(triples, source=source, replace=replace)

    def store_quads(
        self,
        statements: Iterable[ox.Triple | ox.Quad],
        *,
        source: str,
        replace: bool = False,
        unchanged: Unchanged | None = None,
    ) -> LoadReport:
        """Store already-parsed statements under ``source`` (every write path ends here),
        publish atomically, append the changed datasets to the change feed, and tell the
        publish listeners (search index, offers, SPARQL snapshot).

        ``statements`` are triples (or quads, whose graph is ignored): only their subject,
        predicate and object are read, and they go into the source's new graph. The name
        says where they end up (as quads of that graph), not what is passed in.
        ``unchanged``: datasets the caller knows did not change (left out of the feed)."""
        check_source_name(source)
        with self.source_lock(source):
            report = load_quads(
                self.store,
                statements,  # type: ignore[arg-type]  # only s, p, o are read
                source=source,
                replace=replace,
                graphs=self.graphs,
            )
            baseline = report.replaced if replace else report.graph
            same = unchanged is not None and unchanged.since == baseline
            skip: AbstractSet[str] = unchanged.ids if same and unchanged is not None else set()
            self.record_changes(
                source,
                report.graph,
                upserts=set(report.dataset_ids) - skip,
                deletes=report.removed,
            )
        self._published(source, None if replace else set(report.dataset_ids))
        return report

    def load_file(self, path: Path, **kwargs: object) -> LoadReport:
        return self.load(path.read_bytes(), filename=path.name, **kwargs)  # type: ignore[arg-type]

    def delete(self, dataset_id: str) -> records.DatasetRef:
        """Remove one dataset's record from its source, atomically."""
        ref = records.find(self.store, dataset_id)
        with self.source_lock(ref.source):
            ref = records.find(self.store, dataset_id)
            triples = records.record_triples(self.store, ref.graph, ref.iri)
            self.graphs.update_in_place(
                ref.source, ref.graph, delete=records.delete_data(ref.graph, triples)
            )
            self.record_changes(ref.source, ref.graph, deletes=[ref.id])
        self._published(ref.source, {ref.id})
        return ref

    def remove_source(self, source: str) -> None:
        with self.source_lock(source):
            current = self.graphs.current(source)
            gone = records.dataset_ids_in(self.store, current) if current else set()
            self.graphs.remove_source(source)
            self.record_changes(source, None, deletes=gone)
        from catalog.facts.table import forget_facts  # (it imports this module)

        forget_facts(self.database, source)
        self._published(source, None)

    def notify_published(
        self, source: str, changed: set[str] | None, *, recorded: bool = False
    ) -> None:
        """Tell the change feed and the publish listeners about a change made outside
        load/delete (steward edits). ``changed`` datasets still in the source's current
        version are upserts, the others deletes; ``None`` (the writer cannot tell) appends
        every dataset of the source, and deletes for those the feed holds but the source
        no longer does. ``recorded``: the writer appended to the feed itself
        (:meth:`record_changes`)."""
        if not recorded:
            with self.source_lock(source):
                self._record_notified(source, changed)
        self._published(source, changed)

    def _record_notified(self, source: str, changed: set[str] | None) -> None:
        current = self.graphs.current(source)
        if changed is None:
            present = records.dataset_ids_in(self.store, current) if current else set()
            self._feed(lambda: self.changes.append_whole(source, current, present), source)
            return
        here = records.present_ids(self.store, current, changed) if current else set()
        self.record_changes(source, current, upserts=here, deletes=changed - here)

    def record_changes(
        self,
        source: str,
        version: str | None,
        *,
        upserts: Iterable[str] = (),
        deletes: Iterable[str] = (),
    ) -> None:
        """Append one publish of ``source`` (now at ``version``) to the change feed.

        Called after the publish took effect, under the source's lock. A database that
        fails is logged, never fails the write: the graph is published already."""
        self._feed(
            lambda: self.changes.append(source, version, upserts=upserts, deletes=deletes),
            source,
        )

    def _feed(self, append: Callable[[], int], source: str) -> None:
        try:
            append()
        except (DatalabError, SQLAlchemyError):
            log.exception(
                "source %s was published, but the change feed could not record it; other "
                "replicas miss the change until they rebuild",
                source,
            )

    def _published(self, source: str, changed: set[str] | None) -> None:
        """Tell listeners; a failing listener is logged, never fails the write."""
        for listener in list(self.on_publish):
            try:
                listener(source, changed)
            except Exception:
                log.exception("publish listener %r failed for source %s", listener, source)

    # -- reading ---------------------------------------------------------------------------

    def sources(self) -> list[SourceGraph]:
        return self.graphs.sources()

    def datasets(
        self, *, cursor: str | None = None, limit: int | None = None, source: str | None = None
    ) -> DatasetPage:
        size = min(limit or self.settings.page_size, self.settings.max_page_size)
        items, more = records.list_page(self.store, after=cursor, limit=size, source=source)
        return DatasetPage(items, items[-1].id if more and items else None)

    def count(self, source: str | None = None) -> int:
        return records.count(self.store, source)

    def find(self, dataset_id: str) -> records.DatasetRef:
        return records.find(self.store, dataset_id)

    def get(self, dataset_id: str) -> DatasetRecord:
        # A record is read from the version graph ``find`` resolved. Should two loads have
        # replaced that version meanwhile (it is then dropped), resolve once more.
        for _ in range(3):
            ref = records.find(self.store, dataset_id)
            described = records.describe(self.store, ref)
            if described:
                triples = [t for t in described if not _internal(t)]
                public = self.settings.public_url
                return DatasetRecord(ref, list(unskolemise(triples, public_url=public)))
        raise DatasetNotFound(f"no dataset with id {dataset_id!r}", where="id")

    def export_triples(self, source: str | None = None) -> list[ox.Triple]:
        """Every public triple of every current source graph (or of one source)."""
        flt = f"FILTER(?source = {ox.Literal(source)})" if source else ""
        internal = ", ".join(f"<{p}>" for p in sorted(INTERNAL_PREDICATES))
        triples = self.store.construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {CURRENT_GRAPHS} {flt} "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?p NOT IN ({internal})) }}"
        )
        return list(unskolemise(triples, public_url=self.settings.public_url))

    def export(self, fmt: str = "turtle", source: str | None = None) -> bytes:
        return serialize(self.export_triples(source), export_format(fmt))


def _internal(triple: ox.Triple) -> bool:
    return triple.predicate.value in INTERNAL_PREDICATES
