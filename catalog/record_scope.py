"""What a steward's document may say: only statements about nodes its datasets own.

A steward registers datasets. Their document may describe those datasets, the nodes each
owns (:mod:`catalog.ownership`: distributions, policies, blank nodes), the agents they name
(publisher, creators, contact points, the health data access body) and a catalogue node
listing them. A statement about anything else (another source's dataset, a sample
distribution, someone else's agent) would land in the public union graph as if it were the
record's: it is refused, naming the node. A node another source already describes is not
the steward's to describe either.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from catalog.facts.derive import TripleIndex, index_triples, key
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import DCAT, DCT, HEALTHDCATAP, PROV, RDF
from catalog.ownership import owned_closure
from catalog.skolem import is_skolem
from catalog.store.base import GraphStore

#: Properties naming agents a record may describe along with itself.
AGENT_PROPERTIES = frozenset(
    str(p)
    for p in (
        DCT.publisher,
        DCT.creator,
        DCT.rightsHolder,
        DCAT.contactPoint,
        PROV.qualifiedAttribution,
        HEALTHDCATAP.hdab,
    )
)
_DATASET_TYPES = {str(DCAT.Dataset), str(DCAT.DatasetSeries)}
_BATCH = 200


def _closure(index: TripleIndex, root: str) -> list[str]:
    def links(node: str) -> Iterable[tuple[str, object, str]]:
        for predicate, objects in index.get(node, {}).items():
            for o in objects:
                yield predicate, o, key(o)

    return owned_closure(root, links)


def allowed_subjects(index: TripleIndex) -> tuple[set[str], set[str]]:
    """The dataset nodes of a document, and every node its statements may be about."""
    datasets = {
        s
        for s, props in index.items()
        if _DATASET_TYPES & {o.value for o in props.get(str(RDF.type), [])}
    }
    allowed: set[str] = set()
    for d in datasets:
        for node in _closure(index, d):
            allowed.add(node)
            for predicate in AGENT_PROPERTIES:
                for agent in index.get(node, {}).get(predicate, []):
                    if not isinstance(agent, ox.Literal) and key(agent) not in datasets:
                        allowed.update(_closure(index, key(agent)))
    for s, props in index.items():  # a catalogue node listing only the document's datasets
        listed = props.get(str(DCAT.dataset), [])
        if listed and all(key(o) in datasets for o in listed):
            allowed.add(s)
    return datasets, allowed


def foreign_statements(
    store: GraphStore, triples: Iterable[ox.Triple | ox.Quad], source: str
) -> list[str]:
    """Problems, one per node the document may not describe (empty when all is well)."""
    index = index_triples(triples)
    datasets, allowed = allowed_subjects(index)
    problems = [
        f"{_show(s)}: statements about a node none of the document's datasets owns are not "
        "accepted (describe only your datasets, their distributions, policies and agents)"
        for s in sorted(set(index) - allowed)
    ]
    described = (allowed & set(index)) - datasets  # nodes the document says something about
    named = sorted(
        s for s in described if not s.startswith("_:") and not is_skolem(ox.NamedNode(s))
    )
    for s in _described_elsewhere(store, named, source):
        problems.append(f"<{s}>: another source already describes this node; it is not yours")
    return problems


def _show(node: str) -> str:
    return "a blank node" if node.startswith("_:") else f"<{node}>"


def _described_elsewhere(store: GraphStore, iris: list[str], source: str) -> list[str]:
    found: list[str] = []
    for i in range(0, len(iris), _BATCH):
        values = " ".join(f"<{s}>" for s in iris[i : i + _BATCH])
        rows = store.select(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} {CURRENT_GRAPHS} "
            f"FILTER(?source != {ox.Literal(source)}) GRAPH ?g {{ ?s ?p ?o }} }}"
        )
        found.extend(r["s"].value for r in rows)
    return found


__all__ = ["AGENT_PROPERTIES", "allowed_subjects", "foreign_statements"]
