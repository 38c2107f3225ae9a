"""What the public SPARQL endpoint accepts: pure queries over the public graphs only.

The query is parsed with rdflib's SPARQL grammar (which expands ``\\uXXXX`` escapes first,
as the spec requires, so ``\\u0053ERVICE`` is ``SERVICE``) and the parse tree is walked:

* updates of any kind (``LOAD``, ``INSERT``, ``DROP``, …) are refused;
* ``SERVICE`` anywhere (in sub-queries, ``EXISTS`` filters, optional groups) is refused;
* ``FROM`` and ``FROM NAMED`` are refused: the dataset is fixed by the endpoint.

This runs inside the killable query worker, so a pathological query text is bounded by
the same deadline as its evaluation; deep nesting ends as a ``RecursionError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from catalog.errors import DatalabError, Forbidden, InvalidInput, LimitExceeded
from catalog.settings import default_of

QUERY_FORMS = {
    "SelectQuery": "select",
    "AskQuery": "ask",
    "ConstructQuery": "construct",
    "DescribeQuery": "describe",
}


class QueryRefused(Forbidden):
    """A SPARQL request that the public endpoint never runs (update, SERVICE, FROM)."""

    status = 400
    code = "query_refused"


class ResultTooLarge(LimitExceeded):
    """A query's answer passed the byte cap while it was serialised; nothing was sent."""

    code = "result_too_large"


class QueryResourcesExceeded(DatalabError):
    """A query's worker died past its memory limit; the query was stopped."""

    status = 503
    code = "query_resources_exceeded"


def check_query(
    text: str, max_chars: int, max_nodes: int = default_of("sparql_endpoint_max_query_nodes")
) -> str:
    """Refuse anything but a pure, local query; returns its form (select, ask, …)."""
    if len(text) > max_chars:
        raise LimitExceeded(
            f"the query has {len(text)} characters; at most {max_chars} are accepted",
            where="query",
        )
    if "\x00" in text:
        raise InvalidInput("the query contains a NUL character", where="query")
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    try:
        parsed = parseQuery(text)
    except RecursionError:
        raise LimitExceeded("the query is nested too deeply", where="query") from None
    except ParseException as exc:
        if _is_update(text, parseUpdate):
            raise QueryRefused(
                "updates (LOAD, INSERT, DELETE, CLEAR, DROP, …) are never run here; "
                "this endpoint is read-only",
                where="query",
            ) from None
        raise InvalidInput(f"invalid SPARQL query: {exc}", where="query") from None
    form = _walk(parsed, max_nodes)
    return form


def _is_update(text: str, parse_update: Any) -> bool:
    try:
        parse_update(text)
    except RecursionError:
        return False
    except Exception:
        return False
    return True


def parse_nodes(parsed: Any, max_nodes: int | None = None) -> Iterator[Any]:
    """Every rule node (``CompValue``) of rdflib's parse tree, depth first; more than
    ``max_nodes`` nodes visited is a :class:`LimitExceeded`."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack: list[Any] = [parsed]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if max_nodes is not None and visited > max_nodes:
            raise LimitExceeded("the query is too large to check", where="query")
        if isinstance(node, CompValue):
            yield node
            stack.extend(dict.values(node))
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            stack.extend(list(node))


def _walk(parsed: Any, max_nodes: int) -> str:
    form = ""
    for node in parse_nodes(parsed, max_nodes):
        if node.name in QUERY_FORMS and not form:
            form = QUERY_FORMS[node.name]
        if node.name == "ServiceGraphPattern":
            raise QueryRefused(
                "SERVICE is never run here: the endpoint does not query other servers",
                where="query",
            )
        if node.name == "DatasetClause" or dict.get(node, "datasetClause"):
            raise QueryRefused(
                "FROM and FROM NAMED are not accepted: the endpoint's dataset is the "
                "catalogue's public graphs",
                where="query",
            )
    if not form:
        raise InvalidInput("not a SELECT, ASK, CONSTRUCT or DESCRIBE query", where="query")
    return form
