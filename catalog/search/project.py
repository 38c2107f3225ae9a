"""Projection of a source graph into search documents (a handful of bulk SPARQL queries).

A :class:`SearchDoc` is everything the index stores for one dataset: the texts per
language, the facet values, and what a hit shows. Facet values that live outside the
graph (which data lab may offer a dataset, whether it is usable for AI training, whether a
sample exists) come from *providers*: ``provider(catalogue, dataset_ids) -> {id: {field:
value or [values]}}``, called once per batch.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyoxigraph as ox

from catalog.facts import DatasetFacts
from catalog.facts.derive import FACT_PREDICATES, Term, TripleIndex
from catalog.facts.read import facts_reader, read_predicates, ref_facts
from catalog.facts.table import storing_facts
from catalog.graph_copies import kept_graph
from catalog.namespaces import (
    DCAT,
    DCT,
    DLAB,
    EU_COUNTRY,
    EU_FILE_TYPE,
    EU_LICENCE,
    FOAF,
)
from catalog.parsed_graph import ParsedGraph
from catalog.records import DatasetRef
from catalog.search.vocab import access_facet, local_name, theme_code
from catalog.store.base import DumpsGraphs

if TYPE_CHECKING:
    from catalog.service import Catalogue

log = logging.getLogger(__name__)

FacetProvider = Callable[["Catalogue", list[str]], dict[str, dict[str, Any]]]


@runtime_checkable
class FactsFacetProvider(Protocol):
    """A facet provider that can answer from the facts the projection derived (capability
    of a provider): the projection reads each dataset's facts once and hands them on, so
    the provider need not read the graph again, one dataset at a time."""

    def __call__(self, catalogue: Catalogue, dataset_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Facets of ``dataset_ids``, as any provider."""
        ...

    def of_facts(
        self, catalogue: Catalogue, facts: dict[str, DatasetFacts]
    ) -> dict[str, dict[str, Any]]:
        """The same facets of the datasets of ``facts`` (id -> facts as the projection
        derived them from the source graph)."""
        ...


Texts = list[tuple[str, str]]  # (language tag, text)

