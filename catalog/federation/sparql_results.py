"""Inside the SPARQL worker: check, evaluate, cap and serialise one query.

Kept free of the catalogue's heavier modules so the worker process starts quickly.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from catalog.errors import DatalabError, InvalidInput, NotAcceptable
from catalog.federation.sparql_guard import check_query

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
RESULTS_CSV = "text/csv"
RESULTS_TYPES = [RESULTS_JSON, RESULTS_XML, RESULTS_CSV]
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class SparqlAnswer:
    """A serialised answer: its body, media type, form and whether rows were cut."""

    body: bytes
    media_type: str
    form: str
    truncated: bool


def answer(
    store: ox.Store,
    text: str,
    max_rows: int,
    max_chars: int,
    results_media: str | None,
    graph_media: str | None,
) -> Any:
    """Check and run ``text``; returns a :class:`SparqlAnswer`."""
    form = check_query(text, max_chars)
    media = results_media if form in ("select", "ask") else graph_media
    if media is None:
        kinds = "SPARQL results" if form in ("select", "ask") else "RDF"
        raise NotAcceptable(f"no {kinds} format you accept is available", where="Accept")
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise InvalidInput(f"invalid SPARQL query: {exc}", where="query") from None
    if isinstance(result, ox.QueryBoolean):
        return SparqlAnswer(_boolean(bool(result), media), media, form, False)
    if isinstance(result, ox.QueryTriples):
        triples: list[ox.Triple] = []
        for t in result:
            if len(triples) >= max_rows:
                break
            triples.append(t)
        truncated = len(triples) >= max_rows and next(iter(result), None) is not None
        body = ox.serialize(triples, format=GRAPH_TYPES[media]) or b""
        return SparqlAnswer(body, media, form, truncated)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    rows: list[dict[str, Any]] = []
    truncated = False
    for solution in result:
        if len(rows) >= max_rows:
            truncated = True
            break
        rows.append({n: solution[n] for n in names if solution[n] is not None})
    return SparqlAnswer(_solutions(names, rows, media), media, form, truncated)


def _term_json(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _term_xml(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    attrs = ""
    if term.language:
        attrs = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype.value != XSD_STRING:
        attrs = f" datatype={quoteattr(term.datatype.value)}"
    return f"<literal{attrs}>{escape(term.value)}</literal>"


def _solutions(names: list[str], rows: list[dict[str, Any]], media: str) -> bytes:
    if media == RESULTS_JSON:
        doc = {
            "head": {"vars": names},
            "results": {"bindings": [{n: _term_json(t) for n, t in row.items()} for row in rows]},
        }
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if media == RESULTS_CSV:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(
                [
                    ("_:" + t.value if isinstance(t, ox.BlankNode) else t.value) if t else ""
                    for t in (row.get(n) for n in names)
                ]
            )
        return buf.getvalue().encode("utf-8")
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    parts.append("<head>" + "".join(f"<variable name={quoteattr(n)}/>" for n in names) + "</head>")
    parts.append("<results>")
    for row in rows:
        cells = "".join(
            f"<binding name={quoteattr(n)}>{_term_xml(t)}</binding>" for n, t in row.items()
        )
        parts.append(f"<result>{cells}</result>")
    parts.append("</results></sparql>")
    return "\n".join(parts).encode("utf-8")


def _boolean(value: bool, media: str) -> bytes:
    if media == RESULTS_JSON:
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if media == RESULTS_CSV:
        return ("_askResult\r\n" + ("true" if value else "false") + "\r\n").encode("utf-8")
    return (
        '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>"
    ).encode()


def worker_main(conn: Connection, max_rows: int, max_chars: int, memory: int) -> None:
    """Worker body: load snapshots and answer queries until the pipe closes."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):
        pass
    store = ox.Store()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "load":
            store = ox.Store()
            store.load(message[1], format=ox.RdfFormat.N_QUADS)
            conn.send(("ok",))
            continue
        _, text, results_media, graph_media = message
        try:
            result: tuple[str, Any] = (
                "ok",
                answer(store, text, max_rows, max_chars, results_media, graph_media),
            )
        except DatalabError as exc:
            result = ("error", exc)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            result = ("error", InvalidInput(f"the query could not be run: {exc}", where="query"))
        conn.send(result)
