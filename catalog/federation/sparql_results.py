"""Inside the SPARQL worker: check, evaluate, cap and serialise one query.

Kept free of the catalogue's heavier modules so the worker process starts quickly.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from catalog.errors import DatalabError, InvalidInput, NotAcceptable
from catalog.federation.sparql_guard import ResultTooLarge, check_query
from catalog.settings import default_of

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
RESULTS_CSV = "text/csv"
RESULTS_TSV = "text/tab-separated-values"
RESULTS_TYPES = [RESULTS_JSON, RESULTS_XML, RESULTS_CSV, RESULTS_TSV]
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
#: Generic types clients send (SPARQLWrapper, browsers' fetch) and the format each gets.
RESULTS_ALIASES = {"application/json": RESULTS_JSON, "application/xml": RESULTS_XML}
GRAPH_ALIASES = {
    "application/json": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "application/turtle": "text/turtle",
}
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"


@dataclass(frozen=True)
class SparqlAnswer:
    """A serialised answer: its body, media type, form and whether rows were cut (the
    byte cap never cuts: an answer past it is refused whole)."""

    body: bytes
    media_type: str
    form: str
    truncated: bool


class _Budget:
    """Counts the bytes of an answer as it is serialised and stops it past the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.used = 0
        self.rows = 0

    def take(self, part: bytes) -> bytes:
        self.used += len(part)
        if self.used > self.cap:
            raise ResultTooLarge(
                f"the answer passed the cap of {self.cap} bytes after {self.rows} "
                "row(s) and was not sent; ask for fewer rows (LIMIT) or shorter values",
                where="query",
                details={"limit": "sparql_max_result_bytes", "cap": self.cap, "rows": self.rows},
            )
        return part


def answer(
    store: ox.Store,
    text: str,
    max_rows: int,
    max_chars: int,
    results_media: str | None,
    graph_media: str | None,
    max_bytes: int = 16 * 1024 * 1024,
    max_nodes: int = default_of("sparql_endpoint_max_query_nodes"),
) -> Any:
    """Check and run ``text``; returns a :class:`SparqlAnswer` of at most ``max_rows``
    solutions (or triples) and ``max_bytes`` bytes (past it: :class:`ResultTooLarge`)."""
    form = check_query(text, max_chars, max_nodes)
    media = answer_media(form, results_media, graph_media)
    try:
        result = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise InvalidInput(f"invalid SPARQL query: {exc}", where="query") from None
    return serialise(result, form, media, max_rows, max_bytes)


def answer_media(form: str, results_media: str | None, graph_media: str | None) -> str:
    """The negotiated media type for a query of ``form``, or :class:`NotAcceptable`."""
    media = results_media if form in ("select", "ask") else graph_media
    if media is None:
        kinds = "SPARQL results" if form in ("select", "ask") else "RDF"
        raise NotAcceptable(f"no {kinds} format you accept is available", where="Accept")
    return media


@dataclass(frozen=True)
class Solutions:
    """Solutions read from elsewhere (a graph server's answer): variables and rows."""

    names: list[str]
    rows: list[dict[str, Any]]


def serialise(
    result: ox.QueryBoolean | ox.QuerySolutions | Solutions | Iterable[ox.Triple],
    form: str,
    media: str,
    max_rows: int,
    max_bytes: int,
) -> SparqlAnswer:
    """Write a query's result in ``media``: at most ``max_rows`` solutions (or triples) and
    ``max_bytes`` bytes (past it: :class:`ResultTooLarge`)."""
    budget = _Budget(max_bytes)
    if isinstance(result, ox.QueryBoolean):
        return SparqlAnswer(budget.take(_boolean(bool(result), media)), media, form, False)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows: Iterable[dict[str, Any]] = (
            {n: s[n] for n in names if s[n] is not None} for s in result
        )
    elif isinstance(result, Solutions):
        names, rows = result.names, result.rows
    else:
        return _graph_answer(result, media, form, max_rows, budget)
    parts = [budget.take(_head(names, media))]
    truncated = False
    row = _ROW_WRITERS[media]
    for cells in rows:
        if budget.rows >= max_rows:
            truncated = True
            break
        parts.append(budget.take(row(names, cells, budget.rows == 0)))
        budget.rows += 1
    parts.append(budget.take(_TAILS[media]))
    return SparqlAnswer(b"".join(parts), media, form, truncated)


