"""Reading a DCAT-AP catalogue published as RDF: any syntax, Hydra paging, a record per dataset.

Shared by every connector that reads DCAT-AP RDF (DCAT, HealthDCAT-AP, SPARQL): the
connectors depend on this domain module, never on each other.

The syntax comes from the response's Content-Type (an HTML page is refused in plain
words). A page points to the next one with ``hydra:next`` (``hydra:PartialCollectionView``),
``hydra:nextPage`` (the older ``hydra:PagedCollection``) or an HTTP ``Link: <…>; rel="next"``
header, announced as :attr:`Page.next_url`: the runner's paging guard
(:mod:`catalog.harvest.paging`) refuses a next link that was already visited or leaves the
source's host, and paging that runs past ``harvest_max_pages``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.harvest.contract import Page, RecordFailure, SourceRecord
from catalog.ownership import owned_closure, owns_written
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import default_context_resolver, format_from_media_type
from catalog.rdf_input import iter_triples as parse_rdf
from catalog.rdf_terms import parse_lines
from catalog.settings import Settings

HYDRA = "http://www.w3.org/ns/hydra/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATASET_TYPES = {"http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/dcat#DatasetSeries"}
IDENTIFIER = "http://purl.org/dc/terms/identifier"
MODIFIED = "http://purl.org/dc/terms/modified"
NEXT_PREDICATES = {HYDRA + "next", HYDRA + "nextPage"}
TOTAL_PREDICATES = {HYDRA + "totalItems"}
ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
    "application/n-triples;q=0.7, application/trig;q=0.5"
)
_LINK_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel=\"?next\"?", re.IGNORECASE)


def split_records(
    triples: list[ox.Triple],
) -> tuple[list[SourceRecord], list[RecordFailure], list[ox.Triple]]:
    """Cut a page's triples into records (one per dataset) and the rest: :func:`split_lines`
    of their N-Triples lines."""
    return split_lines([str(t) for t in triples], triples)


def split_lines(
    lines: list[str], triples: list[ox.Triple] | None = None
) -> tuple[list[SourceRecord], list[RecordFailure], list[ox.Triple]]:
    """Cut a page's statements, as canonical N-Triples lines (``str`` of each triple, without
    ``" ."``), into records (one per dataset) and the rest.

    A record is the dataset node, its blank nodes and its distributions, recursively.
    Hydra paging triples are dropped. Records carry their lines (and the triples, when
    ``triples``, the lines' terms in order, are given; else they are parsed when asked).

    Reading a term's attribute builds a new Python object each time and cost four times as
    much as the line. A subject is never a triple term and neither it nor a predicate holds
    a space, so a line splits into subject, predicate and object at its first two spaces,
    and two terms are equal when their written forms are.
    """
    hydra_nodes: set[str] = set()
    typed: dict[str, int] = {}  # dataset node (written form) → index of its first triple
    rows: list[tuple[str, str, str, int]] = []  # subject, predicate, object, index
    for i, line in enumerate(lines):
        s, p, o = line.split(" ", 2)
        if p == _RDF_TYPE and o[:2] != "<<":
            if o[0] == "<":
                kind = o[1:-1]
            elif o[0] == '"':  # a literal's value
                kind = _value(o)
            else:
                kind = o  # a blank node's written form, never a type of interest
            if kind.startswith(HYDRA):
                hydra_nodes.add(s)
            elif kind in DATASET_TYPES:
                typed.setdefault(s, i)
        if not p.startswith(_HYDRA_IRI):
            rows.append((s, p, o, i))
    if hydra_nodes:
        rows = [row for row in rows if row[0] not in hydra_nodes]
    by_subject: dict[str, list[tuple[str, str, int]]] = {}
    for s, p, o, i in rows:
        by_subject.setdefault(s, []).append((p, o, i))
    used: set[str] = set()
    records: list[SourceRecord] = []
    failures: list[RecordFailure] = []
    for key in typed:
        if key in hydra_nodes:
            continue
        owned = _closure(key, by_subject)
        own = [i for s in owned for _, _, i in by_subject.get(s, ())]
        used.update(owned)
        ident = _first_value(by_subject[key], _IDENTIFIER)
        modified = _first_value(by_subject[key], _MODIFIED)
        node: ox.NamedNode | ox.BlankNode
        if key[0] == "<":
            node = ox.NamedNode(key[1:-1])
            record_id = node.value
        elif ident:
            node = ox.BlankNode(key[2:])
            record_id = ident
        else:
            failures.append(
                RecordFailure(
                    "(blank node)",
                    "a dataset without an IRI and without dct:identifier has no stable "
                    "identity; it was skipped",
                )
            )
            continue
        own_triples = None if triples is None else [triples[i] for i in own]
        own_lines = [lines[i] for i in own]
        records.append(SourceRecord(record_id, node, own_triples, modified, lines=own_lines))
    rest = [i for s, _, _, i in rows if s not in used]
    extra = (
        [triples[i] for i in rest] if triples is not None else parse_lines([lines[i] for i in rest])
    )
    return records, failures, extra


_RDF_TYPE = f"<{RDF_TYPE}>"
_HYDRA_IRI = f"<{HYDRA}"
_IDENTIFIER = f"<{IDENTIFIER}>"
_MODIFIED = f"<{MODIFIED}>"


def _value(written: str) -> str:
    """The value of a term in its canonical written form (an IRI's, a literal's lexical
    form unescaped, a blank node's label); a triple term is parsed as a whole."""
    if written[0] == "<" and written[1] != "<":
        return written[1:-1]
    if written[0] == '"' and "\\" not in written:
        return written[1 : written.rindex('"')]  # no escapes: '"' is in no tag or IRI
    if written[:2] == "_:":
        return written[2:]
    obj = parse_lines([f"<urn:s> <urn:p> {written}"])[0].object
    return str(obj.value) if not isinstance(obj, ox.Triple) else str(obj)


def _first_value(rows: list[tuple[str, str, int]], predicate: str) -> str | None:
    """The value of the first ``predicate`` statement among a node's rows."""
    for p, o, _i in rows:
        if p == predicate and o[:2] != "<<":
            return _value(o)
    return None


def _closure(node: str, by_subject: dict[str, list[tuple[str, str, int]]]) -> list[str]:
    """``node`` and the nodes it owns (the rule of :func:`catalog.ownership.owns`, on
    written forms: :func:`catalog.ownership.owns_written`), other described nodes only."""
    return owned_closure(
        node,
        lambda subject: ((p, o, o) for p, o, _i in by_subject.get(subject, ())),
        stop=lambda o: o not in by_subject,
        rule=owns_written,
    )


def _first_object(lines: list[str], predicates: set[str]) -> str | None:
    """The written object of the first statement with one of ``predicates``.

    The predicates are found by a substring search over the page's lines joined (in C;
    splitting every line of a page in Python cost some 8 us a dataset), and a line is
    split only where one is written in it, since a literal may hold the same text. Lines
    are counted from the last place found, so a page whose literals repeat the text costs
    one pass per predicate, not one per repeat."""
    written = {f"<{p}>" for p in predicates}
    text = "\n".join(lines)
    if text.count("\n") != len(lines) - 1:  # a line holding a line break: line by line
        return next((o for _s, p, o in (ln.split(" ", 2) for ln in lines) if p in written), None)
    first: tuple[int, str] | None = None  # (line number, object)
    for mark in (f" {w} " for w in written):
        at, number, counted = text.find(mark), 0, 0
        while at >= 0:
            number += text.count("\n", counted, at)
            counted = at
            line = lines[number]
            s_end = line.index(" ")
            p_end = line.index(" ", s_end + 1)
            if line[s_end + 1 : p_end] in written:
                if first is None or number < first[0]:
                    first = (number, line[p_end + 1 :])
                break
            at = text.find(mark, at + 1)
    return None if first is None else first[1]


class RdfListing:
    """A DCAT-AP catalogue published as RDF, read page by page along its Hydra paging."""

    def __init__(self, url: str, settings: Settings, fetcher: Any) -> None:
        self.url = url
        self.settings = settings
        self.fetcher = fetcher
        s = settings
        self.limits = ParseLimits.from_settings(s)
        self.resolver = default_context_resolver(s.jsonld_contexts)

    def fetch_page(self, url: str) -> tuple[list[str], str | None, str]:
        """One page's statements as canonical N-Triples lines, the next page's URL if any,
        and the final URL fetched."""
        res = self.fetcher.get(url, accept=ACCEPT)
        if res.status >= 400:
            raise HarvestError(f"{url} answered HTTP {res.status}", where=url)
        media = (res.media_type or "").split(";", 1)[0].strip().lower()
        if media in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(
                f"{url} served an HTML page (status {res.status}), not an RDF document",
                where=url,
            )
        if not res.content.strip():
            raise HarvestError(f"{url} served an empty body", where=url)
        try:
            fmt = format_from_media_type(media or "application/octet-stream")
            document = parse_rdf(
                res.content, fmt, self.limits, base_iri=res.url, resolver=self.resolver
            )
            # a triple-only syntax goes from the parser to pyoxigraph's serialiser, with
            # every guard, without a Python object per triple; others (JSON-LD, TriG) are
            # read as quads (``Quad.triple`` is built by pyoxigraph itself)
            lines = document.ntriples_lines()
            if lines is None:
                lines = [str(q.triple) for q in document]
        except DatalabError as exc:
            raise HarvestError(f"page {url} could not be read: {exc}", where=url) from exc
        nxt = _first_object(lines, NEXT_PREDICATES)
        next_url = _value(nxt) if nxt is not None else None
        if next_url is None:
            link = (res.headers or {}).get("link") or (res.headers or {}).get("Link")
            match = _LINK_NEXT.search(link or "")
            next_url = match.group(1) if match else None
        return lines, urljoin(res.url, next_url) if next_url else None, res.url

    def pages(self, since: str | None = None) -> Iterator[Page]:
        """The listing along its next links (a plain loop: the guard checks the paging)."""
        url: str | None = self.url
        number = 0
        while url:
            number += 1
            lines, next_url, _final = self.fetch_page(url)
            records, failures, extra = split_lines(lines)
            total = _first_object(lines, TOTAL_PREDICATES)
            page = Page(number, url, records, failures, extra, next_url=next_url)
            count = _value(total) if total is not None and total[0] == '"' else ""
            if count.isdigit():
                page.total = int(count)
            yield page
            url = next_url
