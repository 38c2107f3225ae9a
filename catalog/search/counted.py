"""The totals and facet counts of recent queries, kept exact while the index changes.

Counting is what a common word costs inside Tantivy: one terms aggregation over every
match (hundreds of thousands at two million datasets), while its first page is a top-k
that skips most of them. So the counts of a query are kept (:class:`CountCache`) for the
next page, the next sort and the next asker, and a change to the mirror does not throw
them away: the rows a commit removed are counted once more on the searcher from before
the commit and the rows it added on the one after it (an aggregation over the query AND
those few rowids), and the difference is applied to every kept entry. The counts stay
exactly what a fresh aggregation would give (``tests/catalog/search/test_fast_paths.py``
compares them after changes). A change too large to apply this way (a source re-indexed
whole) empties the cache, and the queries that were kept are counted again on a
background thread (:meth:`CountCache.recount`), most asked first, so that the next asker
finds them ready.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tantivy

from catalog.search.index import FACET_FIELDS

log = logging.getLogger(__name__)

#: Joins a facet's field and value into one term of :data:`OTHER` (the unit separator).
SEP = "\x1f"
#: The fast field counting each facet's values: one column per facet, mostly one value
#: per document, which Tantivy reads about twice as fast as one column holding every
#: ``field<SEP>value`` pair of the document (measured at 500k documents).
COLUMNS = {name: f"fv_{name}" for name in FACET_FIELDS}
#: The fast field of facets outside :data:`FACET_FIELDS` (``field<SEP>value`` terms).
OTHER = "fv__other"
#: The facet counted through :data:`LAB_SETS` rather than its own column.
LAB = "lab"
#: The fast field counting the ``lab`` facet: a document's labs, sorted, as one JSON list
#: (:func:`lab_set`). A dataset is offered by about ten labs and the sets repeat (one per
#: set of terms: 7 sets at 100k generated datasets), so one value a document is counted
#: instead of ten; the multi-valued ``fv_lab`` column took two thirds of a common word's
#: aggregation (100k documents: 6.4 of 8.5 ms). ``fv_lab`` still answers filters, and
#: counts when there are more sets than one aggregation may hold.
LAB_SETS = "fv_labsets"
#: Facets of few values (a handful, or a few dozen countries), counted through
#: :data:`SMALL_SETS` rather than their own columns.
SMALL = ("data_space", "country", "access", "ai_training", "has_sample", "has_bbox")
#: The fast field counting the :data:`SMALL` facets: a document's values of them as one
#: term (:func:`small_set`), held by every document, so the sum of its counts is also the
#: total. Each column an aggregation reads costs about the same whatever its values (at
#: 2M documents, ~2 ms for a common word's 900,000 matches), and the combinations of these
#: values repeat: one column and a total read from it instead of six columns and a count
#: took a common word's aggregation from 34 to 18 ms. Their own columns still answer
#: filters, and counts when there are more combinations than one aggregation may hold.
SMALL_SETS = "fv_smallsets"
#: A query's total and its facet counts ``{field: [(value, count)]}``.
Counts = tuple[int, dict[str, list[tuple[str, int]]]]
#: Queries kept.
CAPACITY = 256
#: Changed rows up to which a commit's difference is applied to the kept counts; past it
#: they are counted again in the background.
DELTA_ROWS = 5_000
#: Kept queries a commit's difference is applied to, the most asked first; the others
#: are dropped (each costs two small aggregations per commit, ~2 ms of CPU at 500k
#: documents: 256 would make every publish pay half a second).
DELTA_QUERIES = 32
#: Buckets a difference or a recount may hold (Tantivy refuses more than 65,000; the
#: caller never asks past 60,000 distinct values).
BUCKETS = 65_000


def column_value(name: str, value: str) -> tuple[str, str]:
    """The fast field and term that count facet ``name``'s ``value``."""
    column = COLUMNS.get(name)
    return (column, value) if column is not None else (OTHER, f"{name}{SEP}{value}")


def lab_set(labs: Iterable[str]) -> str | None:
    """The :data:`LAB_SETS` term of a document offered by ``labs`` (``None``: by none)."""
    found = tuple(labs)
    return _as_set(found) if found else None


def small_set(pairs: Iterable[tuple[str, str]]) -> str:
    """The :data:`SMALL_SETS` term of a document whose :data:`SMALL` facets hold ``pairs``
    (``(field, value)``; a term even for none)."""
    return _as_set(tuple(pairs))


