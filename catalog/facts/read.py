"""Reading facts from the store: one dataset, or every dataset of a source graph in bulk.

Both readers build the same :data:`~catalog.facts.derive.TripleIndex` around a dataset
(its own triples, its owned nodes, one level of context, its policies) and hand it to the
one derivation, :func:`~catalog.facts.derive.derive_facts`.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import pyoxigraph as ox

from catalog import records
from catalog.dataspaces import data_spaces
from catalog.errors import DatasetNotFound
from catalog.facts.derive import (
    FACT_PREDICATES,
    TDMREP,
    TripleIndex,
    derive_facts,
    in_order,
    index_triples,
)
from catalog.facts.model import DatasetFacts
from catalog.graphs import CURRENT_GRAPHS, check_source_name
from catalog.namespaces import DLAB, ODRL, RDF
from catalog.service import Catalogue
from catalog.store.base import DescribesSubjects, GraphStore, ScansPredicates


def record_facts(catalogue: Catalogue, dataset_id: str) -> DatasetFacts:
    """The facts of one dataset, as currently published (raises :class:`DatasetNotFound`)."""
    for _ in range(3):  # the version read may be replaced meanwhile: resolve again
        facts = ref_facts(catalogue, catalogue.find(dataset_id))
        if facts is not None:
            return facts
    raise DatasetNotFound(f"no dataset with id {dataset_id!r}", where="id")


def ref_facts(catalogue: Catalogue, ref: records.DatasetRef) -> DatasetFacts | None:
    """The facts of the dataset at ``ref`` (its graph named there); ``None`` if not there."""
    triples = records.describe(catalogue.store, ref)
    if not triples:
        return None
    spaces = data_spaces(catalogue.documents)
    return derive_facts(index_triples(triples), ref.iri, ref.id, spaces, ref.source)


def _policy_closure(store: GraphStore | DescribesSubjects, graph: str, index: TripleIndex) -> None:
    """Add the whole description of every policy node and of the nodes under it (rules,
    constraints, RDF lists) to ``index``: one level of nodes at a time, each node's
    description replacing what ``index`` held for it."""
    frontier = sorted(
        {
            o.value
            for props in index.values()
            for p in _POLICY_LINKS
            for o in props.get(p, ())
            if not isinstance(o, ox.Literal)
        }
    )
    seen: set[str] = set()
    while frontier:
        seen.update(frontier)
        found = _descriptions(store, graph, frontier)
        index.update(found)
        frontier = sorted(
            {
                o.value
                for props in found.values()
                for p, objects in props.items()
                if p not in _NOT_FOLLOWED
                for o in objects
                if isinstance(o, ox.NamedNode | ox.BlankNode) and o.value not in seen
            }
        )


def _descriptions(
    store: GraphStore | DescribesSubjects, graph: str, subjects: list[str]
) -> TripleIndex:
    """The whole description of each of ``subjects`` that has one, by subject and predicate."""
    if isinstance(store, DescribesSubjects):
        found: TripleIndex = {}
        for subject, predicate, o in store.subject_triples(graph, subjects):
            found.setdefault(subject, {}).setdefault(predicate, []).append(o)
        return in_order(found)
    triples = records.triples_of(store, graph, subjects)
    return index_triples(t for t in triples if not isinstance(t.subject, ox.Triple))


_NOT_FOLLOWED = frozenset(str(p) for p in (RDF.type, ODRL.operator, ODRL.leftOperand))
#: The properties that name a dataset's (or a distribution's) policies.
_POLICY_LINKS = (str(ODRL.hasPolicy), TDMREP + "policy")
_DATASET_ID = str(DLAB.datasetId)


def read_predicates(catalogue: Catalogue, graph: str, predicates: Iterable[str]) -> TripleIndex:
    """Every triple of ``graph`` with one of ``predicates``, grouped by subject and
    predicate (objects in :func:`in_order`'s order): one scan per predicate (a pattern with
    a bound predicate reads one range of the store's index; a join over the dataset nodes
    costs several times as much). A kept version's N-Triples give the same index parsed
    (:meth:`catalog.parsed_graph.ParsedGraph.predicates`)."""
    index: TripleIndex = {}
    store = catalogue.store
    for predicate in sorted(set(predicates)):
        if isinstance(store, ScansPredicates):
            pairs = store.subject_objects(graph, predicate)
        else:
            rows = store.select(
                f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s <{predicate}> ?o }} }}"
            )
            pairs = [(r["s"].value, r["o"]) for r in rows]
        for subject, o in pairs:
            index.setdefault(subject, {}).setdefault(predicate, []).append(o)
    return in_order(index)


def graph_facts(catalogue: Catalogue, source: str, graph: str) -> list[DatasetFacts]:
    """The facts of every dataset in one source graph, ordered by dataset id."""
    with gc_paused():
        index = _closed(catalogue.store, graph, read_predicates(catalogue, graph, FACT_PREDICATES))
        spaces = data_spaces(catalogue.documents)
        ids = sorted((o.value, s) for s, props in index.items() for o in props.get(_DATASET_ID, ()))
        return [derive_facts(index, iri, ident, spaces, source) for ident, iri in ids]


_pauses = 0
_pause_lock = threading.Lock()
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector during a bulk read or build. Such a read
    makes millions of small objects that form no cycles (index dicts, lists, terms, frozen
    facts), and every full collection walks all of them again: a third of the CPU of
    reading 20,000 corpus-shaped datasets, and more the larger the read. Reference
    counting still frees everything; cycles made meanwhile wait for the next collection.
    Nested or concurrent pauses turn the collector back on once, when the last ends, and
    only if it was on."""
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def facts_reader(
    catalogue: Catalogue,
    source: str,
    graph: str,
    index: TripleIndex,
    store: GraphStore | DescribesSubjects | None = None,
) -> Callable[[str, str], DatasetFacts]:
    """``(dataset id, IRI) -> facts`` for the datasets of one source graph, derived as
    :func:`graph_facts` derives them, one at a time (a caller that reads more of the
    graph reads it once). ``index``: the graph's triples of (at least)
    :data:`FACT_PREDICATES`, read by :func:`read_predicates` (from ``store``, which the
    policies are read from too: a store, or a kept version's parsed triples,
    :class:`catalog.parsed_graph.ParsedGraph`); its entries are not changed."""
    # the closure pops and re-adds subjects
    closed = _closed(store or catalogue.store, graph, dict(index))
    spaces = data_spaces(catalogue.documents)

    def facts(ident: str, iri: str) -> DatasetFacts:
        return derive_facts(closed, iri, ident, spaces, source)

    return facts


