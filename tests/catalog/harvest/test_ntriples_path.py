"""A harvest's statements stored through the N-Triples chunk path (issue 18) equal the same
statements stored one quad at a time (the plain path), on the real embedded store: blank
nodes skolemised alike, literals with escapes, languages and wrapped datatypes, the
dataset ids found."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

from catalog.harvest.runner import AsNTriples
from catalog.service import Catalogue

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"


def statements(site: str) -> Iterator[ox.Triple]:
    for i in range(50):
        ds = ox.NamedNode(f"https://{site}.example/ds/{i}")
        dist = ox.BlankNode(f"{site}{i}")
        yield ox.Triple(ds, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"))
        yield ox.Triple(
            ds, ox.NamedNode(DCT + "title"), ox.Literal(f'Tab\t"quote"\n{i} é', language="fr")
        )
        yield ox.Triple(
            ds,
            ox.NamedNode(DCT + "extent"),
            ox.Literal(str(i), datatype=ox.NamedNode(XSD + "nonNegativeInteger")),
        )
        yield ox.Triple(ds, ox.NamedNode(DCAT + "distribution"), dist)
        yield ox.Triple(
            dist, ox.NamedNode(DCAT + "accessURL"), ox.NamedNode(f"https://f.example/{i}")
        )
        yield ox.Triple(
            dist, ox.NamedNode(DCT + "description"), ox.Literal("\\ back\\slash \u0001")
        )


class Plain:
    """The same statements without ``ntriples_chunks``: stored one quad at a time."""

    def __iter__(self) -> Iterator[ox.Triple]:
        return statements("plain")


def stored(cat: Catalogue, source: str) -> list[str]:
    graph = cat.graphs.current(source)
    assert graph is not None
    return sorted(
        str(ox.Triple(q.subject, q.predicate, q.object)).replace(source, "SITE")
        for q in cat.store.quads(graph)
        if not q.predicate.value.endswith("#datasetId")  # a hash of the IRI, site apart
    )


def test_chunks_store_what_quads_store(catalogue: Catalogue) -> None:
    fast = catalogue.store_quads(AsNTriples(statements("fast")), source="fast", replace=True)
    plain = catalogue.store_quads(Plain(), source="plain", replace=True)  # type: ignore[arg-type]
    assert len(fast.dataset_ids) == len(plain.dataset_ids) == 50
    assert stored(catalogue, "fast") == stored(catalogue, "plain")
    assert any("urn:datalab:genid:" in t for t in stored(catalogue, "fast"))
    assert catalogue.count(source="fast") == catalogue.count(source="plain") == 50
