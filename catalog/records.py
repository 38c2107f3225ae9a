"""Dataset records in the graph: list, find by id, describe, delete.

A dataset's *record* is the dataset node, every node it owns (skolemised blank nodes and
its distributions, recursively), and the triple linking a catalogue to it. Nodes it only
points to (agents, licences described elsewhere) are shown as context, never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import pyoxigraph as ox

from catalog.errors import DatasetNotFound, DuplicateRecord, InvalidInput
from catalog.graphs import CURRENT_GRAPHS, SourceGraphs, graph_filter
from catalog.ids import is_dataset_id
from catalog.namespaces import DCAT, DCT, DLAB, RDF
from catalog.ownership import MAX_DEPTH, owns
from catalog.skolem import GENID, is_skolem
from catalog.store.base import GraphStore

DATASET_TYPES = (str(DCAT.Dataset), str(DCAT.DatasetSeries))
_MAX_DEPTH = 6
_BATCH = 200


@dataclass(frozen=True)
class DatasetRef:
    """Where one dataset lives: its id, IRI, source and current graph."""

    id: str
    iri: str
    source: str
    graph: str


@dataclass
class DatasetSummary:
    id: str
    iri: str
    source: str
    titles: dict[str, str] = field(default_factory=dict)


def _lit(value: str) -> str:
    return str(ox.Literal(value))


def find(store: GraphStore, dataset_id: str) -> DatasetRef:
    """Resolve a dataset id to its current location, or raise :class:`DatasetNotFound`."""
    if not is_dataset_id(dataset_id):
        raise DatasetNotFound(f"no dataset with id {dataset_id!r}", where="id")
    rows = store.select(
        f"SELECT ?d ?source ?g WHERE {{ {CURRENT_GRAPHS} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> {_lit(dataset_id)} }} }} LIMIT 2"
    )
    if not rows:
        raise DatasetNotFound(f"no dataset with id {dataset_id!r}", where="id")
    if len(rows) > 1:  # never pick one: which one wins would decide who reads what
        raise DuplicateRecord(
            f"dataset id {dataset_id!r} is held by more than one record "
            f"(<{rows[0]['d'].value}> in source {rows[0]['source'].value!r} and "
            f"<{rows[1]['d'].value}> in source {rows[1]['source'].value!r}); "
            "an administrator must remove one",
            where="id",
        )
    r = rows[0]
    return DatasetRef(dataset_id, r["d"].value, r["source"].value, r["g"].value)


def list_page(
    store: GraphStore, *, after: str | None, limit: int, source: str | None = None
) -> tuple[list[DatasetSummary], bool]:
    """One page of datasets ordered by id, starting after ``after``; and whether more follow."""
    filters = []
    if after:
        if not is_dataset_id(after):
            raise InvalidInput(f"invalid cursor {after!r}", where="cursor")
        filters.append(f"FILTER(STR(?id) > {_lit(after)})")
    if source:
        filters.append(f"FILTER(?source = {_lit(source)})")
    rows = store.select(
        f"SELECT ?id ?d ?source ?g WHERE {{ {CURRENT_GRAPHS} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id }} {' '.join(filters)} }} "
        f"ORDER BY ?id LIMIT {limit + 1}"
    )
    more = len(rows) > limit
    items = [DatasetSummary(r["id"].value, r["d"].value, r["source"].value) for r in rows[:limit]]
    _add_titles(store, items, [r["g"].value for r in rows[:limit]])
    return items, more


def _add_titles(store: GraphStore, items: list[DatasetSummary], graphs: list[str]) -> None:
    """Titles read from the very version graphs the page came from (kept until the next
    load), so one page never mixes two versions of a source."""
    if not items:
        return
    by_iri = {item.iri: item for item in items}
    values = " ".join(f"(<{item.iri}> <{g}>)" for item, g in zip(items, graphs, strict=True))
    rows = store.select(
        f"SELECT ?d ?t WHERE {{ VALUES (?d ?g) {{ {values} }} GRAPH ?g {{ ?d <{DCT.title}> ?t }} }}"
    )
    for r in rows:
        title = r["t"]
        lang = title.language if isinstance(title, ox.Literal) and title.language else ""
        by_iri[r["d"].value].titles.setdefault(lang, title.value)


def count(store: GraphStore, source: str | None = None) -> int:
    flt = f"FILTER(?source = {_lit(source)})" if source else ""
    rows = store.select(
        f"SELECT (COUNT(?d) AS ?n) WHERE {{ {CURRENT_GRAPHS} "
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id }} {flt} }}"
    )
    return int(rows[0]["n"].value) if rows else 0


def triples_of(store: GraphStore, graph: str, subjects: Iterable[str]) -> list[ox.Triple]:
    subjects = list(subjects)
    out: list[ox.Triple] = []
    for i in range(0, len(subjects), _BATCH):
        values = " ".join(f"<{s}>" for s in subjects[i : i + _BATCH])
        rows = store.select(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ VALUES ?s {{ {values} }} ?s ?p ?o }} }}"
        )
        out.extend(ox.Triple(r["s"], r["p"], r["o"]) for r in rows)  # type: ignore[arg-type]
    return out


def owned_triples(store: GraphStore, graph: str, iri: str) -> list[ox.Triple]:
    """The dataset's own triples and those of every node it owns, recursively (the rule of
    :mod:`catalog.ownership`)."""
    seen = {iri}
    frontier = [iri]
    triples: list[ox.Triple] = []
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        level = triples_of(store, graph, frontier)
        triples.extend(level)
        frontier = []
        for t in level:
            o = t.object
            if isinstance(o, ox.Triple):
                continue
            if owns(t.predicate.value, o) and o.value not in seen:
                seen.add(o.value)
                frontier.append(o.value)
    return triples


def describe(store: GraphStore, ref: DatasetRef) -> list[ox.Triple]:
    """The dataset's record plus one level of context (agents, licences, catalogue links)."""
    triples = owned_triples(store, ref.graph, ref.iri)
    owned = {t.subject.value for t in triples if not isinstance(t.subject, ox.Triple)}
    context = {
        t.object.value
        for t in triples
        if isinstance(t.object, ox.NamedNode)
        and t.object.value not in owned
        and t.predicate.value != str(RDF.type)
    }
    context_triples = triples_of(store, ref.graph, sorted(context))
    closure = _context_closure(store, ref.graph, context_triples, owned | context)
    return triples + context_triples + closure