@lru_cache(maxsize=4096)
def _as_set(items: tuple[object, ...]) -> str:
    """``items`` without repeats, sorted, as one JSON list: the same few sets, document
    after document of a build."""
    return json.dumps(sorted(set(items)), ensure_ascii=False, separators=(",", ":"))


def spec(size: int, other: bool = True) -> dict[str, object]:
    """The aggregation of each facet's counts (``size`` buckets; the lab sets and the
    :data:`SMALL` sets up to :data:`BUCKETS`, which also give the total); ``other``: count
    :data:`OTHER` too (it holds a term)."""
    out: dict[str, object] = {
        column: _terms(column, size)
        for name, column in COLUMNS.items()
        if name != LAB and name not in SMALL
    }
    if other:
        out[OTHER] = _terms(OTHER, size)
    out[LAB_SETS] = _terms(LAB_SETS, BUCKETS)
    out[SMALL_SETS] = _terms(SMALL_SETS, BUCKETS)
    return out


def _terms(column: str, size: int) -> dict[str, object]:
    return {"terms": {"field": column, "size": max(1, size)}}


_NAMES = {column: name for name, column in COLUMNS.items()}


def _aggregated(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    size: int,
    extra: dict[str, Any] | None = None,
) -> tuple[int, dict[str, int], dict[str, Any]]:
    """The total and ``{field<SEP>value: count}`` of ``query``, and the results of the
    ``extra`` aggregations asked for in the same pass."""
    # a term dictionary without a term: no document has a facet outside FACET_FIELDS
    other = bool(searcher.terms_with_prefix(OTHER, "", limit=1))
    agg = searcher.aggregate(query, {**spec(size, other), **(extra or {})})
    sets, small = agg.pop(LAB_SETS), agg.pop(SMALL_SETS)
    # more sets than buckets: count those facets' own columns (and the total) instead
    labs_over, small_over = bool(sets["sum_other_doc_count"]), bool(small["sum_other_doc_count"])
    again: dict[str, object] = {}
    if labs_over:
        again[COLUMNS[LAB]] = _terms(COLUMNS[LAB], size)
    if small_over:
        again.update((COLUMNS[name], _terms(COLUMNS[name], size)) for name in SMALL)
        again["n"] = {"value_count": {"field": "rowid"}}
    if again:
        agg.update(searcher.aggregate(query, again))
    buckets: dict[str, int] = {}
    if not labs_over:
        for b in sets["buckets"]:
            for lab in json.loads(b["key"]):
                _add(buckets, f"{LAB}{SEP}{lab}", int(b["doc_count"]))
    if small_over:
        total = int(agg.pop("n")["value"] or 0)
    else:
        total = 0
        for b in small["buckets"]:
            total += int(b["doc_count"])
            for name, value in json.loads(b["key"]):
                _add(buckets, f"{name}{SEP}{value}", int(b["doc_count"]))
    for column, found in agg.items():
        if column in (extra or {}):
            continue
        name = _NAMES.get(column)
        for b in found["buckets"]:
            term = str(b["key"]) if name is None else f"{name}{SEP}{b['key']}"
            buckets[term] = int(b["doc_count"])
    return total, buckets, {name: agg[name] for name in extra or {}}


def _add(buckets: dict[str, int], term: str, count: int) -> None:
    buckets[term] = buckets.get(term, 0) + count


@dataclass
class _Entry:
    query: tantivy.Query
    total: int
    buckets: dict[str, int]
    asks: int = 1
    grouped: Counts | None = None

    def counts(self) -> Counts:
        if self.grouped is None:
            raw: dict[str, list[tuple[str, int]]] = {}
            for term, n in self.buckets.items():
                name, _, value = term.partition(SEP)
                raw.setdefault(name, []).append((value, n))
            self.grouped = (self.total, raw)
        return self.grouped


