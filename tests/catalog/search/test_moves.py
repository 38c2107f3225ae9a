"""A change reaches the Tantivy mirror and the facet columns through the rows it touched
(``IndexFile.take_moves``), never through a scan of every rowid, and leaves both exactly
as a fresh read of the index would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bench.search_bench import turtle
from catalog.search import SearchService
from catalog.search.columns import FacetColumns
from catalog.service import Catalogue
from catalog.settings import get_settings


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SearchService]:
    settings = get_settings(home=tmp_path / "home", search_text_engine="tantivy")
    with Catalogue.open(settings) as cat:
        cat.load(turtle(0, 300, seed=5), fmt="turtle", source="a", replace=True)
        cat.load(turtle(300, 200, seed=6), fmt="turtle", source="b", replace=True)
        svc = SearchService.open(cat)
        try:
            yield svc
        finally:
            svc.close()


def _pairs(cols: FacetColumns) -> set[tuple[int, str, str]]:
    live = cols.pair_code != 0
    return {
        (int(d), *cols.keys[int(c)])
        for d, c in zip(cols.pair_doc[live], cols.pair_code[live], strict=True)
    }


def _agrees_with_a_fresh_read(service: SearchService) -> None:
    db = service.index.db()
    rowids = sorted(r[0] for r in db.execute("SELECT rowid FROM docs"))
    text = service.text
    assert text is not None and text.index is not None
    searcher = text.index.searcher()
    assert searcher.num_docs == len(rowids)
    assert sorted(text.known) == rowids
    cols = service._columns(db)
    fresh = FacetColumns()
    fresh.load(db)
    assert np.flatnonzero(cols.alive).tolist() == rowids == np.flatnonzero(fresh.alive).tolist()
    assert _pairs(cols) == _pairs(fresh)
    assert cols.modified[rowids].tolist() == fresh.modified[rowids].tolist()


def test_changes_follow_the_rows_they_touched(service: SearchService) -> None:
    cat = service.catalogue
    statements: list[str] = []
    db = service.index.db()
    db.set_trace_callback(statements.append)
    try:
        # a source replaced with fewer datasets, some of them changed; one added; one gone
        cat.load(turtle(0, 250, seed=7, tag="zq "), fmt="turtle", source="a", replace=True)
        assert service.search("zq", limit=1).total == 250
        cat.load(turtle(500, 1, seed=8), fmt="turtle", source="c", replace=True)
        service.search("", limit=1)
    finally:
        db.set_trace_callback(None)
    scans = [s for s in statements if s.strip() == "SELECT rowid FROM docs"]
    assert scans == [], scans[:3]  # neither the mirror nor the columns read every rowid
    assert any("doc_moves" in s for s in statements)
    _agrees_with_a_fresh_read(service)


def test_moves_undone_by_a_rollback_are_not_applied(service: SearchService) -> None:
    db = service.index.db()
    before = db.execute("SELECT count(*) FROM docs").fetchone()[0]
    db.execute("BEGIN")
    db.execute("DELETE FROM docs WHERE rowid IN (SELECT rowid FROM docs LIMIT 5)")
    db.execute("ROLLBACK")
    service.catalogue.load(turtle(500, 3, seed=9), fmt="turtle", source="c", replace=True)
    assert service.search("", limit=1).total == before + 3
    _agrees_with_a_fresh_read(service)


def test_added_documents_extend_the_pairs_in_place(service: SearchService) -> None:
    """A publish adds its facet pairs after the others without copying every pair (tens
    of millions at two million documents): successive changes share one buffer, a reader
    holding the pairs from before a change still sees them as they were, and the columns
    stay what a fresh read gives."""
    cat = service.catalogue
    db = service.index.db()
    cols = service._columns(db)
    for k in range(3):  # the first change may make the room
        cat.load(turtle(600 + k, 1, seed=20 + k), fmt="turtle", source=f"n{k}", replace=True)
        service.search("", limit=1)
    held_doc = service._columns(db).pair_doc
    held = held_doc.copy()
    for k in range(3, 8):
        cat.load(turtle(600 + k, 1, seed=20 + k), fmt="turtle", source=f"n{k}", replace=True)
        service.search("", limit=1)
        cols = service._columns(db)
        assert np.shares_memory(cols.pair_doc, held_doc)  # appended, not copied
    assert len(cols.pair_doc) > len(held)
    assert held_doc.tolist() == held.tolist()
    _agrees_with_a_fresh_read(service)


def test_a_change_reads_only_its_own_facet_rows(service: SearchService) -> None:
    """The columns read a publish's facet rows through the (doc) index: no statement of
    the change scans the facet table (at 200,000 datasets a scan cost 140 ms per
    publish, growing with the catalogue)."""
    cat = service.catalogue
    db = service.index.db()
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    try:
        cat.load(turtle(700, 1, seed=31), fmt="turtle", source="one", replace=True)
        assert service.search("", limit=1).total == 501
    finally:
        db.set_trace_callback(None)
    reads = [s for s in statements if "FROM facets" in s]
    assert reads, "the change read no facet rows"
    for sql in reads:
        plan = " / ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "SCAN facets" not in plan, (sql, plan)
