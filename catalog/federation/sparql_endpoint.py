"""The public SPARQL endpoint's engine: a killable worker over a snapshot of public graphs.

The worker is a separate process holding an in-memory Oxigraph store with a copy of the
current public source graphs only (one named graph per source,
``<base_iri>/graph/<source>``, and their union as the default graph); bookkeeping
predicates, the meta graph and unpublished versions are never copied, so no query can
reach them. The snapshot is rebuilt after the catalogue publishes. Each query (checked by
:mod:`catalog.federation.sparql_guard` inside the worker) runs under a deadline: past it
the worker is killed and a fresh one starts on the next query. The answer carries at most
``sparql_endpoint_max_rows`` solutions or triples, and at most ``sparql_max_result_bytes``
bytes: it is serialised inside the worker with a running byte count, and one that passes
the cap is refused whole (413, ``result_too_large``) before a byte of it is sent, since
the SPARQL protocol has no way to mark an answer as cut.

On a graph server (``DATALAB_STORE_BACKEND=sparql``) :func:`open_endpoint` gives a
:class:`catalog.federation.sparql_forward.ForwardingEndpoint` instead, which forwards the
guarded query to the server and copies nothing.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import weakref
from multiprocessing.connection import Connection
from typing import Any, Protocol

import pyoxigraph as ox

from catalog import lifeline
from catalog.errors import QueryTimeout, StoreError
from catalog.federation.sparql_guard import QueryResourcesExceeded
from catalog.federation.sparql_public import public_graph_iri
from catalog.federation.sparql_results import SparqlAnswer, worker_main
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import INTERNAL_PREDICATES
from catalog.service import Catalogue
from catalog.settings import Settings
from catalog.skolem import unskolemise

log = logging.getLogger(__name__)


class PublicSparql(Protocol):
    """What ``/sparql`` runs a query with: the embedded worker or the forwarding endpoint."""

    def query(
        self, text: str, *, results_media: str | None, graph_media: str | None
    ) -> SparqlAnswer: ...

    def close(self) -> None: ...


def open_endpoint(catalogue: Catalogue) -> PublicSparql:
    """The endpoint for the catalogue's store: forwarding on a graph server, else a worker
    over a copy of the public graphs."""
    from catalog.store.sparql import SparqlStore

    if isinstance(catalogue.store, SparqlStore):
        from catalog.federation.sparql_forward import ForwardingEndpoint

        return ForwardingEndpoint(catalogue, catalogue.store)
    return SparqlEndpoint(catalogue)


def snapshot(cat: Catalogue) -> bytes:
    """N-Quads of every current public source graph, renamed to its public graph IRI."""
    internal = ", ".join(f"<{p}>" for p in sorted(INTERNAL_PREDICATES))
    quads: list[ox.Quad] = []
    for src in cat.sources():
        rows = cat.store.select(
            f"SELECT ?s ?p ?o WHERE {{ {CURRENT_GRAPHS} FILTER(?source = {ox.Literal(src.name)}) "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?p NOT IN ({internal})) }}"
        )
        graph = ox.NamedNode(public_graph_iri(cat.settings.base_iri, src.name))
        triples = unskolemise(
            (ox.Triple(r["s"], r["p"], r["o"]) for r in rows),  # type: ignore[arg-type]
            public_url=cat.settings.public_url,
        )
        quads.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


class SparqlEndpoint:
    """Runs public queries in one worker process; thread-safe, one query at a time."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.settings: Settings = catalogue.settings
        self._lock = threading.Lock()
        self._stale = True
        self._proc: Any = None
        self._conn: Connection | None = None
        ref = weakref.ref(self)

        def listener(_source: str, _changed: set[str] | None) -> None:
            me = ref()
            if me is not None:
                me._stale = True

        catalogue.on_publish.append(listener)
        weakref.finalize(self, _stop, self.__dict__)

    def query(
        self, text: str, *, results_media: str | None, graph_media: str | None
    ) -> SparqlAnswer:
        s = self.settings
        if not self._lock.acquire(timeout=s.sparql_endpoint_timeout_s):
            raise QueryTimeout("the SPARQL endpoint is busy; try again", where="query")
        try:
            self._ensure()
            assert self._conn is not None
            self._conn.send(("query", text, results_media, graph_media))
            if not self._conn.poll(s.sparql_endpoint_timeout_s):
                log.warning("SPARQL query stopped after %.1f s", s.sparql_endpoint_timeout_s)
                _stop(self.__dict__)
                raise QueryTimeout(
                    f"the query did not finish within {s.sparql_endpoint_timeout_s:g} s "
                    "and was stopped",
                    where="query",
                    details={"timeout_s": s.sparql_endpoint_timeout_s},
                )
            try:
                outcome = self._conn.recv()
            except (EOFError, OSError):
                _stop(self.__dict__)
                raise QueryResourcesExceeded(
                    "the query used more memory than the endpoint allows and was stopped",
                    where="query",
                ) from None
        finally:
            self._lock.release()
        if outcome[0] == "error":
            raise outcome[1]
        return outcome[1]  # type: ignore[no-any-return]

    def close(self) -> None:
        _stop(self.__dict__)

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.is_alive() and not self._stale:
            return
        data = snapshot(self.catalogue)
        self._stale = False
        if self._proc is None or not self._proc.is_alive():
            ctx = multiprocessing.get_context("spawn")
            parent, child = ctx.Pipe()
            s = self.settings
            self._proc = ctx.Process(
                # ends with this process; started from any request thread, so not ``tied``
                target=lifeline.run_held,
                args=(
                    os.getpid(),
                    False,
                    worker_main,
                    child,
                    s.sparql_endpoint_max_rows,
                    s.sparql_endpoint_max_query_chars,
                    s.sparql_endpoint_memory_bytes,
                    s.sparql_max_result_bytes,
                    s.sparql_endpoint_max_query_nodes,
                ),
                daemon=True,
                name="datalab-sparql",
            )
            self._proc.start()
            child.close()
            self._conn = parent
        assert self._conn is not None
        self._conn.send(("load", data))
        if not self._conn.poll(120) or self._conn.recv() != ("ok",):
            _stop(self.__dict__)
            raise StoreError("the SPARQL worker could not load the public graphs")


def _stop(state: dict[str, Any]) -> None:
    proc, conn = state.get("_proc"), state.get("_conn")
    state["_proc"] = state["_conn"] = None
    if conn is not None:
        conn.close()
    if proc is not None:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
