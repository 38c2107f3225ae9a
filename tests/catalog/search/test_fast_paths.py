"""The fast paths of issue 18 against the plain ones, on the real Tantivy mirror: a text
query sorted by date or title matches in rowid order without scoring; a query's total and
facet counts are kept until the mirror changes. Same ids in the same order, same counts."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tantivy

from bench.search_bench import turtle
from catalog.labs import load_registry
from catalog.search import SearchService, counted, mirror_layout, plan, tantivy_text
from catalog.search import query as qparse
from catalog.search.plan import ORDERS
from catalog.search.providers import OfferFacets
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
        load_registry(cat)  # the labs: each dataset is offered by several
        svc = SearchService.open(cat, (OfferFacets(),))
        try:
            yield svc
        finally:
            svc.close()


def _expression(service: SearchService, q: str) -> str:
    query = SearchQuery.parse(service.settings, q)
    expression = qparse.expand(service.vocabulary(service.index.db()), query.terms).expression
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


def test_counts_are_kept_and_follow_a_change(service: SearchService) -> None:
    text = service.text
    assert text is not None
    first = service.search("hospital", limit=5)
    assert len(text.counts) >= 1
    again = service.search("hospital", limit=5, cursor=first.next_cursor)
    assert (again.total, again.facets) == (first.total, first.facets)
    assert text.counts.hits >= 1
    text.counts.clear()  # the plain path: aggregate again
    plain = service.search("hospital", limit=5)
    assert (plain.total, plain.facets) == (first.total, first.facets)
    # a publish moves the mirror: the kept counts move with it
    service.catalogue.load(turtle(600, 1, seed=9, tag="hospital "), fmt="turtle", source="more")
    hits = text.counts.hits
    after = service.search("hospital", limit=5)
    assert text.counts.hits == hits + 1  # answered from the kept counts...
    assert after.total == first.total + 1
    text.counts.clear()
    assert service.search("hospital", limit=5).facets == after.facets  # ...which are exact


def test_at_most_capacity_queries_are_kept_the_oldest_dropped_first(
    service: SearchService,
) -> None:
    text = service.text
    assert text is not None
    text.counts.clear()
    capacity = text.counts.capacity
    for n in range(capacity + 1):  # one query more than are kept
        service.search("hospital", filters={"country": [f"X{n:03d}"]}, limit=1)
    assert len(text.counts) == capacity
    kept = [str(key) for key in text.counts._entries]
    assert not any("X000" in key for key in kept)  # the oldest went
    assert any(f"X{capacity:03d}" in key for key in kept)  # the newest stays


#: Queries whose counts are kept while the index changes: bare, with facets, with dates,
#: with a box, without text.
KEPT = [
    ("hospital", {}, (None, None, None)),
    ("patients", {"data_space": ["health"]}, (None, None, None)),
    ("energia", {"access": ["public"], "theme": ["HEAL", "ENVI"]}, (None, None, None)),
    ("hospital", {}, ("2015", "2019-06", None)),
    ("", {"country": ["DEU", "FRA"]}, (None, None, (0.0, 40.0, 10.0, 50.0))),
    ("", {}, (None, None, None)),
]


def _kept_against_plain(service: SearchService) -> int:
    """Every :data:`KEPT` query's total and counts, as served (kept counts) and by the
    numpy plan (every match counted now): equal. Returns how many came from the cache."""
    text = service.text
    assert text is not None
    db = service.index.db()
    cols = service._columns(db)  # caught up with the writes, as a search does
    hits = text.counts.hits
    for q, filters, ranges in KEPT:
        expression = _expression(service, q) if q else None
        args = (db, cols, expression, filters, ranges, "relevance", 0, 5, text)
        _, fast_total, fast_counts = plan.execute(*args)
        _, plain_total, plain_counts = plan.execute(*args, plan.Restriction())
        assert fast_total == plain_total, (q, filters, ranges)
        assert _counts(fast_counts) == _counts(plain_counts), (q, filters, ranges)
    return text.counts.hits - hits


def test_kept_counts_equal_fresh_ones_after_every_kind_of_change(
    service: SearchService,
) -> None:
    """Counts kept through additions, replacements, removals and facets rewritten in
    place (a lab edit) equal the plain plan's, and are served from the cache."""
    from catalog.search.index import IndexFile

    assert _kept_against_plain(service) == 0  # counted now, kept
    assert _kept_against_plain(service) == len(KEPT)
    cat = service.catalogue
    cat.load(turtle(600, 40, seed=5, tag="hospital "), fmt="turtle", source="more")
    assert _kept_against_plain(service) == len(KEPT)  # datasets added
    changed = turtle(600, 20, seed=6).replace(b"ar:PUBLIC", b"ar:RESTRICTED")
    cat.load(changed, fmt="turtle", source="more", replace=True)
    assert _kept_against_plain(service) == len(KEPT)  # replaced, 20 dropped
    cat.remove_source("more")
    assert _kept_against_plain(service) == len(KEPT)  # a source removed
    db = service.index.db()
    rows = [r[0] for r in db.execute("SELECT id FROM docs ORDER BY rowid LIMIT 30")]
    rewritten = set()
    with service.index.lock:
        db.execute("BEGIN")
        for ident in rows:
            found = IndexFile.replace_facets(db, ident, ["theme"], [("theme", "TECH")])
            assert found is not None
            rewritten.add(found[0])
        IndexFile.count_rewrites(db)
        db.execute("COMMIT")
        service._changed(rewritten)
    assert _kept_against_plain(service) == len(KEPT)  # facets rewritten in place


