"""Read DSP JSON-LD as a consumer does: with the spec's own context, from the corpus.

The document's ``https://w3id.org/dspace/2025/1/context.jsonld`` (and the ODRL profile its
scoped contexts ``@import``) are taken from ``../shared/corpus/dataspace-protocol/`` (local
files, nothing fetched) and inlined, then the document is expanded to triples by two
JSON-LD processors: rdflib's and Oxigraph's. Both must agree. The base IRI is
:data:`RELATIVE`, so a value the context leaves undefined, which JSON-LD resolves against
the document's base, is easy to spot.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from catalog.rdf_input import ContextResolver, ParseLimits, prepare_jsonld

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
#: The base IRI documents are read with: an IRI under it was a bare, undefined term.
RELATIVE = "http://relative.invalid/"
_LIMITS = ParseLimits(10**8, 10**6, 10**7, 64)


def spec_resolver(corpus: Path) -> ContextResolver:
    folder = corpus / "dataspace-protocol"
    return ContextResolver(
        {DSP_CONTEXT: folder / "dspace.jsonld", ODRL_PROFILE: folder / "odrl.jsonld"}
    )


def spec_graph(corpus: Path, doc: dict[str, Any] | bytes) -> rdflib.Graph:
    """``doc`` read with the spec's context by rdflib, checked equal to Oxigraph's reading."""
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode("utf-8")
    data = prepare_jsonld(raw, _LIMITS, spec_resolver(corpus))
    graph = rdflib.Graph()
    graph.parse(data=data, format="json-ld", base=RELATIVE)
    # each reading as a set of triples, then blank nodes compared as "_:" (multisets)
    parsed = {
        (q.subject, q.predicate, q.object)
        for q in ox.parse(data, format=ox.RdfFormat.JSON_LD, base_iri=RELATIVE)
    }
    oxi = Counter((_term(s), _term(p), _term(o)) for s, p, o in parsed)
    mine = Counter((_n3(s), _n3(p), _n3(o)) for s, p, o in graph)
    assert mine == oxi, "rdflib and Oxigraph read the document differently"
    return graph


def _term(t: Any) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<{t.value}>"
    if isinstance(t, ox.BlankNode):
        return "_:"
    if isinstance(t, ox.Literal):
        return rdflib.Literal(
            t.value,
            lang=t.language,
            datatype=None if t.language else rdflib.URIRef(t.datatype.value),
        ).n3()
    return str(t)


def _n3(t: Any) -> str:
    if isinstance(t, rdflib.BNode):
        return "_:"
    if isinstance(t, rdflib.Literal) and t.datatype is None and t.language is None:
        return rdflib.Literal(str(t), datatype=rdflib.XSD.string).n3()
    return str(t.n3())


def relative_iris(graph: rdflib.Graph) -> set[str]:
    """Every IRI the reading resolved against the base: a bare term the context lacks."""
    return {str(x) for t in graph for x in t if str(x).startswith(RELATIVE)}
