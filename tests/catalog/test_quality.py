"""Metadata quality (MQA-style dimensions) and AI-readiness, with what to fix."""

from __future__ import annotations

from rdflib import URIRef

from catalog.demo import load_demo
from catalog.model import Dataset
from catalog.quality import DIMENSIONS, dataset_quality, quality_of, source_quality
from catalog.rdf_bridge import to_rdflib_graph
from catalog.service import Catalogue

BARE = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/ds/bare> a dcat:Dataset ; dct:title "Bare" ;
    dct:description "Nothing else is said." ."""
RICH = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix eu: <http://publications.europa.eu/resource/authority/> .
<https://example.org/ds/rich> a dcat:Dataset ; dct:title "Rich"@en ;
    dct:description "Everything is said."@en ; dcat:keyword "k"@en ;
    dcat:theme eu:data-theme\\/HEAL ;
    dct:spatial <http://publications.europa.eu/resource/authority/country/DEU> ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dct:publisher [ a foaf:Agent ; foaf:name "Org" ] ; dcat:contactPoint <https://example.org/c> ;
    dct:language <http://publications.europa.eu/resource/authority/language/ENG> ;
    dct:issued "2024-01-01"^^xsd:date ; dct:modified "2024-02-01"^^xsd:date ;
    dct:conformsTo <https://example.org/schema> ;
    dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://example.org/a> ;
        dcat:downloadURL <https://example.org/a.csv> ;
        dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
        dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
        dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
        dct:rights [ a dct:RightsStatement ] ; dcat:byteSize "10"^^xsd:nonNegativeInteger ] ."""


def _report(catalogue: Catalogue, data: bytes, **kw):
    ident = catalogue.load(data, fmt="turtle").dataset_ids[0]
    return quality_of(catalogue, ident, **kw)


def test_a_bare_record_scores_low_and_says_what_to_fix(catalogue: Catalogue) -> None:
    report = _report(catalogue, BARE)
    assert report.percent < 30
    assert report.rating == "bad"
    fixes = " ".join(report.fixes())
    assert "keywords" in fixes
    assert "licence" in fixes
    assert "sample" in fixes
    assert set(report.to_dict()["dimensions"]) == set(DIMENSIONS)


def test_a_rich_record_scores_high_and_is_ai_ready_with_a_sample(catalogue: Catalogue) -> None:
    without = _report(catalogue, RICH)
    with_sample = _report(catalogue, RICH, has_sample=True, sample_columns=3)
    assert without.percent >= 85
    assert without.rating == "excellent"
    assert with_sample.percent_of("ai_readiness") == 100
    assert without.percent_of("ai_readiness") < 100
    assert "Upload a sample (Parquet or CSV)." in without.fixes()


def test_a_non_commercial_licence_is_not_clear_for_training(catalogue: Catalogue) -> None:
    nc = RICH.replace(b"CC_BY_4_0", b"CC_BYNC_4_0")
    assert not next(
        c for c in _report(catalogue, nc).checks if c.name == "licence clear for training"
    ).passed


def test_a_failed_validation_costs_interoperability(catalogue: Catalogue) -> None:
    ident = catalogue.load(RICH, fmt="turtle").dataset_ids[0]
    record = catalogue.get(ident)
    ds = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
    assert dataset_quality(ds, conforms=False).percent_of("interoperability") < dataset_quality(
        ds, conforms=True
    ).percent_of("interoperability")


def test_source_quality_averages_every_dataset(catalogue: Catalogue) -> None:
    load_demo(catalogue)
    mean, per = source_quality(catalogue, "demo-language")
    assert len(per) == catalogue.count("demo-language")
    percents = [r.percent for r in per.values()]
    assert min(percents) <= mean.percent <= max(percents)
    assert any("of" in f and "datasets" in f for f in mean.fixes())
