"""Query execution over the text engine (matching, BM25) and :class:`FacetColumns`.

Two plans:

* **in Tantivy** (text engine ``tantivy``; a text query sorted by relevance, date or title,
  or no text at all; filters on facets, dates and bounding boxes; at most
  :data:`~catalog.search.tantivy_text.MAX_FACET_VALUES` distinct facet values, the most one
  Tantivy aggregation may count): the filters are clauses of the Tantivy query, and Tantivy
  returns the page (top-k by score, or by the sort's fast field with the matches tied on
  the last place's key taken in id order; SQLite puts the few in their exact order), the
  total and the facet counts (a terms aggregation); no per-hit work in Python, whatever
  the number of hits;
* **matches, then numpy** (everything else: FTS5, excluded values, rowid restrictions,
  too many facet values): the engine answers "which documents match, with which
  score" in one pass (with the facet filters already applied when Tantivy matches);
  filters, the total, counts and the page order are numpy over the in-memory columns.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from catalog.search import mirror_layout, tantivy_text
from catalog.search.columns import FacetColumns
from catalog.search.index import WEIGHTS
from catalog.search.tantivy_text import TantivyText

#: The SQL orders of the non-relevance sorts (ties broken by id, as before).
ORDERS = {
    "modified": "d.modified IS NULL, d.modified DESC, d.id",
    "title": "d.sort_title, d.id",
    "id": "d.id",
}

Row = tuple[str, str, str | None, str, float]
#: Up to this many candidates of a sorted page, SQLite orders them.
_SQL_ORDERED = 5000


@dataclass(frozen=True)
class Restriction:
    """Filters the text engine cannot apply: excluded facet values, rowids to keep
    (``None``: all) and rowids to drop."""

    exclude: dict[str, list[str]] = field(default_factory=dict)
    only: np.ndarray | None = None
    without: np.ndarray | None = None


def execute(
    db: sqlite3.Connection,
    cols: FacetColumns,
    expression: str | None,
    filters: dict[str, list[str]],
    ranges: tuple[str | None, str | None, tuple[float, float, float, float] | None],
    sort: str,
    offset: int,
    size: int,
    text: TantivyText | None = None,
    restriction: Restriction | None = None,
) -> tuple[list[Row], int, dict[str, list[tuple[str, int]]]]:
    """Rows ``(id, access, modified, display, score)`` of one page, the total, raw counts;
    ``text`` (a Tantivy mirror) matches and ranks instead of FTS5 when given. ``filters``
    are the (validated) facet filters, ``ranges`` the modified-from, modified-to and
    bounding-box filters, ``restriction`` what only the columns can apply."""
    modified_from, modified_to, bbox = ranges
    if (
        text is not None
        and sort in ("relevance", "modified", "title")
        and restriction is None
        and len(cols.keys) <= tantivy_text.MAX_FACET_VALUES
    ):
        days = mirror_layout.day_bounds(modified_from, modified_to)
        if expression and sort == "relevance":
            lead, lead_scores, total, counts = text.ranked(
                expression,
                filters,
                offset + size + 1,
                len(cols.keys),
                days,
                bbox,
                partial(
                    cols.passing,
                    filters=filters,
                    modified_from=modified_from,
                    modified_to=modified_to,
                    bbox=bbox,
                ),
            )
            page, page_scores = _by_score(db, lead, lead_scores, offset, size + 1)
            return _rows(db, page, page_scores), total, counts
        by = "modified" if sort == "relevance" else sort  # no text: newest first
        lead, total, counts = text.leading(
            expression or "", filters, days, by, offset + size + 1, len(cols.keys), bbox
        )
        page = _ordered(db, cols, lead, ORDERS[by], offset, size + 1)
        return _rows(db, page, np.zeros(len(page))), total, counts
    hits, scores, counted = matches(db, cols, expression, filters, ranges, sort, text, restriction)
    total = len(hits)
    counts = cols.counts(counted)
    want = size + 1
    if scores is not None:
        id_rank = cols.rank(db, "d.id")[hits]
        k = min(total, offset + want)
        if k < total:  # every hit scoring at most the k-th score may be in the page
            cut = np.partition(scores, k - 1)[k - 1]
            near = np.flatnonzero(scores <= cut)
        else:
            near = np.arange(total)
        order = near[np.lexsort((id_rank[near], scores[near]))][offset : offset + want]
        page, page_scores = hits[order], scores[order]
    else:
        key = "d.modified DESC, d.id" if sort == "relevance" else ORDERS[sort]
        page = cols.page(db, hits, key, offset, want)
        page_scores = np.zeros(len(page))
    return _rows(db, page, page_scores), total, counts


def matches(
    db: sqlite3.Connection,
    cols: FacetColumns,
    expression: str | None,
    filters: dict[str, list[str]],
    ranges: tuple[str | None, str | None, tuple[float, float, float, float] | None],
    sort: str,
    text: TantivyText | None = None,
    restriction: Restriction | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Every hit's rowid, their scores (``None`` unless sorted by relevance with a text
    query) and the hits to count facets over (``None``: every document)."""
    scores: np.ndarray | None = None
    mask = cols.mask(filters, *ranges)
    if restriction is not None:
        mask = cols.restrict(mask, restriction.exclude, restriction.only, restriction.without)
    if expression:
        if text is not None:
            hits, scores = text.match(expression, filters, scored=sort == "relevance")
            if sort != "relevance":
                scores = None
        elif sort == "relevance":
            weights = ", ".join(map(str, WEIGHTS))
            sql = f"SELECT rowid, bm25(fts, {weights}) FROM fts WHERE fts MATCH ?"  # noqa: S608
            got = db.execute(sql, (expression,)).fetchall()
            hits = np.array([r[0] for r in got], dtype=np.int64)
            scores = np.array([r[1] for r in got], dtype=np.float64)
        else:
            rows = db.execute("SELECT rowid FROM fts WHERE fts MATCH ?", (expression,))
            hits = np.fromiter((r[0] for r in rows), dtype=np.int64)
        if mask is not None and len(hits):
            keep = mask[hits]
            hits = hits[keep]
            if scores is not None:
                scores = scores[keep]
        counted: np.ndarray | None = hits
    else:
        hits = np.flatnonzero(mask if mask is not None else cols.alive)
        counted = hits if mask is not None else None
    return hits, scores, counted


