"""The registry in the catalogue's named graphs: factories and antennas, data labs, lab CRUD.

Factories and antennas are the source ``registry`` (replaced whole by :func:`load_registry`).
Data labs are the source ``labs``; creating or editing a lab writes a new version of that
graph and publishes it atomically (readers see the old labs or the new ones, never a mix).
Labs are read by SPARQL over the current graphs, since ``catalogue.load`` indexes datasets only.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from catalog import records
from catalog.dataspaces import (
    DataSpaceNotFound,
    builtin_data_spaces,
    data_spaces,
    remove_data_space,
)
from catalog.errors import Conflict, Forbidden, NotFound
from catalog.field_limits import FieldLimits
from catalog.graphs import CURRENT_GRAPHS
from catalog.labs.model import LAB_NS, DataLab, Factory, factory_from_graph
from catalog.loading import LoadReport, load_quads
from catalog.namespaces import DLAB, RDF
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import iter_triples
from catalog.service import Catalogue
from catalog.skolem import skolemise

REGISTRY_SOURCE = "registry"
LABS_SOURCE = "labs"
#: A lab id (the rule of :func:`catalog.dataspaces.check_id`): safe inside an IRI.
_LAB_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_locks: weakref.WeakKeyDictionary[Catalogue, threading.Lock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


class LabNotFound(NotFound):
    code = "lab_not_found"


class FactoryNotFound(NotFound):
    code = "factory_not_found"


def _lock(catalogue: Catalogue) -> threading.Lock:
    with _guard:
        return _locks.setdefault(catalogue, threading.Lock())


def data_file(name: str) -> bytes:
    return resources.files("catalog.labs").joinpath("data", name).read_bytes()


def _source_graph(catalogue: Catalogue, source: str) -> Graph:
    triples = catalogue.store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {CURRENT_GRAPHS} "
        f'FILTER(?source = "{source}") GRAPH ?g {{ ?s ?p ?o }} }}'
    )
    return to_rdflib_graph(triples)


@dataclass
class RegistryLoad:
    """What :func:`load_registry` did."""

    factories: LoadReport
    labs_added: list[str] = field(default_factory=list)


def load_registry(catalogue: Catalogue) -> RegistryLoad:
    """Load the built-in factories and antennas, and the demo lab of every factory.

    Idempotent: the factories graph is replaced; demo labs are added only where no lab
    with that id exists, so staff edits survive a reload.
    """
    report = catalogue.load(
        data_file("factories.ttl"), fmt="turtle", source=REGISTRY_SOURCE, replace=True
    )
    demo = Graph().parse(data=data_file("labs.ttl"), format="turtle")
    labs = [DataLab.from_graph(demo, s) for s in demo.subjects(RDF.type, DLAB.DataLab)]
    with _lock(catalogue), catalogue.source_lock(LABS_SOURCE):
        # decided under the write lock: replicas starting together add each lab once
        existing = {lab.id for lab in list_labs(catalogue)}
        new = [lab for lab in labs if lab.id not in existing]
        if new:
            _store_labs(catalogue, new)
    if new:
        catalogue.notify_published(LABS_SOURCE, None, recorded=True)
    return RegistryLoad(report, sorted(lab.id for lab in new))


def list_factories(catalogue: Catalogue, kind: str | None = None) -> list[Factory]:
    g = _source_graph(catalogue, REGISTRY_SOURCE)
    out = [
        factory_from_graph(g, s)
        for t in (DLAB.AIFactory, DLAB.Antenna)
        for s in g.subjects(RDF.type, t)
    ]
    if kind:
        out = [f for f in out if f.kind == kind]
    return sorted(out, key=lambda f: (f.kind, f.id))


def get_factory(catalogue: Catalogue, factory_id: str) -> Factory:
    for f in list_factories(catalogue):
        if f.id == factory_id:
            return f
    raise FactoryNotFound(f"no factory or antenna with id {factory_id!r}", where="factory")


def list_labs(catalogue: Catalogue, factory: str | None = None) -> list[DataLab]:
    g = _source_graph(catalogue, LABS_SOURCE)
    labs = [DataLab.from_graph(g, s) for s in g.subjects(RDF.type, DLAB.DataLab)]
    if factory:
        labs = [lab for lab in labs if lab.factory == factory]
    return sorted(labs, key=lambda lab: lab.id)


def get_lab(catalogue: Catalogue, lab_id: str) -> DataLab:
    """One lab, read alone: its own record (node, steps, policy) from the current labs graph,
    a few small queries, never every lab's (a staff save reads it twice)."""
    version = catalogue.graphs.current(LABS_SOURCE)
    if version is not None and _LAB_ID.match(lab_id):
        iri = LAB_NS + lab_id
        triples = records.owned_triples(catalogue.store, version, iri)
        graph = to_rdflib_graph(triples)
        if (URIRef(iri), RDF.type, DLAB.DataLab) in graph:
            return DataLab.from_graph(graph, URIRef(iri))
    for lab in list_labs(catalogue):  # a lab stored under another IRI (none are, today)
        if lab.id == lab_id:
            return lab
    raise LabNotFound(f"no data lab with id {lab_id!r}", where="lab")


def labs_version(catalogue: Catalogue) -> str | None:
    """The IRI of the current labs graph. It changes when the labs graph is published anew
    (a registry load), not when one lab is created or edited: those are written in place
    and keep the graph's name, so a reader that must see every lab edit follows the change
    feed (every lab write appends to it), not this."""
    return catalogue.graphs.current(LABS_SOURCE)


