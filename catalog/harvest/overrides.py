"""Steward overrides: fields edited locally that every later harvest keeps.

A steward who edits a harvested dataset's field does not edit the source graph (the next
harvest replaces it) but records an *override* in the graph ``urn:datalab:overrides:<source>``:
``<dataset> dlab:overrides <property>`` marks the property as the steward's, and
``<dataset> <property> <value>`` triples give its values (none: the field is removed). On
every harvest, for each overridden (dataset, property) the harvested values are dropped and
the steward's are written instead; the override is also applied at once to the current
graph. Other fields keep following the source.

An IRI value may carry its own description in the overrides graph (``<value> ?p ?o``,
followed to nested nodes), e.g. a sample distribution the catalogue added: it is written
and removed together with the field, and re-applied with it on every harvest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox

from catalog import records
from catalog.graphs import check_source_name
from catalog.namespaces import DLAB
from catalog.service import Catalogue

OVERRIDES = str(DLAB.overrides)
Value = ox.NamedNode | ox.Literal
_MAX_DEPTH = 6


class Fields(dict[str, list[Value]]):
    """One dataset's overridden fields; ``described`` holds the descriptions of IRI values."""

    def __init__(self) -> None:
        super().__init__()
        self.described: list[ox.Triple] = []


Overrides = dict[str, Fields]


def overrides_graph(source: str) -> str:
    return f"urn:datalab:overrides:{check_source_name(source)}"


def load(catalogue: Catalogue, source: str) -> Overrides:
    """Every override of ``source``: dataset IRI → property IRI → values."""
    graph = overrides_graph(source)
    out: Overrides = {}
    for r in catalogue.store.select(
        f"SELECT ?d ?p WHERE {{ GRAPH <{graph}> {{ ?d <{OVERRIDES}> ?p }} }}"
    ):
        out.setdefault(r["d"].value, Fields())[r["p"].value] = []
    by_subject: dict[str, list[ox.Triple]] = {}
    for r in catalogue.store.select(f"SELECT ?d ?p ?o WHERE {{ GRAPH <{graph}> {{ ?d ?p ?o }} }}"):
        d, p = r["d"].value, r["p"].value
        if p != OVERRIDES and p in out.get(d, {}):
            out[d][p].append(r["o"])  # type: ignore[arg-type]
        if d not in out:
            by_subject.setdefault(d, []).append(ox.Triple(r["d"], r["p"], r["o"]))  # type: ignore[arg-type]
    for fields in out.values():
        roots = [v.value for vs in fields.values() for v in vs if isinstance(v, ox.NamedNode)]
        fields.described = _closure(roots, by_subject.get)
    return out


def _closure(
    roots: list[str], triples_of: Callable[[str], list[ox.Triple] | None]
) -> list[ox.Triple]:
    """The triples describing ``roots``, followed through the nodes they point to."""
    seen: set[str] = set()
    out: list[ox.Triple] = []
    frontier = roots
    for _ in range(_MAX_DEPTH):
        nxt = []
        for s in frontier:
            if s in seen:
                continue
            seen.add(s)
            for t in triples_of(s) or []:
                out.append(t)
                if isinstance(t.object, ox.NamedNode):
                    nxt.append(t.object.value)
        frontier = nxt
    return out


def _described(catalogue: Catalogue, graph: str, dataset_iri: str, prop: str) -> list[ox.Triple]:
    """Descriptions of the current override values of one field, read from ``graph``."""
    store = catalogue.store
    keys = {
        r["d"].value
        for r in store.select(f"SELECT ?d WHERE {{ GRAPH <{graph}> {{ ?d <{OVERRIDES}> ?p }} }}")
    }
    roots = [
        r["v"].value
        for r in store.select(
            f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ <{dataset_iri}> <{prop}> ?v }} }}"
        )
        if isinstance(r["v"], ox.NamedNode)  # literal values have no description
    ]

    def triples_of(subject: str) -> list[ox.Triple]:
        if subject in keys:
            return []
        rows = store.select(f"SELECT ?p ?o WHERE {{ GRAPH <{graph}> {{ <{subject}> ?p ?o }} }}")
        node = ox.NamedNode(subject)
        return [ox.Triple(node, r["p"], r["o"]) for r in rows]  # type: ignore[arg-type]

    return _closure(roots, triples_of)