def _by_score(
    db: sqlite3.Connection, hits: np.ndarray, scores: np.ndarray, offset: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """``hits`` ``offset .. offset+size`` by score, equal scores by id (as the numpy plan
    orders them: the same page whichever way the index was built)."""
    if len(np.unique(scores)) == len(scores):  # no equal scores: no ids to read
        first = np.argsort(scores, kind="stable")[offset : offset + size]
        return hits[first], scores[first]
    ids = ",".join(str(int(r)) for r in hits)  # integers only
    found = dict(db.execute(f"SELECT rowid, id FROM docs WHERE rowid IN ({ids})"))  # noqa: S608
    order = sorted(range(len(hits)), key=lambda i: (scores[i], found[int(hits[i])]))
    chosen = order[offset : offset + size]
    return hits[chosen], scores[chosen]


def _ordered(
    db: sqlite3.Connection, cols: FacetColumns, hits: np.ndarray, order: str, offset: int, size: int
) -> np.ndarray:
    """Rowids of ``hits`` ``offset .. offset+size`` in the SQL ``order``: a few thousand
    candidates are ordered by SQLite (no sort ranks to build after a change), more by the
    columns' ranks."""
    if len(hits) > _SQL_ORDERED:
        return cols.page(db, hits, order, offset, size)
    if not len(hits):
        return hits
    ids = ",".join(str(int(r)) for r in hits)  # integers only
    sql = f"SELECT d.rowid FROM docs d WHERE d.rowid IN ({ids}) ORDER BY {order} LIMIT ? OFFSET ?"  # noqa: S608
    return np.array([r[0] for r in db.execute(sql, (size, offset))], dtype=np.int64)


def _rows(db: sqlite3.Connection, page: np.ndarray, scores: np.ndarray) -> list[Row]:
    if not len(page):
        return []
    ids = ",".join(str(int(r)) for r in page)  # integers only
    found: dict[int, Any] = {
        r[0]: r[1:]
        for r in db.execute(
            f"SELECT rowid, id, access, modified, display FROM docs WHERE rowid IN ({ids})"  # noqa: S608
        )
    }
    return [(*found[int(r)], float(s)) for r, s in zip(page, scores, strict=True)]
