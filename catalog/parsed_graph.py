"""One graph's triples parsed straight from canonical N-Triples, indexed as a store gives them.

A full build reads each kept source version (:mod:`catalog.graph_copies`) by subject and
predicate. Loading its N-Triples into an in-memory store and scanning that store once per
predicate cost 11-12 s per source of 100,000 generated datasets (the store builds its
indexes, then every solution is decoded back into Python terms); parsing them into the
index directly, then picking the wanted predicates, about 5 s. What a store does to the
triples it holds is done here too, so the index is the one
:func:`catalog.facts.read.read_predicates` reads from a store:

* a literal of a datatype the store keeps as a value (numbers, booleans, dates, times,
  durations) comes back in its canonical form (``"01"^^xsd:integer`` as ``"1"``): each
  distinct one (a few hundred in a source) is put through a small in-memory store;
* a triple stated twice is held once (a store is a set of triples), canonical forms
  compared (``"01"`` and ``"1"`` as integers are one triple);
* the objects of one subject and predicate are in :func:`catalog.facts.derive.in_order`'s
  order, and a subject's predicates in the order of their IRIs (the order in which
  ``read_predicates`` scans them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pyoxigraph as ox

from catalog.facts.derive import Term, TripleIndex, in_order

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Literal datatypes a store keeps as they are written.
_AS_WRITTEN = frozenset({_XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})
_CANONICAL = "urn:datalab:canonical:"


class ParsedGraph:
    """The triples of one graph's canonical N-Triples ``data``, by subject and predicate.

    Raises ``SyntaxError`` (or ``ValueError``) when ``data`` does not parse, before any
    of it is indexed for use. Triples whose subject is a triple term are left out (an
    index is keyed by node names; the policy closure's reader of a store leaves them out
    too)."""

    def __init__(self, data: bytes) -> None:
        index: TripleIndex = {}
        # literals a store would hold as values, each with the lists holding it
        typed: dict[ox.Literal, list[list[Term]]] = {}
        literal = ox.Literal
        for t in ox.parse(data, ox.RdfFormat.N_TRIPLES, lenient=True):
            subject = t.subject
            if type(subject) is ox.Triple:
                continue
            objects = index.setdefault(subject.value, {}).setdefault(t.predicate.value, [])
            o = t.object
            if o in objects:  # a triple stated again
                continue
            if type(o) is literal and o.datatype.value not in _AS_WRITTEN:
                typed.setdefault(o, []).append(objects)
            objects.append(o)
        for written, canonical in _canonical(list(typed)).items():
            for objects in typed[written]:  # two written forms may be one canonical one
                settled = [canonical if o == written else o for o in objects]
                objects[:] = list(dict.fromkeys(settled))
        in_order(index)
        self.index = index

    def predicates(self, wanted: Collection[str]) -> TripleIndex:
        """The triples with one of the ``wanted`` predicates, as ``read_predicates`` reads
        them from a store (subjects without one are not there). Shares its lists of
        objects with this graph's index: neither changes them."""
        keep = frozenset(wanted)
        out: TripleIndex = {}
        for subject, props in self.index.items():
            found = {p: props[p] for p in sorted(props) if p in keep}
            if found:
                out[subject] = found
        return out

    def subject_triples(self, graph: str, subjects: Iterable[str]) -> list[tuple[str, str, Term]]:
        """The whole description of each of ``subjects`` (``graph`` is this one's name;
        :class:`catalog.store.base.DescribesSubjects`)."""
        out: list[tuple[str, str, Term]] = []
        for subject in subjects:
            for predicate, objects in self.index.get(subject, {}).items():
                out.extend((subject, predicate, o) for o in objects)
        return out


def _canonical(literals: list[ox.Literal]) -> dict[ox.Literal, ox.Literal]:
    """The ``literals`` whose canonical form (as a store gives them back) differs from
    their written one, each with that form."""
    if not literals:
        return {}
    store = ox.Store()
    predicate = ox.NamedNode(_CANONICAL)
    nodes = [ox.NamedNode(f"{_CANONICAL}{i}") for i in range(len(literals))]
    store.extend(ox.Quad(node, predicate, lit) for node, lit in zip(nodes, literals, strict=True))
    of_node: dict[object, ox.Literal] = dict(zip(nodes, literals, strict=True))
    out: dict[ox.Literal, ox.Literal] = {}
    for quad in store.quads_for_pattern(None, predicate, None):
        written, canonical = of_node[quad.subject], quad.object
        if isinstance(canonical, ox.Literal) and canonical != written:
            out[written] = canonical
    return out
