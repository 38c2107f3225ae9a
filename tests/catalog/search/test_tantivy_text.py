"""The Tantivy text engine: a mirror of the FTS5 table, rebuilt when lost, never trusted."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import SearchIndexError
from catalog.search import SearchService
from catalog.search.tantivy_text import TantivyText
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.catalog.search.conftest import ids


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """These checks are about the Tantivy engine only."""
    return get_settings(home=tmp_path / "home", search_text_engine="tantivy")


@pytest.fixture
def tantivy_search(loaded: Catalogue) -> Iterator[SearchService]:
    service = SearchService.open(loaded)
    yield service
    service.close()


def test_mirror_holds_every_fts_row(tantivy_search: SearchService) -> None:
    db = tantivy_search.index.db()
    text = tantivy_search.text
    assert text is not None and text.index is not None
    rows = db.execute("SELECT count(*) FROM docs").fetchone()[0]
    assert text.index.searcher().num_docs == rows > 0


def test_lost_mirror_is_rebuilt(tantivy_search: SearchService, loaded: Catalogue) -> None:
    before = ids(tantivy_search.search("Krankenhausdaten"))
    path = tantivy_search.text.path  # type: ignore[union-attr]
    tantivy_search.close()
    shutil.rmtree(path)
    again = SearchService.open(loaded)
    try:
        assert ids(again.search("Krankenhausdaten")) == before != []
    finally:
        again.close()


def test_stale_marker_forces_a_rebuild(tantivy_search: SearchService, loaded: Catalogue) -> None:
    path = tantivy_search.text.path  # type: ignore[union-attr]
    tantivy_search.close()
    (path / "mirror.txt").write_text("someone else's index")
    again = SearchService.open(loaded)
    try:
        assert (path / "mirror.txt").read_text() != "someone else's index"
        assert ids(again.search("szpital"))[:1] == ["szpitale-polska"]
    finally:
        again.close()


def test_translation_rejects_what_parse_never_writes(tantivy_search: SearchService) -> None:
    text: TantivyText = tantivy_search.text  # type: ignore[assignment]
    with pytest.raises(SearchIndexError):
        text.match('secret : "x"')
    with pytest.raises(SearchIndexError):
        text.match('(title : "x"')
