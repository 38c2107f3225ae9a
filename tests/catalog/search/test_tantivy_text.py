"""The Tantivy text engine: a mirror of the FTS5 table, rebuilt when lost, never trusted."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import SearchIndexError
from catalog.search import SearchService, tantivy_text
from catalog.search import query as qparse
from catalog.search.tantivy_text import TantivyText
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.catalog.search.conftest import ids
from tests.catalog.search.fts5_oracle import fts5_of


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
    # ``stems`` holds tokens without positions: a phrase in it is refused, not answered
    # by a Tantivy error (``parse`` writes one token there: test_text.py)
    with pytest.raises(SearchIndexError, match="stems"):
        text.match('stems : "en_1 2"')
    assert text.match('stems : "en_hospit"')[0].size > 0


_QUERIES = [
    "data",
    "health",
    "speech corpus",
    "Krankenhausdaten",
    "Sentinel",
    "clin*",
    "Klinik",  # word starts: Klinikverbund
    "Kliniken Demo",
    "medicaux electroniques",  # French without accents
]


def _plan_by_numpy(service: SearchService, q: str, filters: dict[str, list[str]]) -> tuple:
    """What the match-then-numpy plan gives for ``q``: the hit ids and the facet counts."""
    db = service.index.db()
    pq = qparse.parse(service.vocabulary(db), q, max_chars=500, max_terms=24, min_prefix=2)
    assert pq.expression and service.text is not None
    hits, _ = service.text.match(pq.expression)
    cols = service._columns(db)
    mask = cols.mask(filters, None, None, None)
    if mask is not None:
        hits = hits[mask[hits]]
    ids = {
        r[0] for r in db.execute(f"SELECT id FROM docs WHERE rowid IN ({','.join(map(str, hits))})")
    }
    counted = {name: dict(pairs) for name, pairs in cols.counts(hits).items()}
    return ids, counted


@pytest.mark.parametrize("q", _QUERIES)
def test_ranked_in_tantivy_agrees_with_the_numpy_plan(demo_search: SearchService, q: str) -> None:
    """A relevance-sorted text query is answered inside Tantivy (page, total, facet counts);
    it must give exactly what matching then filtering and counting in numpy gives."""
    checked = 0
    for filters in (
        {},
        {"access": ["public"]},
        {"data_space": ["health", "language"]},
        {"access": ["public", "restricted"], "theme": ["HEAL", "TECH", "ENVI"]},
    ):
        result = demo_search.search(q, filters=filters, limit=100)
        want_ids, want_counts = _plan_by_numpy(demo_search, q, filters)
        assert result.total == len(want_ids)
        assert {h.id for h in result.items} == want_ids
        got = {
            name: {v["value"]: v["count"] for v in values}
            for name, values in result.facets.items()
            if values
        }
        assert got == want_counts
        checked += result.total
    assert checked > 0


def test_too_many_facet_values_for_one_aggregation_fall_back_to_numpy(
    demo_search: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tantivy refuses aggregations of more than 65,000 buckets: past MAX_FACET_VALUES
    distinct values the counts come from the numpy columns, with the same answer."""
    queries = [("data", {}), ("health", {"access": ["public"]}), ("Sentinel", {})]
    before = [demo_search.search(q, filters=f, limit=100) for q, f in queries]
    monkeypatch.setattr(tantivy_text, "MAX_FACET_VALUES", 1)
    called: list[str] = []
    real = TantivyText.ranked

    def spy(self: TantivyText, *args: object, **kwargs: object) -> object:
        called.append("ranked")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(TantivyText, "ranked", spy)
    after = [demo_search.search(q, filters=f, limit=100) for q, f in queries]
    assert called == []
    for old, new in zip(before, after, strict=True):
        assert new.total == old.total > 0
        assert {h.id for h in new.items} == {h.id for h in old.items}
        assert new.facets == old.facets


@pytest.mark.parametrize(
    "q",
    [
        *_QUERIES,
        "data -health",  # NOT
        "health data -Sentinel -speech",  # AND of ORs, two NOTs
        '"speech corpus"',  # phrase
        "speech corp*",  # a word, then a phrase prefix
        "Krankenhausdaten -Klinik",  # a split compound, excluding word starts
    ],
)
def test_translated_queries_match_what_fts5_matches(demo_search: SearchService, q: str) -> None:
    """The translator flattens disjunctions (block-max WAND needs one flat union): the
    Tantivy match set of every expression ``query.parse`` writes is still FTS5's."""
    db = demo_search.index.db()
    pq = qparse.parse(demo_search.vocabulary(db), q, max_chars=500, max_terms=24, min_prefix=2)
    assert pq.expression and demo_search.text is not None
    hits, _ = demo_search.text.match(pq.expression)
    with fts5_of(db) as oracle:
        matched = oracle.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (pq.expression,))
        fts5 = sorted(r[0] for r in matched)
    assert fts5, q  # a query that finds something
    assert hits.tolist() == fts5, pq.expression
