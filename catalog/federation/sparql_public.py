"""Public projections on a graph server: the graphs a forwarded ``/sparql`` query may see.

A source's current version graph holds, next to its records, the catalogue's bookkeeping
(:data:`catalog.namespaces.INTERNAL_PREDICATES`); restricting a query's dataset to the
version graphs would not hide it (``?s ?p ?o`` binds it). So each source has a projection
on the server, ``<base_iri>/graph/<source>`` (the named graph the embedded endpoint's copy
uses), holding exactly what that copy holds: the current version's triples without the
internal predicates. It is rebuilt by one update request (drop, ``INSERT … WHERE`` from the
version the meta graph names current at that moment, and the mark
``<source> dlab:publicProjectionOf <version>``), atomic on the server like every update,
so a query sees the old projection or the new one.

A projection is stale when its mark names another version than the current one (a
publish flipped it), or when the mark is gone: an in-place change of the current version
(:meth:`catalog.graphs.SourceGraphs.update_in_place`) and every publish heard by an API
process (:func:`invalidate`) delete it. Before each query the marks are read (one small
query) and stale projections rebuilt, so replicas share one set of projections and none
holds a copy. Blank nodes stay skolem IRIs on the server; the endpoint turns them back
into blank nodes in the answer.
"""

from __future__ import annotations

import logging

import pyoxigraph as ox

from catalog.graphs import META_GRAPH, PUBLIC_PROJECTION_OF, SOURCE_PREFIX, source_iri
from catalog.namespaces import DLAB, INTERNAL_PREDICATES
from catalog.store.base import GraphStore

log = logging.getLogger(__name__)


def public_graph_iri(base_iri: str, source: str) -> str:
    """The public name of a source's graph: in the embedded copy and on a graph server."""
    return f"{base_iri.rstrip('/')}/graph/{source}"


def public_graphs(store: GraphStore, base_iri: str) -> list[str]:
    """The current sources' projections, each rebuilt first when it is stale."""
    rows = store.select(
        f"SELECT ?src ?g ?done WHERE {{ GRAPH <{META_GRAPH}> {{ ?src <{DLAB.currentGraph}> ?g "
        f"OPTIONAL {{ ?src <{PUBLIC_PROJECTION_OF}> ?done }} }} }}"
    )
    current: dict[str, bool] = {}
    for row in rows:
        src = row["src"].value
        if not src.startswith(SOURCE_PREFIX):
            continue
        name = src[len(SOURCE_PREFIX) :]
        fresh = row.get("done") == row["g"]
        current[name] = current.get(name, True) and fresh
    stale = sorted(name for name, fresh in current.items() if not fresh)
    for name in stale:
        refresh(store, base_iri, name)
    if stale:
        _drop_orphans(store, base_iri, set(current))
    return [public_graph_iri(base_iri, name) for name in sorted(current)]


def refresh(store: GraphStore, base_iri: str, source: str) -> None:
    """Rebuild one source's projection from its current version, in one update request."""
    src = f"<{source_iri(source)}>"
    public = str(ox.NamedNode(public_graph_iri(base_iri, source)))
    meta = f"GRAPH <{META_GRAPH}>"
    current = f"{meta} {{ {src} <{DLAB.currentGraph}> ?g }}"
    internal = ", ".join(f"<{p}>" for p in sorted(INTERNAL_PREDICATES))
    log.info("rebuilding the public projection %s", public)
    store.update(
        f"DROP SILENT GRAPH {public} ;\n"
        f"DELETE WHERE {{ {meta} {{ {src} <{PUBLIC_PROJECTION_OF}> ?v }} }} ;\n"
        f"INSERT {{ GRAPH {public} {{ ?s ?p ?o }} }} WHERE {{ {current} "
        f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?p NOT IN ({internal})) }} ;\n"
        f"INSERT {{ {meta} {{ {src} <{PUBLIC_PROJECTION_OF}> ?g }} }} WHERE {{ {current} }}"
    )


def invalidate(store: GraphStore, source: str) -> None:
    """Mark a source's projection stale (after a publish): the next query rebuilds it."""
    store.update(
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{source_iri(source)}> "
        f"<{PUBLIC_PROJECTION_OF}> ?v }} }}"
    )


def _drop_orphans(store: GraphStore, base_iri: str, sources: set[str]) -> None:
    """Drop the projections of sources that are no longer published (out of every query's
    dataset already; this only frees the server)."""
    prefix = public_graph_iri(base_iri, "")
    keep = {public_graph_iri(base_iri, name) for name in sources}
    for graph in store.named_graphs():
        if graph.startswith(prefix) and graph not in keep:
            store.drop(graph)