#: Properties whose values are agents (DCAT-AP's range foaf:Agent).
AGENT_LINKS = frozenset({str(DCT.publisher), str(DCT.creator), str(DCT.rightsHolder)})
_AGENT_TYPES = (
    "http://xmlns.com/foaf/0.1/Agent",
    "http://xmlns.com/foaf/0.1/Organization",
    "http://xmlns.com/foaf/0.1/Person",
    "http://www.w3.org/ns/org#Organization",
)


def unnamed_agents(triples: Iterable[ox.Triple]) -> list[str]:
    """Agents ``triples`` cite by IRI (publisher, creator, rights holder) but do not
    describe."""
    facts = list(triples)
    described = {t.subject for t in facts}
    return sorted(
        {
            t.object.value
            for t in facts
            if t.predicate.value in AGENT_LINKS
            and isinstance(t.object, ox.NamedNode)
            and t.object not in described
        }
    )


def known_agents(store: GraphStore, iris: Iterable[str]) -> list[ox.Triple]:
    """What the catalogue's current graphs say of these agents, where a graph types them as
    agents (their own triples: type, name, and the like; never bookkeeping). A record citing
    its publisher by IRI is exported and validated with that description, as the catalogue
    knows it."""
    wanted = sorted(set(iris))
    types = " ".join(f"<{t}>" for t in _AGENT_TYPES)
    out: dict[ox.Triple, None] = {}
    for i in range(0, len(wanted), _BATCH):
        values = " ".join(f"<{s}>" for s in wanted[i : i + _BATCH])
        rows = store.select(
            f"SELECT DISTINCT ?s ?p ?o WHERE {{ {CURRENT_GRAPHS} VALUES ?s {{ {values} }} "
            f"VALUES ?t {{ {types} }} GRAPH ?g {{ ?s a ?t . ?s ?p ?o "
            f'FILTER(!STRSTARTS(STR(?p), "{DLAB}") && !isBlank(?o) '
            f'&& !STRSTARTS(STR(?o), "{GENID}")) }} }}'
        )
        for r in rows:
            out[ox.Triple(r["s"], r["p"], r["o"])] = None  # type: ignore[arg-type]
    return list(out)


