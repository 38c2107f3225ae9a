"""Remote graph store: any SPARQL 1.1 server over the standard protocols.

Queries and updates use the SPARQL 1.1 Protocol; bulk adds use the Graph Store Protocol
(one ``POST`` of N-Triples to ``?graph=IRI``, its body serialised and streamed batch by
batch), so memory stays flat whatever the number of triples. Every request is bounded:
a deadline, a cap on the response size, no redirects followed, and no proxy taken from
the environment. Answers a server marks as partial (Virtuoso's ``X-SQL-State: S1TAT``,
or HTTP 206) are refused, never taken as complete, and so are answers cut at a row cap
(Virtuoso's ``X-SPARQL-MaxRows``): on Virtuoso every SELECT without its own LIMIT is read
page by page (:mod:`catalog.store.sparql_dialect`), never as one capped answer. What differs between
servers (Virtuoso 7, Oxigraph server, others) is the settings' ``store_sparql_dialect``,
found from the server's ``Server`` header when ``auto``. Terms come back as pyoxigraph
terms, as on the embedded store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from catalog.errors import ConfigurationError, InvalidInput, QueryTimeout, StoreError
from catalog.store.base import Row
from catalog.store.sparql_dialect import (
    ROW_CAP_HEADER,
    Dialect,
    dialect_of,
    insert_data,
    is_system_graph,
    named_graphs_query,
    plan_pages,
    query_form,
    virtuoso_results,
    virtuoso_term,
)

if TYPE_CHECKING:
    from catalog.settings import Settings

log = logging.getLogger(__name__)

RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
#: Virtuoso's SQL state for an "anytime" query cut at its deadline: the answer is partial.
PARTIAL_SQL_STATE = "S1TAT"
_ERROR_SNIPPET = 2000


class SparqlStore:
    """A SPARQL 1.1 server reached over HTTP (Oxigraph server, Virtuoso, Fuseki, GraphDB).

    ``update_url`` defaults to ``query_url``; without ``gsp_url``, :meth:`add` falls back to
    batched ``INSERT DATA`` updates. ``snapshot_reads`` states whether the server runs each
    query on a consistent snapshot (it cannot be discovered over the protocol).
    """

    name = "sparql"

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        gsp_url: str | None = None,
        *,
        timeout_s: float = 30.0,
        max_response_bytes: int = 256 * 1024 * 1024,
        batch_triples: int = 20_000,
        snapshot_reads: bool = False,
        dialect: Dialect | Literal["auto"] = "auto",
        user: str | None = None,
        password: str | None = None,
        page_rows: int = 10_000,
    ) -> None:
        if not query_url:
            raise ConfigurationError("the remote SPARQL store needs a query endpoint URL")
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self.batch_triples = batch_triples
        self.snapshot_reads = snapshot_reads
        self.page_rows = page_rows
        self._dialect: Dialect | None = None if dialect == "auto" else dialect
        self._authenticated = bool(user)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": "datalab-catalogue"},
            auth=httpx.DigestAuth(user, password or "") if user else None,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SparqlStore:
        """The store the ``DATALAB_SPARQL_*`` settings describe."""
        if not settings.sparql_query_url:
            raise ConfigurationError(
                "DATALAB_SPARQL_QUERY_URL is required when store_backend is sparql"
            )
        return cls(
            settings.sparql_query_url,
            settings.sparql_update_url,
            settings.sparql_gsp_url,
            timeout_s=settings.sparql_timeout_s,
            max_response_bytes=settings.sparql_max_response_bytes,
            batch_triples=settings.sparql_batch_triples,
            snapshot_reads=settings.sparql_snapshot_reads,
            dialect=settings.store_sparql_dialect,
            user=settings.store_sparql_user,
            password=settings.store_sparql_password,
            page_rows=settings.store_sparql_page_rows,
        )

    @property
    def dialect(self) -> Dialect:
        """The server's dialect: as configured, or from its ``Server`` header (asked once)."""
        if self._dialect is None:
            try:  # only the headers are read: a slow body cannot hold the probe
                with self._client.stream(
                    "GET",
                    self.query_url,
                    params={"query": "ASK { }"},
                    headers={"Accept": RESULTS_ACCEPT},
                ) as answer:
                    server = answer.headers.get("server", "")
            except httpx.TimeoutException as exc:
                raise QueryTimeout(
                    f"the SPARQL store did not answer within {self.timeout_s:g} s",
                    where=self.query_url,
                ) from exc
            except httpx.HTTPError as exc:
                raise StoreError(
                    f"cannot reach the SPARQL store: {type(exc).__name__}: {exc}",
                    where=self.query_url,
                ) from exc
            self._dialect = dialect_of(server)
            log.info("SPARQL store %s speaks the %s dialect", self.query_url, self._dialect)
        return self._dialect

    # -- the GraphStore contract ---------------------------------------------------------

    def add(self, graph: str, quads: Iterable[ox.Quad]) -> int:
        """Add triples to ``graph``: one streamed Graph Store Protocol POST of N-Triples.

        The body is produced batch by batch while it is sent, so memory stays flat; being
        one document, blank nodes keep their identity within one call (not across calls).
        Without a Graph Store endpoint, batches go as ``INSERT DATA`` updates, and a blank
        node is then only kept together within one batch.
        """
        _iri(graph)
        sent = 0

        def chunks() -> Iterator[bytes]:
            nonlocal sent
            for batch in _batches(quads, self.batch_triples):
                sent += len(batch)
                yield ox.serialize((q.triple for q in batch), format=ox.RdfFormat.N_TRIPLES) or b""

        body = chunks()
        first = next(body, None)
        if first is None:
            return 0
        # Virtuoso ignores chunked bodies; a digest challenge cannot replay a stream.
        one_request = self.dialect != "virtuoso" and not self._authenticated
        if self.gsp_url and not one_request:
            for chunk in chain([first], body):
                self._send(
                    self.gsp_url,
                    chunk,
                    "application/n-triples",
                    what="graph store add",
                    params={"graph": graph},
                )
            return sent
        if self.gsp_url:
            self._send(
                self.gsp_url,
                chain([first], body),
                "application/n-triples",
                what="graph store add",
                params={"graph": graph},
            )
            return sent
        for chunk in chain([first], body):
            self._update(insert_data(self.dialect, _iri(graph), chunk))
        return sent

    def drop(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH {_iri(graph)}")

    def select(self, query: str) -> list[Row]:
        """Rows of ``query``; on a server that caps its answers (Virtuoso's
        ``ResultSetMaxRows``), read in pages of ``page_rows`` unless it has its own LIMIT.
        Elsewhere one answer, bounded by ``sparql_max_response_bytes``: paging by OFFSET
        re-sorts the whole answer for every page, which a server without a row cap is
        spared."""
        plan = plan_pages(query) if self.dialect == "virtuoso" else None
        if plan is None:
            return self._select_once(query)
        rows: list[Row] = []
        offset = 0
        while True:
            page = self._select_once(plan.page(self.dialect, offset, self.page_rows))
            rows.extend(page)
            if len(page) < self.page_rows:
                return rows
            offset += self.page_rows

    def _select_once(self, query: str) -> list[Row]:
        if query_form(query) in ("ask", "graph"):
            raise InvalidInput("expected a SELECT query")
        result = self._results(query)
        virtuoso = self.dialect == "virtuoso"
        if not isinstance(result, ox.QuerySolutions):
            raise InvalidInput("expected a SELECT query")
        names = [v.value for v in result.variables]
        rows: list[Row] = []
        try:
            for solution in result:
                row: Row = {}
                for name in names:
                    value = solution[name]
                    if value is not None:
                        row[name] = virtuoso_term(value) if virtuoso else value
                rows.append(row)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"the SPARQL store sent malformed results: {exc}") from exc
        return rows

    def ask(self, query: str) -> bool:
        if query_form(query) in ("select", "graph"):
            raise InvalidInput("expected an ASK query")
        result = self._results(query)
        if not isinstance(result, ox.QueryBoolean):
            raise InvalidInput("expected an ASK query")
        return bool(result)

    def construct(self, query: str) -> list[ox.Triple]:
        if query_form(query) in ("select", "ask"):
            raise InvalidInput("expected a CONSTRUCT or DESCRIBE query")
        body, media_type = self._query(query, GRAPH_ACCEPT)
        fmt = ox.RdfFormat.from_media_type(media_type) if media_type else None
        if fmt is None:
            if media_type and ox.QueryResultsFormat.from_media_type(media_type):
                raise InvalidInput("expected a CONSTRUCT or DESCRIBE query")
            raise StoreError(f"the SPARQL store answered a graph as {media_type!r}, not RDF")
        try:
            return [quad.triple for quad in ox.parse(body, format=fmt)]
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"the SPARQL store sent a malformed graph: {exc}") from exc

    def update(self, update: str) -> None:
        self._update(update.encode())

    def named_graphs(self) -> list[str]:
        dialect = self.dialect
        rows = self.select(named_graphs_query(dialect))
        return [
            r["g"].value
            for r in rows
            if isinstance(r.get("g"), ox.NamedNode) and not is_system_graph(dialect, r["g"].value)
        ]

    def close(self) -> None:
        self._client.close()

    # -- HTTP ------------------------------------------------------------------------------

    def _query(self, query: str, accept: str) -> tuple[bytes, str | None]:
        """POST a query: as a form to Virtuoso (it never answers a direct POST)."""
        if self.dialect == "virtuoso":
            form = urlencode({"query": query}).encode()
            return self._send(
                self.query_url, form, "application/x-www-form-urlencoded", accept, "query"
            )
        return self._send(
            self.query_url, query.encode(), "application/sparql-query", accept, "query"
        )

    def _update(self, update: bytes) -> None:
        if self.dialect == "virtuoso":
            form = urlencode({"update": update}).encode()
            self._send(self.update_url, form, "application/x-www-form-urlencoded", what="update")
            return
        self._send(self.update_url, update, "application/sparql-update", what="update")

    def _results(self, query: str) -> ox.QuerySolutions | ox.QueryBoolean:
        body, media_type = self._query(query, RESULTS_ACCEPT)
        fmt = ox.QueryResultsFormat.from_media_type(media_type) if media_type else None
        if fmt is None:
            if media_type and ox.RdfFormat.from_media_type(media_type):
                raise InvalidInput("expected a SELECT or ASK query, not CONSTRUCT or DESCRIBE")
            raise StoreError(f"the SPARQL store answered results as {media_type!r}")
        if self.dialect == "virtuoso" and fmt == ox.QueryResultsFormat.JSON:
            body = virtuoso_results(body)
        try:
            return ox.parse_query_results(body, format=fmt)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"the SPARQL store sent malformed results: {exc}") from exc

    def _send(
        self,
        url: str,
        content: bytes | Iterator[bytes],
        content_type: str,
        accept: str | None = None,
        what: str = "request",
        params: dict[str, str] | None = None,
    ) -> tuple[bytes, str | None]:
        """POST ``content``; return the whole body and its media type, or raise.

        The deadline runs from the start for a query; for a streamed upload (which may
        rightly take long) it runs from the answer's arrival, each write and the wait for
        the answer being bounded by the same timeout.
        """
        headers = {"Content-Type": content_type}
        if accept:
            headers["Accept"] = accept
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._client.stream(
                "POST", url, content=content, headers=headers, params=params
            ) as response:
                if not isinstance(content, bytes):
                    deadline = time.monotonic() + self.timeout_s
                _check_status(response, url, what, deadline)
                body = _read_capped(response, self.max_response_bytes, deadline, url)
        except httpx.TimeoutException as exc:
            raise QueryTimeout(
                f"the SPARQL store did not answer the {what} within {self.timeout_s:g} s",
                where=url,
            ) from exc
        except httpx.HTTPError as exc:
            log.warning("SPARQL store %s unreachable: %s", url, exc)
            raise StoreError(
                f"cannot reach the SPARQL store: {type(exc).__name__}: {exc}", where=url
            ) from exc
        media_type = response.headers.get("content-type")
        return body, media_type.split(";")[0].strip() if media_type else None


