"""The DCAT-AP 3 catalogue endpoint's content: one page of datasets with their origin.

This instance's catalogue is ``<base_iri>/catalog``. A dataset is listed by the catalogue
that listed it where it came from: a dataset loaded with its own ``dcat:Catalog`` (a data
space's catalogue) or harvested from another instance stays in that catalogue, which
becomes a sub-catalogue (``dct:hasPart``) of this one, nested as deep as it was at the
origin. A harvested source without any catalogue gets a minted one
(``<base_iri>/catalog/source/<name>``).

Federation rules, so that a network of instances never loops or duplicates:

* a dataset whose chain of catalogues contains this instance's own catalogue came back
  from a peer: it is never exported again (it is ours);
* a dataset IRI held by several sources is exported once (local over harvested, then the
  first source by name);
* ``exclude_catalog`` leaves out everything that came through the named catalogues, so a
  peer harvesting this instance can ask not to receive its own data back.

Paging is Hydra's ``PartialCollectionView`` (what ckanext-dcat serves and the DCAT
connector follows), ordered by dataset IRI.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC

import pyoxigraph as ox

from catalog import records
from catalog.change_times import change_times
from catalog.errors import InvalidInput
from catalog.federation.dcat_conformance import ExportConformance
from catalog.graphs import CURRENT_GRAPHS, META_GRAPH
from catalog.namespaces import DATASPACE, DCAT, DCT, DLAB, FOAF, HYDRA, INTERNAL_PREDICATES, RDF
from catalog.ranges import with_ranges
from catalog.service import Catalogue
from catalog.skolem import unskolemise

log = logging.getLogger(__name__)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_MAX_CHAIN = 8
_CONTEXT_DEPTH = 2
_DESCRIPTIVE_SKIP = {str(DCAT.dataset), str(DCT.hasPart), str(DCAT.record)}

T = ox.NamedNode
A = T(str(RDF.type))


def catalogue_iri(base_iri: str) -> str:
    """This instance's ``dcat:Catalog`` IRI."""
    return base_iri.rstrip("/") + "/catalog"


def check_since(value: str | None) -> str | None:
    """Validate a ``modified_since`` value; returns it normalised for comparison."""
    if value is None:
        return None
    if not _DATE.match(value):
        raise InvalidInput(
            f"modified_since {value!r} is not an ISO 8601 date or date-time",
            where="modified_since",
        )
    return _norm(value)


def _norm(value: str) -> str:
    return (value if "T" in value else value + "T00:00:00")[:19]


@dataclass(frozen=True)
class CatalogQuery:
    """Filters and paging of one request to the catalogue endpoint."""

    page: int = 1
    page_size: int = 50
    modified_since: str | None = None
    data_space: str | None = None
    source: str | None = None
    exclude_catalogs: tuple[str, ...] = ()

    def data_space_iri(self) -> str | None:
        if not self.data_space:
            return None
        if ":" in self.data_space:
            return self.data_space
        return str(DATASPACE[self.data_space])


@dataclass
class _Entry:
    iri: str
    id: str
    source: str
    graph: str
    harvested: bool
    modified: str
    chain: list[str] = field(default_factory=list)  # nearest catalogue first


@dataclass
class CatalogPage:
    """One page of the export: its triples, the total and the page numbers; ``left_out``:
    dataset id -> why it is not on the page (its description breaks DCAT-AP 3)."""

    triples: list[ox.Triple]
    total: int
    page: int
    last_page: int
    dataset_ids: list[str]
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _entries(cat: Catalogue, q: CatalogQuery) -> list[_Entry]:
    ds = q.data_space_iri()
    ds_clause = f"?d <{DLAB.dataSpace}> <{ds}> ." if ds else ""
    src_filter = f"FILTER(?source = {ox.Literal(q.source)})" if q.source else ""
    rows = cat.store.select(
        f"SELECT ?d ?id ?source ?g ?at ?hs ?mod WHERE {{ {CURRENT_GRAPHS} {src_filter} "
        f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ ?src <{DLAB.loadedAt}> ?at }} }} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id . {ds_clause} "
        f"OPTIONAL {{ ?d <{DLAB.harvestSource}> ?hs }} }} }}"
    )
    found: dict[tuple[str, str], _Entry] = {}
    changed = change_times(cat)
    for r in rows:
        key = (r["d"].value, r["source"].value)
        # when the record last changed in this catalogue, not the publisher's dct:modified
        at = changed.get(r["id"].value)
        mod = at.astimezone(UTC).isoformat()[:19] if at else ""
        if "at" in r and not mod:
            mod = _norm(r["at"].value)
        entry = found.get(key)
        if entry is None:
            found[key] = _Entry(r["d"].value, r["id"].value, key[1], r["g"].value, "hs" in r, mod)
        elif mod > entry.modified:
            entry.modified = mod
    return list(found.values())