def _context_closure(
    store: GraphStore, graph: str, triples: list[ox.Triple], seen: set[str]
) -> list[ox.Triple]:
    """Owned (skolem) nodes under context nodes, e.g. an agent's address."""
    pending = [
        t.object.value for t in triples if is_skolem(t.object) and t.object.value not in seen
    ]
    out: list[ox.Triple] = []
    for _ in range(_MAX_DEPTH):
        if not pending:
            break
        seen.update(pending)
        level = triples_of(store, graph, pending)
        out.extend(level)
        pending = [
            t.object.value for t in level if is_skolem(t.object) and t.object.value not in seen
        ]
    return out


def record_triples(store: GraphStore, graph: str, iri: str) -> list[ox.Triple]:
    """Everything deleting a dataset's record removes: its owned triples and links to it."""
    triples = owned_triples(store, graph, iri)
    inbound = store.select(f"SELECT ?s ?p WHERE {{ GRAPH <{graph}> {{ ?s ?p <{iri}> }} }}")
    triples.extend(ox.Triple(r["s"], r["p"], ox.NamedNode(iri)) for r in inbound)  # type: ignore[arg-type]
    return triples


def delete_data(graph: str, triples: list[ox.Triple]) -> str:
    """A ``DELETE DATA`` operation for ``triples`` in ``graph`` (empty string for none)."""
    if not triples:
        return ""
    body = " ".join(f"{t} ." for t in triples)
    return f"DELETE DATA {{ GRAPH <{graph}> {{ {body} }} }}"


def delete_record(store: GraphStore, graph: str, iri: str) -> int:
    """Delete a dataset's record from ``graph`` in one (atomic) update."""
    triples = record_triples(store, graph, iri)
    if triples:
        store.update(delete_data(graph, triples))
    return len(triples)


def iris_with_ids(store: GraphStore, graph: str, ids: list[str]) -> list[str]:
    """The dataset nodes in ``graph`` that carry any of ``ids``."""
    found: list[str] = []
    for i in range(0, len(ids), _BATCH):
        values = " ".join(_lit(ident) for ident in ids[i : i + _BATCH])
        rows = store.select(
            f"SELECT ?d WHERE {{ VALUES ?id {{ {values} }} "
            f"GRAPH <{graph}> {{ ?d <{DLAB.datasetId}> ?id }} }}"
        )
        found.extend(r["d"].value for r in rows)
    return found


@dataclass
class _Taken:
    """Inside :func:`held_twice_taken_once`: the store, and every id held twice there once
    first asked (``None`` until then)."""

    store: GraphStore
    twice: frozenset[str] | None = None


_TAKEN_ONCE: ContextVar[_Taken | None] = ContextVar("held_twice_taken_once", default=None)


