"""German (and French) queries match the way people expect, on the real engines (FTS5 and
Tantivy): a word finds the German compounds it begins ("Klinik" finds "Klinikum"), exact
matches rank first, French words match without their accents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.search import SearchService
from catalog.search.index import SCHEMA_VERSION
from catalog.search.text import START_TAG, start_tokens, word_starts
from catalog.service import Catalogue
from tests.catalog.search.conftest import service_over

TTL = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <https://starts.example.org/> .
ex:klinikum a dcat:Dataset ; dct:identifier "st-1" ;
    dct:title "Klinikum Nordstadt: Notaufnahmen 2024"@de ,
        "Nordstadt hospital: emergency admissions 2024"@en .
ex:klinik a dcat:Dataset ; dct:identifier "st-2" ;
    dct:title "Klinik am See: Bettenbelegung"@de .
ex:verbund a dcat:Dataset ; dct:identifier "st-3" ;
    dct:title "Fallzahlen"@de ; dcat:keyword "Klinikverbund"@de .
ex:events a dcat:Dataset ; dct:identifier "st-4" ;
    dct:title "Événements indésirables graves, registre national"@fr .
ex:databases a dcat:Dataset ; dct:identifier "st-5" ;
    dct:title "Databases of trade unions"@en .
ex:clinical a dcat:Dataset ; dct:identifier "st-6" ;
    dct:title "Klinische Studien im Überblick"@de .
"""
DESCRIBED = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://starts.example.org/uni> a dcat:Dataset ; dct:identifier "st-7" ;
    dct:title "Klinikum Süd: Aufnahmen"@de ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dct:description "Aufnahmen im Klinikum Süd, täglich."@de .
"""


@pytest.fixture
def service(catalogue: Catalogue) -> Iterator[SearchService]:
    yield from service_over(catalogue, TTL, "starts")


def slugs(service: SearchService, q: str) -> list[str]:
    return [h.links["iri"].rsplit("/", 1)[-1] for h in service.search(q, limit=50).items]


def test_a_german_word_finds_the_compounds_it_begins(service: SearchService) -> None:
    found = slugs(service, "Klinik")
    assert set(found) == {"klinik", "klinikum", "verbund"}
    assert found[0] == "klinik"  # the exact word first
    assert slugs(service, "klinikum")[:1] == ["klinikum"]


def test_the_german_stem_of_a_query_word_is_a_start_too(service: SearchService) -> None:
    """ "Kliniken" (stem "klinik") finds "Klinikum" and "Klinikverbund"."""
    assert {"klinikum", "verbund"} <= set(slugs(service, "Kliniken"))


def test_short_words_and_other_languages_match_only_themselves(service: SearchService) -> None:
    assert slugs(service, "Kli") == []  # three letters: no start lookup
    assert {"klinik", "klinikum", "verbund", "clinical"} <= set(slugs(service, "Klin"))
    # English words are not indexed by their starts: "data" is no "databases"
    assert slugs(service, "data") == []
    assert slugs(service, "databases") == ["databases"]


def test_french_words_match_without_their_accents(service: SearchService) -> None:
    assert slugs(service, "evenement") == ["events"]
    assert slugs(service, "evenements indesirables") == ["events"]
    assert slugs(service, "Événement") == ["events"]


def test_a_start_is_highlighted_in_the_snippet(service: SearchService) -> None:
    service.catalogue.load(DESCRIBED.encode(), fmt="turtle", source="described", replace=True)
    hit = next(
        h
        for h in service.search("Klinik", langs=["de"]).items
        if h.title.startswith("Klinikum Süd")
    )
    assert "<mark>Klinikum</mark>" in hit.snippet or "<mark>klinikum</mark>" in hit.snippet.lower()


def test_start_tokens() -> None:
    tag = START_TAG
    assert start_tokens("Klinikum", "de") == [
        f"{tag}klin",
        f"{tag}klini",
        f"{tag}klinik",
        f"{tag}kliniku",
    ]
    assert start_tokens("Übersicht", "de")[:2] == [f"{tag}uber", f"{tag}ubers"]
    assert start_tokens("Klinikum", "en") == []
    assert start_tokens("ICD10 abc", "de") == []  # digits and short words: none
    assert word_starts("Kliniken") == [f"{tag}kliniken", f"{tag}klinik"]
    assert word_starts("Klin") == [f"{tag}klin"]
    assert word_starts("Kli") == []


def test_an_index_written_before_the_word_starts_is_rebuilt(
    service: SearchService, catalogue: Catalogue
) -> None:
    """A file of schema 2 (no word starts) is rebuilt on open, so "Klinik" finds
    "Klinikum" there too."""
    db = service.index.db()
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    db.execute("DELETE FROM fts WHERE rowid IN (SELECT rowid FROM docs)")
    service.close()
    again = SearchService.open(catalogue)
    try:
        assert (
            again.index.db().execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0]
            == SCHEMA_VERSION
        )
        assert {"klinikum", "verbund"} <= set(slugs(again, "Klinik"))
    finally:
        again.close()


def test_a_regional_language_preference_picks_the_language_title(service: SearchService) -> None:
    """``de-DE`` alone (what a browser sends) gives the German title."""
    hit = service.search("Notaufnahmen", langs=["de-de"]).items[0]
    assert hit.title == "Klinikum Nordstadt: Notaufnahmen 2024"
    hit = service.search("Notaufnahmen", langs=["en-gb"]).items[0]
    assert hit.title == "Nordstadt hospital: emergency admissions 2024"
