"""``/sparql``: the SPARQL 1.1 Protocol, read-only, over the catalogue's public graphs.

GET ``?query=``, POST ``application/x-www-form-urlencoded`` (``query=``) or POST
``application/sparql-query``. Results as SPARQL JSON, XML or CSV; CONSTRUCT and DESCRIBE
as Turtle, N-Triples, JSON-LD or RDF/XML. Updates, ``SERVICE``, ``FROM`` and the
``default-graph-uri``/``named-graph-uri`` parameters are refused; see
:mod:`catalog.federation.sparql_endpoint` for the deadline, the row cap and the dataset
(and :mod:`catalog.federation.sparql_forward` on a graph server).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from api.deps import SettingsDep, SparqlDep
from api.negotiation import negotiate
from catalog.errors import InvalidInput, LimitExceeded, NotAcceptable, UnsupportedFormat
from catalog.federation.sparql_endpoint import PublicSparql
from catalog.federation.sparql_guard import QueryRefused
from catalog.federation.sparql_results import GRAPH_TYPES, RESULTS_TYPES, SparqlAnswer

router = APIRouter(tags=["federation"])
_FORBIDDEN_PARAMS = (
    "default-graph-uri",
    "named-graph-uri",
    "using-graph-uri",
    "using-named-graph-uri",
)


def _pick(accept: str | None, offered: list[str]) -> str | None:
    try:
        return negotiate(accept, offered)
    except NotAcceptable:
        return None


def _run(request: Request, endpoint: PublicSparql, text: str, accept: str | None) -> Response:
    for name in _FORBIDDEN_PARAMS:
        if name in request.query_params:
            raise QueryRefused(
                f"{name} is not accepted: the endpoint's dataset is the public graphs",
                where=name,
            )
    answer: SparqlAnswer = endpoint.query(
        text,
        results_media=_pick(accept, RESULTS_TYPES),
        graph_media=_pick(accept, list(GRAPH_TYPES)),
    )
    headers = {"Vary": "Accept", "X-Datalab-Truncated": "true" if answer.truncated else "false"}
    return Response(answer.body, media_type=answer.media_type, headers=headers)


@router.get("/sparql", operation_id="sparql_query_get")
def sparql_get(
    request: Request,
    endpoint: SparqlDep,
    query: Annotated[
        str, Query(description="A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE).")
    ],
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Run a read-only SPARQL query over the public graphs."""
    return _run(request, endpoint, query, accept)


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
    text = body.decode("utf-8", errors="replace")
    if media == "application/sparql-query":
        query = text
    elif media == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        if "update" in form:
            raise QueryRefused(
                "updates are never run here; this endpoint is read-only", where="update"
            )
        values = form.get("query")
        if not values:
            raise InvalidInput("the form has no query field", where="query")
        query = values[0]
    elif media == "application/sparql-update":
        raise QueryRefused(
            "updates are never run here; this endpoint is read-only", where="Content-Type"
        )
    else:
        raise UnsupportedFormat(
            f"Content-Type {media or '(none)'} is not a SPARQL query request; send "
            "application/sparql-query or an urlencoded form",
            where="Content-Type",
        )
    import anyio

    return await anyio.to_thread.run_sync(_run, request, endpoint, query, accept)