def held_twice(store: GraphStore, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` more than one record holds in the current graphs: the ids
    :func:`find` refuses (:class:`DuplicateRecord`), found for many ids at once (inside
    :func:`held_twice_taken_once`, from its one lookup)."""
    taken = _TAKEN_ONCE.get()
    if taken is not None and taken.store is store:
        if taken.twice is None:
            current = [src.graph for src in SourceGraphs(store).sources()]
            taken.twice = frozenset(_ids_held_twice(store, current, "") if current else ())
        return set(taken.twice.intersection(ids))
    wanted = sorted(set(ids))
    current = [src.graph for src in SourceGraphs(store).sources()]
    if not wanted or not current:
        return set()
    twice: set[str] = set()
    for i in range(0, len(wanted), _BATCH):
        values = " ".join(_lit(ident) for ident in wanted[i : i + _BATCH])
        # one lookup per id over every graph, kept in the current ones and counted by the
        # store: only the ids held twice come back (a build asks for every dataset, and a
        # row per record cost some 15 us each in Python)
        twice.update(_ids_held_twice(store, current, f"VALUES ?id {{ {values} }} "))
    return twice


@contextmanager
def held_twice_taken_once(store: GraphStore) -> Iterator[None]:
    """Inside it (this thread, or the context it runs in), :func:`held_twice` answers from
    one lookup of every id held twice in ``store``, made when first asked (a build whose
    facet providers never ask makes none): for a whole-catalogue build, which asks for
    every dataset batch by batch (at 2M, 1,000 lookups of 2,000 ids took 50-59 s of CPU;
    one of every id, 3.7-4.1 s). Writes made after it are not seen: the caller follows
    the change feed afterwards (the search build does)."""
    token = _TAKEN_ONCE.set(_Taken(store))
    try:
        yield
    finally:
        _TAKEN_ONCE.reset(token)


def _ids_held_twice(store: GraphStore, current: list[str], values: str) -> list[str]:
    """The ids (of ``values``, a ``VALUES ?id`` clause, or all) held by more than one
    record in the graphs ``current``."""
    rows = store.select(
        f"SELECT ?id WHERE {{ {values}"
        f"GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id }} {graph_filter(current)} }} "
        "GROUP BY ?id HAVING (COUNT(*) > 1)"
    )
    return [r["id"].value for r in rows]


def dataset_ids_in(store: GraphStore, graph: str) -> set[str]:
    """The ids of every dataset in ``graph``."""
    rows = store.select(f"SELECT ?id WHERE {{ GRAPH <{graph}> {{ ?d <{DLAB.datasetId}> ?id }} }}")
    return {r["id"].value for r in rows}


def present_ids(store: GraphStore, graph: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are datasets in ``graph``."""
    wanted = sorted(set(ids))
    found: set[str] = set()
    for i in range(0, len(wanted), _BATCH):
        values = " ".join(_lit(ident) for ident in wanted[i : i + _BATCH])
        rows = store.select(
            f"SELECT DISTINCT ?id WHERE {{ VALUES ?id {{ {values} }} "
            f"GRAPH <{graph}> {{ ?d <{DLAB.datasetId}> ?id }} }}"
        )
        found.update(r["id"].value for r in rows)
    return found


def datasets_in_graph(
    store: GraphStore, graph: str, typed: list[str] | None = None
) -> list[tuple[str, str | None]]:
    """Every dataset or dataset series in ``graph`` (``typed``: already known, e.g. seen by
    the skolemiser while writing the graph; else read from the store), with its
    ``dct:identifier`` when it is a blank node (only those need it for a stable id)."""
    types = f"VALUES ?t {{ <{DATASET_TYPES[0]}> <{DATASET_TYPES[1]}> }}"
    if typed is None:
        rows = store.select(f"SELECT ?d WHERE {{ GRAPH <{graph}> {{ {types} ?d a ?t }} }}")
        typed = [r["d"].value for r in rows]
    found: dict[str, str | None] = dict.fromkeys(typed)
    if any(iri.startswith(GENID) for iri in found):
        for row in store.select(
            f"SELECT ?d (SAMPLE(?ident) AS ?identifier) WHERE {{ GRAPH <{graph}> {{ "
            f"{types} ?d a ?t FILTER(STRSTARTS(STR(?d), {ox.Literal(GENID)})) "
            f"?d <{DCT.identifier}> ?ident }} }} GROUP BY ?d"
        ):
            found[row["d"].value] = row["identifier"].value
    return list(found.items())
