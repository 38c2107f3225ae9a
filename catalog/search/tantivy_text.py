"""A Tantivy text engine mirrored from the SQLite index's FTS5 table.

The SQLite file stays the source of truth: the Tantivy index holds exactly the rows of its
``fts`` table (so only what FTS5 holds — never a restricted description), keyed by the
documents' rowid (:mod:`.mirror_layout`: schema, tokens, documents). A query is the FTS5
expression :func:`catalog.search.query.parse` produced, translated term for term
(:mod:`.mirror_query`); BM25 column weights become per-field boosts.

Each document also carries its facet values, one indexed fast field per facet
(:data:`catalog.search.counted.COLUMNS`), so a ranked query with facet filters is answered
inside Tantivy: the filters are term clauses of the query, the first page comes from
Tantivy's top-k collector and the facet counts from one terms aggregation per facet
column. No per-hit work is left to Python, which keeps a common word at a million
datasets in the tens of milliseconds (``docs/search-engine.md``).

After every SQLite commit :meth:`TantivyText.refresh` mirrors the change (rowids are never
reused, so "gone rowids" and "new rowids" describe it exactly), except facets rewritten in
place after a lab edit, which the writer names to :meth:`TantivyText.refresh`. On open, an
index whose document count, build stamp, count of in-place rewrites (``meta.rewrites``,
counted in the rewrite's transaction: a mirror that missed one is rebuilt) or layout
differs from SQLite's is rebuilt from the ``fts`` and ``facets`` tables; a build writes
the next mirror with :class:`~catalog.search.mirror_build.MirrorBuilder`.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sqlite3
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from catalog.errors import SearchIndexError
from catalog.search import mirror_layout
from catalog.search.counted import CountCache, Counts, column_value
from catalog.search.index import Moves
from catalog.search.mirror_build import MirrorBuilder, rows_of, rows_since
from catalog.search.mirror_layout import (
    LAYOUT,
    WRITER_HEAP,
    day_bounds,
    deleted_docs,
    document,
    open_index,
    schema,
    stamp,
    stamp_of,
)
from catalog.search.mirror_query import mirror_query
from catalog.search.mirror_vocab import MirrorVocabulary

__all__ = ["LAYOUT", "MAX_FACET_VALUES", "MirrorBuilder", "TantivyText", "day_bounds", "document"]

log = logging.getLogger(__name__)

#: Tantivy refuses an aggregation of more than 65,000 buckets; with more distinct facet
#: values than this, exact counts come from the numpy columns instead.
MAX_FACET_VALUES = 60_000
#: How much wider each next pass of a ranked top-k is when matches tie with the last place.
TIE_REACH = 16
#: The widest first pass of a ranked top-k without filters: up to it the first pass is
#: :data:`TIE_REACH` times the page (a top 336 costs ~0.3 ms more than a top 21 at 2M
#: documents where blocks are skipped, nothing more where they are not, while a second
#: pass for ties at the edge costs a whole pass), past it the page itself.
FIRST_REACH = 512
#: How many times deeper than the share of filtered matches needs the unfiltered top of a
#: ranked query with filters is read (:meth:`TantivyText._filtered`), and the deepest it
#: is read.
FILTERED_SPARE = 4.0
FILTERED_REACH = 8192
#: The most places a top hits aggregation is asked for (a deeper page is a top-k search).
TOP_HITS = 1000
#: Where the counts of a query not kept are aggregated while its page is taken
#: (:meth:`TantivyText.counting`): threads started when first needed, shared by every
#: mirror of the process.
_COUNTING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-count")


def _facets(filters: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """The facet filters that hold a value."""
    return {name: values for name, values in (filters or {}).items() if any(values)}


def _share_reach(k: int, share: float) -> float:
    """How deep the unfiltered top must be for filters passing ``share`` of the documents
    to leave ``k`` matches in it, :data:`FILTERED_SPARE` times over."""
    return FILTERED_SPARE * k / max(share, 1e-9)


def _rowids(searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]]) -> list[int]:
    """The rowids of search ``hits``."""
    if not hits:
        return []
    return [int(r) for r in searcher.fast_field_values("rowid", [a for _, a in hits])]  # type: ignore[arg-type]


class TantivyText:
    """The Tantivy mirror of one SQLite index's ``fts`` table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = schema()
        self.index: tantivy.Index | None = None
        self._known: set[int] | np.ndarray = set()
        #: Rowids whose facets were rewritten in place and are not mirrored yet.
        self.owed: set[int] = set()
        #: Totals and facet counts of recent queries, kept exact through refreshes.
        self.counts = CountCache()

    @property
    def known(self) -> set[int]:
        """The rowids the mirror holds (a set made on first use when the open was given
        them as an array: a restart does not pay for millions of Python ints)."""
        if not isinstance(self._known, set):
            self._known = set(self._known.tolist())
        return self._known

    @known.setter
    def known(self, rowids: set[int]) -> None:
        self._known = rowids

    def _open(self, fresh: bool) -> tantivy.Index:
        return open_index(self.path, self.schema, fresh)

    def staged_path(self) -> Path:
        """Where a build's :class:`MirrorBuilder` writes the next mirror."""
        return self.path.with_name(self.path.name + ".building")

    def adopt(self, staged: Path, db: sqlite3.Connection) -> None:
        """Swap in a mirror built by :class:`MirrorBuilder` for ``db``; if it does not hold
        exactly ``db``'s rows, it is rebuilt like any mirror in doubt."""
        self.close()
        if self.path.exists():
            shutil.rmtree(self.path)
        os.replace(staged, self.path)
        self.sync_with(db)

    def sync_with(
        self, db: sqlite3.Connection, rebuild: bool = False, live: np.ndarray | None = None
    ) -> None:
        """Open the mirror and make it hold exactly ``db``'s rows (rebuild if in doubt:
        the SQLite build stamp, row count or highest rowid differ). ``live``: ``db``'s
        rowids, sorted, when the caller has them (the facet columns on a restart)."""
        rows: Collection[int] = (
            live if live is not None else {r[0] for r in db.execute("SELECT rowid FROM docs")}
        )
        marker = self.path / "mirror.txt"
        ok = False
        if not rebuild and marker.exists():
            try:
                self.index = self._open(fresh=False)
                self.index.reload()
                ok = self.index.searcher().num_docs == len(rows) and marker.read_text() == stamp(
                    db, rows
                )
            except (ValueError, OSError) as exc:
                log.warning("tantivy index %s unreadable (%s); rebuilding", self.path, exc)
        kept = self.counts.take_for_recount()
        if ok:
            self._known = live if live is not None else set(rows)
        else:
            log.info("tantivy mirror %s: rebuilding it from the SQLite index", self.path)
            self.index = self._open(fresh=True)
            self.known = set()
            self.refresh(db, set(rows.tolist()) if isinstance(rows, np.ndarray) else set(rows))
        # what was asked before the (re)open is counted again, off the request path
        self.counts.recount(self._idx().searcher(), kept)

    def refresh(
        self,
        db: sqlite3.Connection,
        live: set[int] | None = None,
        rewritten: Collection[int] = (),
        moves: Moves | None = None,
    ) -> None:
        """Mirror the rows added and deleted in ``db`` since the last call, and the rows
        whose facets were ``rewritten`` in place (deleted and added again; owed until a
        refresh succeeds). What changed is ``moves`` (the rows the writes touched) when the
        caller took them, else the difference with ``live`` (``db``'s rowids, read when
        not given)."""
        index = self._idx()
        self.owed.update(rewritten)
        known = self.known
        if moves is not None:  # a set of millions is neither read nor copied
            gone = {r for r in moves.removed.tolist() if r in known}
            new = {r for r in moves.added.tolist() if r not in known}
        else:
            if live is None:
                live = {r[0] for r in db.execute("SELECT rowid FROM docs")}
            gone, new = known - live, live - known
        again = {r for r in self.owed if r in known and r not in gone}
        if not gone and not new and not again and (self.path / "mirror.txt").exists():
            return
        before = index.searcher()  # keeps the commit's removed rows readable for the counts
        writer = index.writer(heap_size=WRITER_HEAP)
        for rowid in gone | again:  # deletes apply to what was committed before them
            writer.delete_documents_by_term("rowid", rowid)
        rows = rows_since(db, min(new)) if new else iter(())
        for row in rows:
            if row[0] in new:
                writer.add_document(document(*row))
        for row in rows_of(db, sorted(again)):
            writer.add_document(document(*row))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        after = index.searcher()
        if not self.counts.apply(before, after, self.schema, gone | again, new | again):
            self.counts.recount(after, self.counts.take_for_recount())
        known.difference_update(gone)
        known.update(new)
        self.owed = set()
        top = db.execute("SELECT coalesce(max(rowid), 0) FROM docs").fetchone()[0]
        (self.path / "mirror.txt").write_text(stamp_of(db, len(known), int(top)))

    def vocabulary(self) -> MirrorVocabulary:
        """The mirror's vocabulary as it is now (query expansion's lookups)."""
        path = self.path
        return MirrorVocabulary(self._idx().searcher(), self.schema, lambda: deleted_docs(path))

    def _idx(self) -> tantivy.Index:
        if self.index is None:
            raise SearchIndexError("the tantivy search index is not open")
        return self.index

    def query(
        self,
        expression: str,
        filters: dict[str, list[str]] | None = None,
        days: tuple[int, int] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> tantivy.Query:
        """:func:`~catalog.search.mirror_query.mirror_query` over this mirror."""
        return mirror_query(self.schema, expression, filters, days, bbox)

    def match(
        self, expression: str, filters: dict[str, list[str]] | None = None, scored: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rowids (ascending) matching an FTS5 ``expression`` (and the facet ``filters``)
        and their FTS5-style scores (negated BM25: lower is better; zeros unless
        ``scored``: a sort by date or title needs none)."""
        query = self.query(expression, filters)
        searcher = self._idx().searcher()
        n = searcher.num_docs
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if not scored:  # in rowid order from the fast field: no scoring, no second lookup
            found = searcher.search(
                query, limit=n, count=False, order_by_field="rowid", order=tantivy.Order.Asc
            ).hits
            return np.fromiter((k for k, _ in found), np.int64, len(found)), np.zeros(len(found))
        hits = searcher.search(query, limit=n, count=False).hits
        if not hits:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        rowids = np.array(searcher.fast_field_values("rowid", [a for _, a in hits]), np.int64)
        scores = -np.array([s for s, _ in hits], dtype=np.float64)
        order = np.argsort(rowids, kind="stable")
        return rowids[order], scores[order]

    def ranked(
        self,
        expression: str,
        filters: dict[str, list[str]] | None,
        k: int,
        max_values: int,
        days: tuple[int, int] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        passing: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, int, dict[str, list[tuple[str, int]]]]:
        """The matches that take the first ``k`` places by relevance, their scores
        (negated BM25: lower is better), the total and the facet counts, all computed by
        Tantivy: ``(rowids, scores, total, {field: [(value, count)]})``; the caller orders
        them by score, then id. Every match scoring as the ``k``-th does is included, since
        id decides among them. ``max_values`` bounds the distinct facet values counted;
        pass at least how many exist and counts are exact. ``passing``: which of some
        rowids pass the facet filters and the date range (the same filters, read from the
        facet columns), for a first page read off the unfiltered query's top."""
        query = self.query(expression, filters, days, bbox)
        searcher = self._idx().searcher()
        k = max(1, k)
        counting = self.counting(searcher, query, (expression, days, bbox), filters, max_values)
        facets = _facets(filters)
        hits = None
        if passing is not None and bbox is None and (days is not None or facets):
            # a first, short top while the counts are under way; it settles a common word
            # under filters holding a good share of its matches (their shares of the
            # documents multiplied: a guess that facets are independent; a guess too low
            # leaves it to the conjunction), else the total sizes it
            share = math.prod(
                held / max(1, searcher.num_docs) for held in self._held(searcher, facets)
            )
            hits = self._filtered(searcher, expression, passing, k, None, share)
            if hits is None and _share_reach(k, share) <= FILTERED_REACH:
                total = counting.result()[0][0]
                hits = self._filtered(searcher, expression, passing, k, total, share)
        if hits is None:
            # top-k without counting, so Tantivy may skip blocks that cannot enter it; a
            # filtered query is a conjunction, which skips nothing: every match is scored
            # whatever the k, so the first pass is wide enough for most ties at the edge;
            # so is a bare query's unless the page is long: a wider top costs little more
            # where blocks are skipped, and nothing more where they are not (a prefix, a
            # phrase), while ties past a first pass of k (which ends tied) cost another
            narrowed = bool(facets) or days is not None or bbox is not None
            wide = narrowed or k * TIE_REACH <= FIRST_REACH
            reach = k * TIE_REACH if wide else k
            hits = searcher.search(query, limit=reach, count=False).hits
            while len(hits) == reach and len(hits) >= k and hits[-1][0] == hits[k - 1][0]:
                # ties may go further down; a top-k of thousands costs about what one of
                # twenty does (the pass over the postings dominates): a few wide steps
                reach *= TIE_REACH
                hits = searcher.search(query, limit=reach, count=False).hits
        (total, raw), _ = counting.result()
        if len(hits) >= k:
            edge = hits[k - 1][0]
            hits = [h for h in hits if h[0] >= edge]
        rowids = np.array(
            searcher.fast_field_values("rowid", [a for _, a in hits]) if hits else [], np.int64
        )
        scores = -np.array([s for s, _ in hits], dtype=np.float64)
        return rowids, scores, total, raw

    def _filtered(
        self,
        searcher: tantivy.Searcher,
        expression: str,
        passing: Callable[[np.ndarray], np.ndarray],
        k: int,
        total: int | None,
        share: float,
    ) -> list[tuple[float, tantivy.DocAddress]] | None:
        """The matches of ``expression`` that pass the filters (``passing``), best first,
        holding every one scoring at least as the ``k``-th does (``total`` of them in all;
        ``None``: not counted yet, a first try as deep as a ranked query's first pass or
        as the filters' ``share`` of the documents needs), read off the top of the
        unfiltered query; ``None`` when that top is too short to be sure.

        The unfiltered query is a disjunction of terms, whose top-k skips the blocks of
        postings that cannot enter it (block-max WAND), while the filtered one is a
        conjunction, which scores every match: at 2M documents a common word's top 1,100
        costs less than half of its top 21 within a date range, and its top 512 about
        half of its top 336 within a data space. The filters score nothing, so the scores
        are the word's, as :meth:`match` gives them (compared in
        ``tests/catalog/search/test_fast_paths.py``). Every match missing from the top
        scores at most as its last does, so when the ``k``-th passing match scores more,
        no passing match at least as good is missing; the top is taken
        :data:`FILTERED_SPARE` times as deep as the share of filtered matches needs."""
        if total == 0:
            return []
        if total is None:  # not counted yet: a first try, as deep as a ranked page's
            reach = max(FIRST_REACH, math.ceil(_share_reach(k, share)))
        else:
            reach = max(k, math.ceil(FILTERED_SPARE * k * searcher.num_docs / total))
        if reach > FILTERED_REACH:  # few filtered matches: the conjunction is the cheaper
            return None
        top = searcher.search(self.query(expression), limit=reach, count=False).hits
        kept = passing(np.array(_rowids(searcher, top), dtype=np.int64))
        found = [hit for hit, ok in zip(top, kept.tolist(), strict=True) if ok]
        if len(top) == reach and (len(found) < k or found[k - 1][0] <= top[-1][0]):
            return None
        return found

    def leading(
        self,
        expression: str,
        filters: dict[str, list[str]] | None,
        days: tuple[int, int] | None,
        sort: str,
        k: int,
        max_values: int,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> tuple[np.ndarray, int, dict[str, list[tuple[str, int]]]]:
        """The matches that take the first ``k`` places of a sort by date (newest first,
        undated last) or by title (``expression`` empty: every document), the total and
        the facet counts: ``(rowids, total, counts)``; the caller puts the rowids in order.

        Tantivy's top-k by the sort's fast field gives the places before the ``k``-th's
        key; the matches tied with that key are ordered by id, which breaks ties in every
        sort, so the first of them fill the rest (all of them when the key is a cut
        title). No per-match work in Python."""
        field = "day" if sort == "modified" else "sort_title"
        order = tantivy.Order.Desc if sort == "modified" else tantivy.Order.Asc
        query = self.query(expression, filters, days, bbox)
        searcher = self._idx().searcher()
        k = max(1, k)
        # counted now (not kept), the counts' pass also takes the top-k by date (a top
        # hits aggregation: it sorts by numbers only, so not by title), when the query is
        # a conjunction: a top-k search would pass over its matches again, skipping
        # nothing, while a top hits aggregation costs ~20 ns per match, more than a
        # top-k search of a bare word or of every document (2M: 12 ms against 4)
        lead_by = {
            "top_hits": {"size": k, "sort": [{"day": "desc"}], "docvalue_fields": ["rowid", "day"]}
        }
        narrow = field == "day" and k <= TOP_HITS
        narrow = narrow and self._narrow(searcher, expression, filters, days, bbox)
        counting = self.counting(
            searcher,
            query,
            (expression, days, bbox),
            filters,
            max_values,
            {"lead": lead_by} if narrow else None,
        )

        def by_field() -> list[tuple[Any, int]]:  # (sort key, rowid), first place first
            hits = searcher.search(query, limit=k, count=False, order_by_field=field, order=order)
            return list(zip([v for v, _ in hits.hits], _rowids(searcher, hits.hits), strict=True))

        top = None if narrow else by_field()  # taken while the counts are under way
        (total, raw), extra = counting.result()
        if extra is not None:
            top = [
                (int(h["docvalue_fields"]["day"][0]), int(h["docvalue_fields"]["rowid"][0]))
                for h in extra["lead"]["hits"]
            ]
        elif top is None:  # the counts were kept: no top hits came with them
            top = by_field()
        lead = [r for _, r in top]
        if len(lead) == k:
            edge = top[-1][0]
            lead = [r for v, r in top if v != edge]
            # a term of the inverted index, not a range over the fast field: its postings
            # (the few matches of one day or title) lead the intersection, where a range
            # would scan the whole column (at 2M documents 2.7 ms instead of 14.8)
            same = tantivy.Query.term_query(self.schema, field, edge)
            tied = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, same)]
            )
            cut = field == "sort_title" and len(str(edge)) > mirror_layout.TITLE_CHARS
            found = searcher.search(
                tied,
                limit=searcher.num_docs if cut else k - len(lead),
                count=False,
                order_by_field=None if cut else "ident",
                order=tantivy.Order.Asc,
            ).hits
            lead += _rowids(searcher, found)
        return np.sort(np.array(lead, np.int64)), total, raw

    def _narrow(
        self,
        searcher: tantivy.Searcher,
        expression: str,
        filters: dict[str, list[str]] | None,
        days: tuple[int, int] | None,
        bbox: tuple[float, float, float, float] | None,
    ) -> bool:
        """Whether the query is a conjunction of a range, or of a word and a facet filter,
        or of facet filters holding at most a quarter of the documents."""
        facets = _facets(filters)
        if days is not None or bbox is not None or (expression and facets):
            return True
        held = min(self._held(searcher, facets), default=searcher.num_docs)
        return bool(facets) and held * 4 <= searcher.num_docs

    @staticmethod
    def _held(searcher: tantivy.Searcher, facets: dict[str, list[str]]) -> list[int]:
        """How many documents hold a value of each facet filter (``facets``, each holding a
        value): at most that many pass it."""
        return [
            sum(searcher.doc_freq(*column_value(name, v)) for v in dict.fromkeys(values) if v)
            for name, values in facets.items()
        ]

    def counting(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        expression: object,
        filters: dict[str, list[str]] | None,
        max_values: int,
        extra: dict[str, Any] | None = None,
    ) -> Future[tuple[tuple[int, dict[str, list[tuple[str, int]]]], dict[str, Any] | None]]:
        """The total and the facet counts of ``query``: one aggregation over every match
        (the cost of a common word), kept for the next page, the next sort and the next
        asker of the same query, and kept exact through refreshes (:mod:`.counted`); with
        the results of the ``extra`` aggregations when the counts were aggregated now
        (``None`` when they were kept). Done when the counts were kept; else under way on
        another thread while the caller takes its page (Tantivy frees the GIL in both: on
        two cores a first asking costs the longer of the two, not their sum)."""
        # ``max_values`` (at least the distinct values: every bucket is counted) is not
        # part of the key: complete counts are the same whoever asks
        key = (expression, tuple(sorted((k, tuple(v)) for k, v in (filters or {}).items())))
        kept = self.counts.kept(key)
        if kept is not None:
            done: Future[tuple[Counts, dict[str, Any] | None]] = Future()
            done.set_result((kept, None))
            return done
        return _COUNTING.submit(self.counts.get_with, searcher, key, query, max_values, extra)

    def close(self) -> None:
        self.counts.stop()
        self.index = None
        self.known = set()