class CountCache:
    """Totals and facet counts of up to :data:`CAPACITY` queries, each under a key that
    names the query, least recently used dropped first. Every count is complete (the
    aggregation is asked for at least as many buckets as there are facet values), so a
    kept answer is the answer whatever the asker's bucket bound."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        #: Moves when the kept counts stop describing the mirror (emptied, or applied).
        self.version = 0
        #: How many answers came from the cache, and how many were aggregated.
        self.hits = 0
        self.misses = 0
        self._recounting: threading.Thread | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def kept(self, key: Hashable) -> Counts | None:
        """The counts kept under ``key`` (an ask, as :meth:`get_with` counts one), or
        ``None`` (nothing counted: the caller aggregates with :meth:`get_with`)."""
        with self._lock:
            return self._hit(key)

    def _hit(self, key: Hashable) -> Counts | None:
        """:meth:`kept`, the lock held."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        entry.asks += 1
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.counts()

    def get(
        self, searcher: tantivy.Searcher, key: Hashable, query: tantivy.Query, size: int
    ) -> Counts:
        """The counts of ``query`` (``size`` buckets), kept or aggregated now."""
        return self.get_with(searcher, key, query, size)[0]

    def get_with(
        self,
        searcher: tantivy.Searcher,
        key: Hashable,
        query: tantivy.Query,
        size: int,
        extra: dict[str, Any] | None = None,
    ) -> tuple[Counts, dict[str, Any] | None]:
        """:meth:`get`, and when the counts are aggregated now, the results of the
        ``extra`` aggregations run in the same pass (``None`` when they were kept: the
        caller asks for what it needs itself)."""
        with self._lock:
            kept = self._hit(key)
            if kept is not None:
                return kept, None
            version = self.version
        total, buckets, extras = _aggregated(searcher, query, size, extra)
        entry = _Entry(query, total, buckets)
        with self._lock:
            self.misses += 1
            if version == self.version:  # no change landed while it was counted
                self._keep(key, entry)
        return entry.counts(), extras if extra else None

    def _keep(self, key: Hashable, entry: _Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def stop(self) -> None:
        """Stop a running recount and wait for it (the mirror closes); what is kept stays
        for :meth:`take_for_recount`."""
        with self._lock:
            self.version += 1
        self.wait()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.version += 1

    def apply(
        self,
        before: tantivy.Searcher,
        after: tantivy.Searcher,
        schema: tantivy.Schema,
        removed: Iterable[int],
        added: Iterable[int],
    ) -> bool:
        """Bring every kept count from ``before`` a commit to ``after`` it: minus the
        ``removed`` rowids' counts on ``before``, plus the ``added`` ones' on ``after``
        (a rewritten row is in both); only the :data:`DELTA_QUERIES` most asked stay.
        ``False`` (and nothing changed) when the change is larger than
        :data:`DELTA_ROWS`: :meth:`recount` then counts the kept queries again."""
        gone, new = sorted(set(removed)), sorted(set(added))
        with self._lock:
            self.version += 1
            if not self._entries:
                return True
            if len(gone) + len(new) > DELTA_ROWS:
                return False
            ranked = sorted(self._entries, key=lambda k: -self._entries[k].asks)
            for key in ranked[DELTA_QUERIES:]:
                del self._entries[key]
            for entry in self._entries.values():
                for searcher, rowids, sign in ((before, gone, -1), (after, new, 1)):
                    if rowids:
                        self._shift(entry, searcher, schema, rowids, sign)
                entry.grouped = None
            return True

    @staticmethod
    def _shift(
        entry: _Entry,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        rowids: list[int],
        sign: int,
    ) -> None:
        among = tantivy.Query.term_set_query(schema, "rowid", rowids)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, entry.query), (tantivy.Occur.Must, among)]
        )
        total, buckets, _ = _aggregated(searcher, query, BUCKETS)
        entry.total += sign * total
        for term, n in buckets.items():
            left = entry.buckets.get(term, 0) + sign * n
            if left:
                entry.buckets[term] = left
            else:
                entry.buckets.pop(term, None)

    def take_for_recount(self) -> list[tuple[Hashable, tantivy.Query]]:
        """Empty the cache, handing back what it kept, most asked first."""
        with self._lock:
            kept = sorted(self._entries.items(), key=lambda kv: -kv[1].asks)
            self._entries.clear()
            self.version += 1
        return [(key, e.query) for key, e in kept]

    def recount(
        self, searcher: tantivy.Searcher, queries: list[tuple[Hashable, tantivy.Query]]
    ) -> None:
        """Count ``queries`` on ``searcher`` on a background thread, keeping each answer
        unless the mirror changed meanwhile (a later change starts its own recount)."""
        if not queries:
            return
        with self._lock:
            version = self.version

        def run() -> None:
            for key, query in queries:
                with self._lock:
                    if version != self.version:
                        return
                    if key in self._entries:
                        continue
                try:
                    total, buckets, _ = _aggregated(searcher, query, BUCKETS)
                except ValueError as exc:  # a closed or replaced index, too many values
                    log.info("recounting kept search counts stopped: %s", exc)
                    return
                with self._lock:
                    if version != self.version:
                        return
                    self._keep(key, _Entry(query, total, buckets, asks=0))

        self._recounting = threading.Thread(target=run, name="search-recount", daemon=True)
        self._recounting.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a running recount (tests, benchmarks)."""
        thread = self._recounting
        if thread is not None:
            thread.join(timeout)
