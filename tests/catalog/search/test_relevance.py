"""Relevance: queries in English, German, French, Polish and Greek find the expected records."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.search import SearchService
from catalog.service import Catalogue
from tests.catalog.search.conftest import ids


@pytest.mark.parametrize(
    ("query", "expected_top"),
    [
        ("Krankenhausdaten", "kliniken-bayern"),  # compound split: krankenhaus + daten
        ("Krankenhäuser", "kliniken-bayern"),
        ("krankenhauser", "kliniken-bayern"),  # accent folding
        ("Bettenkapazität", "kliniken-bayern"),
        ("Krankenh*", "kliniken-bayern"),  # prefix
        ("hospitals waiting", "waiting-times"),  # English stemming: hospitals -> hospital
        ("hôpital", "hopitaux-lyon"),  # French: hôpital ~ hôpitaux
        ("hopitaux lyon", "hopitaux-lyon"),
        ("szpital", "szpitale-polska"),  # Polish stem of szpitale/szpitali
        ("ποιότητα αέρα", "air-athens"),  # Greek stems
        ("ποιοτητα", "air-athens"),  # Greek without tonos
        ('"air quality"', "air-athens"),  # phrase
        ("ομιλίες", "greek-speech"),
        ("glucose", "diabetes-only-english"),
    ],
)
def test_expected_top_hit(search: SearchService, query: str, expected_top: str) -> None:
    result = search.search(query)
    assert ids(result)[:1] == [expected_top], (query, ids(result))


def test_phrase_needs_the_words_in_order(search: SearchService) -> None:
    assert ids(search.search('"air quality"')) == ["air-athens"]
    assert ids(search.search('"quality air"')) == []


def test_query_in_one_language_finds_records_only_in_another_through_themes(
    search: SearchService,
) -> None:
    """The diabetes record is English only; the German, French, Polish and Greek names of its
    theme (HEAL) still find it."""
    for query in ("Gesundheit", "santé", "zdrowie", "υγεία"):
        assert "diabetes-only-english" in ids(search.search(query, limit=50)), query


def test_exclusion_and_and_semantics(search: SearchService) -> None:
    with_waiting = ids(search.search("hospital"))
    assert {"kliniken-bayern", "waiting-times"} <= set(with_waiting)
    without = ids(search.search("hospital -waiting"))
    assert "kliniken-bayern" in without
    assert "waiting-times" not in without
    assert ids(search.search("hospital bavaria")) == ["kliniken-bayern"]


def test_title_in_preferred_language(search: SearchService) -> None:
    hit = search.search("Bettenkapazität", langs=["de"]).items[0]
    assert hit.title.startswith("Krankenhäuser in Bayern")
    hit = search.search("Bettenkapazität", langs=["fr", "en"]).items[0]
    assert hit.title.startswith("Hospitals in Bavaria")


def test_snippet_highlights_the_match(search: SearchService) -> None:
    hit = search.search("nitrogen").items[0]
    assert "<mark>nitrogen</mark>" in hit.snippet


@pytest.mark.parametrize(
    ("query", "expected_top"),
    [
        ("Krankenhausdaten", {"hospital-stays-nordhessen", "hospital-discharge-statistics"}),
        ("speech corpus", {"parliament-speech-it", "dialect-speech-de"}),
        ("dossiers médicaux", {"primary-care-ehr-auvergne"}),
        ("hospitalisations", {"covid-vaccination-linkage"}),
        ("nowotwory", {"cancer-registry-malopolska"}),
        ("powodzie", {"s1-grd-oder-flood-2024"}),
        ("πυρκαγιές", {"s2-burned-area-evros-2023"}),
    ],
)
def test_demo_catalogue(demo_search: SearchService, query: str, expected_top: set[str]) -> None:
    result = demo_search.search(query)
    assert set(ids(result)[: len(expected_top)]) == expected_top, (query, ids(result))


def test_corpus_spanish_record(catalogue: Catalogue, corpus: Path) -> None:
    """ckanext-dcat's Madrid record (Spanish only) is found by a Spanish query."""
    catalogue.load_file(corpus / "dcat-ap" / "ckanext-dcat" / "dataset_gob_es.ttl", source="gob-es")
    catalogue.load_file(corpus / "dcat-ap" / "ckanext-dcat" / "dataset_multilingual.ttl")
    service = SearchService.open(catalogue)
    try:
        hits = service.search("escuela deportiva").items
        assert hits
        assert "Escuelas Municipales de Promoción Deportiva" in hits[0].title
        assert "<mark>" in hits[0].snippet
        catalan = service.search("conjunt de dades", langs=["ca"]).items
        assert [h.title for h in catalan][:1] == ["Conjunt de dades de prova DCAT"]
    finally:
        service.close()
