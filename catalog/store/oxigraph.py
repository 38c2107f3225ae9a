"""Embedded graph store: Oxigraph on disk through pyoxigraph. No server to start."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from catalog.disk import disk_full, storage_failure
from catalog.errors import InvalidInput, StoreError
from catalog.store.base import NTriplesSource, Row, Term
from catalog.store.fast_load import load_pipelined, load_sequential

#: Up to this many triples, a chunk is loaded in a transaction rather than by the bulk
#: loader (which costs more up to about 1,000; measured on a store of 20,000 datasets).
SMALL_CHUNK_TRIPLES = 500
_UNFLUSHED = (
    "every write the store had acknowledged is in its write-ahead log and is recovered when "
    "it is next opened"
)


class OxigraphStore:
    """Oxigraph (RocksDB) store in a folder; ``path=None`` keeps it in memory."""

    name = "oxigraph"
    snapshot_reads = True
    #: ``bulk_extend`` holds what it is given in memory: feed it bounded batches.
    batch_quads = 20_000
    #: Lines per N-Triples chunk on the bulk-load path (about 30 MB at 150 bytes a line).
    ntriples_chunk_triples = 200_000
    #: Load chunk k on a thread while chunk k+1 is parsed (``bulk_load`` frees the GIL).
    pipelined = True
    #: Subjects whose quads one transaction of :meth:`drop` deletes; the store is flushed
    #: after each, as RocksDB holds deletions in memory until they are flushed. Dropping a
    #: version of 100,000 datasets: 41.5 s and a peak of 578 MB, against 100 s and 2.6 GB in
    #: one transaction (2,000 subjects a batch: 92.9 s, flushes too often).
    drop_subjects = 5_000

    def __init__(self, path: Path | None) -> None:
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            if disk_full(exc):
                raise storage_failure(exc, kept="nothing was changed", where=str(path)) from exc
            raise StoreError(
                f"cannot open the Oxigraph store: {exc}; is another catalogue process using it?",
                where=str(path),
            ) from exc
        self.path = path

    def add(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        """Add triples to ``graph``; an :class:`NTriplesSource` is bulk-loaded as N-Triples."""
        if isinstance(quads, NTriplesSource):
            chunks = quads.ntriples_chunks(self.ntriples_chunk_triples)
            if chunks is not None:
                load = load_pipelined if self.pipelined else load_sequential
                return load(partial(self.load_ntriples_chunk, graph), chunks)
        target = ox.NamedNode(graph)
        count = 0
        batch: list[ox.Quad] = []
        try:
            for quad in quads:
                if quad.graph_name != target:
                    quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
                batch.append(quad)
                if len(batch) >= self.batch_quads:
                    self._store.bulk_extend(batch)
                    count += len(batch)
                    batch = []
            if batch:
                self._store.bulk_extend(batch)
                count += len(batch)
        except OSError as exc:
            raise StoreError(f"writing to the store failed: {exc}", where=graph) from exc
        return count

    def load_ntriples_chunk(self, graph: str, chunk: bytes) -> None:
        """Bulk-load whole lines of canonical N-Triples, as produced by pyoxigraph's
        serialiser from validated terms, into ``graph``."""
        # ``lenient`` skips re-validating IRIs: every term was validated by the parser that
        # read the untrusted document, and the chunk is pyoxigraph's own serialisation.
        # The bulk loader writes and ingests new files for every index: some 30 ms
        # whatever the chunk's size, so a small chunk (one dataset published, an edit) is
        # loaded in a transaction instead (0.1 ms for 20 triples).
        small = chunk.count(b"\n") <= SMALL_CHUNK_TRIPLES
        load = self._store.load if small else self._store.bulk_load
        try:
            load(chunk, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph), lenient=True)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"bulk load failed: {exc}", where=graph) from exc

    def drop(self, graph: str) -> None:
        """Remove ``graph``: its quads a batch of subjects at a time (:attr:`drop_subjects`),
        then what is left and the graph's name. Only versions no reader uses are dropped (a
        replaced or abandoned one, a failed load's); one left half dropped by a crash is
        dropped again by the next collection."""
        try:
            rows = self._store.query(
                f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}"
            )
            subjects = [str(row[0]) for row in rows]  # type: ignore[union-attr]
        except OSError as exc:
            raise StoreError(f"query failed: {exc}", where=graph) from exc
        flushing = len(subjects) > self.drop_subjects  # a drop of one batch holds little
        for i in range(0, len(subjects), self.drop_subjects):
            values = " ".join(subjects[i : i + self.drop_subjects])
            self.update(
                f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                f"WHERE {{ VALUES ?s {{ {values} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}"
            )
            if flushing:
                self.flush()  # the deletions' in-memory tables, written out
        self.update(f"DROP SILENT GRAPH <{graph}>")  # what is left: other subjects, the name

    def _query(self, query: str) -> object:
        try:
            return self._store.query(query)
        except SyntaxError as exc:
            raise InvalidInput(f"invalid SPARQL query: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def select(self, query: str) -> list[Row]:
        solutions = self._query(query)
        if not isinstance(solutions, ox.QuerySolutions):
            raise InvalidInput("expected a SELECT query")
        names = [v.value for v in solutions.variables]
        rows: list[Row] = []
        for solution in solutions:
            row: Row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return rows

    def subject_objects(self, graph: str, predicate: str) -> list[tuple[str, Term]]:
        """One predicate of one graph, without a row dict per solution (a whole-graph
        projection reads hundreds of thousands of them; a third less CPU than
        :meth:`select`)."""
        solutions = self._query(
            f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}"
        )
        if not isinstance(solutions, ox.QuerySolutions):
            raise InvalidInput("expected a SELECT query")
        return [(s[0].value, s[1]) for s in solutions]

    def graph_ntriples(self, graph: str) -> bytes:
        """One graph's triples as N-Triples, written by the store itself (no Python term
        made per triple): a build reads a version without a kept copy from them
        (:func:`catalog.search.project._dumped_graph`)."""
        try:
            data = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        except ValueError as exc:  # not an IRI
            raise InvalidInput(f"not a graph IRI: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot read the Oxigraph store: {exc}") from exc
        return data or b""  # None only when given a file to write to

    def subject_triples(self, graph: str, subjects: Iterable[str]) -> list[tuple[str, str, Term]]:
        """The descriptions of ``subjects``: one lookup of the subject index each, no query
        to plan (the offers build reads the policies under tens of thousands of records)."""
        g = ox.NamedNode(graph)
        out: list[tuple[str, str, Term]] = []
        try:
            for subject in subjects:
                node = ox.NamedNode(subject)
                out.extend(
                    (subject, q.predicate.value, q.object)  # type: ignore[misc]
                    for q in self._store.quads_for_pattern(node, None, None, g)
                )
        except ValueError as exc:  # not an IRI: what the SELECT would refuse
            raise InvalidInput(f"not an IRI: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot read the Oxigraph store: {exc}") from exc
        return out

    def ask(self, query: str) -> bool:
        result = self._query(query)
        if not isinstance(result, ox.QueryBoolean):
            raise InvalidInput("expected an ASK query")
        return bool(result)

    def construct(self, query: str) -> list[ox.Triple]:
        result = self._query(query)
        if not isinstance(result, ox.QueryTriples):
            raise InvalidInput("expected a CONSTRUCT or DESCRIBE query")
        return list(result)

    def update(self, update: str) -> None:
        try:
            self._store.update(update)
        except SyntaxError as exc:
            raise InvalidInput(f"invalid SPARQL update: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"update failed: {exc}") from exc

    def named_graphs(self) -> list[str]:
        return [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def quads(self, graph: str) -> Iterable[ox.Quad]:
        """Every quad of one named graph (fast path used by exports)."""
        return self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))

    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        try:
            self._store.flush()
        except OSError as exc:  # a full disk, typically: said in words, not a traceback
            raise storage_failure(exc, kept=_UNFLUSHED, where=str(self.path)) from exc
        finally:
            del self._store