def _chains(cat: Catalogue, entries: list[_Entry]) -> dict[str, dict[str, list[str]]]:
    """Per graph: catalogue → its parent catalogues, and dataset → catalogues listing it."""
    out: dict[str, dict[str, list[str]]] = {}
    for graph in sorted({e.graph for e in entries}):
        listing: dict[str, list[str]] = {}
        for r in cat.store.select(
            f"SELECT ?c ?d WHERE {{ GRAPH <{graph}> {{ ?c <{DCAT.dataset}> ?d }} }} ORDER BY ?c"
        ):
            listing.setdefault("d:" + r["d"].value, []).append(r["c"].value)
        for r in cat.store.select(
            f"SELECT ?p ?c WHERE {{ GRAPH <{graph}> {{ ?p <{DCT.hasPart}> ?c }} }} ORDER BY ?p"
        ):
            listing.setdefault("c:" + r["c"].value, []).append(r["p"].value)
        out[graph] = listing
    return out


def _chain_of(entry: _Entry, listing: dict[str, list[str]], root: str, base: str) -> list[str]:
    parents = listing.get("d:" + entry.iri)
    if not parents:
        return [f"{root}/source/{entry.source}"] if entry.harvested else []
    chain = [parents[0]]
    while len(chain) < _MAX_CHAIN:
        up = [p for p in listing.get("c:" + chain[-1], []) if p not in chain]
        if not up:
            break
        chain.append(up[0])
    return chain


def select_entries(cat: Catalogue, q: CatalogQuery, root: str) -> list[_Entry]:
    """Every dataset the query selects, deduplicated and ordered by IRI."""
    entries = _entries(cat, q)
    listing = _chains(cat, entries)
    base = cat.settings.base_iri
    excluded = {root, *q.exclude_catalogs}
    best: dict[str, _Entry] = {}
    for e in sorted(entries, key=lambda e: (e.harvested, e.source)):
        e.chain = _chain_of(e, listing[e.graph], root, base)
        if excluded.intersection(e.chain):
            continue
        if q.modified_since and e.modified and e.modified < q.modified_since:
            continue
        best.setdefault(e.iri, e)
    return [best[iri] for iri in sorted(best)]


def _describe_catalogue(cat: Catalogue, graph: str, iri: str) -> list[ox.Triple]:
    """A sub-catalogue's descriptive triples and one level of context (its publisher)."""
    own = [
        t
        for t in records.triples_of(cat.store, graph, [iri])
        if t.predicate.value not in _DESCRIPTIVE_SKIP
        and not t.predicate.value.startswith(str(HYDRA))
        and t.predicate.value not in INTERNAL_PREDICATES
    ]
    context = sorted(
        {
            t.object.value
            for t in own
            if isinstance(t.object, ox.NamedNode) and t.predicate.value != str(RDF.type)
        }
    )
    extra = records.triples_of(cat.store, graph, context) if context else []
    return own + [t for t in extra if t.predicate.value not in _DESCRIPTIVE_SKIP]


def _deeper_context(cat: Catalogue, graph: str, triples: list[ox.Triple]) -> list[ox.Triple]:
    """Nodes the record reaches only through its context (a service's standard), bounded."""
    out: list[ox.Triple] = []
    subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
    level = triples
    for _ in range(_CONTEXT_DEPTH):
        pending = sorted(
            {
                t.object.value
                for t in level
                if isinstance(t.object, ox.NamedNode)
                and t.predicate.value != str(RDF.type)
                and t.object.value not in subjects
            }
        )
        if not pending:
            break
        subjects.update(pending)
        level = [t for t in records.triples_of(cat.store, graph, pending) if not _internal(t)]
        out.extend(level)
    return out


def _root_triples(cat: Catalogue, root: str) -> list[ox.Triple]:
    s = cat.settings
    node, publisher = T(root), T(root + "#publisher")
    return [
        ox.Triple(node, A, T(str(DCAT.Catalog))),
        ox.Triple(node, T(str(DCT.title)), ox.Literal(s.catalogue_title, language="en")),
        ox.Triple(
            node, T(str(DCT.description)), ox.Literal(s.catalogue_description, language="en")
        ),
        ox.Triple(node, T(str(DCT.publisher)), publisher),
        ox.Triple(publisher, A, T(str(FOAF.Agent))),
        ox.Triple(publisher, T(str(FOAF.name)), ox.Literal(s.catalogue_publisher)),
    ]