def create_lab(catalogue: Catalogue, data: dict[str, Any], *, staff_factory: str) -> DataLab:
    """Create a lab for ``staff_factory`` (the caller's factory; other factories are refused)."""
    lab = DataLab.from_dict(
        data,
        known_spaces=data_spaces(catalogue.documents).ids(),
        limits=FieldLimits.from_settings(catalogue.settings),
    )
    _check_owner(lab.factory, staff_factory)
    get_factory(catalogue, lab.factory)
    with _lock(catalogue), catalogue.source_lock(LABS_SOURCE):
        # checked under the shared write lock: another replica creating the same id waits
        if any(x.id == lab.id for x in list_labs(catalogue)):
            raise Conflict(f"a data lab with id {lab.id!r} exists already", where="id")
        _store_labs(catalogue, [lab])
    catalogue.notify_published(LABS_SOURCE, None, recorded=True)
    return lab


_EDITABLE = {
    "name",
    "data_spaces",
    "access_modes",
    "eligible_org_types",
    "eligible_countries",
    "services",
    "sectors",
    "prohibited_purposes",
    "duties",
    "procedure",
    "lead_time_days",
    "fees",
    "processing_country",
}


def edit_lab(
    catalogue: Catalogue, lab_id: str, changes: dict[str, Any], *, staff_factory: str
) -> DataLab:
    """Apply ``changes`` to a lab of the caller's factory; id and factory are not editable."""
    forbidden = set(changes) - _EDITABLE
    if forbidden:
        raise Forbidden(f"field(s) {', '.join(sorted(forbidden))} cannot be edited", where="body")
    with _lock(catalogue), catalogue.source_lock(LABS_SOURCE):
        # read, merge and write under the shared write lock: an edit of another field made
        # on another replica meanwhile is read here, never overwritten with an older copy
        current = get_lab(catalogue, lab_id)
        _check_owner(current.factory, staff_factory)
        merged = {**current.to_dict(), **changes}
        lab = DataLab.from_dict(
            merged,
            known_spaces=data_spaces(catalogue.documents).ids(),
            limits=FieldLimits.from_settings(catalogue.settings),
        )
        lab = replace(lab, id=current.id, factory=current.factory)
        _store_labs(catalogue, [lab])
    catalogue.notify_published(LABS_SOURCE, None, recorded=True)
    return lab


def remove_unused_data_space(catalogue: Catalogue, space_id: str) -> None:
    """Remove an administrator's data space that no data lab links.

    A built-in space is :class:`~catalog.errors.InvalidInput`, a linked one a
    :class:`~catalog.errors.Conflict` (the lab could not be edited any more), an unknown one
    :class:`~catalog.dataspaces.DataSpaceNotFound`.
    """
    with _lock(catalogue):
        if space_id not in builtin_data_spaces():
            linked = [lab.id for lab in list_labs(catalogue) if space_id in lab.data_spaces]
            if linked:
                raise Conflict(
                    f"data space {space_id!r} is linked by data lab(s) {', '.join(linked)}; "
                    "unlink it first",
                    where="id",
                )
        if not remove_data_space(catalogue.documents, space_id):
            raise DataSpaceNotFound(f"no added data space with id {space_id!r}", where="id")


def _check_owner(lab_factory: str, staff_factory: str) -> None:
    if lab_factory != staff_factory:
        raise Forbidden(
            f"staff of factory {staff_factory!r} cannot manage labs of {lab_factory!r}",
            where="factory",
        )


def _store_labs(catalogue: Catalogue, add: list[DataLab]) -> None:
    """Store each lab as its own record (the caller holds the labs' write lock): the first
    labs make the source's first version; afterwards each lab replaces only its own
    triples (its node, procedure steps and policy) in one atomic update, so edits of
    different labs, even from different processes, never overwrite each other."""
    current = catalogue.graphs.current(LABS_SOURCE)
    if current is None:
        out = Graph()
        for lab in add:
            lab.to_graph(out)
        load_quads(
            catalogue.store,
            _quads(catalogue, out),
            source=LABS_SOURCE,
            replace=True,
            graphs=catalogue.graphs,
        )
    else:
        for lab in add:
            _replace_lab(catalogue, current, lab)
    # The change feed names the labs (rows of the source ``labs``: see
    # catalog/db/feed.py); listeners are told the whole source may have changed.
    version = catalogue.graphs.current(LABS_SOURCE)
    catalogue.record_changes(LABS_SOURCE, version, upserts=[lab.id for lab in add])


def _quads(catalogue: Catalogue, graph: Graph) -> Iterator[ox.Quad]:
    data = graph.serialize(format="nt", encoding="utf-8")
    return iter_triples(data, ox.RdfFormat.N_TRIPLES, catalogue.limits)


def _replace_lab(catalogue: Catalogue, current: str, lab: DataLab) -> None:
    """Swap one lab's record in the current labs version (one update request)."""
    quads = _quads(catalogue, lab.to_graph(Graph()))
    staged, _ = catalogue.graphs.write(LABS_SOURCE, lambda g: skolemise(quads, g))
    try:
        old = records.owned_triples(catalogue.store, current, lab.iri)
        catalogue.graphs.update_in_place(
            LABS_SOURCE, current, delete=records.delete_data(current, old), add_from=staged
        )
    finally:
        catalogue.graphs.discard(staged)


def ensure_registry(catalogue: Catalogue) -> None:
    """Load the built-in registry once, if this catalogue has never had it."""
    if catalogue.graphs.current(REGISTRY_SOURCE) is None:
        load_registry(catalogue)
