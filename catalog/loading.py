"""The ingest path: parse, map (skolemise, index ids, guard sources), store, publish.

Nothing is visible to readers until the final atomic publish; a failure at any step drops
the unpublished graphs and leaves the previous version served unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from catalog import records
from catalog.errors import InvalidInput
from catalog.graphs import CURRENT_GRAPHS, SourceGraphs
from catalog.ids import dataset_id
from catalog.namespaces import DLAB
from catalog.skolem import is_skolem, skolemise
from catalog.store.base import GraphStore


@dataclass(frozen=True)
class RecordError:
    """A record that was not stored, and why, in plain words."""

    record: str
    message: str


@dataclass
class LoadReport:
    """What one load stored."""

    source: str
    graph: str
    triples: int = 0
    dataset_ids: list[str] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)

    @property
    def datasets(self) -> int:
        return len(self.dataset_ids)


def load_quads(
    store: GraphStore,
    quads: Iterable[ox.Quad],
    *,
    source: str,
    replace: bool,
) -> LoadReport:
    """Store parsed triples as source ``source`` and publish the result atomically.

    With ``replace`` the document becomes the source's whole graph (a harvest); otherwise
    its datasets are upserted into the source's current graph (local registrations).
    """
    graphs = SourceGraphs(store)
    staged: list[str] = []
    try:
        doc_graph, triples = graphs.write(source, lambda graph: skolemise(quads, graph))
        staged.append(doc_graph)
        if triples == 0:
            raise InvalidInput(
                "the document holds no RDF triples; nothing was changed", where=source
            )
        report = LoadReport(source=source, graph=doc_graph, triples=triples)
        _index(store, doc_graph, source, report)
        current = None if replace else graphs.current(source)
        if current is None:
            graphs.publish(source, doc_graph)
            return report
        # Upsert: the records the document re-registers (matched by dataset id, so blank-node
        # datasets match too) are swapped for the new ones in one atomic update of the
        # current version; the rest of the source is not copied.
        old: list[ox.Triple] = []
        for iri in records.iris_with_ids(store, current, report.dataset_ids):
            old.extend(records.record_triples(store, current, iri))
        graphs.update_in_place(
            source, current, delete=records.delete_data(current, old), add_from=doc_graph
        )
        graphs.discard(doc_graph)
        report.graph = current
        return report
    except BaseException:
        for graph in staged:
            graphs.discard(graph)
        raise


def _index(store: GraphStore, graph: str, source: str, report: LoadReport) -> None:
    """Give every dataset its stable id; refuse records that cannot have one."""
    claimed = _claimed_elsewhere(store, graph, source)
    rejected: list[str] = []
    ids: list[ox.Quad] = []
    for iri, identifier in records.datasets_in_graph(store, graph):
        if iri in claimed:
            report.errors.append(
                RecordError(
                    iri, f"dataset IRI already belongs to source {claimed[iri]!r}; not overwritten"
                )
            )
            rejected.append(iri)
            continue
        if is_skolem(ox.NamedNode(iri)):
            if identifier is None:
                report.errors.append(
                    RecordError(
                        iri,
                        "dataset is a blank node without dct:identifier, so it "
                        "has no stable identity; give it an IRI",
                    )
                )
                rejected.append(iri)
                continue
            key = f"urn:datalab:identifier:{source}:{identifier}"
        else:
            key = iri
        ident = dataset_id(key)
        ids.append(ox.Quad(ox.NamedNode(iri), ox.NamedNode(str(DLAB.datasetId)), ox.Literal(ident)))
        report.dataset_ids.append(ident)
    for iri in rejected:
        records.delete_record(store, graph, iri)
    store.add(graph, ids)


def _claimed_elsewhere(store: GraphStore, graph: str, source: str) -> dict[str, str]:
    rows = store.select(
        f"SELECT DISTINCT ?d ?source WHERE {{ "
        f"GRAPH <{graph}> {{ VALUES ?t {{ <{records.DATASET_TYPES[0]}> "
        f"<{records.DATASET_TYPES[1]}> }} ?d a ?t }} "
        f"{CURRENT_GRAPHS} GRAPH ?g {{ ?d <{DLAB.datasetId}> ?id }} "
        f"FILTER(?source != {ox.Literal(source)}) }}"
    )
    return {r["d"].value: r["source"].value for r in rows}
