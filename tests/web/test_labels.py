"""The search page's and header's words in the visitor's language (no browser needed)."""

from __future__ import annotations

from api.web.labels import TABLES, label, page_language
from catalog.model.values import parse_accept_language
from catalog.search import FACET_FIELDS


def test_a_browser_tag_reads_its_language() -> None:
    langs = parse_accept_language("de-DE")
    assert page_language(langs) == "de"
    assert label("relevance", "sort", "de") == "Beste Treffer"
    assert label("relevance", "sort", "de-de") == "Beste Treffer"
    assert label("filters", "ui", "fr-ca") == "Filtres"
    assert label("filters", "ui", "pl") == "Filters"  # no Polish words yet: English


def test_every_facet_and_sort_has_a_label_in_each_page_language() -> None:
    assert set(TABLES["facet"]) == set(FACET_FIELDS)
    for kind in ("facet", "sort", "ui"):
        for code, labels in TABLES[kind].items():
            assert {"en", "de", "fr"} <= set(labels), (kind, code)