def _iri(value: str) -> str:
    """``<value>`` for a SPARQL request, refusing anything that is not one IRI."""
    try:
        return str(ox.NamedNode(value))
    except ValueError as exc:
        raise InvalidInput(f"not a valid graph IRI: {value!r}: {exc}") from exc


def _batches(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    iterator = iter(quads)
    while batch := list(islice(iterator, size)):
        yield batch


def _read_capped(response: httpx.Response, cap: int, deadline: float, url: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > cap:
            raise StoreError(
                f"the SPARQL store's answer exceeds {cap} bytes; "
                "narrow the query or raise DATALAB_SPARQL_MAX_RESPONSE_BYTES",
                where=url,
            )
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("response not complete before the deadline")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_status(response: httpx.Response, url: str, what: str, deadline: float) -> None:
    status = response.status_code
    sql_state = response.headers.get("x-sql-state", "").strip()
    if status == 206 or sql_state.upper() == PARTIAL_SQL_STATE:
        detail = response.headers.get("x-sql-message", "").strip()
        raise StoreError(
            f"the SPARQL store returned an incomplete answer to the {what} "
            f"(HTTP {status}, X-SQL-State {sql_state or '-'}"
            + (f": {detail}" if detail else "")
            + "); it was cut at the server's limit and is not used",
            where=url,
        )
    cap = response.headers.get(ROW_CAP_HEADER, "").strip()
    if cap and 200 <= status < 300:
        raise StoreError(
            f"the SPARQL store cut its answer to the {what} at {cap} rows (its "
            "ResultSetMaxRows); it is not used: set DATALAB_STORE_SPARQL_PAGE_ROWS at most "
            f"{cap}, or raise the server's cap",
            where=url,
        )
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        target = response.headers.get("location", "?")
        raise StoreError(
            f"the SPARQL store answered HTTP {status} redirecting to {target}; "
            "redirects are not followed, configure the final endpoint URL",
            where=url,
        )
    message = _error_text(response, deadline)
    if status == 400:
        raise InvalidInput(f"the SPARQL store rejected the {what}: {message}", where=url)
    if status in (408, 504):
        raise QueryTimeout(f"the SPARQL store timed out on the {what}: {message}", where=url)
    if status in (401, 403):
        hint = "check the endpoint's credentials and permissions"
    elif status == 404:
        hint = "check the endpoint URL"
    elif status == 406:
        raise InvalidInput(f"the SPARQL store cannot answer this {what} form: {message}")
    else:
        hint = "the server failed"
    raise StoreError(
        f"the SPARQL store answered HTTP {status} to the {what} ({hint}): {message}", where=url
    )


def _error_text(response: httpx.Response, deadline: float) -> str:
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= _ERROR_SNIPPET or time.monotonic() > deadline:
            break
    text = data[:_ERROR_SNIPPET].decode("utf-8", "replace").strip()
    return text or response.reason_phrase
