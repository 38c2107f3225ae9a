"""One named graph per source, replaced atomically.

Each load of a source writes a fresh *version* graph that no reader looks at, then flips
the source's ``dlab:currentGraph`` pointer in the meta graph with one SPARQL update. Every
read joins through that pointer in the same query, so a reader sees the old version or the
new one, never a mix. The version before the current one is kept until the next load, so a
reader that resolved the pointer just before a flip can still finish.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from catalog.errors import InvalidInput
from catalog.namespaces import DLAB
from catalog.store.base import GraphStore

META_GRAPH = "urn:datalab:meta"
SOURCE_PREFIX = "urn:datalab:source:"
VERSION_PREFIX = "urn:datalab:graph:"
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

#: A SPARQL fragment binding ?g to every current source graph (and ?source to its name).
CURRENT_GRAPHS = f"GRAPH <{META_GRAPH}> {{ ?src <{DLAB.currentGraph}> ?g ; <{DLAB.name}> ?source }}"


def check_source_name(name: str) -> str:
    if not _SOURCE_NAME.match(name):
        raise InvalidInput(
            f"source name {name!r} must be 1-64 characters of a-z, 0-9, '-' or '_', "
            "starting with a letter or digit",
            where="source",
        )
    return name


def source_iri(name: str) -> str:
    return SOURCE_PREFIX + check_source_name(name)


@dataclass(frozen=True)
class SourceGraph:
    """The current version of one source's graph."""

    name: str
    graph: str
    loaded_at: str | None


class SourceGraphs:
    """Versioned named graphs per source on any :class:`GraphStore`."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def current(self, name: str) -> str | None:
        rows = self.store.select(
            f"SELECT ?g WHERE {{ GRAPH <{META_GRAPH}> "
            f"{{ <{source_iri(name)}> <{DLAB.currentGraph}> ?g }} }}"
        )
        return rows[0]["g"].value if rows else None

    def sources(self) -> list[SourceGraph]:
        rows = self.store.select(
            f"SELECT ?source ?g ?at WHERE {{ {CURRENT_GRAPHS} "
            f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ ?src <{DLAB.loadedAt}> ?at }} }} }} "
            "ORDER BY ?source"
        )
        return [
            SourceGraph(r["source"].value, r["g"].value, r["at"].value if "at" in r else None)
            for r in rows
        ]

    def new_version(self, name: str) -> str:
        """A fresh graph IRI for the next version of source ``name``."""
        check_source_name(name)
        return f"{VERSION_PREFIX}{name}:{uuid.uuid4().hex}"

    def write(self, name: str, quads: Callable[[str], Iterable[ox.Quad]]) -> tuple[str, int]:
        """Write a complete new version of a source; it is not visible until :meth:`publish`.

        ``quads`` is called with the new graph's IRI, so a producer can emit quads already
        in that graph and spare the store a copy of each. Returns the graph and the number
        of triples written.
        """
        graph = self.new_version(name)
        try:
            return graph, self.store.add(graph, quads(graph))
        except BaseException:
            self.store.drop(graph)  # a half-written version never lingers
            raise

    def copy_current(self, name: str) -> str:
        """A new, unpublished version holding a copy of the current one (for upserts)."""
        graph = self.new_version(name)
        current = self.current(name)
        if current:
            self.store.update(f"ADD SILENT GRAPH <{current}> TO GRAPH <{graph}>")
        return graph

    def publish(self, name: str, graph: str) -> None:
        """Make ``graph`` the current version of ``name`` in one atomic update."""
        src = source_iri(name)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        previous = self.current(name)
        self.store.update(
            f"DELETE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.currentGraph}> ?old ; "
            f"<{DLAB.loadedAt}> ?at ; <{DLAB.previousGraph}> ?prev }} }}\n"
            f"INSERT {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.name}> {_lit(name)} ; "
            f"<{DLAB.currentGraph}> <{graph}> ; "
            f'<{DLAB.loadedAt}> "{now}"^^<http://www.w3.org/2001/XMLSchema#dateTime> '
            + (f"; <{DLAB.previousGraph}> <{previous}> " if previous else "")
            + "} }\n"
            f"WHERE {{ OPTIONAL {{ GRAPH <{META_GRAPH}> "
            f"{{ <{src}> <{DLAB.currentGraph}> ?old }} }} "
            f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.loadedAt}> ?at }} }} "
            f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.previousGraph}> ?prev }} }} }}"
        )
        self._collect(name, keep={graph, previous} - {None})

    def update_in_place(
        self,
        name: str,
        graph: str,
        *,
        delete: str = "",
        add_from: str | None = None,
        operations: Iterable[str] = (),
    ) -> None:
        """Change the current version ``graph`` of ``name`` with one atomic update request:
        run the ``delete`` operation and any further ``operations``, copy ``add_from`` in,
        and record the time. Used for upserts, deletes and steward edits, so a change to
        one record never copies a large source."""
        src = source_iri(name)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        ops = [op for op in (delete, *operations) if op]
        if add_from:
            ops.append(f"ADD <{add_from}> TO <{graph}>")
        ops.append(
            f"DELETE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.loadedAt}> ?at }} }} "
            f'INSERT {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.loadedAt}> "{now}"'
            "^^<http://www.w3.org/2001/XMLSchema#dateTime> } } "
            f"WHERE {{ OPTIONAL {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.loadedAt}> ?at }} }} }}"
        )
        self.store.update(" ;\n".join(ops))

    def discard(self, graph: str) -> None:
        """Drop an unpublished version (after a failed load)."""
        self.store.drop(graph)

    def remove_source(self, name: str) -> None:
        """Unpublish a source and drop all its versions."""
        src = source_iri(name)
        self.store.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> ?p ?o }} }}")
        self._collect(name, keep=set())

    def _collect(self, name: str, keep: set[str | None]) -> None:
        prefix = f"{VERSION_PREFIX}{name}:"
        for graph in self.store.named_graphs():
            if graph.startswith(prefix) and graph not in keep:
                self.store.drop(graph)


def _lit(value: str) -> str:
    return str(ox.Literal(value))
