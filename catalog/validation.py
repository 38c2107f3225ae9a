"""SHACL validation of DCAT-AP documents, with a hard deadline and plain-words findings.

pySHACL has no timeout of its own, so every validation runs in a worker process (started
from a ``forkserver``, which is safe from threaded callers) that is killed when the deadline
passes. The worker gets its own copies of the data and shapes graphs as N-Triples, so
concurrent validations never share a mutable shapes graph (pySHACL#314). As with any
``multiprocessing`` start method other than fork, a plain script calling this module must
guard its entry point with ``if __name__ == "__main__":`` (uvicorn, pytest and the CLI do).

The worker turns pySHACL's results graph into :class:`Finding` objects: severity, focus
node, the dataset the node belongs to, the property as a prefixed name, the message and the
offending value.

:func:`validate_graph` validates one graph (one record, as the quality pages and the
HealthDCAT-AP connector use it) under one deadline. Documents (:func:`validate_document`)
and harvested records are validated dataset by dataset, each dataset with its own deadline,
by :mod:`catalog.validation_runs`.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from catalog import lifeline
from catalog.errors import ConfigurationError, ParseError, QueryTimeout, ShapesError
from catalog.namespaces import DCAT, PREFIXES, SH
from catalog.ranges import with_ranges
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_bridge import to_ox_triples, to_rdflib_graph
from catalog.rdf_input import guess_format, iter_triples
from catalog.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_SHAPES = Path(__file__).resolve().parent.parent / "schemas" / "shapes" / "dcat-ap-3.ttl"

SEVERITIES: dict[Node, str] = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_SEVERITY_ORDER = {"violation": 0, "warning": 1, "info": 2}
_DATASET_CLASSES = (DCAT.Dataset, DCAT.DatasetSeries)
_MAX_WALK = 4

# Longest namespace first, so that e.g. "dcatap:" wins over a shorter overlapping one.
_NAMESPACES = sorted(((iri, p) for p, iri in PREFIXES.items()), key=lambda x: -len(x[0]))


@dataclass(frozen=True)
class Finding:
    """One problem found by validation, in plain words."""

    severity: str  # "violation" | "warning" | "info"
    focus: str  # IRI (or "_:label") of the node with the problem
    dataset: str | None  # the dataset that node belongs to, if any
    path: str | None  # the property, as a prefixed name ("dct:title")
    message: str  # what is wrong, in plain words
    value: str | None  # the offending value, if any
    constraint: str | None = (
        None  # the SHACL constraint component, e.g. "sh:MinCountConstraintComponent"
    )


@dataclass
class ValidationReport:
    """The outcome of validating one document: conforms unless there is a violation, or a
    dataset that could not be validated in time (``unfinished``: dataset → why)."""

    conforms: bool
    findings: list[Finding] = field(default_factory=list)
    unfinished: dict[str, str] = field(default_factory=dict)

    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "violation"]

    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the report."""
        return {
            "conforms": self.conforms,
            "violations": len(self.violations()),
            "warnings": len(self.warnings()),
            "findings": [asdict(f) for f in self.findings],
            "unfinished": dict(self.unfinished),
        }

    def to_text(self) -> str:
        """A readable multi-line report for the command line."""
        verdict = "conforms" if self.conforms else "does NOT conform"
        lines = [
            f"Validation: {verdict} ({len(self.violations())} violation(s), "
            f"{len(self.warnings())} warning(s))"
        ]
        for f in self.findings:
            where = f.focus if f.dataset in (None, f.focus) else f"{f.focus} in {f.dataset}"
            lines.append(f"- {f.severity.upper()} {where}")
            detail = f"  {f.path}: {f.message}" if f.path else f"  {f.message}"
            lines.append(detail + (f" (value: {f.value})" if f.value is not None else ""))
        for dataset, why in self.unfinished.items():
            lines.append(f"- NOT VALIDATED {dataset}")
            lines.append(f"  {why}")
        return "\n".join(lines)


# -- shapes ------------------------------------------------------------------------------

_shapes_cache: dict[Path, Graph] = {}
_shapes_lock = threading.Lock()


