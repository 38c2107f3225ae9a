"""Blank nodes are skolemised on ingest and restored on export.

Every stored node is then addressable by IRI, on any backend: a dataset's record can be
read, replaced or deleted by walking IRIs, which SPARQL cannot do with blank nodes across
requests. Exports turn skolem IRIs back into blank nodes, so a round trip gives a graph
isomorphic to the one loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

GENID = "urn:datalab:genid:"
#: Oxigraph stores literals of these datatypes as xsd:integer, losing the datatype (a
#: dcat:byteSize must stay xsd:nonNegativeInteger); they are stored under a wrapper
#: datatype and restored on the way out.
DATATYPE_WRAPPER = "urn:datalab:datatype:"
_XSD = "http://www.w3.org/2001/XMLSchema#"
WRAPPED_DATATYPES = frozenset(
    _XSD + name
    for name in (
        "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
        "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort",
        "unsignedByte",
    )
)


def skolemise(quads: Iterable[ox.Quad], graph: str | None = None) -> Iterator[ox.Quad]:
    """Replace blank nodes by ``urn:datalab:genid:`` IRIs, and put the quads in ``graph``.

    The document must have been parsed with ``rename_blank_nodes`` semantics (unique blank
    node ids), which :func:`catalog.rdf_input.iter_triples` guarantees.
    """
    bnode = ox.BlankNode
    named = ox.NamedNode
    literal = ox.Literal
    wrapped = WRAPPED_DATATYPES
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    for quad in quads:
        s = quad.subject
        o = quad.object
        if type(s) is bnode:
            s = named(GENID + s.value)
        if type(o) is bnode:
            o = named(GENID + o.value)
        elif type(o) is literal:
            datatype = o.datatype.value
            if datatype in wrapped:
                o = literal(o.value, datatype=named(DATATYPE_WRAPPER + datatype))
        yield ox.Quad(s, quad.predicate, o, target)


def is_skolem(term: object) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(GENID)


def unskolemise_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> object:
    if type(term) is ox.NamedNode and term.value.startswith(GENID):
        return ox.BlankNode(term.value[len(GENID) :])
    if type(term) is ox.Literal and term.datatype.value.startswith(DATATYPE_WRAPPER):
        original = term.datatype.value[len(DATATYPE_WRAPPER) :]
        return ox.Literal(term.value, datatype=ox.NamedNode(original))
    return term


def unskolemise(triples: Iterable[ox.Triple | ox.Quad]) -> Iterator[ox.Triple]:
    """Turn skolem IRIs back into blank nodes."""
    for t in triples:
        yield ox.Triple(
            unskolemise_term(t.subject),  # type: ignore[arg-type]
            t.predicate,
            unskolemise_term(t.object),  # type: ignore[arg-type]
        )
