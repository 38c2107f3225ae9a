"""Shared helpers of the model tests: the corpus, the safe reader, and a subgraph check."""

from __future__ import annotations

from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import ParseLimits, format_from_name, iter_triples

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"

# Published files that are broken (see corpus/PROVENANCE.md); the reader must refuse them.
BROKEN = {
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-api.ttl",
    "dcat-ap/3.0.0/examples/example-bee-population-dataset-series-combined.ttl",
    "dcat-ap/hvd-3.0.0/examples/example-bees_wasps_dataset.ttl",
    "dcat-ap/ckanext-dcat/dataset.ttl",
}

CORPUS_GLOBS = [
    "dcat-ap/3.0.0/examples/*.ttl",
    "dcat-ap/hvd-3.0.0/examples/*.ttl",
    "geodcat-ap/examples/*.ttl",
    "healthdcat-ap/ckanext-dcat/*.ttl",
    "healthdcat-ap/health-ri/*.ttl",
    "dcat-ap/ckanext-dcat/*.ttl",
    "dcat-ap/ckanext-dcat/*.rdf",
]


def corpus_files() -> list[str]:
    """Corpus-relative paths of every RDF file the corpus tests read."""
    found: set[str] = set()
    for pattern in CORPUS_GLOBS:
        found.update(str(p.relative_to(CORPUS)) for p in CORPUS.glob(pattern))
    return sorted(found)


PARSABLE_FILES = [f for f in corpus_files() if f not in BROKEN]


def read_rdf(path: Path) -> Graph:
    """Parse a file through the project's safe reader into an rdflib graph."""
    fmt = format_from_name(path.suffix)
    return to_rdflib_graph(iter_triples(path.read_bytes(), fmt, ParseLimits()))


def missing_triples(pattern: Graph, source: Graph) -> list[tuple[Node, Node, Node]]:
    """Triples of ``pattern`` (a forest under its roots, blank nodes as unknowns) with no
    counterpart in ``source``. Empty when ``pattern`` maps into ``source``."""
    objects = set(pattern.objects())
    roots = {s for s in pattern.subjects() if s not in objects}
    missing: list[tuple[Node, Node, Node]] = []
    for root in roots:
        if isinstance(root, BNode):
            candidates = list(source.subjects(unique=True))
            if not any(_maps(pattern, root, source, c) for c in candidates):
                missing.extend(pattern.triples((root, None, None)))
        else:
            missing.extend(_unmatched(pattern, root, source, root))
    return missing


def _unmatched(
    pattern: Graph, pnode: Node, source: Graph, snode: Node
) -> list[tuple[Node, Node, Node]]:
    out: list[tuple[Node, Node, Node]] = []
    for p, o in pattern.predicate_objects(pnode):
        if isinstance(o, BNode):
            options = [x for x in source.objects(snode, p) if not isinstance(x, Literal)]
            if not any(_maps(pattern, o, source, x) for x in options):
                out.append((pnode, p, o))
        else:
            if isinstance(o, URIRef) and o in set(pattern.subjects()):
                out.extend(_unmatched(pattern, o, source, o))
            if (snode, p, o) not in source:
                out.append((pnode, p, o))
    return out


def _maps(pattern: Graph, pnode: Node, source: Graph, snode: Node) -> bool:
    return not _unmatched(pattern, pnode, source, snode)
