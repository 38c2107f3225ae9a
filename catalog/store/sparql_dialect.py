"""What differs between SPARQL servers, and reading a SELECT page by page.

Servers answer the same protocol differently. Virtuoso 7 (Debian's virtuoso-opensource,
what data.europa.eu runs):

* never answers a query or update POSTed as ``application/sparql-query`` or
  ``application/sparql-update`` (the request waits until the client's deadline), so
  both go as url-encoded forms (``query=``, ``update=``), which every server takes;
* ignores a chunked request body: the Graph Store answers 201 having stored nothing, and
  the unread chunks are taken for the next request on the connection (which gets 501), so
  uploads go as one sized request per chunk;
* cuts every SELECT or CONSTRUCT answer at its ``ResultSetMaxRows`` (10000 by default),
  silently but for an ``X-SPARQL-MaxRows`` header: reads are paged, and a cut answer is
  refused (:data:`ROW_CAP_HEADER`);
* refuses ``ORDER BY`` with ``OFFSET`` + ``LIMIT`` past ``MaxSortedTopRows`` (10000), so
  pages use its scrollable-cursor form (the ordered query as a sub-select, sliced outside);
* keeps system graphs (``virtrdf#``, ``ldp#``, …) among the named graphs, and answers
  ``GRAPH ?g { }`` with one empty row: graphs are listed by their triples and the system
  ones left out;
* refuses blank nodes in ``INSERT DATA`` (``INSERT { … } WHERE { }`` takes them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox

Dialect = Literal["oxigraph", "virtuoso", "generic"]

#: Virtuoso's header on an answer cut at its ResultSetMaxRows; its value is the cap.
ROW_CAP_HEADER = "x-sparql-maxrows"
#: Graphs a fresh Virtuoso holds for itself; never the catalogue's.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/",
    "http://www.w3.org/2002/07/owl#",
)

_PROLOGUE = re.compile(
    r"\A(?:\s|#[^\n]*\n)*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)(?:\s|#[^\n]*\n)*)*",
    re.IGNORECASE,
)
_SLICE = re.compile(r"\b(?:LIMIT|OFFSET)\s+\d+", re.IGNORECASE)
_ORDER = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


def dialect_of(server_header: str) -> Dialect:
    """The dialect a server's ``Server`` header names (``generic`` when unknown)."""
    lowered = server_header.lower()
    if "virtuoso" in lowered:
        return "virtuoso"
    if "oxigraph" in lowered:
        return "oxigraph"
    return "generic"


def is_system_graph(dialect: Dialect, iri: str) -> bool:
    return dialect == "virtuoso" and iri.startswith(VIRTUOSO_SYSTEM_GRAPHS)


def named_graphs_query(dialect: Dialect) -> str:
    if dialect == "virtuoso":
        return "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    return "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"


def insert_data(dialect: Dialect, graph: str, ntriples: bytes) -> bytes:
    """An update adding N-Triples to ``graph`` (``graph`` already an ``<IRI>``)."""
    if dialect == "virtuoso":
        return f"INSERT {{ GRAPH {graph} {{\n".encode() + ntriples + b"} } WHERE { }"
    return f"INSERT DATA {{ GRAPH {graph} {{\n".encode() + ntriples + b"} }"


@dataclass(frozen=True)
class PagedSelect:
    """A SELECT read in slices of a fixed, total order, so that the slices add up."""

    prologue: str
    body: str
    variables: tuple[str, ...]
    #: True when the query has its own ORDER BY (kept: the slices follow it).
    ordered: bool

    def page(self, dialect: Dialect, offset: int, rows: int) -> str:
        order = " ".join(f"?{name}" for name in self.variables)
        if self.ordered:
            inner = f"{{ {self.body}\n}}"
        elif dialect == "virtuoso":
            inner = f"{{ SELECT * WHERE {{ {{ {self.body}\n}} }} ORDER BY {order} }}"
        else:
            return (
                f"{self.prologue}SELECT * WHERE {{ {{ {self.body}\n}} }} "
                f"ORDER BY {order} LIMIT {rows} OFFSET {offset}"
            )
        return f"{self.prologue}SELECT * WHERE {{ {inner} }} OFFSET {offset} LIMIT {rows}"


_BNODE_SCHEME = re.compile(rb'(?<!\\)"nodeID://')
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def virtuoso_results(body: bytes) -> bytes:
    """Virtuoso's JSON results with its blank node labels (``nodeID://b1``) made valid."""
    return _BNODE_SCHEME.sub(b'"', body)


def virtuoso_term(
    term: ox.NamedNode | ox.BlankNode | ox.Literal,
) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A term as stored: Virtuoso answers an ``xsd:boolean`` as ``1`` or ``0``."""
    if (
        isinstance(term, ox.Literal)
        and term.datatype.value == XSD_BOOLEAN
        and term.value in ("1", "0")
    ):
        return ox.Literal("true" if term.value == "1" else "false", datatype=term.datatype)
    return term


def query_form(query: str) -> str | None:
    """``select``, ``ask`` or ``graph`` (CONSTRUCT, DESCRIBE), or None when unparsable."""
    try:
        result = ox.Store().query(query)
    except (SyntaxError, ValueError, OSError):
        return None
    if isinstance(result, ox.QuerySolutions):
        return "select"
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "graph"


def plan_pages(query: str) -> PagedSelect | None:
    """How to page ``query``, or None when it cannot or need not be paged.

    Not paged: a query with its own LIMIT or OFFSET (its answer is bounded by its author),
    one pyoxigraph cannot parse, or one without variables. The projection is read by running
    the query on an empty in-memory store, which parses it and costs nothing.
    """
    prologue_match = _PROLOGUE.match(query)
    prologue = prologue_match.group(0) if prologue_match else ""
    body = query[len(prologue) :]
    tail = body[body.rfind("}") + 1 :] if "}" in body else body
    if _SLICE.search(tail):
        return None
    try:
        solutions = ox.Store().query(query)
    except (SyntaxError, ValueError, OSError):
        return None
    if not isinstance(solutions, ox.QuerySolutions):
        return None
    names = tuple(v.value for v in solutions.variables)
    if not names:
        return None
    return PagedSelect(prologue, body, names, ordered=bool(_ORDER.search(tail)))