_BATCH = 2000
_PROPS = {
    str(DCT.title): "title",
    str(DCT.description): "description",
    str(DCAT.keyword): "keyword",
    str(DCAT.theme): "theme",
    str(DCT.publisher): "publisher",
    str(DCT.spatial): "spatial",
    str(DCT.modified): "modified",
    str(DCT.issued): "issued",
}
_DIST_PROPS = {
    str(DCT.format): "format",
    str(DCAT.mediaType): "media",
}
_DATASET_ID = str(DLAB.datasetId)
_DISTRIBUTION = str(DCAT.distribution)
_PUBLISHER = str(DCT.publisher)
_SPATIAL = str(DCT.spatial)
_FOAF_NAME = str(FOAF.name)
_BBOX = str(DCAT.bbox)
_EU_COUNTRY = str(EU_COUNTRY)
_EU_LICENCE = str(EU_LICENCE)
_EU_FILE_TYPE = str(EU_FILE_TYPE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass
class SearchDoc:
    """One dataset as the search index sees it."""

    id: str
    iri: str
    source: str
    titles: Texts = field(default_factory=list)
    descriptions: Texts = field(default_factory=list)
    keywords: Texts = field(default_factory=list)
    facets: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    access: str = "unknown"
    modified: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    def add_facet(self, name: str, value: str) -> None:
        self.facets.setdefault(name, set()).add(value)

    @property
    def public(self) -> bool:
        """Whether the description may be indexed and shown (access level ``public``)."""
        return self.access == "public"


def _lit(value: str) -> str:
    return str(ox.Literal(value))


def _scope(one: str | None) -> tuple[str, str]:
    """The pattern binding ``?d``/``?id``: every dataset, or the one with id ``one``.

    For one id the literal is written into the pattern (an index lookup) and ``?id`` is
    bound at the end of the group, so Oxigraph never scans the graph for it.
    """
    if one is None:
        return f"?d <{DLAB.datasetId}> ?id . ", ""
    return f"?d <{DLAB.datasetId}> {_lit(one)} . ", f" BIND({_lit(one)} AS ?id)"


def _select_props(
    catalogue: Catalogue,
    graph: str,
    scope: tuple[str, str],
    props: dict[str, str],
    path: str,
    subject: str,
) -> Iterator[tuple[str, str, ox.NamedNode | ox.Literal | ox.BlankNode]]:
    # FILTER, not VALUES: Oxigraph would join a VALUES list of predicates first
    wanted = ", ".join(f"<{p}>" for p in props)
    rows = catalogue.store.select(
        f"SELECT ?id ?p ?o WHERE {{ GRAPH <{graph}> {{ "
        f"{scope[0]}{path} {subject} ?p ?o FILTER(?p IN ({wanted})){scope[1]} }} }}"
    )
    for r in rows:
        yield r["id"].value, props[r["p"].value], r["o"]


def parse_bbox(wkt: str) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a WKT polygon/envelope/point, or ``None``."""
    body = wkt.split(">", 1)[-1] if wkt.lstrip().startswith("<") else wkt
    numbers = [float(n) for n in _NUMBER.findall(body)]
    if body.strip().upper().startswith("ENVELOPE") and len(numbers) == 4:
        minx, maxx, maxy, miny = numbers
        return (minx, miny, maxx, maxy)
    if len(numbers) < 2 or len(numbers) % 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _date(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> str | None:
    value = term.value.strip()
    return value[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", value) else None


def project_graph(
    catalogue: Catalogue,
    source: str,
    graph: str,
    ids: Iterable[str] | None = None,
    providers: Iterable[FacetProvider] = (),
) -> Iterator[SearchDoc]:
    """The search documents of the datasets of ``graph`` (all, or only ``ids``).

    A whole graph is read with a handful of queries; named datasets one by one, with the
    id written into each query (Oxigraph joins a ``VALUES`` list against the whole graph).
    """
    parts: Iterable[tuple[list[SearchDoc], dict[str, DatasetFacts]]]
    if ids is None:
        parts = _project_all(catalogue, source, graph)
    else:
        parts = (_project(catalogue, source, graph, one) for one in sorted(set(ids)))
    providers = list(providers)
    batch: list[SearchDoc] = []
    facts: dict[str, DatasetFacts] = {}
    for docs, derived in parts:
        batch.extend(docs)
        facts.update(derived)
        if len(batch) >= _BATCH:
            _apply_providers(catalogue, batch, providers, facts)
            yield from batch
            batch, facts = [], {}
    if batch:
        _apply_providers(catalogue, batch, providers, facts)
        yield from batch


def _apply_providers(
    catalogue: Catalogue,
    docs: list[SearchDoc],
    providers: list[FacetProvider],
    facts: dict[str, DatasetFacts],
) -> None:
    """Each provider's facets of ``docs``; a provider that answers from facts is handed
    the ones the projection derived (``facts``: of the documents that have them)."""
    by_id = {d.id: d for d in docs}
    for provider in providers:
        if isinstance(provider, FactsFacetProvider):
            answers = provider.of_facts(catalogue, facts)
        else:
            answers = provider(catalogue, list(by_id))
        # a provider hands many datasets one answer (the same terms, the same offers):
        # its facets are grouped once per answer, kept alive by ``answers`` meanwhile
        grouped: dict[int, list[tuple[str, set[str]]]] = {}
        for ident, extra in answers.items():
            doc = by_id.get(ident)
            if doc is None:
                continue
            by_name = grouped.get(id(extra))
            if by_name is None:
                by_name = grouped[id(extra)] = _by_name(provider_pairs(extra))
            facets = doc.facets
            for name, values in by_name:
                facets.setdefault(name, set()).update(values)


def _by_name(pairs: set[tuple[str, str]]) -> list[tuple[str, set[str]]]:
    out: dict[str, set[str]] = {}
    for name, value in pairs:
        out.setdefault(name, set()).add(value)
    return list(out.items())


def provider_pairs(extra: dict[str, Any]) -> set[tuple[str, str]]:
    """The ``(facet, value)`` pairs of one dataset's provider answer as the index stores
    them: each of a list's values, booleans as ``true``/``false``."""
    out = set()
    for name, value in extra.items():
        for v in value if isinstance(value, list | set | tuple) else [value]:
            out.add((name, str(v).lower() if isinstance(v, bool) else str(v)))
    return out


def _project(
    catalogue: Catalogue, source: str, graph: str, one: str
) -> tuple[list[SearchDoc], dict[str, DatasetFacts]]:
    """Dataset ``one`` of ``graph`` (none if it is not there), read around its id, and
    its facts."""
    scope = _scope(one)
    iris = catalogue.store.select(
        f"SELECT ?id ?d WHERE {{ GRAPH <{graph}> {{ {scope[0]}{scope[1]} }} }}"
    )
    docs = {r["id"].value: SearchDoc(r["id"].value, r["d"].value, source) for r in iris}
    issued: dict[str, str] = {}
    for ident, kind, o in _select_props(catalogue, graph, scope, _PROPS, "", "?d"):
        doc = docs.get(ident)
        if doc is not None:
            _read_prop(doc, kind, o, issued)
    dist = "?d <" + str(DCAT.distribution) + "> ?x ."
    media: dict[str, list[str]] = {}
    for ident, kind, o in _select_props(catalogue, graph, scope, _DIST_PROPS, dist, "?x"):
        doc = docs.get(ident)
        if doc is not None:
            _read_dist_prop(doc, kind, o, media)
    _publisher_names(catalogue, graph, scope, docs)
    _bboxes(catalogue, graph, scope, docs)
    facts = _facts(catalogue, source, graph, docs)
    return _finish(docs, facts, issued, media), facts


def _read_prop(
    doc: SearchDoc, kind: str, o: ox.NamedNode | ox.Literal | ox.BlankNode, issued: dict[str, str]
) -> None:
    """One value of one of the dataset's own properties (:data:`_PROPS`)."""
    lang = o.language or "" if isinstance(o, ox.Literal) else ""
    if kind == "title":
        doc.titles.append((lang, o.value))
    elif kind == "description":
        doc.descriptions.append((lang, o.value))
    elif kind == "keyword":
        doc.keywords.append((lang, o.value))
    elif kind == "theme":
        doc.add_facet("theme", theme_code(o.value))
    elif kind == "publisher" and isinstance(o, ox.NamedNode):
        doc.add_facet("publisher", o.value)
    elif kind == "spatial" and o.value.startswith(_EU_COUNTRY):
        doc.add_facet("country", local_name(o.value))
    elif kind == "modified":
        doc.modified = max(filter(None, [doc.modified, _date(o)]), default=None)
    elif kind == "issued" and _date(o):
        issued[doc.id] = max(issued.get(doc.id, ""), _date(o) or "")


def _read_dist_prop(
    doc: SearchDoc,
    kind: str,
    o: ox.NamedNode | ox.Literal | ox.BlankNode,
    media: dict[str, list[str]],
) -> None:
    """One format or media type of one of the dataset's distributions; media types count
    only for a dataset none of whose distributions names a format (see :func:`_finish`),
    whatever order the distributions are read in."""
    if kind == "format":
        doc.add_facet("format", _format(o.value))
    elif kind == "media":
        media.setdefault(doc.id, []).append(o.value.rsplit("/", 1)[-1].upper())


def _project_all(
    catalogue: Catalogue, source: str, graph: str
) -> Iterator[tuple[list[SearchDoc], dict[str, DatasetFacts]]]:
    """Every dataset of ``graph`` and its facts, in id order: the version's triples read
    into one triple index (the one the facts are derived from too: from its kept
    N-Triples, else the store's dump of it, else one store scan per predicate), then the
    documents are put together in Python from it, :data:`_BATCH` at a time (a build
    hands each batch on while the next is made, and never holds a whole large source's
    documents and facts at once), each the same as the one-dataset projection gives
    (tested)."""
    wanted = {*FACT_PREDICATES, *_PROPS, *_DIST_PROPS, str(DLAB.datasetId), _FOAF_NAME, _BBOX}
    stored = storing_facts(catalogue, source, graph)  # begun before the read
    parsed = _kept_graph(catalogue, source, graph)
    if parsed is None:
        parsed = _dumped_graph(catalogue, source, graph)
    if parsed is not None:
        index = parsed.predicates(wanted)
    else:
        index = read_predicates(catalogue, graph, wanted)
    found: dict[str, str] = {}
    for iri, props in index.items():
        for ident in props.get(_DATASET_ID, ()):
            if ident.value in found:  # one id on two nodes: the facts merge both
                stored = None  # (catalog.facts.read), which this read does not store
            found[ident.value] = iri
    facts_of = facts_reader(catalogue, source, graph, index, parsed)
    del parsed  # the version's whole index: only the closure's reads needed it
    ordered = sorted(found)
    for i in range(0, len(ordered), _BATCH):
        docs = {ident: SearchDoc(ident, found[ident], source) for ident in ordered[i : i + _BATCH]}
        issued: dict[str, str] = {}
        media: dict[str, list[str]] = {}
        for doc in docs.values():
            _read_doc(doc, index, issued, media)
        facts = {ident: facts_of(ident, doc.iri) for ident, doc in docs.items()}
        if stored is not None:
            stored.add(facts.values())
        yield _finish(docs, facts, issued, media), facts
    if stored is not None:
        stored.finish()


def _kept_graph(catalogue: Catalogue, source: str, graph: str) -> ParsedGraph | None:
    """The version's kept N-Triples parsed into a triple index (:mod:`catalog.graph_copies`),
    if they are still exactly the version; else ``None``: read the catalogue's store."""
    path = catalogue.graphs.kept_copy(source, graph)
    if path is None:
        return None
    started = time.perf_counter()
    kept = kept_graph(path, graph)
    if kept is not None:
        took = time.perf_counter() - started
        log.info("search: %s read from its kept N-Triples (parsed in %.1fs)", source, took)
    return kept


def _dumped_graph(catalogue: Catalogue, source: str, graph: str) -> ParsedGraph | None:
    """A version without a kept copy (changed in place since its load, loaded quad by
    quad, or on a replica without the files), written out by a store that can
    (:class:`catalog.store.base.DumpsGraphs`) and parsed into a triple index: at two
    million datasets the store's scans, one per predicate, took 28-38 s of a source of
    100,000 (each term decoded into a Python object), its dump and the parse 21 s (17 s
    of it the store decoding every term). ``None``: read the store's scans."""
    store = catalogue.store
    if not isinstance(store, DumpsGraphs):
        return None
    started = time.perf_counter()
    data = store.graph_ntriples(graph)
    try:
        dumped = ParsedGraph(data)
    except (SyntaxError, ValueError) as exc:  # the store's own N-Triples: never seen
        log.warning("search: the dump of %s does not parse (%s); scanning the store", graph, exc)
        return None
    took = time.perf_counter() - started
    log.info("search: %s read from a dump of the store (%.1fs)", source, took)
    return dumped


_EMPTY: dict[str, list[Term]] = {}


def _read_doc(
    doc: SearchDoc, index: TripleIndex, issued: dict[str, str], media: dict[str, list[str]]
) -> None:
    """The dataset's own values, its distributions' formats, its publishers' names and
    its places' boxes, from the source's triple index."""
    props = index[doc.iri]
    for predicate, kind in _PROPS.items():
        for o in props.get(predicate, ()):
            _read_prop(doc, kind, o, issued)
    for x in _nodes(props.get(_DISTRIBUTION, ())):
        dist = index.get(x, _EMPTY)
        for predicate, kind in _DIST_PROPS.items():
            for o in dist.get(predicate, ()):
                _read_dist_prop(doc, kind, o, media)
    for agent in _nodes(props.get(_PUBLISHER, ())):
        for n in index.get(agent, _EMPTY).get(_FOAF_NAME, ()):
            _publisher_name(doc, agent, n)
    for place in _nodes(props.get(_SPATIAL, ())):
        for b in index.get(place, _EMPTY).get(_BBOX, ()):
            _add_bbox(doc, b.value)


def _nodes(objects: Iterable[Term]) -> Iterator[str]:
    """The IRIs among ``objects`` (a literal is never the subject of a triple)."""
    for o in objects:
        if not isinstance(o, ox.Literal):
            yield o.value


def _finish(
    docs: dict[str, SearchDoc],
    facts: dict[str, DatasetFacts],
    issued: dict[str, str],
    media: dict[str, list[str]],
) -> list[SearchDoc]:
    """What both projections derive the same way: access, data spaces, licences (from the
    facts), the format fallback to media types, the date and the bounding-box facet; the
    texts sorted (by language, then text: each store gives them in its own order)."""
    for ident, doc in docs.items():
        doc.titles.sort()
        doc.descriptions.sort()
        doc.keywords.sort()
        if "format" not in doc.facets:
            for value in media.get(ident, ()):
                doc.add_facet("format", value)
        f = facts.get(ident)
        doc.access = access_facet(f) if f is not None else "unknown"
        doc.add_facet("access", doc.access)
        for link in f.data_spaces if f is not None else ():
            doc.add_facet("data_space", link.space)
        for iri in f.licences if f is not None else ():
            _licence(doc, iri)
        doc.modified = doc.modified or issued.get(ident) or None
        doc.add_facet("has_bbox", "true" if doc.bbox else "false")
    return [docs[i] for i in sorted(docs)]


def _facts(
    catalogue: Catalogue, source: str, graph: str, docs: dict[str, SearchDoc]
) -> dict[str, DatasetFacts]:
    """The facts of the datasets projected one by one: access, data spaces and licences
    are read there, never from the graph a second time."""
    out: dict[str, DatasetFacts] = {}
    for ident, doc in docs.items():
        f = ref_facts(catalogue, DatasetRef(ident, doc.iri, source, graph))
        if f is not None:
            out[ident] = f
    return out


def _licence(doc: SearchDoc, iri: str) -> None:
    if iri.startswith(_EU_LICENCE):
        doc.add_facet("licence", local_name(iri))
    else:
        doc.add_facet("licence", iri)


def _format(value: str) -> str:
    if value.startswith(_EU_FILE_TYPE):
        return local_name(value)
    return local_name(value).upper() if "/" in value else value.strip().upper()


def _publisher_names(
    catalogue: Catalogue, graph: str, scope: tuple[str, str], docs: dict[str, SearchDoc]
) -> None:
    rows = catalogue.store.select(
        f"SELECT ?id ?a ?n WHERE {{ GRAPH <{graph}> {{ "
        f"{scope[0]}?d <{DCT.publisher}> ?a . ?a <{FOAF.name}> ?n{scope[1]} }} }}"
    )
    for r in rows:
        doc = docs.get(r["id"].value)
        if doc is not None:
            _publisher_name(doc, r["a"].value, r["n"])


def _publisher_name(doc: SearchDoc, agent: str, n: Term) -> None:
    """A publisher's name: shown as its label and searched as a keyword."""
    lang = n.language or "" if isinstance(n, ox.Literal) else ""
    doc.labels.setdefault("publisher", {}).setdefault(agent, {})[lang] = n.value
    doc.keywords.append((lang, n.value))


def _bboxes(
    catalogue: Catalogue, graph: str, scope: tuple[str, str], docs: dict[str, SearchDoc]
) -> None:
    rows = catalogue.store.select(
        f"SELECT ?id ?b WHERE {{ GRAPH <{graph}> {{ "
        f"{scope[0]}?d <{DCT.spatial}> ?s . ?s <{DCAT.bbox}> ?b{scope[1]} }} }}"
    )
    for r in rows:
        doc = docs.get(r["id"].value)
        if doc is not None:
            _add_bbox(doc, r["b"].value)


def _add_bbox(doc: SearchDoc, wkt: str) -> None:
    """Widen the dataset's bounding box to hold one more geometry."""
    box = parse_bbox(wkt)
    if box is None:
        return
    if doc.bbox is None:
        doc.bbox = box
    else:
        a = doc.bbox
        doc.bbox = (min(a[0], box[0]), min(a[1], box[1]), max(a[2], box[2]), max(a[3], box[3]))