def _minted_catalogue(cat: Catalogue, iri: str, source: str, root: str) -> list[ox.Triple]:
    node = T(iri)
    return [
        ox.Triple(node, A, T(str(DCAT.Catalog))),
        ox.Triple(node, T(str(DCT.title)), ox.Literal(f"Harvested source {source}", language="en")),
        ox.Triple(
            node,
            T(str(DCT.description)),
            ox.Literal(
                f"Datasets harvested by this catalogue from source {source}.", language="en"
            ),
        ),
        ox.Triple(node, T(str(DCT.publisher)), T(root + "#publisher")),
    ]


def build_catalog_page(
    cat: Catalogue,
    q: CatalogQuery,
    link: Callable[[int], str],
    conformance: ExportConformance | None = None,
) -> CatalogPage:
    """One page of the DCAT-AP export; ``link(n)`` is the URL of page ``n``. With
    ``conformance``, datasets whose description would break DCAT-AP 3 are left out."""
    root = catalogue_iri(cat.settings.base_iri)
    selected = select_entries(cat, q, root)
    total = len(selected)
    last = max(1, -(-total // q.page_size))
    if q.page > last and total:
        raise InvalidInput(f"page {q.page} is past the last page ({last})", where="page")
    chunk = selected[(q.page - 1) * q.page_size : q.page * q.page_size]
    units: dict[str, list[ox.Triple]] = {}
    for e in chunk:
        ref = records.DatasetRef(e.id, e.iri, e.source, e.graph)
        described = [t for t in records.describe(cat.store, ref) if not _internal(t)]
        units[e.id] = described + _deeper_context(cat, e.graph, described)
    # agents a record cites by IRI and another source describes (a steward's organisation)
    cited = {e.id: records.unnamed_agents(units[e.id]) for e in chunk}
    known = records.known_agents(cat.store, {a for agents in cited.values() for a in agents})
    for key, agents in cited.items():
        wanted = set(agents)
        extra = [t for t in known if t.subject.value in wanted]  # type: ignore[union-attr]
        units[key] = with_ranges(units[key] + extra)
    left_out: dict[str, tuple[str, ...]] = {}
    if conformance is not None and units:
        public = cat.settings.public_url
        verdicts = conformance.violations(
            {key: list(unskolemise(unit, public_url=public)) for key, unit in units.items()}
        )
        left_out = {key: found for key, found in verdicts.items() if found}
    triples = _root_triples(cat, root)
    seen_catalogues: set[str] = set()
    links: set[tuple[str, str, str]] = set()
    for e in chunk:
        if e.id in left_out:
            continue
        triples.extend(units[e.id])
        chain = e.chain
        links.add((chain[0] if chain else root, str(DCAT.dataset), e.iri))
        for child, parent in zip(chain, [*chain[1:], root][: len(chain)], strict=True):
            links.add((parent, str(DCT.hasPart), child))
        for c in chain:
            if c in seen_catalogues:
                continue
            seen_catalogues.add(c)
            described = _describe_catalogue(cat, e.graph, c)
            triples.extend(described or _minted_catalogue(cat, c, e.source, root))
    triples.extend(ox.Triple(T(s), T(p), T(o)) for s, p, o in sorted(links))
    triples = with_ranges(triples)
    triples.extend(_hydra(link, q.page, last, total, q.page_size))
    unique = list(dict.fromkeys(unskolemise(triples, public_url=cat.settings.public_url)))
    ids = [e.id for e in chunk if e.id not in left_out]
    if left_out:
        log.info(
            "/catalog page %d leaves out %d dataset(s): %s", q.page, len(left_out), sorted(left_out)
        )
    return CatalogPage(unique, total, q.page, last, ids, left_out)


def _hydra(
    link: Callable[[int], str], page: int, last: int, total: int, size: int
) -> list[ox.Triple]:
    view = T(link(page))
    h = HYDRA
    out = [
        ox.Triple(view, A, T(str(h.PartialCollectionView))),
        ox.Triple(view, T(str(h.totalItems)), ox.Literal(str(total), datatype=_XSD_INT)),
        ox.Triple(view, T(str(h.itemsPerPage)), ox.Literal(str(size), datatype=_XSD_INT)),
        ox.Triple(view, T(str(h.first)), T(link(1))),
        ox.Triple(view, T(str(h.last)), T(link(last))),
    ]
    if page < last:
        out.append(ox.Triple(view, T(str(h.next)), T(link(page + 1))))
    if page > 1:
        out.append(ox.Triple(view, T(str(h.previous)), T(link(page - 1))))
    return out


_XSD_INT = T("http://www.w3.org/2001/XMLSchema#integer")


def _internal(t: ox.Triple) -> bool:
    return t.predicate.value in INTERNAL_PREDICATES
