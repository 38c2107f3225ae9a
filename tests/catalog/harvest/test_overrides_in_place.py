"""A steward's edit changes the current version in place and tells the listeners."""

from __future__ import annotations

import pyoxigraph as ox

from catalog.harvest import overrides
from catalog.ids import dataset_id
from catalog.namespaces import DCT
from catalog.service import Catalogue

DOC = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
""" + b"".join(
    f'<https://data.example.org/d{i}> a dcat:Dataset ; dct:title "T{i}"@en .\n'.encode()
    for i in range(30)
)


def test_set_and_clear_field_edit_in_place(catalogue: Catalogue) -> None:
    catalogue.load(DOC, fmt="turtle", source="portal", replace=True)
    version = catalogue.graphs.current("portal")
    heard: list[tuple[str, set[str] | None]] = []
    catalogue.on_publish.append(lambda source, changed: heard.append((source, changed)))
    iri = "https://data.example.org/d7"
    overrides.set_field(
        catalogue, "portal", iri, str(DCT.title), [ox.Literal("Steward", language="en")]
    )
    assert catalogue.graphs.current("portal") == version, "an edit must not copy the source"
    titles = [
        t.object.value
        for t in catalogue.get(dataset_id(iri)).triples
        if t.predicate.value == str(DCT.title)
    ]
    assert titles == ["Steward"]
    assert heard == [("portal", {dataset_id(iri)})]
    overrides.clear_field(catalogue, "portal", iri, str(DCT.title), now=True)
    assert catalogue.graphs.current("portal") == version
    assert not [
        t for t in catalogue.get(dataset_id(iri)).triples if t.predicate.value == str(DCT.title)
    ]
    assert catalogue.count("portal") == 30