def test_a_large_change_recounts_the_kept_queries_in_the_background(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``DELTA_ROWS`` changed rows the kept queries are counted again on a thread,
    most asked first; then served, and exact. A reopened mirror does the same."""
    from catalog.search import counted

    text = service.text
    assert text is not None
    _kept_against_plain(service)
    monkeypatch.setattr(counted, "DELTA_ROWS", 3)
    service.catalogue.load(turtle(600, 10, seed=5), fmt="turtle", source="more")
    text.counts.wait(30)
    assert len(text.counts) == len(KEPT)
    assert _kept_against_plain(service) == len(KEPT)
    text.sync_with(service.index.db(), rebuild=True)  # a rebuilt mirror: counted again
    text.counts.wait(30)
    assert _kept_against_plain(service) == len(KEPT)


def _ties(count: int) -> bytes:
    """Datasets that tie with each other on everything a sort reads: the same title, and
    the same modification day on all but every fifth (which has none); every third has a
    bounding box (a point on every sixth), the boxes marching east and north."""
    out = ["@prefix dct: <http://purl.org/dc/terms/> .\n",
           "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n",
           "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"]  # fmt: skip
    for i in range(count):
        modified = "" if i % 5 == 0 else ' ; dct:modified "2018-05-05"^^xsd:date'
        if i % 3 == 0:
            west, south = -10 + i, 35 + i / 2
            shape = (
                f"POINT({west} {south})"
                if i % 6 == 0
                else f"POLYGON(({west} {south},{west + 5} {south},{west + 5} {south + 5},"
                f"{west} {south + 5},{west} {south}))"
            )
            modified += f' ; dct:spatial [ dcat:bbox "{shape}" ]'
        out.append(
            f"<https://ties.example/ds/{i}> a dcat:Dataset ; "
            f'dct:title "Zyxward hospital admissions"@en ; dcat:keyword "hospital"@en{modified} .\n'
        )
    return "".join(out).encode()


#: Bounding boxes: none, one over a few boxes, one whose west edge is a box's east edge
#: and whose south edge a point's latitude (touching counts as intersecting).
BOXES = [None, (0.0, 40.0, 10.0, 50.0), (-2.0, 41.5, 30.0, 60.0)]
#: Date filters as users write them (years, months, days; open at either end).
RANGES = [
    (None, None),
    ("2015", None),
    (None, "2019-06"),
    ("2016-03-01", "2020-12"),
    ("2018-05-05", "2018-05-05"),
    ("2018", "2018"),
]


@pytest.mark.parametrize(
    ("sort", "title_chars", "sql_ordered", "tie_reach", "first_reach"),
    [
        ("relevance", None, None, None, None),
        ("relevance", None, None, 2, None),  # ties past each wider pass of a top-k
        ("relevance", None, None, None, 0),  # a bare query's first pass: the page alone
        ("relevance", None, None, 2, 0),
        ("modified", None, None, None, None),
        ("title", None, None, None, None),
        ("title", 8, None, None, None),
        ("modified", None, 5, None, None),  # more candidates than SQLite orders: the ranks
    ],
)
def test_tantivy_sorts_and_date_ranges_equal_the_numpy_plan(
    service: SearchService,
    sort: str,
    title_chars: int | None,
    sql_ordered: int | None,
    tie_reach: int | None,
    first_reach: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sorted pages and date filters answered inside Tantivy (top-k by a fast field plus the
    matches tied with the last place; a range over the day) against the plain plan
    (every match handed to numpy): the same ids in the same order on every page, the same
    total, the same facet counts — across ties on day and title and dates missing."""
    service.catalogue.load(_ties(40), fmt="turtle", source="ties")
    assert service.search("zyxward", limit=1).total == 40  # the columns follow the load
    text = service.text
    assert text is not None
    db, cols = service.index.db(), service.columns
    if title_chars is not None:  # titles cut in the key: ties on a cut title are all read
        monkeypatch.setattr(mirror_layout, "TITLE_CHARS", title_chars)
        text.sync_with(db, rebuild=True)
    if sql_ordered is not None:
        monkeypatch.setattr(plan, "_SQL_ORDERED", sql_ordered)
    if tie_reach is not None:
        monkeypatch.setattr(tantivy_text, "TIE_REACH", tie_reach)
    if first_reach is not None:
        monkeypatch.setattr(tantivy_text, "FIRST_REACH", first_reach)
    compared = 0
    no_text = [("", {}), ("", {"theme": ["HEAL"], "access": ["public", "restricted"]})]
    for q, filters in [*CASES, ("zyxward", {}), *no_text]:
        expression = _expression(service, q) if q else None
        for (lo, hi), box in [(r, None) for r in RANGES] + [((None, None), b) for b in BOXES]:
            for offset, size in ((0, 10), (7, 10), (30, 25), (0, 2000)):
                args = (db, cols, expression, filters, (lo, hi, box), sort, offset, size, text)
                fast_rows, fast_total, fast_counts = plan.execute(*args)
                plain_rows, plain_total, plain_counts = plan.execute(*args, plan.Restriction())
                fast_ids, plain_ids = [r[0] for r in fast_rows], [r[0] for r in plain_rows]
                assert fast_ids == plain_ids, (q, lo, hi, box, offset)  # equal scores by id
                assert fast_total == plain_total, (q, lo, hi)
                assert _counts(fast_counts) == _counts(plain_counts), (q, lo, hi)
                compared += len(fast_ids)
    assert compared > 1000


def _counts(raw: dict[str, list[tuple[str, int]]]) -> dict[str, dict[str, int]]:
    return {name: dict(pairs) for name, pairs in raw.items() if pairs}


def test_ties_straddle_the_page_edge(service: SearchService) -> None:
    """The 40 tied datasets fill page after page: each page by date continues exactly where
    the last stopped (no tied dataset twice, none lost), the undated ones last."""
    service.catalogue.load(_ties(40), fmt="turtle", source="ties")
    seen: list[str] = []
    cursor = None
    while True:
        page = service.search("zyxward", sort="modified", limit=6, cursor=cursor)
        seen += [h.id for h in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 40
    every = service.search("zyxward", sort="modified", limit=40).items
    assert [h.id for h in every] == seen
    assert [h.modified for h in every] == ["2018-05-05"] * 32 + [None] * 8  # undated last
    assert seen[:32] == sorted(seen[:32]) and seen[32:] == sorted(seen[32:])  # ties by id


def test_a_change_keeps_the_most_asked_queries(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit's difference is applied to the ``DELTA_QUERIES`` most asked kept queries
    (each costs two aggregations per commit); the others are dropped, counted when asked."""
    from catalog.search import counted

    text = service.text
    assert text is not None
    _kept_against_plain(service)
    for _ in range(3):  # two queries asked more often than the others
        service.search("hospital", limit=1)
        service.search("patients", filters={"data_space": ["health"]}, limit=1)
    monkeypatch.setattr(counted, "DELTA_QUERIES", 2)
    service.catalogue.load(turtle(600, 3, seed=5), fmt="turtle", source="more")
    assert service.search("hospital", limit=1).total > 0  # catches up
    kept = {key[0][0] for key in text.counts._entries}
    assert len(kept) == 2
    assert _kept_against_plain(service) >= 2  # the two kept, still exact


#: Facet filters of a ranked query read off the unfiltered top: none, a data space (a
#: quarter of the fixture), two facets (narrow), a value no document holds.
FILTERED = [
    {},
    {"data_space": ["health"]},
    {"theme": ["HEAL"], "access": ["public", "restricted"]},
    {"data_space": ["nowhere"]},
]


@pytest.mark.parametrize("first_reach", [1, None], ids=["short first try", "first try"])
@pytest.mark.parametrize("spare", [0.01, 0.3, 4])
def test_filtered_ranked_top_equals_the_conjunction(
    service: SearchService, spare: float, first_reach: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ranked query with facet filters or a date range read off the top of the
    unfiltered query, its candidates checked against the facet columns
    (``TantivyText._filtered``: a first try before the total is counted, then one sized
    by it) against the conjunction of word and filters (the path it replaces): the same
    matches with the same scores, at every depth of that top; too short a top falls back
    to the conjunction."""
    service.catalogue.load(_ties(40), fmt="turtle", source="ties")
    assert service.search("zyxward", limit=1).total == 40  # the columns follow the load
    text, cols = service.text, service.columns
    assert text is not None
    searcher = text._idx().searcher()
    monkeypatch.setattr(tantivy_text, "FILTERED_SPARE", spare)
    if first_reach is not None:
        monkeypatch.setattr(tantivy_text, "FIRST_REACH", first_reach)
    answers: list[tuple[int, int | None]] = []  # (found, total), -1 found: not sure
    by_facets = []  # what was found under facet filters alone
    filtered = text._filtered

    def spy(searcher: Any, expression: str, *args: Any) -> list[Any] | None:
        found = filtered(searcher, expression, *args)
        answers.append((-1 if found is None else len(found), args[2]))
        given = args[0].keywords
        if given["filters"] and given["modified_from"] is given["modified_to"] is None:
            by_facets.append(-1 if found is None else len(found))
        return found

    monkeypatch.setattr(text, "_filtered", spy)
    compared = 0
    for q in ("hospital", "zyxward", "energia", "patients"):
        expression = _expression(service, q)
        for (lo, hi), filters in [(r, f) for r in RANGES for f in FILTERED][1:]:
            days = mirror_layout.day_bounds(lo, hi)
            passing = partial(
                cols.passing, filters=filters, modified_from=lo, modified_to=hi, bbox=None
            )
            for k in (1, 3, 11, 40, 300):
                fast = text.ranked(expression, filters, k, 60_000, days, None, passing)
                with monkeypatch.context() as m:
                    m.setattr(tantivy_text, "FILTERED_REACH", 0)
                    plain = text.ranked(expression, filters, k, 60_000, days, None, passing)
                got = sorted(zip(fast[0].tolist(), fast[1].tolist(), strict=True))
                want = sorted(zip(plain[0].tolist(), plain[1].tolist(), strict=True))
                assert got == want, (q, lo, hi, filters, k)
                assert fast[2:] == plain[2:]
                compared += len(got)
    assert searcher.num_docs > 600 and compared > 1000
    sized = [(found, total) for found, total in answers if total is not None]
    if spare > 0.1:  # the facet filters alone were answered off the unfiltered top too
        assert any(found > 0 for found in by_facets)
    if first_reach is None:  # the first try settles the fixture's words, uncounted
        assert any(found > 0 and total is None for found, total in answers)
        return
    if spare < 1:  # a top too short to be sure: the conjunction answered
        assert any(found < 0 for found, _ in sized)
    if spare > 0.1:  # a top short of some passing matches, deep enough for the first k
        assert any(0 <= found < total for found, total in sized)


def test_the_facet_columns_say_of_a_few_rows_what_their_mask_says(
    service: SearchService,
) -> None:
    """``FacetColumns.passing`` (read at a few rows) against ``mask`` (every row), for every
    kind of filter, on rows live, deleted and past the last one."""
    service.catalogue.load(_ties(40), fmt="turtle", source="ties")
    service.catalogue.load(turtle(0, 30, seed=3), fmt="turtle", source="gen", replace=True)
    assert service.search("zyxward", limit=1).total == 40
    cols = service.columns
    rng = random.Random(7)
    rows = np.array([rng.randrange(cols.cap + 50) for _ in range(400)], dtype=np.int64)
    assert (rows >= cols.cap).any() and (~cols.alive[rows[rows < cols.cap]]).any()
    checked = 0
    for (lo, hi), filters in [(r, f) for r in RANGES for f in FILTERED]:
        for box in BOXES:
            mask = cols.mask(filters, lo, hi, box)
            got = cols.passing(rows, filters, lo, hi, box)
            inside = rows < cols.cap
            want = inside.copy()
            if mask is not None:
                want[inside] = mask[rows[inside]]
            assert got.tolist() == want.tolist(), (lo, hi, filters, box)
            checked += int(got.sum())
    assert checked > 100


@pytest.mark.parametrize("buckets", [None, 1], ids=["sets", "too many sets"])
def test_counts_read_from_sets_equal_the_numpy_plan(
    service: SearchService, buckets: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``lab`` facet is counted from one set of labs per document, the facets of few
    values and the total from one set of those values per document; or, when there are
    more sets than an aggregation may hold, from the facets' own columns and a count:
    either way every count and the total equal the numpy plan's, with and without text
    and filters."""
    text = service.text
    assert text is not None
    searcher = text._idx().searcher()
    every = text.query("")
    sets = {
        column: searcher.aggregate(every, {"s": {"terms": {"field": column, "size": 1000}}})["s"][
            "buckets"
        ]
        for column in (counted.LAB_SETS, counted.SMALL_SETS)
    }
    assert all(len(found) >= 2 for found in sets.values())  # so that one bucket is too few
    # every document holds a set of the small facets, even one of none of them
    assert sum(b["doc_count"] for b in sets[counted.SMALL_SETS]) == searcher.num_docs
    if buckets is not None:
        monkeypatch.setattr(counted, "BUCKETS", buckets)
    db, cols = service.index.db(), service.columns
    lab = str(json.loads(sets[counted.LAB_SETS][-1]["key"])[0])
    cases = [*CASES, ("", {}), ("", {"lab": [lab]}), ("energia", {"lab": [lab]})]
    for q, filters in [*cases, ("energia", {"has_sample": ["false"], "data_space": ["health"]})]:
        expression = _expression(service, q) if q else None
        args = (db, cols, expression, filters, (None, None, None), "relevance", 0, 5, text)
        _, fast_total, fast_counts = plan.execute(*args)
        _, plain_total, plain_counts = plan.execute(*args, plan.Restriction())
        assert fast_total == plain_total, (q, filters)
        fast, plain = _counts(fast_counts), _counts(plain_counts)
        for name in ("lab", *counted.SMALL):
            assert fast.get(name) == plain.get(name), (q, filters, name)
        if not q and not filters:  # values enough to be told apart
            assert {name: len(fast[name]) > 1 for name in ("lab", "access", "country")} == {
                "lab": True,
                "access": True,
                "country": True,
            }


def test_a_facet_outside_the_known_ones_is_counted_once_a_document_holds_it(
    tmp_path: Path,
) -> None:
    """A provider's facet outside ``FACET_FIELDS`` lives in the mirror's ``fv__other``
    column, which counts are read from only when its term dictionary holds a term: a
    mirror without one counts nothing there, one with it counts what the numpy plan does."""
    given: dict[str, str] = {}

    def tier(catalogue: Catalogue, ids: list[str]) -> dict[str, dict[str, Any]]:
        out = {}
        for ident in ids:
            n = int(ident.split("-")[0])  # the generated datasets' ids start with their number
            if n % 3 == 0:
                given[ident] = "gold" if n % 2 else "silver"
                out[ident] = {"tier": given[ident]}
        return out

    settings = get_settings(home=tmp_path / "home", search_text_engine="tantivy")
    with Catalogue.open(settings) as cat:
        cat.load(turtle(0, 200, seed=5), fmt="turtle", source="gen", replace=True)
        svc = SearchService.open(cat, (tier,))
        try:
            text, db, cols = svc.text, svc.index.db(), svc.columns
            tiers = {v: list(given.values()).count(v) for v in ("gold", "silver")}
            assert text is not None and min(tiers.values()) > 0
            assert text._idx().searcher().terms_with_prefix(counted.OTHER, "", limit=1)
            for q in ("", "hospital"):
                expression = _expression(svc, q) if q else None
                for filters in ({}, {"access": ["public"]}):
                    args = (db, cols, expression, filters, (None, None, None), "relevance", 0, 5)
                    _, fast_total, fast = plan.execute(*args, text)
                    _, plain_total, plain = plan.execute(*args, text, plan.Restriction())
                    assert (fast_total, _counts(fast)) == (plain_total, _counts(plain))
            _, total, every = plan.execute(
                *(db, cols, None, {}, (None, None, None)), "relevance", 0, 5, text
            )
            assert _counts(every).get("tier") == tiers and total == 200
        finally:
            svc.close()


def _boxed(count: int, seed: int) -> bytes:
    """Datasets with boxes of every kind a box filter meets: points, on grid lines too;
    boxes of a few fine cells, of many (indexed by coarse cells), of the whole world
    (by neither); the same box given twice; some without a box."""
    rng = random.Random(seed)
    out = ["@prefix dct: <http://purl.org/dc/terms/> .\n",
           "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"]  # fmt: skip
    for i in range(count):
        kind = i % 6
        if kind == 0:  # a point, every other one on grid lines
            x = float(rng.randrange(-90, 90) * 2) if i % 12 == 0 else rng.uniform(-180, 180)
            y = float(rng.randrange(-45, 45) * 2) if i % 12 == 0 else rng.uniform(-90, 90)
            shape = f"POINT({x} {y})"
        else:
            width = (rng.uniform(0.1, 3), rng.uniform(5, 40), 360.0, 0.0, 20.0)[kind - 1]
            height = min(width, 170.0) if kind != 4 else rng.uniform(0.5, 2)
            west = -180.0 if kind == 3 else rng.uniform(-180, 180 - width)
            south = -85.0 if kind == 3 else rng.uniform(-85, 85 - height)
            if kind == 5:  # edges on coarse grid lines
                west, south = float(rng.randrange(-8, 8) * 20), float(rng.randrange(-4, 4) * 20)
            east, north = west + width, south + height
            shape = (
                f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},"
                f"{west} {south}))"
            )
        spatial = "" if i % 7 == 3 else f' ; dct:spatial [ dcat:bbox "{shape}" ]'
        out.append(
            f"<https://boxed.example/ds/{i}> a dcat:Dataset ; "
            f'dct:title "Boxed hospital {i}"@en{spatial} .\n'
        )
    return "".join(out).encode()


def _query_boxes(rng: random.Random) -> list[tuple[float, float, float, float]]:
    """Filters users draw: small and large boxes, points, boxes on grid lines, one too
    wide for the grid's cells, one whose west is east of its east (nothing to narrow)."""
    boxes: list[tuple[float, float, float, float]] = [
        (0.0, 40.0, 10.0, 50.0),
        (2.0, 2.0, 2.0, 2.0),
        (-20.0, -20.0, 20.0, 20.0),
        (-180.0, -90.0, 180.0, 90.0),
        (30.0, 10.0, -30.0, 20.0),
    ]
    for _ in range(40):
        w, h = rng.choice([0.0, 0.5, 3.0, 12.0, 50.0]), rng.choice([0.0, 1.0, 4.0, 30.0])
        west, south = rng.uniform(-180, 180 - w), rng.uniform(-90, 90 - h)
        if rng.random() < 0.3:  # on fine grid lines
            west, south = float(round(west / 2) * 2), float(round(south / 2) * 2)
        boxes.append((west, south, west + w, south + h))
    return boxes


def test_box_filters_read_through_grid_cells_equal_the_numpy_plan(
    tmp_path: Path,
) -> None:
    """A box filter led by the grid cells its box touches (``cells``: fine cells, coarse
    cells for wide boxes, one term for the widest) against the numpy plan, which checks
    every box: the same datasets, totals and counts for every filter, with and without
    text; and the cells narrow (a small box reads few of the boxes)."""
    settings = get_settings(home=tmp_path / "home", search_text_engine="tantivy")
    with Catalogue.open(settings) as cat:
        cat.load(_boxed(900, seed=4), fmt="turtle", source="boxed", replace=True)
        svc = SearchService.open(cat)
        try:
            text, db, cols = svc.text, svc.index.db(), svc.columns
            assert text is not None
            searcher = text._idx().searcher()
            kinds = {
                term[:1]: n
                for term, n in searcher.terms_with_prefix(mirror_layout.CELLS, "", limit=10_000)
            }
            assert set(kinds) == {"f", "c", "a"}  # every kind of box was indexed
            compared = matched = 0
            for box in _query_boxes(random.Random(9)):
                for q in ("", "hospital"):
                    expression = _expression(svc, q) if q else None
                    args = (db, cols, expression, {}, (None, None, box), "relevance", 0, 1000)
                    fast_rows, fast_total, fast = plan.execute(*args, text)
                    plain_rows, plain_total, plain = plan.execute(*args, text, plan.Restriction())
                    assert sorted(r[0] for r in fast_rows) == sorted(r[0] for r in plain_rows), box
                    assert (fast_total, _counts(fast)) == (plain_total, _counts(plain)), box
                    compared += 1
                    matched += fast_total
            assert compared == 90 and matched > 1000
            small = mirror_layout.query_cells((0.0, 40.0, 10.0, 50.0))
            assert small is not None
            near = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.term_query(text.schema, "cells", c))
                    for c in small
                ]
            )
            boxes = sum(1 for i in range(900) if i % 7 != 3)
            assert searcher.search(near, limit=1, count=True).count < boxes / 4
        finally:
            svc.close()
