"""The classes DCAT-AP 3.0.1's ranges entail (catalog/ranges.py), against the official files.

The table must name exactly the class ranges the official shapes check, and the background
knowledge (EU data-theme labels, CKAN's file-type codes) must match the EU vocabularies in
the corpus.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from catalog.federation.ckan_import import FILE_TYPE_ALIASES, FILE_TYPES
from catalog.ranges import CONCEPT_LABELS, RANGES, SCHEME_TITLES, entailed_types, with_ranges

SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
A = ox.NamedNode(str(RDF.type))
N = ox.NamedNode


def test_the_table_is_the_official_class_ranges(corpus: Path) -> None:
    shapes = Graph().parse(corpus / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl")
    official = {
        (str(shapes.value(shape, SH.targetClass)), str(shapes.value(p, SH.path)), str(cls))
        for shape in shapes.subjects(SH.targetClass, None)
        for p in shapes.objects(shape, SH.property)
        for cls in shapes.objects(p, SH["class"])
    }
    ours = {(domain, p, cls) for domain, props in RANGES.items() for p, cls in props.items()}
    assert ours == official
    assert len(ours) >= 85 - 2  # the 85 checks of ranges.ttl; the bundle defines 83 of them


def test_theme_labels_are_the_eu_vocabulary_s(corpus: Path) -> None:
    themes = Graph().parse(corpus / "dcat-ap" / "vocabularies" / "data-theme-skos.rdf")
    english = {
        str(c): str(label)
        for c in themes.subjects(RDF.type, SKOS.Concept)
        for label in themes.objects(c, SKOS.prefLabel)
        if label.language == "en"
    }
    assert english == CONCEPT_LABELS
    for scheme, title in SCHEME_TITLES.items():
        assert (URIRef(scheme), SKOS.prefLabel, None) in themes
        assert title in {str(x) for x in themes.objects(URIRef(scheme), SKOS.prefLabel)}


def test_ckan_file_type_codes_exist_in_the_eu_vocabulary(corpus: Path) -> None:
    table = Graph().parse(corpus / "dcat-ap" / "vocabularies" / "filetypes-skos.rdf")
    codes = {str(c).rsplit("/", 1)[-1] for c in table.subjects(RDF.type, SKOS.Concept)}
    newer = {"PARQUET"}  # added to the EU table after the corpus copy was taken
    assert FILE_TYPES - newer <= codes
    assert set(FILE_TYPE_ALIASES.values()) <= FILE_TYPES


def test_untyped_values_get_their_range_class_by_the_subject_s_class() -> None:
    ds, dist, lang = N("urn:ds"), N("urn:dist"), N("urn:lang")
    fmt, kind = N("urn:fmt"), N("urn:ds-type")
    triples = [
        ox.Triple(ds, A, N(DCAT + "Dataset")),
        ox.Triple(ds, N(DCT + "language"), lang),
        ox.Triple(ds, N(DCT + "type"), kind),
        ox.Triple(ds, N(DCAT + "distribution"), dist),
        ox.Triple(dist, N(DCT + "format"), fmt),  # typed once dist is a distribution
        ox.Triple(ds, N(DCT + "title"), ox.Literal("t")),
    ]
    added = set(entailed_types(triples))
    assert added == {
        ox.Triple(lang, A, N(DCT + "LinguisticSystem")),
        ox.Triple(kind, A, N("http://www.w3.org/2004/02/skos/core#Concept")),
        ox.Triple(dist, A, N(DCAT + "Distribution")),
        ox.Triple(fmt, A, N(DCT + "MediaTypeOrExtent")),
    }
    assert entailed_types(triples + sorted(added, key=str)) == []  # nothing left to add


def test_a_subclass_gets_the_range_a_wrong_type_does_not() -> None:
    ds, contact, publisher = N("urn:ds"), ox.BlankNode("c"), ox.BlankNode("p")
    triples = [
        ox.Triple(ds, A, N(DCAT + "Dataset")),
        ox.Triple(ds, N(DCAT + "contactPoint"), contact),
        ox.Triple(contact, A, N("http://www.w3.org/2006/vcard/ns#Organization")),
        ox.Triple(ds, N(DCT + "publisher"), publisher),
        ox.Triple(publisher, A, N("http://www.w3.org/2006/vcard/ns#Kind")),  # not an agent
    ]
    assert entailed_types(triples) == [
        ox.Triple(contact, A, N("http://www.w3.org/2006/vcard/ns#Kind"))
    ]


def test_eu_themes_get_their_label_others_none() -> None:
    ds = N("urn:ds")
    eu, other = N("http://publications.europa.eu/resource/authority/data-theme/ENVI"), N("urn:t")
    triples = [
        ox.Triple(ds, A, N(DCAT + "Dataset")),
        ox.Triple(ds, N(DCAT + "theme"), eu),
        ox.Triple(ds, N(DCAT + "theme"), other),
    ]
    labels = {t.subject: t.object for t in with_ranges(triples) if "prefLabel" in t.predicate.value}
    assert labels == {eu: ox.Literal("Environment", language="en")}
