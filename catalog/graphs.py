"""One named graph per source, replaced atomically.

Each load of a source writes a fresh *version* graph that no reader looks at, then flips
the source's ``dlab:currentGraph`` pointer in the meta graph with one SPARQL update. Every
read joins through that pointer in the same query, so a reader sees the old version or the
new one, never a mix. The version before the current one is kept until the next load, so a
reader that resolved the pointer just before a flip can still finish.

Several writers (threads, processes, API replicas over one SPARQL server) may load one
source at once. The flip is a compare-and-set on the version the writer read: a writer that
lost the race reads again and flips from the winner's version (the last complete version
wins), or fails loudly after a few tries; it never publishes over a version it did not see.
A version is dropped only when it is known to be finished with (the version displaced from
"previous") or when it is older than the ``unpublished_grace_s`` setting: a version another
writer is still writing is never taken from under it. A writer that lost the race tries
``publish_attempts`` times (a setting too).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from catalog import graph_copies
from catalog.errors import Conflict, InvalidInput
from catalog.namespaces import DLAB
from catalog.settings import Settings, default_of
from catalog.store.base import GraphStore

log = logging.getLogger(__name__)
META_GRAPH = "urn:datalab:meta"
SOURCE_PREFIX = "urn:datalab:source:"
VERSION_PREFIX = "urn:datalab:graph:"
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

#: On a graph server, ``<source> dlab:publicProjectionOf <version>`` says that the source's
#: public projection (:mod:`catalog.federation.sparql_public`) was built from that version.
PUBLIC_PROJECTION_OF = str(DLAB) + "publicProjectionOf"
#: ``<source> dlab:factsRead "token"``: a read of the source's facts began under that token
#: and no change was made in place since (:mod:`catalog.facts.table`).
FACTS_READ = str(DLAB) + "factsRead"

#: A SPARQL fragment binding ?g to every current source graph (and ?source to its name).
CURRENT_GRAPHS = f"GRAPH <{META_GRAPH}> {{ ?src <{DLAB.currentGraph}> ?g ; <{DLAB.name}> ?source }}"


def graph_filter(graphs: Iterable[str], var: str = "?g") -> str:
    """A SPARQL ``FILTER`` keeping ``var`` among ``graphs``: with ``GRAPH ?g`` left open, the
    store looks a bound term up once over every graph and keeps the wanted ones, where a
    join with :data:`CURRENT_GRAPHS` looks it up once per graph."""
    return f"FILTER({var} IN ({', '.join(f'<{g}>' for g in sorted(graphs))}))"


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

    def __init__(self, store: GraphStore, settings: Settings | None = None) -> None:
        """``settings`` give the publish attempts and the grace of unpublished versions
        (their documented defaults without it)."""
        self.store = store
        #: Where loaded versions' N-Triples are kept (:mod:`catalog.graph_copies`); ``None``:
        #: not kept.
        self.copies: Path | None = None
        if settings is None:
            self.publish_attempts = int(default_of("publish_attempts"))
            self.unpublished_grace_s = float(default_of("unpublished_grace_s"))
        else:
            self.publish_attempts = settings.publish_attempts
            self.unpublished_grace_s = settings.unpublished_grace_s
            if settings.keep_graph_ntriples:
                self.copies = settings.home / graph_copies.FOLDER

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
        """A fresh graph IRI for the next version of source ``name`` (its creation time in
        milliseconds, then a random part)."""
        check_source_name(name)
        return f"{VERSION_PREFIX}{name}:{time.time_ns() // 1_000_000}-{uuid.uuid4().hex}"

    def pointers(self, name: str) -> tuple[str | None, str | None]:
        """The source's current and previous versions, read together."""
        src = source_iri(name)
        rows = self.store.select(
            f"SELECT ?g ?p WHERE {{ GRAPH <{META_GRAPH}> {{ "
            f"OPTIONAL {{ <{src}> <{DLAB.currentGraph}> ?g }} "
            f"OPTIONAL {{ <{src}> <{DLAB.previousGraph}> ?p }} }} }}"
        )
        r = rows[0] if rows else {}
        return (r["g"].value if "g" in r else None, r["p"].value if "p" in r else None)

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

    def copy_writer(self, graph: str) -> graph_copies.CopyWriter | None:
        """A writer of the N-Triples new version ``graph`` is loaded from (``None``: not
        kept here); :meth:`keep_copy` names it to readers before the version is published."""
        return graph_copies.CopyWriter(self.copies, graph) if self.copies is not None else None

    def keep_copy(self, name: str, copy: graph_copies.CopyWriter) -> bool:
        """Seal ``copy`` and name it as the exact N-Triples of its version (unpublished
        yet: no change in place can come before this mark, and every later one removes
        it); ``False``: the copy was voided or could not be sealed."""
        if not copy.seal():
            return False
        src = source_iri(name)
        self.store.update(
            f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{graph_copies.KEPT}> ?v }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{src}> <{graph_copies.KEPT}> "
            f"<{copy.graph}> }} }}"
        )
        return True

    def kept_copy(self, name: str, graph: str) -> Path | None:
        """The kept N-Triples of version ``graph`` of ``name`` if they are still exactly the
        version (not changed in place since) and on this machine; else ``None``."""
        if self.copies is None:
            return None
        path = graph_copies.copy_path(self.copies, graph)
        if not path.is_file():
            return None
        marked = self.store.ask(
            f"ASK {{ GRAPH <{META_GRAPH}> {{ <{source_iri(name)}> <{graph_copies.KEPT}> "
            f"<{graph}> }} }}"
        )
        return path if marked else None

    def _remove_copy(self, graph: str) -> None:
        """Remove the kept copy of version ``graph``, or what a killed load staged of it."""
        if self.copies is not None:
            path = graph_copies.copy_path(self.copies, graph)
            path.unlink(missing_ok=True)
            graph_copies.staging_path(path).unlink(missing_ok=True)

    def copy_current(self, name: str) -> str:
        """A new, unpublished version holding a copy of the current one (for upserts)."""
        graph = self.new_version(name)
        current = self.current(name)
        if current:
            self.store.update(f"ADD SILENT GRAPH <{current}> TO GRAPH <{graph}>")
        return graph

    def publish(self, name: str, graph: str) -> str | None:
        """Make ``graph`` the current version of ``name``: a compare-and-set on the version
        read just before, retried when another writer published meanwhile. Returns the
        version it replaced (None for the source's first), kept as the previous one."""
        for _ in range(self.publish_attempts):
            current, previous = self.pointers(name)
            self._flip(name, graph, current, previous)
            self._settle(name, graph)
            if self._was_published(name, graph):
                self._collect(name)
                return current  # published (and maybe already replaced by a later writer)
        raise Conflict(
            f"source {name!r} was published by other writers {self.publish_attempts} times while "
            "this version waited; nothing of it was published",
            where=name,
        )

    def _settle(self, name: str, graph: str) -> None:
        """Leave one current version when concurrent flips both applied (a store that does
        not serialise concurrent updates, e.g. Oxigraph server): the newest version wins,
        the same choice every writer makes, and the others are dropped as displaced."""
        src = source_iri(name)
        rows = self.store.select(
            f"SELECT ?g WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.currentGraph}> ?g }} }}"
        )
        currents = sorted({r["g"].value for r in rows}, key=_version_key)
        if len(currents) < 2:
            return
        winner, losers = currents[-1], currents[:-1]
        log.warning("source %s had %d current versions; keeping %s", name, len(currents), winner)
        values = " ".join(f"<{g}>" for g in losers)
        self.store.update(
            f"DELETE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.currentGraph}> ?g }} }} "
            f"WHERE {{ VALUES ?g {{ {values} }} GRAPH <{META_GRAPH}> "
            f"{{ <{src}> <{DLAB.currentGraph}> ?g }} }}"
        )
        for loser in losers:
            self._drop_version(loser)

    def _was_published(self, name: str, graph: str) -> bool:
        """Whether a flip to ``graph`` took effect: it is marked as a published version, or
        it was published, displaced twice and dropped already (a version is never empty)."""
        return self.store.ask(
            f"ASK {{ {{ GRAPH <{META_GRAPH}> {{ <{graph}> <{DLAB.publishedVersionOf}> "
            f"<{source_iri(name)}> }} }} UNION {{ FILTER NOT EXISTS {{ GRAPH <{graph}> "
            "{ ?s ?p ?o } } } }"
        )

    def _drop_version(self, graph: str) -> None:
        """Drop a version, then its published mark (in this order: see _was_published)."""
        self.store.drop(graph)
        self._remove_copy(graph)
        self.store.update(
            f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{graph}> "
            f"<{DLAB.publishedVersionOf}> ?s }} }}"
        )

    def _flip(self, name: str, graph: str, expected: str | None, previous: str | None) -> None:
        """One update request of required patterns only (no OPTIONAL): Virtuoso 7 applies
        nothing of an update whose WHERE leaves a template variable unbound."""
        src = source_iri(name)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        meta = f"GRAPH <{META_GRAPH}>"
        insert = (
            f"{meta} {{ <{src}> <{DLAB.name}> {_lit(name)} ; "
            f"<{DLAB.currentGraph}> <{graph}> ; "
            f'<{DLAB.loadedAt}> "{now}"^^<http://www.w3.org/2001/XMLSchema#dateTime> '
            + (f"; <{DLAB.previousGraph}> <{expected}> " if expected else "")
            + f". <{graph}> <{DLAB.publishedVersionOf}> <{src}> }}"
        )
        if expected is None:
            self.store.update(
                f"INSERT {{ {insert} }} WHERE {{ FILTER NOT EXISTS "
                f"{{ {meta} {{ <{src}> <{DLAB.currentGraph}> ?any }} }} }}"
            )
            return
        guard = f"<{src}> <{DLAB.currentGraph}> <{expected}>"
        self.store.update(
            f"DELETE {{ {meta} {{ <{src}> <{DLAB.loadedAt}> ?at }} }} "
            f"WHERE {{ {meta} {{ {guard} ; <{DLAB.loadedAt}> ?at }} }} ;\n"
            f"DELETE {{ {meta} {{ <{src}> <{DLAB.previousGraph}> ?prev }} }} "
            f"WHERE {{ {meta} {{ {guard} ; <{DLAB.previousGraph}> ?prev }} }} ;\n"
            f"DELETE {{ {meta} {{ {guard} }} }} INSERT {{ {insert} }} "
            f"WHERE {{ {meta} {{ {guard} }} }}"
        )

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
        record the time and mark the public projection stale. Used for upserts, deletes
        and steward edits, so a change to one record never copies a large source."""
        src = source_iri(name)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        ops = [op for op in (delete, *operations) if op]
        if add_from:
            ops.append(f"ADD <{add_from}> TO <{graph}>")
        ops.append(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.loadedAt}> ?at }} }}")
        # the version changed in place: its public projection, its stored facts and its
        # kept N-Triples, if any, are stale
        for stale in (PUBLIC_PROJECTION_OF, FACTS_READ, graph_copies.KEPT):
            ops.append(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{stale}> ?v }} }}")
        ops.append(
            f'INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{src}> <{DLAB.loadedAt}> "{now}"'
            "^^<http://www.w3.org/2001/XMLSchema#dateTime> } }"
        )
        self.store.update(" ;\n".join(ops))

    def begin_facts_read(self, name: str) -> str:
        """Mark the start of a read of ``name``'s facts; returns its token, which the next
        change in place removes (see :meth:`facts_read`)."""
        token = uuid.uuid4().hex
        src = source_iri(name)
        self.store.update(
            f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{FACTS_READ}> ?v }} }} ;\n"
            f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{src}> <{FACTS_READ}> {_lit(token)} }} }}"
        )
        return token

    def facts_read(self, name: str) -> str | None:
        """The token of the last read of ``name``'s facts begun, unless the source was
        changed in place since (``None``)."""
        src = source_iri(name)
        rows = self.store.select(
            f"SELECT ?t WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> <{FACTS_READ}> ?t }} }}"
        )
        tokens = {r["t"].value for r in rows}
        return tokens.pop() if len(tokens) == 1 else None

    def discard(self, graph: str) -> None:
        """Drop an unpublished version (after a failed load)."""
        self.store.drop(graph)
        self._remove_copy(graph)

    def remove_source(self, name: str) -> None:
        """Unpublish a source and drop its versions (a version another writer may still be
        writing is left to it, and collected once it is old)."""
        current, previous = self.pointers(name)
        src = source_iri(name)
        self.store.update(f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{src}> ?p ?o }} }}")
        for graph in {current, previous} - {None}:
            self._drop_version(graph)  # type: ignore[arg-type]
        self._collect(name)

    def _collect(self, name: str) -> None:
        """Drop this source's versions no reader or writer needs: those once published and
        now neither current nor previous, and unpublished ones older than the grace period
        (younger ones may belong to a writer still at work), with their kept N-Triples; and
        any source's N-Triples staging files untouched for as long."""
        prefix = f"{VERSION_PREFIX}{name}:"
        src = source_iri(name)
        rows = self.store.select(
            f"SELECT ?g ?kind WHERE {{ GRAPH <{META_GRAPH}> {{ "
            f"{{ <{src}> <{DLAB.currentGraph}> ?g BIND('keep' AS ?kind) }} UNION "
            f"{{ <{src}> <{DLAB.previousGraph}> ?g BIND('keep' AS ?kind) }} UNION "
            f"{{ ?g <{DLAB.publishedVersionOf}> <{src}> BIND('published' AS ?kind) }} }} }}"
        )
        keep = {r["g"].value for r in rows if r["kind"].value == "keep"}
        published = {r["g"].value for r in rows if r["kind"].value == "published"}
        oldest = time.time() - self.unpublished_grace_s
        existing = {g for g in self.store.named_graphs() if g.startswith(prefix)}
        for graph in existing - keep:
            created = _created(graph[len(prefix) :])
            if graph in published or created is None or created < oldest:
                self._drop_version(graph)
        for graph in published - keep - existing:  # marks of versions dropped elsewhere
            self.store.update(
                f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{graph}> "
                f"<{DLAB.publishedVersionOf}> ?s }} }}"
            )
        if self.copies is not None:  # staged by loads killed before the store held any
            graph_copies.sweep_staged(self.copies, oldest)


def _version_key(graph: str) -> tuple[float, str]:
    created = _created(graph.rsplit(":", 1)[-1])
    return (created or 0.0, graph)


def _created(version: str) -> float | None:
    """A version's creation time (seconds), or None for a name without one (older ones)."""
    stamp, _, rest = version.partition("-")
    return int(stamp) / 1000 if rest and stamp.isdigit() else None


def _lit(value: str) -> str:
    return str(ox.Literal(value))
