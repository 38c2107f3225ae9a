"""Steward overrides: fields edited locally that every later harvest keeps.

A steward who edits a harvested dataset's field does not edit the source graph (the next
harvest replaces it) but records an *override* in the graph ``urn:datalab:overrides:<source>``:
``<dataset> dlab:overrides <property>`` marks the property as the steward's, and
``<dataset> <property> <value>`` triples give its values (none: the field is removed). On
every harvest, for each overridden (dataset, property) the harvested values are dropped and
the steward's are written instead; the override is also applied at once to the current
graph. Other fields keep following the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from catalog.graphs import check_source_name
from catalog.namespaces import DLAB
from catalog.service import Catalogue

OVERRIDES = str(DLAB.overrides)
Overrides = dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]


def overrides_graph(source: str) -> str:
    return f"urn:datalab:overrides:{check_source_name(source)}"


def load(catalogue: Catalogue, source: str) -> Overrides:
    """Every override of ``source``: dataset IRI → property IRI → values."""
    graph = overrides_graph(source)
    out: Overrides = {}
    for r in catalogue.store.select(
        f"SELECT ?d ?p WHERE {{ GRAPH <{graph}> {{ ?d <{OVERRIDES}> ?p }} }}"
    ):
        out.setdefault(r["d"].value, {})[r["p"].value] = []
    for r in catalogue.store.select(f"SELECT ?d ?p ?o WHERE {{ GRAPH <{graph}> {{ ?d ?p ?o }} }}"):
        d, p = r["d"].value, r["p"].value
        if p != OVERRIDES and p in out.get(d, {}):
            out[d][p].append(r["o"])  # type: ignore[arg-type]
    return out


def apply(
    triples: Iterable[ox.Triple], iri: str, fields: dict[str, list[ox.NamedNode | ox.Literal]]
) -> Iterator[ox.Triple]:
    """The record's triples with the steward's fields in place of the harvested ones."""
    for t in triples:
        if not (t.subject.value == iri and t.predicate.value in fields):
            yield t
    node = ox.NamedNode(iri)
    for prop, values in fields.items():
        for value in values:
            yield ox.Triple(node, ox.NamedNode(prop), value)


def set_field(
    catalogue: Catalogue,
    source: str,
    dataset_iri: str,
    prop: str,
    values: list[ox.NamedNode | ox.Literal],
) -> None:
    """Record a steward's value(s) for one field and apply them to the current graph."""
    graph = overrides_graph(source)
    d, p = ox.NamedNode(dataset_iri), ox.NamedNode(prop)
    body = " ".join(f"{d} {p} {v} ." for v in values)
    with catalogue.source_lock(source):
        catalogue.store.update(
            f"DELETE WHERE {{ GRAPH <{graph}> {{ {d} {p} ?o }} }};\n"
            f"INSERT DATA {{ GRAPH <{graph}> {{ {d} <{OVERRIDES}> {p} . {body} }} }}"
        )
        target = catalogue.graphs.copy_current(source)
        try:
            catalogue.store.update(
                f"DELETE WHERE {{ GRAPH <{target}> {{ {d} {p} ?o }} }};\n"
                f"INSERT DATA {{ GRAPH <{target}> {{ {body} }} }}"
            )
            catalogue.graphs.publish(source, target)
        except BaseException:
            catalogue.graphs.discard(target)
            raise


def clear_field(catalogue: Catalogue, source: str, dataset_iri: str, prop: str) -> None:
    """Hand a field back to the source (takes effect at the next harvest)."""
    graph = overrides_graph(source)
    d, p = ox.NamedNode(dataset_iri), ox.NamedNode(prop)
    catalogue.store.update(
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {d} {p} ?o }} }};\n"
        f"DELETE DATA {{ GRAPH <{graph}> {{ {d} <{OVERRIDES}> {p} }} }}"
    )


def drop(catalogue: Catalogue, source: str) -> None:
    catalogue.store.drop(overrides_graph(source))