def _update(catalogue: Catalogue, *operations: str) -> None:
    """Run the non-empty operations as one (atomic) update request."""
    catalogue.store.update(" ;\n".join(op for op in operations if op))


def apply(
    triples: Iterable[ox.Triple], iri: str, fields: dict[str, list[Value]]
) -> Iterator[ox.Triple]:
    """The record's triples with the steward's fields in place of the harvested ones."""
    node = ox.NamedNode(iri)
    for t in triples:
        if not (t.subject == node and t.predicate.value in fields):
            yield t
    for prop, values in fields.items():
        for value in values:
            yield ox.Triple(node, ox.NamedNode(prop), value)
    yield from getattr(fields, "described", ())


def set_field(
    catalogue: Catalogue,
    source: str,
    dataset_iri: str,
    prop: str,
    values: list[ox.NamedNode | ox.Literal],
    described: Iterable[ox.Triple] = (),
) -> None:
    """Record a steward's value(s) for one field and apply them to the current graph.

    ``described``: triples describing IRI values (stored with the override, replacing the
    descriptions of the field's previous values).
    """
    graph = overrides_graph(source)
    d, p = ox.NamedNode(dataset_iri), ox.NamedNode(prop)
    body = " ".join(f"{d} {p} {v} ." for v in values)
    body += "".join(f" {t} ." for t in described)
    with catalogue.source_lock(source):
        old = _described(catalogue, graph, dataset_iri, prop)
        _update(
            catalogue,
            records.delete_data(graph, old),
            f"DELETE WHERE {{ GRAPH <{graph}> {{ {d} {p} ?o }} }}",
            f"INSERT DATA {{ GRAPH <{graph}> {{ {d} <{OVERRIDES}> {p} . {body} }} }}",
        )
        current = catalogue.graphs.current(source)
        if current is not None:  # one atomic in-place update; a large source is not copied
            catalogue.graphs.update_in_place(
                source,
                current,
                delete=records.delete_data(current, old),
                operations=[
                    f"DELETE WHERE {{ GRAPH <{current}> {{ {d} {p} ?o }} }}",
                    f"INSERT DATA {{ GRAPH <{current}> {{ {body} }} }}" if body else "",
                ],
            )
    _notify(catalogue, source, dataset_iri)


def clear_field(
    catalogue: Catalogue, source: str, dataset_iri: str, prop: str, *, now: bool = False
) -> None:
    """Hand a field back to the source (takes effect at the next harvest).

    With ``now`` the steward's values and their descriptions also leave the current graph
    at once (the source's own values for the field return at the next harvest).
    """
    graph = overrides_graph(source)
    d, p = ox.NamedNode(dataset_iri), ox.NamedNode(prop)
    old = _described(catalogue, graph, dataset_iri, prop)
    values = [
        r["v"]
        for r in catalogue.store.select(f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ {d} {p} ?v }} }}")
    ]
    if now:
        with catalogue.source_lock(source):
            current = catalogue.graphs.current(source)
            if current is not None:
                gone = old + [ox.Triple(d, p, v) for v in values]
                catalogue.graphs.update_in_place(
                    source, current, delete=records.delete_data(current, gone)
                )
    _update(
        catalogue,
        records.delete_data(graph, old),
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {d} {p} ?o }} }}",
        f"DELETE DATA {{ GRAPH <{graph}> {{ {d} <{OVERRIDES}> {p} }} }}",
    )
    if now:
        _notify(catalogue, source, dataset_iri)


def _notify(catalogue: Catalogue, source: str, dataset_iri: str) -> None:
    """Tell search, offers and the SPARQL snapshot which dataset a steward edit changed."""
    current = catalogue.graphs.current(source)
    ids: set[str] | None = None
    if current is not None:
        rows = catalogue.store.select(
            f"SELECT ?id WHERE {{ GRAPH <{current}> {{ <{dataset_iri}> <{DLAB.datasetId}> ?id }} }}"
        )
        ids = {r["id"].value for r in rows} or None
    # A dataset the current version does not hold changed nothing published: the change
    # feed gets no rows (the listeners still hear of it, as before).
    catalogue.notify_published(source, ids, recorded=ids is None)


def drop(catalogue: Catalogue, source: str) -> None:
    catalogue.store.drop(overrides_graph(source))
