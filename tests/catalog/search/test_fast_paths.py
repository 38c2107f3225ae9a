"""The fast paths of issue 18 against the plain ones, on the real Tantivy mirror: a text
query sorted by date or title matches in rowid order without scoring; a query's total and
facet counts are kept until the mirror changes. Same ids in the same order, same counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bench.search_bench import turtle
from catalog.search import SearchService
from catalog.search import query as qparse
from catalog.search.plan import ORDERS
from catalog.search.request import SearchQuery
from catalog.service import Catalogue
from catalog.settings import get_settings

CASES = [
    ("hospital", {}),
    ("energia", {}),
    ("patients", {"theme": ["HEAL"]}),
    ("hospital", {"access": ["public"], "country": ["DEU", "FRA"]}),
]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SearchService]:
    settings = get_settings(home=tmp_path / "home", search_text_engine="tantivy")
    with Catalogue.open(settings) as cat:
        cat.load(turtle(0, 600, seed=3), fmt="turtle", source="gen", replace=True)
        svc = SearchService.open(cat)
        try:
            yield svc
        finally:
            svc.close()


def _expression(service: SearchService, q: str) -> str:
    query = SearchQuery.parse(service.settings, q)
    expression = qparse.expand(service.index.db(), query.terms).expression
    assert expression
    return expression


def test_unscored_matches_are_the_scored_ones(service: SearchService) -> None:
    assert service.text is not None
    for q, filters in CASES:
        expression = _expression(service, q)
        fast, _ = service.text.match(expression, filters, scored=False)
        plain, scores = service.text.match(expression, filters)
        assert len(plain) > 5 and np.any(scores), (q, filters)
        assert fast.tolist() == plain.tolist(), q


@pytest.mark.parametrize("sort", ["modified", "title"])
def test_sorted_pages_equal_the_scored_matches_sorted(service: SearchService, sort: str) -> None:
    assert service.text is not None
    db = service.index.db()
    for q, filters in CASES:
        got = service.search(q, filters=filters, sort=sort, limit=40)
        plain, _ = service.text.match(_expression(service, q), filters)
        page = service.columns.page(db, plain, ORDERS[sort], 0, 40)
        order = {int(r): i for i, r in enumerate(page)}
        rows = db.execute(
            f"SELECT rowid, id FROM docs WHERE rowid IN ({','.join(map(str, order))})"
        ).fetchall()
        expected = [ident for _, ident in sorted(rows, key=lambda r: order[r[0]])]
        assert [h.id for h in got.items] == expected, (q, sort)
        assert got.total == len(plain)


def test_counts_are_kept_until_the_mirror_changes(service: SearchService) -> None:
    text = service.text
    assert text is not None
    first = service.search("hospital", limit=5)
    assert len(text._counted) >= 1
    again = service.search("hospital", limit=5, cursor=first.next_cursor)
    assert (again.total, again.facets) == (first.total, first.facets)
    text._counted.clear()  # the plain path: aggregate again
    plain = service.search("hospital", limit=5)
    assert (plain.total, plain.facets) == (first.total, first.facets)
    # a publish moves the mirror: the kept counts are not served any more
    service.catalogue.load(turtle(600, 1, seed=9, tag="hospital "), fmt="turtle", source="more")
    after = service.search("hospital", limit=5)
    assert after.total == first.total + 1


def test_at_most_counted_queries_are_kept_the_oldest_dropped_first(
    service: SearchService,
) -> None:
    from catalog.search.tantivy_text import COUNTED_QUERIES

    text = service.text
    assert text is not None
    text._counted.clear()
    for n in range(COUNTED_QUERIES + 1):  # one query more than are kept
        service.search("hospital", filters={"country": [f"X{n:03d}"]}, limit=1)
    assert len(text._counted) == COUNTED_QUERIES
    kept = [str(key) for key in text._counted]
    assert not any("X000" in key for key in kept)  # the oldest went
    assert any(f"X{COUNTED_QUERIES:03d}" in key for key in kept)  # the newest stays