def _closed(store: GraphStore | DescribesSubjects, graph: str, index: TripleIndex) -> TripleIndex:
    """``index`` with the whole description of every policy its datasets name, read from
    ``store``."""
    if any(link in p for p in index.values() for link in _POLICY_LINKS):
        _policy_closure(store, graph, index)
    return index


def source_facts(
    catalogue: Catalogue, source: str | None = None, skip: Collection[str] = ()
) -> Iterator[DatasetFacts]:
    """The facts of every record of every current source (or of ``source``), but those
    of the sources named in ``skip``, source by source in the order of their names; two
    records under one id are both given (see :func:`merged`)."""
    flt = f'FILTER(?source = "{check_source_name(source)}")' if source else ""
    rows = catalogue.store.select(f"SELECT ?source ?g WHERE {{ {CURRENT_GRAPHS} {flt} }}")
    for r in sorted(rows, key=lambda r: r["source"].value):
        if r["source"].value not in skip:
            yield from graph_facts(catalogue, r["source"].value, r["g"].value)


def catalogue_facts(
    catalogue: Catalogue, source: str | None = None, skip: Collection[str] = ()
) -> Iterator[DatasetFacts]:
    """The facts of every dataset of every current source (or of ``source``), but those
    of the sources named in ``skip``: :func:`source_facts`, each id's records merged as
    they come (in the order :func:`merged` merges them)."""
    found: dict[str, DatasetFacts] = {}
    for facts in source_facts(catalogue, source, skip):
        other = found.get(facts.dataset_id)
        found[facts.dataset_id] = facts if other is None else duplicate(other, facts)
    yield from found.values()


def merged(records: Sequence[DatasetFacts]) -> DatasetFacts:
    """One id's records, merged by :func:`duplicate` in the order of their sources' names
    (records of one source in the order given): what :func:`catalogue_facts` gives."""
    ordered = sorted(records, key=lambda f: f.source or "")
    return functools.reduce(duplicate, ordered)


def duplicate(a: DatasetFacts, b: DatasetFacts) -> DatasetFacts:
    """Two records under one id (stored before ownership was enforced): never pick one;
    the access is the most closed of both and every offer needs review. Records of several
    sources are merged in the order of their sources' names."""
    values = tuple(sorted({*a.access_values, *b.access_values, "DUPLICATE_RECORD"}))
    return replace(
        a,
        access_values=values,
        access_level="unknown",
        policy_errors=(
            *a.policy_errors,
            f"dataset id {a.dataset_id} is held by two records ({a.iri} in {a.source}, "
            f"{b.iri} in {b.source})",
        ),
    )
