"""The graph store contract shared by every backend.

Terms crossing this interface are pyoxigraph terms (``NamedNode``, ``BlankNode``,
``Literal``), whatever the backend, so the catalogue's code is the same on the embedded
store and on a remote SPARQL 1.1 server.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]


@runtime_checkable
class NTriplesSource(Protocol):
    """Quads that can also be read, once, as canonical N-Triples chunks (whole lines)."""

    def ntriples_chunks(self, chunk_triples: int) -> Iterator[bytes] | None:
        """Chunks of about ``chunk_triples`` lines, or None: then iterate the quads."""
        ...


@runtime_checkable
class ScansPredicates(Protocol):
    """A store that reads one predicate of one graph faster than a general SELECT."""

    def subject_objects(self, graph: str, predicate: str) -> list[tuple[str, Term]]:
        """Every ``(subject IRI, object)`` of the triples of ``graph`` with ``predicate``,
        as ``SELECT ?s ?o WHERE { GRAPH <graph> { ?s <predicate> ?o } }`` gives them."""
        ...


@runtime_checkable
class DumpsGraphs(Protocol):
    """A store that writes one graph out as canonical N-Triples faster than it answers
    the queries reading the graph's triples back one predicate at a time."""

    def graph_ntriples(self, graph: str) -> bytes:
        """Every triple of ``graph``, as canonical N-Triples (one triple a line)."""
        ...


@runtime_checkable
class DescribesSubjects(Protocol):
    """A store that reads the whole description of given subjects faster than a SELECT
    with their IRIs in a ``VALUES`` block."""

    def subject_triples(self, graph: str, subjects: Iterable[str]) -> list[tuple[str, str, Term]]:
        """Every ``(subject IRI, predicate IRI, object)`` of the triples of ``graph`` whose
        subject is one of the IRIs ``subjects``, as ``SELECT ?s ?p ?o WHERE { GRAPH <graph>
        { VALUES ?s { ... } ?s ?p ?o } }`` gives them."""
        ...


@runtime_checkable
class GraphStore(Protocol):
    """A quad store with SPARQL 1.1 query and update.

    Capability flags tell callers what a backend can do without trying it.
    """

    name: str
    #: True when each SPARQL query runs on a consistent snapshot of the whole store.
    snapshot_reads: bool

    def add(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        """Add triples (the quads' own graph is ignored) to the named graph ``graph``.

        Returns the number of triples sent. Not atomic: write into a graph no reader uses
        yet, and make it visible with one :meth:`update`. When ``quads`` is also an
        :class:`NTriplesSource`, a backend may bulk-load its N-Triples chunks instead of
        iterating it (the embedded store does); the stored triples are the same.
        """
        ...

    def drop(self, graph: str) -> None:
        """Remove a named graph and everything in it; silent when it does not exist."""
        ...

    def select(self, query: str) -> list[Row]:
        """Run a SELECT query; each row maps variable names to terms (unbound omitted)."""
        ...

    def ask(self, query: str) -> bool:
        """Run an ASK query."""
        ...

    def construct(self, query: str) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query."""
        ...

    def update(self, update: str) -> None:
        """Run a SPARQL 1.1 Update request; one request is applied atomically."""
        ...

    def named_graphs(self) -> list[str]:
        """The IRIs of every named graph in the store."""
        ...

    def close(self) -> None:
        """Release files, locks and connections."""
        ...
