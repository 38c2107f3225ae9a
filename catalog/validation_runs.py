"""SHACL validation dataset by dataset, each dataset with its own deadline.

One pySHACL run over a whole document turns the deadline into a limit on the document's
size. Here a document (or a harvest's records) is cut into *units*, one per dataset: the
dataset's own nodes (:mod:`catalog.ownership`) plus the nodes they point to (agents,
licences), and one more unit for whatever no dataset owns (the catalogue, its records).

Units are validated in batches of ``validation_batch_datasets`` by one long-lived worker
process that parsed the shapes once. A batch that runs past ``validation_timeout_s`` is run
again one unit at a time, each with that deadline; a unit that runs past it alone gets an
entry in the report (it was not validated) instead of failing the document. Total time is
then proportional to the document's size, plus the deadline for each pathological dataset.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from catalog import lifeline
from catalog.errors import QueryTimeout, ShapesError
from catalog.namespaces import DCAT
from catalog.ownership import owned_closure
from catalog.ranges import with_ranges
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import default_context_resolver, iter_triples
from catalog.settings import Settings
from catalog.skolem import GENID, skolemise, unskolemise
from catalog.validation import (
    Finding,
    ValidationReport,
    _context,
    _ntriples,
    _parse_nt,
    finding_order,
    findings_from_results,
    load_shapes,
)

log = logging.getLogger(__name__)

#: How long a fresh worker may take to start and parse the shapes.
_START_S = 120.0
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DATASET_CLASSES = (ox.NamedNode(str(DCAT.Dataset)), ox.NamedNode(str(DCAT.DatasetSeries)))


@dataclass
class Unit:
    """What is validated for one dataset (``key`` its IRI; "" for the rest of a document)."""

    key: str
    triples: list[ox.Triple]


@dataclass
class UnitOutcome:
    """The findings of one unit, or why it could not be validated."""

    findings: list[Finding] = field(default_factory=list)
    unfinished: str | None = None


class ShaclWorker:
    """A worker process holding the parsed shapes; validates one data graph at a time.

    :meth:`run` waits at most ``timeout_s``; past it the worker is killed (pySHACL cannot
    be interrupted) and the next call starts a fresh one. A process that exits while a
    worker is busy takes it along (it is a daemon and reads from a pipe that closes)."""

    def __init__(self, shapes: Graph) -> None:
        self._shapes_nt = _ntriples(shapes)
        self._proc: Any = None
        self._conn: Connection | None = None

    def run(self, data_nt: bytes, timeout_s: float) -> list[Finding]:
        conn = self._ensure()
        conn.send(("validate", data_nt))
        if not conn.poll(timeout_s):
            self.close()
            raise QueryTimeout(
                f"SHACL validation did not finish within {timeout_s:g} s and was stopped",
                details={"timeout_s": timeout_s},
            )
        outcome = self._receive(conn)
        if outcome[0] == "error":
            raise ShapesError(f"the SHACL validator failed: {outcome[1]}")
        return outcome[1]  # type: ignore[no-any-return]

    def _ensure(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        self.close()
        ctx = _context()
        receiver, sender = ctx.Pipe()
        proc = ctx.Process(
            target=serve, args=(sender, self._shapes_nt), daemon=True, name="datalab-shacl"
        )
        try:
            proc.start()
        finally:
            sender.close()
        self._proc, self._conn = proc, receiver
        if not receiver.poll(_START_S) or self._receive(receiver)[0] != "ready":
            self.close()
            raise ShapesError("the SHACL worker did not start")
        return receiver

    def _receive(self, conn: Connection) -> tuple[str, Any]:
        try:
            return conn.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError) as exc:
            code = self._proc.exitcode if self._proc is not None else None
            self.close()
            raise ShapesError(f"the SHACL worker died (exit code {code})") from exc

    def close(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(5)

    def __enter__(self) -> ShaclWorker:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def serve(conn: Connection, shapes_nt: bytes) -> None:
    """Worker body: parse the shapes, then validate each data graph sent until the pipe
    closes. A parent that went away (killed, or a command that ended) ends it quietly; so
    does a dead forkserver, while this worker is busy (:func:`catalog.lifeline.hold`)."""
    lifeline.hold(None, tied=True)
    try:
        import pyshacl

        shapes = _parse_nt(shapes_nt)
        conn.send(("ready",))
        while True:
            message = conn.recv()
            try:
                data = _parse_nt(message[1])
                _conforms, results, _text = pyshacl.validate(
                    data,
                    shacl_graph=shapes,
                    inference="none",
                    allow_warnings=True,
                    allow_infos=True,
                )
                outcome: tuple[str, Any] = ("ok", findings_from_results(results, data))
            except Exception as exc:  # every failure is reported to the parent, in words
                outcome = ("error", f"{type(exc).__name__}: {exc}")
            conn.send(outcome)
    except (EOFError, OSError, KeyboardInterrupt):
        return


def validate_units(
    units: Iterable[Unit], worker: ShaclWorker, *, timeout_s: float, batch: int
) -> Iterator[tuple[Unit, UnitOutcome]]:
    """Validate units in batches; a batch past the deadline is re-run unit by unit."""
    group: list[Unit] = []
    for unit in units:
        group.append(unit)
        if len(group) >= batch:
            yield from _batch(group, worker, timeout_s)
            group = []
    if group:
        yield from _batch(group, worker, timeout_s)


def _batch(
    group: list[Unit], worker: ShaclWorker, timeout_s: float
) -> Iterator[tuple[Unit, UnitOutcome]]:
    try:
        findings = worker.run(_data(group), timeout_s)
    except QueryTimeout:
        if len(group) == 1:
            yield group[0], UnitOutcome(unfinished=_late(timeout_s))
            return
        log.info("a SHACL batch of %d datasets ran past %g s; one at a time", len(group), timeout_s)
        for unit in group:
            yield from _batch([unit], worker, timeout_s)
        return
    except ShapesError as exc:
        for unit in group:
            yield unit, UnitOutcome(unfinished=str(exc)[:300])
        return
    yield from _share(group, findings)


def _late(timeout_s: float) -> str:
    return (
        f"SHACL validation of this dataset did not finish within {timeout_s:g} s "
        "(validation_timeout_s) and was stopped; it was not validated"
    )


def _data(group: list[Unit]) -> bytes:
    """The units' triples as the catalogue would export them (:func:`with_ranges`)."""
    triples = with_ranges(dict.fromkeys(t for unit in group for t in unit.triples))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _share(group: list[Unit], findings: list[Finding]) -> Iterator[tuple[Unit, UnitOutcome]]:
    """Give each finding to the unit of its dataset (or of its focus node); findings of
    nodes that belong to no unit of the batch go to the batch's first unit."""
    outcomes = {unit.key: UnitOutcome() for unit in group}
    for finding in findings:
        key = finding.dataset if finding.dataset in outcomes else finding.focus
        outcomes.get(key, outcomes[group[0].key]).findings.append(finding)
    for unit in group:
        yield unit, outcomes[unit.key]