def _graph_answer(
    result: Iterable[ox.Triple], media: str, form: str, max_rows: int, budget: _Budget
) -> SparqlAnswer:
    """CONSTRUCT/DESCRIBE: triples are counted in N-Triples bytes as they come (a close
    measure of every syntax offered), then serialised whole and measured once more."""
    triples: list[ox.Triple] = []
    batch: list[ox.Triple] = []
    truncated = False
    for t in result:
        if len(triples) >= max_rows:
            truncated = True
            break
        triples.append(t)
        batch.append(t)
        if len(batch) >= _GRAPH_BATCH:
            budget.take(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b"")
            budget.rows += len(batch)
            batch = []
    budget.take(ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b"")
    budget.rows += len(batch)
    body = ox.serialize(triples, format=GRAPH_TYPES[media]) or b""
    budget.used = 0
    return SparqlAnswer(budget.take(body), media, form, truncated)


_GRAPH_BATCH = 500


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


def _head(names: list[str], media: str) -> bytes:
    if media == RESULTS_JSON:
        head = json.dumps({"vars": names}, ensure_ascii=False)
        return ('{"head": ' + head + ', "results": {"bindings": [').encode("utf-8")
    if media == RESULTS_CSV:
        return _csv_line(names)
    if media == RESULTS_TSV:
        return ("\t".join("?" + n for n in names) + "\n").encode("utf-8")
    variables = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    return (
        '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
        f"<head>{variables}</head>\n<results>"
    ).encode()


def _json_row(names: list[str], row: dict[str, Any], first: bool) -> bytes:
    binding = json.dumps({n: _term_json(t) for n, t in row.items()}, ensure_ascii=False)
    return (binding if first else ", " + binding).encode("utf-8")


def _csv_row(names: list[str], row: dict[str, Any], first: bool) -> bytes:
    cells = [
        ("_:" + t.value if isinstance(t, ox.BlankNode) else t.value) if t else ""
        for t in (row.get(n) for n in names)
    ]
    return _csv_line(cells)


def _csv_line(cells: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue().encode("utf-8")


#: Turtle's short forms, which the TSV results format allows for these datatypes.
_SHORT_FORMS = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+"),
    XSD + "boolean": re.compile(r"true|false"),
}
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _term_tsv(term: Any) -> str:
    """An RDF term as the TSV results format writes it: Turtle syntax, one line, no tab."""
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    short = _SHORT_FORMS.get(term.datatype.value)
    if short is not None and short.fullmatch(term.value):
        return str(term.value)
    quoted = '"' + str(term.value).translate(_TSV_ESCAPES) + '"'
    if term.language:
        return f"{quoted}@{term.language}"
    if term.datatype.value != XSD_STRING:
        return f"{quoted}^^<{term.datatype.value}>"
    return quoted


def _tsv_row(names: list[str], row: dict[str, Any], first: bool) -> bytes:
    cells = [_term_tsv(row[n]) if row.get(n) is not None else "" for n in names]
    return ("\t".join(cells) + "\n").encode("utf-8")


def _xml_row(names: list[str], row: dict[str, Any], first: bool) -> bytes:
    cells = "".join(
        f"<binding name={quoteattr(n)}>{_term_xml(t)}</binding>" for n, t in row.items()
    )
    return f"\n<result>{cells}</result>".encode()


_ROW_WRITERS = {
    RESULTS_JSON: _json_row,
    RESULTS_CSV: _csv_row,
    RESULTS_TSV: _tsv_row,
    RESULTS_XML: _xml_row,
}
_TAILS = {
    RESULTS_JSON: b"]}}",
    RESULTS_CSV: b"",
    RESULTS_TSV: b"",
    RESULTS_XML: b"\n</results></sparql>",
}


def _boolean(value: bool, media: str) -> bytes:
    if media == RESULTS_JSON:
        return json.dumps({"head": {}, "boolean": value}).encode("utf-8")
    if media == RESULTS_CSV:
        return ("_askResult\r\n" + ("true" if value else "false") + "\r\n").encode("utf-8")
    if media == RESULTS_TSV:
        return ("?_askResult\n" + ("true" if value else "false") + "\n").encode("utf-8")
    return (
        '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>"
    ).encode()


def worker_main(
    conn: Connection,
    max_rows: int,
    max_chars: int,
    memory: int,
    max_bytes: int,
    max_nodes: int = default_of("sparql_endpoint_max_query_nodes"),
) -> None:
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
                answer(
                    store,
                    text,
                    max_rows,
                    max_chars,
                    results_media,
                    graph_media,
                    max_bytes,
                    max_nodes,
                ),
            )
        except DatalabError as exc:
            result = ("error", exc)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            result = ("error", InvalidInput(f"the query could not be run: {exc}", where="query"))
        conn.send(result)
