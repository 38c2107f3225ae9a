"""The in-memory facet columns give exactly the answers of SQL over the index file."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.search import SearchService
from catalog.search import query as qparse
from catalog.search.columns import FacetColumns
from catalog.search.facets import build_where, facet_counts
from catalog.search.index import WEIGHTS, IndexFile
from tests.catalog.search.fts5_oracle import fts5_of

CASES: list[dict[str, Any]] = [
    {"q": ""},
    {"q": "", "filters": {"data_space": ["health"]}},
    {"q": "", "filters": {"theme": ["HEAL", "ENVI"], "access": ["public"]}},
    {"q": "data"},
    {"q": "hospital", "filters": {"data_space": ["health"]}},
    {"q": "", "modified_from": "2020", "modified_to": "2024-06"},
    {"q": "", "bbox": (5.0, 45.0, 15.0, 55.0)},
    {"q": "data", "sort": "title"},
    {"q": "", "sort": "modified"},
    {"q": "", "filters": {"theme": ["NO_SUCH_THEME"]}},
]


def sql_answer(service: SearchService, case: dict[str, Any]) -> tuple[list[str], int, dict]:
    """The answer as the SQL-only engine computed it (the oracle): FTS5 over the file's
    text, its query expanded against FTS5's vocabulary."""
    with fts5_of(service.index.db()) as db:
        vocab = qparse.FtsVocabulary(db)
        pq = qparse.parse(vocab, case["q"], max_chars=500, max_terms=20, min_prefix=3)
        base, params = build_where(
            pq.expression,
            case.get("filters", {}),
            case.get("modified_from"),
            case.get("modified_to"),
            case.get("bbox"),
        )
        sort = case.get("sort", "relevance")
        order = {
            "relevance": "score, d.id" if pq.expression else "d.modified DESC, d.id",
            "modified": "d.modified IS NULL, d.modified DESC, d.id",
            "title": "d.sort_title, d.id",
        }[sort]
        score = f"bm25(fts, {', '.join(map(str, WEIGHTS))})" if pq.expression else "0"
        rows = db.execute(
            f"SELECT d.id, {score} AS score {base} ORDER BY {order} LIMIT 1000", params
        ).fetchall()
        total = db.execute(f"SELECT count(*) {base}", params).fetchone()[0]
        return [r[0] for r in rows], total, facet_counts(db, base, params, [])


def answer(service: SearchService, case: dict[str, Any]) -> tuple[list[str], int, dict]:
    args = {k: v for k, v in case.items() if k != "q"}
    result = service.search(case["q"], limit=100, fresh=False, **args)
    out = [h.id for h in result.items]
    while result.next_cursor:
        result = service.search(
            case["q"], limit=100, cursor=result.next_cursor, fresh=False, **args
        )
        out += [h.id for h in result.items]
    return out, result.total, result.facets


def assert_same(service: SearchService, case: dict[str, Any]) -> tuple[list[str], int, dict]:
    """The engine's answer equals the SQL oracle's; with Tantivy, whose BM25 differs from
    FTS5's, a relevance-ranked text query must hold the same hits (order may differ)."""
    got, want = answer(service, case), sql_answer(service, case)
    ranked = case["q"] and case.get("sort", "relevance") == "relevance"
    if service.text is not None and ranked:
        assert len(got[0]) == len(set(got[0])), case
        assert (sorted(got[0]), got[1], got[2]) == (sorted(want[0]), want[1], want[2]), case
    else:
        assert got == want, case
    return got


@pytest.mark.parametrize("case", CASES, ids=[repr(c) for c in CASES])
def test_same_answers_as_sql(demo_search: SearchService, case: dict[str, Any]) -> None:
    got = assert_same(demo_search, case)
    assert got[1] > 0 or case.get("filters", {}).get("theme") == ["NO_SUCH_THEME"]


def test_same_answers_after_incremental_updates(demo_search: SearchService) -> None:
    service = demo_search
    before = answer(service, {"q": ""})
    gone = before[0][:3]
    db = service.index.db()
    # re-project three datasets (delete + insert), then delete one from the index
    service.refresh(gone)
    for case in CASES:
        assert_same(service, case)
    assert answer(service, {"q": ""})[1] == before[1]
    with service.index.lock:
        db.execute("BEGIN")
        IndexFile.delete_ids(db, gone[:1])
        db.execute("COMMIT")
        service._changed()
    after = answer(service, {"q": ""})
    assert after[1] == before[1] - 1
    assert gone[0] not in after[0]
    for case in CASES:
        assert_same(service, case)


def test_new_documents_are_added_without_reading_everything_again(
    demo_search: SearchService,
) -> None:
    """Each publish adds its re-projected documents to the columns: only the first load
    reads the whole index (the arrays' spare capacity is not a reused rowid)."""
    db = demo_search.index.db()
    cols = FacetColumns()
    cols.load(db)
    head = "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> ."
    for k in range(3):
        record = f'{head} <https://ex.org/ds/new{k}> a dcat:Dataset ; dct:title "New {k}"@en .'
        demo_search.catalogue.load(record.encode(), fmt="turtle", source="extra")
        demo_search.sync()
        cols.refresh(db)
        assert int(cols.alive.sum()) == db.execute("SELECT count(*) FROM docs").fetchone()[0]
    assert cols.loads == 1