def load_shapes(path: Path | None = None) -> Graph:
    """The SHACL shapes at ``path`` (a Turtle file, or a folder of them); None = the project's.

    The result is cached per path and shared: treat it as read-only. Property shapes that a
    shapes file references but never defines (the official DCAT-AP 3.0.1 bundle has such
    dangling references) are dropped with a logged warning, since pySHACL cannot apply them.
    """
    resolved = (path or DEFAULT_SHAPES).resolve()
    with _shapes_lock:
        cached = _shapes_cache.get(resolved)
        if cached is not None:
            return cached
        graph = _read_shapes(resolved)
        _shapes_cache[resolved] = graph
        return graph


def _read_shapes(path: Path) -> Graph:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in {".ttl", ".nt", ".rdf"})
    elif path.is_file():
        files = [path]
    else:
        raise ConfigurationError(f"SHACL shapes not found: {path}", where=str(path))
    if not files:
        raise ConfigurationError(f"no SHACL shapes file in folder {path}", where=str(path))
    graph = Graph()
    for file in files:
        try:
            triples = iter_triples(file.read_bytes(), guess_format(file.name), ParseLimits())
            to_rdflib_graph(triples, graph)
        except ParseError as exc:
            raise ConfigurationError(
                f"SHACL shapes file {file} is broken: {exc.message}", where=exc.where
            ) from exc
    dangling = [
        (shape, prop)
        for shape, prop in graph.subject_objects(SH.property)
        if graph.value(prop, SH.path) is None
    ]
    for triple in dangling:
        graph.remove((triple[0], SH.property, triple[1]))
    if dangling:
        log.warning(
            "shapes %s reference %d property shape(s) they do not define; ignored",
            path,
            len(dangling),
        )
    return graph


# -- validation --------------------------------------------------------------------------


def validate_document(data: bytes, fmt: ox.RdfFormat, settings: Settings) -> ValidationReport:
    """Parse an untrusted document safely and validate it against the configured shapes,
    dataset by dataset, each with its own deadline (:mod:`catalog.validation_runs`)."""
    from catalog.validation_runs import validate_document_by_dataset

    return validate_document_by_dataset(data, fmt, settings)


def validate_graph(
    data: Graph, shapes: Graph, *, timeout_s: float = 30, background: bool = True
) -> ValidationReport:
    """Validate ``data`` against ``shapes`` in a worker process stopped at ``timeout_s``.

    With ``background`` (the default), ``data`` is validated as the catalogue exports it:
    with the classes DCAT-AP's ranges entail and the EU theme labels
    (:func:`catalog.ranges.with_ranges`, SEMIC's "background knowledge"); without, exactly
    as given (for checking an export with third-party shapes).

    Raises :class:`QueryTimeout` when the deadline passes, :class:`ShapesError` when the
    validator cannot apply the shapes. Neither graph is modified.
    """
    triples = list(to_ox_triples(data))
    if background:
        triples = with_ranges(triples)
    data_nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    payload = (data_nt, _ntriples(shapes))
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_work, args=(sender, *payload), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            log.warning("SHACL validation stopped after %.1f s (pid %s)", timeout_s, worker.pid)
            raise QueryTimeout(
                f"SHACL validation did not finish within {timeout_s:g} s and was stopped",
                details={"timeout_s": timeout_s},
            )
        try:
            outcome = receiver.recv()
        except EOFError as exc:
            raise ShapesError(
                f"the validation worker died without an answer (exit code {worker.exitcode})"
            ) from exc
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        receiver.close()
    if outcome[0] == "error":
        raise ShapesError(f"the SHACL validator failed: {outcome[1]}")
    findings: list[Finding] = outcome[1]
    return ValidationReport(
        conforms=not any(f.severity == "violation" for f in findings), findings=findings
    )


_ctx_lock = threading.Lock()


def _context() -> multiprocessing.context.ForkServerContext:
    """The forkserver context, with this module and pySHACL preloaded so workers start fast."""
    ctx = multiprocessing.get_context("forkserver")
    with _ctx_lock:
        ctx.set_forkserver_preload([__name__, "pyshacl"])
    return ctx


def _ntriples(graph: Graph) -> bytes:
    return ox.serialize(to_ox_triples(graph), format=ox.RdfFormat.N_TRIPLES) or b""


