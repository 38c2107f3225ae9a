"""``/sparql``: the SPARQL 1.1 Protocol, read-only, over the catalogue's public graphs.

GET ``?query=``, POST ``application/x-www-form-urlencoded`` (``query=``) or POST
``application/sparql-query``. Results as SPARQL JSON, XML, CSV or TSV (``application/json``
and ``application/xml`` get JSON and XML results); CONSTRUCT and DESCRIBE as Turtle,
N-Triples, JSON-LD or RDF/XML. A request that is not one query (none, two, a body that is
not UTF-8, no Content-Type) and a query that does not parse are 400, with the reason.
Updates, ``SERVICE``, ``FROM`` and the ``default-graph-uri``/``named-graph-uri``
parameters are refused (400 ``query_refused``); see
:mod:`catalog.federation.sparql_endpoint` for the deadline, the row cap and the dataset
(and :mod:`catalog.federation.sparql_forward` on a graph server).

Reads are open to web pages on any origin: every answer carries
``Access-Control-Allow-Origin: *`` and ``OPTIONS`` answers CORS preflights.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from api.deps import SettingsDep, SparqlDep
from api.negotiation import negotiate
from api.routing import CorsReadRoute
from catalog.errors import InvalidInput, LimitExceeded, NotAcceptable, UnsupportedFormat
from catalog.federation.sparql_endpoint import PublicSparql
from catalog.federation.sparql_guard import QueryRefused
from catalog.federation.sparql_results import (
    GRAPH_ALIASES,
    GRAPH_TYPES,
    RESULTS_ALIASES,
    RESULTS_TYPES,
    SparqlAnswer,
)

router = APIRouter(tags=["federation"], route_class=CorsReadRoute)
READ_ONLY = "updates are never run here; this endpoint is read-only"
PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
    "Access-Control-Max-Age": "86400",
    "Allow": "GET, POST, OPTIONS",
}
_FORBIDDEN_PARAMS = (
    "default-graph-uri",
    "named-graph-uri",
    "using-graph-uri",
    "using-named-graph-uri",
)


def _pick(accept: str | None, offered: list[str], aliases: dict[str, str]) -> str | None:
    try:
        media = negotiate(accept, offered + list(aliases))
    except NotAcceptable:
        return None
    return aliases.get(media, media)


def _one_query(values: list[str], where: str) -> str:
    """The request's one query; none or several is a malformed request (400)."""
    if not values:
        raise InvalidInput(
            "the request has no query: send ?query=, a form field query= or an "
            "application/sparql-query body",
            where=where,
        )
    if len(values) > 1:
        raise InvalidInput(f"the request has {len(values)} queries; send exactly one", where=where)
    return values[0]


def _run(request: Request, endpoint: PublicSparql, text: str, accept: str | None) -> Response:
    for name in _FORBIDDEN_PARAMS:
        if name in request.query_params:
            raise QueryRefused(
                f"{name} is not accepted: the endpoint's dataset is the public graphs",
                where=name,
            )
    if "update" in request.query_params:
        raise QueryRefused(READ_ONLY, where="update")
    answer: SparqlAnswer = endpoint.query(
        text,
        results_media=_pick(accept, RESULTS_TYPES, RESULTS_ALIASES),
        graph_media=_pick(accept, list(GRAPH_TYPES), GRAPH_ALIASES),
    )
    headers = {"Vary": "Accept", "X-Datalab-Truncated": "true" if answer.truncated else "false"}
    return Response(answer.body, media_type=answer.media_type, headers=headers)


@router.get("/sparql", operation_id="sparql_query_get")
def sparql_get(
    request: Request,
    endpoint: SparqlDep,
    query: Annotated[
        str | None, Query(description="A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE).")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Run a read-only SPARQL query over the public graphs."""
    text = _one_query(request.query_params.getlist("query"), "query")
    return _run(request, endpoint, text, accept)


@router.options("/sparql", include_in_schema=False)
def sparql_preflight() -> Response:
    """CORS preflight (and ``OPTIONS``): any origin may read with GET or POST."""
    return Response(status_code=204, headers=PREFLIGHT)


@router.post("/sparql", operation_id="sparql_query_post")
async def sparql_post(
    request: Request,
    endpoint: SparqlDep,
    settings: SettingsDep,
    accept: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    """The same, with the query in a form field or as an application/sparql-query body."""
    body = await request.body()
    if len(body) > settings.sparql_endpoint_max_query_chars * 4 + 1024:
        raise LimitExceeded("the request body is too large", where="body")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"the request body is not UTF-8 (byte {exc.start})", where="body"
        ) from None
    if media == "application/sparql-query":
        if "query" in request.query_params:
            raise InvalidInput(
                "the request has a query in the body and another in the URL; send one",
                where="query",
            )
        query = text
    elif media == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise InvalidInput("a form field is not UTF-8", where="body") from None
        if "update" in form:
            raise QueryRefused(READ_ONLY, where="update")
        query = _one_query(form.get("query", []), "query")
    elif media == "application/sparql-update":
        raise QueryRefused(READ_ONLY, where="Content-Type")
    elif not media:
        raise InvalidInput(
            "the request has no Content-Type; send application/sparql-query or an urlencoded form",
            where="Content-Type",
        )
    else:
        raise UnsupportedFormat(
            f"Content-Type {media} is not a SPARQL query request; send "
            "application/sparql-query or an urlencoded form",
            where="Content-Type",
        )
    return await anyio.to_thread.run_sync(_run, request, endpoint, query, accept)
