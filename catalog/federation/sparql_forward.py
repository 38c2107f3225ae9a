"""The public SPARQL endpoint on a graph server: guarded queries forwarded, never a copy.

With ``DATALAB_STORE_BACKEND=sparql`` every replica shares one graph server, so no replica
keeps a copy of the public graphs (:mod:`catalog.federation.sparql_endpoint` does, for the
embedded store). A query is checked by the same guard (read-only, no ``SERVICE``, no
``FROM``, size and parse-tree limits), then by :func:`catalog.federation.sparql_scope.
check_scope` (``GRAPH <iri>`` only on a public graph, no extension functions), and sent to
the server over the store's bounded HTTP client with its dataset fixed by the protocol's
``default-graph-uri`` and ``named-graph-uri``: the public projections
(:mod:`catalog.federation.sparql_public`), as a union default graph and as named graphs, as
in the embedded copy. The answer is read under ``sparql_endpoint_timeout_s`` (past it:
504 ``query_timeout``) and at most ``sparql_max_result_bytes`` (past it, reading stops:
413 ``result_too_large``), then written in the negotiated format by the embedded
endpoint's own writers (the row cap, ``X-Datalab-Truncated``, the byte cap once more),
with skolem IRIs turned back into blank nodes.
"""

from __future__ import annotations

import logging
import time
import weakref
from dataclasses import replace
from itertools import islice
from typing import Any

import pyoxigraph as ox

from catalog.errors import DatalabError, InvalidInput, QueryTimeout, StoreError
from catalog.federation.sparql_guard import ResultTooLarge, check_query
from catalog.federation.sparql_public import invalidate, public_graphs
from catalog.federation.sparql_results import (
    RESULTS_JSON,
    Solutions,
    SparqlAnswer,
    answer_media,
    serialise,
)
from catalog.federation.sparql_scope import check_scope
from catalog.service import Catalogue
from catalog.skolem import unskolemise, unskolemise_term
from catalog.store.sparql import SparqlStore
from catalog.store.sparql_dialect import virtuoso_results, virtuoso_term

log = logging.getLogger(__name__)

#: The dataset of a query when no source is published yet: a graph nothing is ever in.
NO_GRAPH = "urn:datalab:public:none"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"


class ForwardingEndpoint:
    """Answers public queries on the graph server; thread-safe, holds no graph."""

    def __init__(self, catalogue: Catalogue, store: SparqlStore) -> None:
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.store = store
        ref = weakref.ref(self)

        def listener(source: str, _changed: set[str] | None) -> None:
            me = ref()
            if me is not None:
                invalidate(me.store, source)

        catalogue.on_publish.append(listener)

    def query(
        self, text: str, *, results_media: str | None, graph_media: str | None
    ) -> SparqlAnswer:
        s = self.settings
        started = time.monotonic()
        form = check_query(
            text, s.sparql_endpoint_max_query_chars, s.sparql_endpoint_max_query_nodes
        )
        media = answer_media(form, results_media, graph_media)
        graphs = public_graphs(self.store, s.base_iri)
        check_scope(text, set(graphs))
        dataset = [("default-graph-uri", g) for g in graphs or [NO_GRAPH]]
        dataset += [("named-graph-uri", g) for g in graphs or [NO_GRAPH]]
        left = s.sparql_endpoint_timeout_s - (time.monotonic() - started)
        if left <= 0:
            raise _timeout(s.sparql_endpoint_timeout_s)
        body, media_type, cut = self._forward(text, form, dataset, left)
        result = self._parse(body, media_type, form)
        answer = serialise(
            result, form, media, s.sparql_endpoint_max_rows, s.sparql_max_result_bytes
        )
        # a server that cut its answer at its own row cap: what it sent, marked truncated
        return replace(answer, truncated=True) if cut else answer

    def close(self) -> None:
        """Nothing to stop: the endpoint holds no process and no graph."""

    def _forward(
        self, text: str, form: str, dataset: list[tuple[str, str]], timeout_s: float
    ) -> tuple[bytes, str | None, bool]:
        accept = RESULTS_JSON if form in ("select", "ask") else GRAPH_ACCEPT
        try:
            return self.store.forward(
                text,
                accept,
                dataset=dataset,
                timeout_s=timeout_s,
                max_bytes=self.settings.sparql_max_result_bytes,
                too_large=_too_large,
            )
        except QueryTimeout:
            log.warning("forwarded SPARQL query stopped after %.1f s", timeout_s)
            raise _timeout(self.settings.sparql_endpoint_timeout_s) from None
        except ResultTooLarge:
            raise
        except InvalidInput as exc:  # the server's 400: its message, never its address
            raise InvalidInput(
                f"the graph server refused the query: {exc.message[:500]}", where="query"
            ) from None
        except DatalabError as exc:
            log.warning("forwarded SPARQL query failed: %s", exc)
            raise StoreError("the graph server could not answer the query", where="query") from None

    def _parse(
        self, body: bytes, media_type: str | None, form: str
    ) -> ox.QueryBoolean | Solutions | list[ox.Triple]:
        """The answer read whole (it is within the byte cap), so no pyoxigraph iterator
        outlives this thread; skolem IRIs become blank nodes again, stored links to the API
        URLs on the public URL (a FILTER on the server still sees their stored form)."""
        virtuoso = self.store.dialect == "virtuoso"
        try:
            if form in ("select", "ask"):
                if media_type != RESULTS_JSON:
                    raise StoreError(f"the graph server answered results as {media_type!r}")
                parsed = ox.parse_query_results(
                    virtuoso_results(body) if virtuoso else body,
                    format=ox.QueryResultsFormat.JSON,
                )
                if isinstance(parsed, ox.QueryBoolean):
                    return parsed
                names = [v.value for v in parsed.variables]
                rows = [
                    {n: self._term(s[n]) for n in names if s[n] is not None}
                    for s in islice(parsed, self.settings.sparql_endpoint_max_rows + 1)
                ]
                del parsed
                return Solutions(names, rows)
            fmt = ox.RdfFormat.from_media_type(media_type) if media_type else None
            if fmt is None:
                raise StoreError(f"the graph server answered a graph as {media_type!r}")
            quads = ox.parse(body, format=fmt)
            public = self.settings.public_url
            return [_vt(t) if virtuoso else t for t in unskolemise(quads, public_url=public)]
        except (SyntaxError, ValueError) as exc:
            log.warning("the graph server sent a malformed answer: %s", exc)
            raise StoreError("the graph server sent a malformed answer", where="query") from None

    def _term(self, term: Any) -> Any:
        term = unskolemise_term(term, public_url=self.settings.public_url)
        return virtuoso_term(term) if self.store.dialect == "virtuoso" else term


def _vt(triple: ox.Triple) -> ox.Triple:
    return ox.Triple(triple.subject, triple.predicate, virtuoso_term(triple.object))  # type: ignore[arg-type]


def _too_large(cap: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"the graph server's answer passed the cap of {cap} bytes and was not sent; ask "
        "for fewer rows (LIMIT) or shorter values",
        where="query",
        details={"limit": "sparql_max_result_bytes", "cap": cap},
    )


def _timeout(timeout_s: float) -> QueryTimeout:
    return QueryTimeout(
        f"the query did not finish within {timeout_s:g} s and was stopped",
        where="query",
        details={"timeout_s": timeout_s},
    )