# -- cutting a document into units ---------------------------------------------------------


def document_units(store: ox.Store) -> Iterator[Unit]:
    """One unit per dataset (or series) of the document in ``store``'s default graph, then
    one for the triples no dataset owns. Each unit carries the triples of the nodes its
    dataset points to (one level), except other datasets.

    The store holds the document skolemised (:func:`catalog.skolem.skolemise`: Oxigraph
    would otherwise store an ``xsd:nonNegativeInteger`` as ``xsd:integer``); the units'
    triples are restored."""
    datasets = _datasets(store)
    owned: set[Any] = set()
    for dataset in sorted(datasets, key=str):
        nodes = owned_closure(
            dataset, lambda node: _links(store, node), stop=lambda n: n in datasets
        )
        owned.update(nodes)
        triples = _with_context(store, nodes, datasets)
        yield Unit(unit_key(dataset), list(unskolemise(triples, public_url=None)))
    rest = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        if q.subject not in owned
    ]
    if rest:
        yield Unit("", list(unskolemise(rest, public_url=None)))


#: Properties whose values are datasets (class range dcat:Dataset, dcat:DatasetSeries or
#: dcat:Resource).
_TO_DATASETS = {
    "dcat:dataset",
    "dcat:servesDataset",
    "dcat:hasVersion",
    "dcat:inSeries",
    "dct:source",
    "foaf:primaryTopic",
}


