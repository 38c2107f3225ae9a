"""Descriptions of datasets that are not public never reach snippets, matches or the index."""

from __future__ import annotations

from catalog.search import SearchService
from tests.catalog.search.conftest import ids


def test_restricted_description_words_are_not_searchable(search: SearchService) -> None:
    assert search.search("zebrafishsecret").total == 0
    assert search.search("nazwiskopoufne").total == 0
    assert search.search("zebrafish*").total == 0


def test_restricted_hits_show_only_title_or_keywords(search: SearchService) -> None:
    for query in ("hôpitaux", "szpitale", "Lyon", "Rejestr"):
        result = search.search(query, limit=50)
        assert result.items, query
        for hit in result.items:
            assert "secret" not in hit.snippet
            assert "Poufny" not in hit.snippet
            assert "poufne" not in hit.snippet


def test_public_description_is_searchable_and_shown(search: SearchService) -> None:
    hit = search.search("elective surgery").items[0]
    assert ids(search.search("elective surgery")) == ["waiting-times"]
    assert "<mark>elective</mark>" in hit.snippet


def test_restricted_text_is_not_in_the_index_file(search: SearchService) -> None:
    search.index.close()
    raw = b"".join(p.read_bytes() for p in search.index.path.parent.iterdir() if p.is_file())
    assert b"zebrafishsecret" not in raw
    assert b"nazwiskopoufne" not in raw
    assert b"Hourly nitrogen" in raw  # the public description is there


def test_facet_counts_are_the_same_whatever_the_description_says(
    search: SearchService,
) -> None:
    """Counting hits of a hidden word must not reveal it: there are none to count."""
    result = search.search("zebrafishsecret")
    assert all(not values for values in result.facets.values())
