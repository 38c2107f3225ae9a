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
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pyoxigraph as ox

from catalog import records
from catalog.errors import DatasetNotFound, UnsupportedFormat
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
    """Load, list, show, delete and export DCAT-AP datasets in one graph store."""

    def __init__(self, settings: Settings, store: GraphStore) -> None:
        self.settings = settings
        self.store = store
        self.graphs = SourceGraphs(store, settings)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.context_resolver: ContextResolver = default_context_resolver(settings.jsonld_contexts)
        #: Called after every publish by load/delete/remove_source (e.g. the search index).
        self.on_publish: list[PublishListener] = []

    @classmethod
    def open(cls, settings: Settings) -> Catalogue:
        settings.home.mkdir(parents=True, exist_ok=True)
        return cls(settings, open_store(settings))

    def close(self) -> None:
        self.store.close()

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

    def source_lock(self, source: str) -> threading.Lock:
        """The lock serialising writes to one source."""
        with self._locks_guard:
            return self._locks.setdefault(source, threading.Lock())

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
        self, statements: Iterable[ox.Triple | ox.Quad], *, source: str, replace: bool = False
    ) -> LoadReport:
        """Store already-parsed statements under ``source`` (every write path ends here),
        publish atomically, and tell the publish listeners (search index, offers, SPARQL
        snapshot).

        ``statements`` are triples (or quads, whose graph is ignored): only their subject,
        predicate and object are read, and they go into the source's new graph. The name
        says where they end up (as quads of that graph), not what is passed in."""
        check_source_name(source)
        with self.source_lock(source):
            report = load_quads(
                self.store,
                statements,  # type: ignore[arg-type]  # only s, p, o are read
                source=source,
                replace=replace,
                graphs=self.graphs,
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
        self._published(ref.source, {ref.id})
        return ref

    def remove_source(self, source: str) -> None:
        with self.source_lock(source):
            self.graphs.remove_source(source)
        self._published(source, None)

    def notify_published(self, source: str, changed: set[str] | None) -> None:
        """Tell the publish listeners about a change made outside load/delete (steward edits)."""
        self._published(source, changed)

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
                return DatasetRecord(ref, list(unskolemise(triples)))
        raise DatasetNotFound(f"no dataset with id {dataset_id!r}", where="id")

    def export_triples(self, source: str | None = None) -> list[ox.Triple]:
        """Every public triple of every current source graph (or of one source)."""
        flt = f"FILTER(?source = {ox.Literal(source)})" if source else ""
        internal = ", ".join(f"<{p}>" for p in sorted(INTERNAL_PREDICATES))
        triples = self.store.construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {CURRENT_GRAPHS} {flt} "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?p NOT IN ({internal})) }}"
        )
        return list(unskolemise(triples))

    def export(self, fmt: str = "turtle", source: str | None = None) -> bytes:
        return serialize(self.export_triples(source), export_format(fmt))


def _internal(triple: ox.Triple) -> bool:
    return triple.predicate.value in INTERNAL_PREDICATES
