"""SHACL conformance of records and sources for the quality reports, cached per version."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from catalog.errors import QueryTimeout, ShapesError
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue
from catalog.validation import ValidationReport, load_shapes, validate_graph

log = logging.getLogger("catalog.quality")


def _digest(triples: Iterable[ox.Triple]) -> str:
    lines = sorted(str(t) for t in triples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


class ConformanceCache:
    """SHACL outcomes of records and sources, cached per version (bounded, thread-safe).

    A record's key is the digest of its triples, so any change to the record re-validates
    it; a source's key is its current graph version and its newest row in the change feed
    (upserts change a version in place). A validation that fails or times out
    is not cached: the report then says conformance is unknown.
    """

    def __init__(self, catalogue: Catalogue, entries: int = 256) -> None:
        self.catalogue = catalogue
        self.entries = entries
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        #: Keys being computed on a background thread (see :meth:`source_soon`).
        self._running: dict[str, threading.Event] = {}

    def _cached(self, key: str, compute: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return value

    def _validate(self, triples: list[ox.Triple]) -> ValidationReport:
        s = self.catalogue.settings
        graph = to_rdflib_graph(triples)
        return validate_graph(graph, load_shapes(s.shapes_path), timeout_s=s.validation_timeout_s)

    def record(self, dataset_id: str) -> tuple[Any, ValidationReport | None]:
        """The record of ``dataset_id`` and its SHACL report (None when validation failed)."""
        record = self.catalogue.get(dataset_id)
        key = "record:" + _digest(record.triples)
        try:
            return record, self._cached(key, lambda: self._validate(record.triples))
        except (QueryTimeout, ShapesError) as exc:
            log.warning("SHACL validation of %s failed: %s", dataset_id, exc)
            return record, None

    def source(self, source: str) -> dict[str, bool] | None:
        """Dataset IRI -> conforms, for every dataset of ``source`` (one validation)."""
        version = self.catalogue.graphs.current(source)
        if version is None:
            return None

        def compute() -> dict[str, bool]:
            triples = self.catalogue.export_triples(source)
            report = self._validate(triples)
            bad = {f.dataset or f.focus for f in report.violations()}
            page_ids = []
            cursor = None
            while True:
                page = self.catalogue.datasets(cursor=cursor, source=source, limit=1000)
                page_ids += [item.iri for item in page.items]
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            return {iri: iri not in bad for iri in page_ids}

        try:
            return self._cached(self._source_key(source, version), compute)  # type: ignore[no-any-return]
        except (QueryTimeout, ShapesError) as exc:
            log.warning("SHACL validation of source %s failed: %s", source, exc)
            return None

    def _source_key(self, source: str, version: str) -> str:
        """A source's key: its graph version and its newest row in the change feed (an
        upsert or a steward's edit changes a version in place, and appends a row)."""
        return f"source:{version}@{self.catalogue.changes.last_of(source)}"

    def source_soon(self, source: str, wait_s: float) -> dict[str, bool] | None:
        """:meth:`source` without holding a page up: the cached outcome at once; else the
        validation starts on a background thread (once per version, however many ask) and
        is waited for at most ``wait_s``. None while it runs: the quality report then says
        conformance is unknown, which is true, and the next visit finds it cached.

        A page calls this, not :meth:`source`: validating a source means starting the
        validator process (importing pySHACL, about two seconds on a cold server) and
        reading the whole source, which no page view should wait for."""
        version = self.catalogue.graphs.current(source)
        if version is None:
            return None
        key = self._source_key(source, version)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
            done = self._running.get(key)
            if done is None:
                done = self._running[key] = threading.Event()
                worker = threading.Thread(
                    target=self._compute_source, args=(source, key, done), daemon=True
                )
                worker.start()
        done.wait(wait_s)
        with self._lock:
            return self._items.get(key)

    def _compute_source(self, source: str, key: str, done: threading.Event) -> None:
        try:
            self.source(source)
        except Exception as exc:  # a check that fails (or outlives the catalogue, closed
            # meanwhile) leaves conformance unknown; the next visit starts it again
            log.warning("SHACL validation of source %s failed: %s", source, exc)
        finally:
            with self._lock:
                self._running.pop(key, None)
            done.set()
