"""Every code the pages show has a human label, in English, German and French."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from api.web.labels import TABLES, known_label, label, page_language
from catalog.dataspaces import THEME_CODES
from catalog.facts import ACCESS_CATEGORIES
from catalog.labs.model import ACCESS_MODES
from catalog.namespaces import (
    EU_ACCESS_RIGHT,
    EU_COUNTRY,
    EU_DATA_THEME,
    EU_FILE_TYPE,
    EU_FREQUENCY,
    EU_LANGUAGE,
    EU_LICENCE,
)
from catalog.offers.licences import DUTIES, USES
from catalog.offers.org_types import ORG_TYPES
from catalog.offers.purposes import PURPOSES
from catalog.search.vocab import ACCESS_LEVELS

DEMO = Path(__file__).resolve().parents[3] / "catalog" / "demo" / "data"
EU_LANGUAGES = [
    "BUL",
    "CES",
    "DAN",
    "DEU",
    "ELL",
    "ENG",
    "EST",
    "FIN",
    "FRA",
    "GLE",
    "HRV",
    "HUN",
    "ITA",
    "LAV",
    "LIT",
    "MLT",
    "NLD",
    "POL",
    "POR",
    "RON",
    "SLK",
    "SLV",
    "SPA",
    "SWE",
]
#: authority namespace -> the kind of label the page asks for
AUTHORITIES = {
    str(EU_ACCESS_RIGHT): "access",
    str(EU_COUNTRY): "country",
    str(EU_DATA_THEME): "theme",
    str(EU_FILE_TYPE): "file_type",
    str(EU_FREQUENCY): "frequency",
    str(EU_LANGUAGE): "language",
    str(EU_LICENCE): "licence",
    "http://publications.europa.eu/resource/authority/dataset-type/": "dataset_type",
    "http://www.iana.org/assignments/media-types/": "media_type",
}


def _demo_codes() -> set[tuple[str, str]]:
    graph = Graph()
    for path in sorted(DEMO.glob("*.ttl")):
        graph.parse(path, format="turtle")
    found = set()
    for term in set(graph.objects()) | set(graph.subjects()):
        if not isinstance(term, URIRef):
            continue
        for namespace, kind in AUTHORITIES.items():
            if str(term).startswith(namespace) and str(term) != namespace:
                found.add((kind, str(term)))
    return found


@pytest.mark.parametrize(("kind", "iri"), sorted(_demo_codes()))
def test_every_authority_code_of_the_demo_has_a_label(kind: str, iri: str) -> None:
    assert known_label(iri, kind, "en"), f"no {kind} label for {iri}"


def test_the_demo_uses_codes_of_every_authority() -> None:
    assert {kind for kind, _ in _demo_codes()} == set(AUTHORITIES.values())


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("language", EU_LANGUAGES),
        ("theme", THEME_CODES),
        ("access_mode", ACCESS_MODES),
        ("org_type", ORG_TYPES),
        ("use", USES),
        ("duty", DUTIES),
        ("verdict", ("may_offer", "may_offer_under_conditions", "needs_review", "may_not_offer")),
        ("access", ACCESS_CATEGORIES),
    ],
)
def test_whole_vocabularies_have_english_german_and_french(kind: str, codes) -> None:
    for code in codes:
        entry = TABLES[kind][code]
        assert {"en", "de", "fr"} <= set(entry), (kind, code)


def test_every_purpose_has_a_label_and_the_research_ones_in_german_and_french() -> None:
    assert set(PURPOSES) <= set(TABLES["purpose"])
    assert label("academic-research", "purpose", "de") == "akademische Forschung"
    assert label("academic-research", "purpose", "fr") == "recherche académique"


def test_codes_read_as_words_in_the_page_language() -> None:
    assert label(EU_DATA_THEME.HEAL, "theme", "de") == "Gesundheit"
    assert label(EU_LANGUAGE.DEU, "language", "en") == "German"
    assert label(EU_LANGUAGE.DEU, "language", "de") == "Deutsch"
    assert label(EU_LANGUAGE.DEU, "language", "fr") == "allemand"
    assert label(EU_COUNTRY.DEU, "country", "fr") == "Allemagne"
    assert label("DE", "country", "en") == "Germany"
    assert label(EU_FILE_TYPE.BIN, "file_type", "en") == "binary file"
    assert label(EU_LICENCE.CC_BY_4_0, "licence", "en") == "CC BY 4.0"
    assert label("SecureProcessingEnvironment", "access_mode", "en") == (
        "secure processing environment"
    )
    assert label("http://www.iana.org/assignments/media-types/text/csv", "media_type") == "CSV"


def test_one_access_label_on_search_and_dataset_pages() -> None:
    # the search facet's values and the facts' categories are one scale with one label
    assert set(ACCESS_LEVELS) == set(ACCESS_CATEGORIES)
    assert label("health-data-permit", "access") == "Health data permit (HDAB)"
    assert label("non-public", "access") == label("non_public", "access") == "Non-public"
    assert label(EU_ACCESS_RIGHT.NON_PUBLIC, "access", "de") == "Nicht öffentlich"


def test_unknown_codes_use_the_record_s_own_label_else_their_last_segment() -> None:
    std = "https://demo.example.eu/standard/icd-10"
    assert label(std, "standard", "en", {std: "ICD-10"}) == "ICD-10"
    assert label(std, "standard", "en") == "icd-10"
    # a kind no table lists never borrows another kind's label (DEU is no standard)
    assert label("https://x.example/DEU", "standard") == "DEU"
    assert label("https://x.example/SOME_CODE") == "SOME CODE"


def test_page_language_falls_back_from_region_and_to_english() -> None:
    assert page_language(["de-de", "de"]) == "de"
    assert page_language(["fr-ca"]) == "fr"
    assert page_language(["pl", "it"]) == "en"