def _datasets(store: ox.Store) -> set[Any]:
    return {
        q.subject
        for cls in DATASET_CLASSES
        for q in store.quads_for_pattern(None, RDF_TYPE, cls, ox.DefaultGraph())
    }


def _split_artefact(finding: Finding, datasets: set[str]) -> bool:
    """A class-range finding on a reference to one of the document's datasets: the dataset
    is typed in its own unit, which this unit does not carry."""
    return (
        finding.constraint == "sh:ClassConstraintComponent"
        and finding.path in _TO_DATASETS
        and finding.value in datasets
    )


def unit_key(node: Any) -> str:
    """How findings name a node (:func:`catalog.validation.node_text`): IRI or ``_:label``
    (a skolemised blank node too)."""
    if isinstance(node, ox.BlankNode):
        return f"_:{node.value}"
    value = str(node.value)
    return "_:" + value[len(GENID) :] if value.startswith(GENID) else value


def _links(store: ox.Store, node: Any) -> Iterator[tuple[str, object, Any]]:
    for q in store.quads_for_pattern(node, None, None, ox.DefaultGraph()):
        if not isinstance(q.object, ox.Literal):
            yield q.predicate.value, q.object, q.object


def _with_context(store: ox.Store, nodes: list[Any], datasets: set[Any]) -> list[ox.Triple]:
    inside = set(nodes)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for node in nodes
        for q in store.quads_for_pattern(node, None, None, ox.DefaultGraph())
    ]
    context = {
        t.object
        for t in triples
        if not isinstance(t.object, ox.Literal)
        and t.object not in inside
        and t.object not in datasets
    }
    for node in context:
        triples.extend(
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(node, None, None, ox.DefaultGraph())
        )
    return triples


# -- a whole document ----------------------------------------------------------------------


def validate_document_by_dataset(
    data: bytes, fmt: ox.RdfFormat, settings: Settings
) -> ValidationReport:
    """Parse an untrusted document with every guard into a scratch in-memory store, cut it
    into units and validate them; the report lists the findings once each, and each dataset
    that could not be validated in time under ``unfinished``."""
    limits = ParseLimits.from_settings(settings)
    resolver = default_context_resolver(settings.jsonld_contexts)
    store = ox.Store()
    store.bulk_extend(skolemise(iter_triples(data, fmt, limits, resolver=resolver)))
    findings: dict[tuple[Any, ...], Finding] = {}
    unfinished: dict[str, str] = {}
    with ShaclWorker(load_shapes(settings.shapes_path)) as worker:
        outcomes = validate_units(
            document_units(store),
            worker,
            timeout_s=settings.validation_timeout_s,
            batch=settings.validation_batch_datasets,
        )
        keys = {unit_key(d) for d in _datasets(store)}
        for unit, outcome in outcomes:
            if outcome.unfinished is not None:
                unfinished[unit.key or "(the rest of the document)"] = outcome.unfinished
            for f in outcome.findings:
                if _split_artefact(f, keys):
                    continue
                findings.setdefault((f.severity, f.focus, f.path, f.message, f.value), f)
    ordered = sorted(findings.values(), key=finding_order)
    return ValidationReport(
        conforms=not unfinished and not any(f.severity == "violation" for f in ordered),
        findings=ordered,
        unfinished=unfinished,
    )