def _work(conn: Connection, data_nt: bytes, shapes_nt: bytes) -> None:
    """Worker process body: validate and send back ("ok", findings) or ("error", message).
    Forked by the forkserver, which ends with the process that started it; this worker ends
    with the forkserver (:func:`catalog.lifeline.hold`)."""
    lifeline.hold(None, tied=True)
    try:
        outcome: tuple[str, Any] = ("ok", _run_pyshacl(data_nt, shapes_nt))
    except Exception as exc:  # every failure is reported to the parent, in words
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    conn.send(outcome)
    conn.close()


def _parse_nt(payload: bytes) -> Graph:
    return to_rdflib_graph(ox.parse(payload, ox.RdfFormat.N_TRIPLES))


def _run_pyshacl(data_nt: bytes, shapes_nt: bytes) -> list[Finding]:
    import pyshacl  # imported in the worker only (slow import, preloaded by the forkserver)

    data, shapes = _parse_nt(data_nt), _parse_nt(shapes_nt)
    _conforms, results, _text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, allow_infos=True
    )
    return findings_from_results(results, data)


# -- results graph -> findings -----------------------------------------------------------


def findings_from_results(results: Graph, data: Graph) -> list[Finding]:
    """Map a SHACL validation report graph to findings, violations first."""
    findings = set()
    for report in results.subjects(RDF.type, SH.ValidationReport):
        for result in results.objects(report, SH.result):
            focus = results.value(result, SH.focusNode)
            path = results.value(result, SH.resultPath)
            value = results.value(result, SH.value)
            severity_node = results.value(result, SH.resultSeverity)
            severity = (
                SEVERITIES.get(severity_node, "violation")
                if severity_node is not None
                else "violation"
            )
            component = results.value(result, SH.sourceConstraintComponent)
            findings.add(
                Finding(
                    severity=severity,
                    focus=node_text(focus),
                    dataset=_owning_dataset(data, focus),
                    path=path_text(results, path) if path is not None else None,
                    message=_message(results.objects(result, SH.resultMessage)),
                    value=node_text(value) if value is not None else None,
                    constraint=prefixed(str(component)) if component is not None else None,
                )
            )
    return sorted(findings, key=finding_order)


def finding_order(f: Finding) -> tuple[int, str, str, str]:
    """Violations first, then by dataset, node and property."""
    return (_SEVERITY_ORDER[f.severity], f.dataset or "", f.focus, f.path or "")


def _message(messages: Iterable[Node]) -> str:
    texts = [m for m in messages if isinstance(m, Literal)]
    english = [m for m in texts if m.language in (None, "en")]
    chosen = english or texts
    return str(chosen[0]) if chosen else "constraint not met"


def node_text(node: Node | None) -> str:
    """An IRI as is, a blank node as ``_:label``, a literal as its text."""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def prefixed(iri: str) -> str:
    """``http://purl.org/dc/terms/title`` -> ``dct:title``; unknown namespaces in <...>."""
    for namespace, prefix in _NAMESPACES:
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if local and "/" not in local and "#" not in local:
                return f"{prefix}:{local}"
    return f"<{iri}>"


def path_text(graph: Graph, path: Node) -> str:
    """A SHACL property path written in SPARQL path syntax with prefixed names."""
    if isinstance(path, URIRef):
        return prefixed(str(path))
    if graph.value(path, RDF.first) is not None:
        return "/".join(path_text(graph, p) for p in graph.items(path))
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return template.format(path_text(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return " | ".join(path_text(graph, p) for p in graph.items(alternatives))
    return node_text(path)


def _owning_dataset(data: Graph, focus: Node | None) -> str | None:
    """The dataset (or series) ``focus`` is, or the nearest one pointing to it."""
    if focus is None or isinstance(focus, Literal):
        return None
    seen = {focus}
    level = [focus]
    for _ in range(_MAX_WALK + 1):
        hits = sorted(
            node_text(n) for n in level if any((n, RDF.type, c) in data for c in _DATASET_CLASSES)
        )
        if hits:
            return hits[0]
        following: deque[Node] = deque()
        for node in level:
            for subject in data.subjects(None, node):
                if subject not in seen:
                    seen.add(subject)
                    following.append(subject)
        if not following:
            return None
        level = list(following)
    return None
