"""Values: bad lexical forms, multilingual text, language choice, input checks, JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from catalog.errors import InvalidInput
from catalog.model import Dataset, Distribution, LangText, TypedValue, parse_accept_language
from catalog.namespaces import DCAT, RDF
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import ParseLimits, format_from_name, iter_triples
from tests.catalog.model.model_helpers import PARSABLE_FILES, missing_triples, read_rdf

BAD = b"""
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://data.example.eu/id/bad> a dcat:Dataset ;
  dct:title "Bad literals"@en, "Schlechte Literale"@de-DE ;
  dct:issued "2020-13-45"^^xsd:date ;
  dct:modified "yesterday"^^xsd:dateTime ;
  dcat:spatialResolutionInMeters "ten"^^xsd:decimal ;
  dct:temporal [ dcat:startDate "not a date"^^xsd:date ; dcat:endDate "2021"^^xsd:gYear ] ;
  dcat:distribution [ a dcat:Distribution ;
      dcat:accessURL <https://data.example.eu/files/bad.csv> ;
      dcat:byteSize "abc"^^xsd:integer ;
      dcat:mediaType "text/csv" ] .
"""


def _parse(data: bytes) -> Graph:
    return to_rdflib_graph(iter_triples(data, format_from_name("ttl"), ParseLimits()))


def test_bad_lexical_forms_are_kept_raw_and_do_not_crash() -> None:
    graph = _parse(BAD)
    dataset = Dataset.from_graph(graph, URIRef("https://data.example.eu/id/bad"))
    assert dataset.issued == TypedValue("2020-13-45", "http://www.w3.org/2001/XMLSchema#date")
    assert dataset.issued.python is None
    assert dataset.modified.python is None
    assert dataset.spatial_resolution_in_meters[0].python is None
    (period,) = dataset.temporal
    assert period.start.lexical == "not a date"
    assert period.start.python is None
    assert period.end.python == 2021
    (dist,) = dataset.distribution
    assert dist.byte_size.lexical == "abc"
    assert dist.byte_size.python is None
    assert dist.media_type == TypedValue("text/csv")
    body = json.loads(json.dumps(dataset.to_dict()))
    assert body["issued"] == "2020-13-45"
    assert body["distribution"][0]["byte_size"] == "abc"
    assert not missing_triples(dataset.to_graph(), graph)
    assert Dataset.from_graph(dataset.to_graph(), dataset.iri) == dataset


def test_good_literals_give_python_values() -> None:
    dist = Distribution(byte_size=1024, issued=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC))
    assert dist.byte_size.python == 1024
    assert dist.issued.python == dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
    assert dist.to_dict()["issued"] == "2024-05-01T12:30:00+00:00"


def test_lang_text_keeps_every_language_and_picks_the_best() -> None:
    text = LangText({"en": ["Bees"], "de-DE": ["Bienen"], "": ["Melissa"], "el": ["Μέλισσες"]})
    assert text["de-de"] == ("Bienen",)
    assert text.to_dict() == {
        "": ["Melissa"],
        "de-de": ["Bienen"],
        "el": ["Μέλισσες"],
        "en": ["Bees"],
    }
    assert text.best(["de"]) == "Bienen"  # primary language matches a regional tag
    assert text.best(["en-GB", "de"]) == "Bees"
    assert text.best(["fr"]) == "Melissa"  # no French: the untagged value
    assert LangText({"el": ["Μέλισσες"], "en": ["Bees"]}).best(["fr"]) == "Bees"
    assert LangText({"el": ["Μέλισσες"]}).best([]) == "Μέλισσες"
    assert LangText().best(["en"]) is None
    assert LangText([("EN", "a"), ("en", "b"), ("en", "a")]) == {"en": ["a", "b"]}


def test_accept_language_header_is_ranked_by_quality() -> None:
    header = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5, it;q=0"
    assert parse_accept_language(header) == ["fr-ch", "fr", "en", "de", "*"]
    assert parse_accept_language("") == []
    # What a German browser sends alone: the region falls back to its language.
    assert parse_accept_language("de-DE") == ["de-de", "de"]
    assert parse_accept_language("de-AT, en;q=0.5") == ["de-at", "de", "en"]
    assert parse_accept_language("1234, de;q=0.5, en, x;q=1.2.3") == ["en", "de"]
    dataset = Dataset(title=LangText({"en": ["Bees"], "fr": ["Abeilles"]}))
    assert dataset.title_for(parse_accept_language("de, fr;q=0.5")) == "Abeilles"


def test_bad_input_is_refused_with_a_catalogue_error() -> None:
    with pytest.raises(InvalidInput, match="not an absolute IRI"):
        Dataset(iri="no scheme here")
    with pytest.raises(InvalidInput, match="theme"):
        Dataset(theme=["https://ok.example/a", "bad iri"])
    with pytest.raises(InvalidInput, match="language tag"):
        LangText({"not a tag!": ["x"]})
    with pytest.raises(InvalidInput, match="Distribution"):
        Dataset(distribution=["https://data.example.eu/not-a-distribution-object"])
    with pytest.raises(InvalidInput):
        Dataset.from_graph(Graph(), None)


def test_models_are_immutable() -> None:
    dataset = Dataset(iri="https://data.example.eu/id/1", keyword={"en": ["a"]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        dataset.iri = "https://data.example.eu/id/2"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        dataset.keyword._items = ()  # type: ignore[misc]


def test_equality_ignores_the_order_values_were_given_in() -> None:
    a = Dataset(theme=["https://t.example/b", "https://t.example/a"], keyword={"en": ["y", "x"]})
    b = Dataset(theme=["https://t.example/a", "https://t.example/b"], keyword={"en": ["x", "y"]})
    assert a == b


@pytest.mark.parametrize("name", PARSABLE_FILES)
def test_every_corpus_dataset_gives_clean_json(corpus: Path, name: str) -> None:
    graph = read_rdf(corpus / name)
    for node in set(graph.subjects(RDF.type, DCAT.Dataset)):
        body = Dataset.from_graph(graph, node).to_dict()
        text = json.dumps(body, allow_nan=False)
        assert json.loads(text) == body
        assert all(isinstance(v, list) for v in body.get("title", {}).values())
