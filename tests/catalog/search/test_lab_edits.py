"""A lab edit moves the ``lab`` and ``ai_training`` facets of the datasets it changed, and
nothing else: the search index follows it from the change feed, on a thread of its own,
without re-projecting a dataset (once per text engine; offers resolved directly, and from
the stored offers followed in this process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.labs import create_lab, edit_lab, get_lab, load_registry
from catalog.offers.facets import offer_facets as direct_offer_facets
from catalog.offers.live import LiveOffers
from catalog.search import SearchService, labs
from catalog.search.index import IndexFile
from catalog.search.project import provider_pairs
from catalog.search.providers import OfferFacets
from catalog.service import Catalogue
from tests.catalog.search.test_columns import assert_same

DATA = Path(__file__).resolve().parents[1] / "offers" / "data" / "datasets.ttl"
LAB = "bsc-datalab"
FIELDS = ("lab", "ai_training")

Values = dict[str, frozenset[tuple[str, str]]]


def expected(catalogue: Catalogue, ids: list[str]) -> Values:
    """The offer facet values each dataset should have: resolved directly, now."""
    facets = direct_offer_facets(catalogue, ids)
    return {i: frozenset(provider_pairs(facets.get(i, {}))) for i in ids}


def indexed(search: SearchService, ids: list[str]) -> Values:
    values = search.facet_values(ids, FIELDS)
    return {i: frozenset((f, v) for f, vs in values[i].items() for v in vs) for i in ids}


def rowids(search: SearchService) -> dict[str, int]:
    return {i: r for i, r in search.index.db().execute("SELECT id, rowid FROM docs")}


def lab_hits(search: SearchService, lab: str, q: str = "") -> set[str]:
    return {h.id for h in search.search(q, filters={"lab": [lab]}, limit=100).items}


@pytest.fixture
def registry(catalogue: Catalogue) -> Catalogue:
    catalogue.load_file(DATA, source="fixtures", replace=True)
    load_registry(catalogue)
    return catalogue


@pytest.fixture(params=["direct", "stored"])
def provider(request: pytest.FixtureRequest, registry: Catalogue) -> Iterator[OfferFacets]:
    """The offer facets resolved directly (the CLI), or from the stored offers that this
    process follows (the API's default, ``inline``)."""
    if request.param == "direct":
        yield OfferFacets()
        return
    live = LiveOffers.start(registry, background=False)
    try:
        yield OfferFacets(live)
    finally:
        live.close()


@pytest.fixture
def search(registry: Catalogue, provider: OfferFacets) -> Iterator[SearchService]:
    service = SearchService.open(registry, (provider,))
    yield service
    service.close()


def edit(catalogue: Catalogue, ids: list[str], changes: dict[str, object]) -> Values:
    """Edit :data:`LAB`; the facet values the datasets ``ids`` had just before."""
    was = expected(catalogue, ids)
    edit_lab(catalogue, LAB, changes, staff_factory=get_lab(catalogue, LAB).factory)
    return was


@pytest.mark.parametrize(
    "spaces",
    [
        ["health", "language", "research", "earth-observation"],  # adds a data space
        ["health", "research"],  # removes one
    ],
)
def test_a_lab_edit_moves_the_facets_of_exactly_the_datasets_it_changed(
    registry: Catalogue, search: SearchService, spaces: list[str]
) -> None:
    ids = sorted(rowids(search))
    assert indexed(search, ids) == expected(registry, ids)
    mark, rows = len(search.projected), rowids(search)
    was = edit(registry, ids, {"data_spaces": spaces})
    assert search.later.wait(30)  # the publish listener hands the edit to a thread
    now = expected(registry, ids)
    moved = {i for i in ids if was[i] != now[i]}
    assert moved and len(moved) < len(ids)
    assert list(search.lab_updates)[-1] == ((LAB,), frozenset(moved))
    assert list(search.projected)[mark:] == []  # nothing re-projected
    assert rowids(search) == rows  # nor re-inserted: facet rows rewritten in place
    assert indexed(search, ids) == now
    offered = {i for i in ids if ("lab", LAB) in now[i]}
    assert lab_hits(search, LAB) == offered
    counts = {v["value"]: v["count"] for v in search.search("", limit=1).facets["lab"]}
    assert counts[LAB] == len(offered)
    assert labs.pending(search.index.db()) == {}
    assert IndexFile.feed_position(search.index.db()) == registry.changes.head()


def test_moved_datasets_keep_their_text_in_either_engine(
    registry: Catalogue, search: SearchService
) -> None:
    """A moved dataset's words still find it, with the new facet as a filter (answered
    inside Tantivy for a text query, by the numpy columns without one)."""
    spaces = ["health", "language", "research", "earth-observation"]
    edit(registry, sorted(rowids(search)), {"data_spaces": spaces})
    assert search.later.wait(30)
    (_, moved), *_ = reversed(search.lab_updates)
    assert {i for i in lab_hits(search, LAB, "EO")} == {i for i in moved if i.startswith("eo-")}
    assert len(search.search("EO").items) == 2


def test_an_edit_that_moves_no_offer_rewrites_nothing(
    registry: Catalogue, search: SearchService
) -> None:
    rows = rowids(search)
    edit(registry, sorted(rows), {"fees": "10 EUR a day"})
    assert search.later.wait(30)
    assert list(search.lab_updates)[-1] == ((LAB,), frozenset())
    assert rowids(search) == rows


LAB_CASES: list[dict[str, Any]] = [
    {"q": ""},
    {"q": "", "filters": {"lab": [LAB]}},
    {"q": "", "filters": {"lab": [LAB], "ai_training": ["true"]}},
    {"q": "EO", "filters": {"lab": [LAB]}},
    {"q": "corpus"},
    {"q": "", "filters": {"lab": [LAB]}, "sort": "title"},
]


def test_after_edits_the_engine_answers_as_sql_does(
    registry: Catalogue, search: SearchService
) -> None:
    """The numpy columns and the Tantivy mirror hold the rewritten facets exactly: every
    answer (hits, total, facet counts) equals the SQL oracle's over the index file, after
    edits that add, then remove, offers of the lab."""
    ids = sorted(rowids(search))
    for spaces in (
        ["health", "language", "research", "earth-observation"],
        ["health", "research"],
        ["earth-observation"],
    ):
        edit(registry, ids, {"data_spaces": spaces})
        assert search.later.wait(30)
        search.sync()
        for case in LAB_CASES:
            assert_same(search, case)


@pytest.mark.parametrize("settings", ["tantivy"], indirect=True)  # the mirror is Tantivy's
def test_a_mirror_that_missed_a_rewrite_is_rebuilt_on_open(registry: Catalogue) -> None:
    """Facets rewritten in the index file while no mirror was told (a process killed
    between the two): the rewrite count in the mirror's stamp differs, so the next open
    rebuilds the Tantivy mirror, and a text query filtered on the facet finds the change."""
    assert registry.settings.search_text_engine == "tantivy"
    search = SearchService.open(registry, (OfferFacets(),), attach=False)
    target = next(i for i in rowids(search) if i.startswith("eo-open"))
    search.close()
    index = IndexFile(search.index.path, search.index.text)
    assert index.open_verified()
    db = index.db()
    db.execute("BEGIN")
    IndexFile.replace_facets(db, target, FIELDS, [("lab", "no-such-lab")])
    IndexFile.count_rewrites(db)
    db.execute("COMMIT")
    index.close()
    search = SearchService.open(registry, (OfferFacets(),), attach=False)
    try:
        assert lab_hits(search, "no-such-lab", "EO") == {target}  # answered by Tantivy
    finally:
        search.close()


def test_labs_edited_together_are_applied_in_one_update(
    registry: Catalogue, provider: OfferFacets
) -> None:
    """Two labs created on another replica (no listener here) reach this index's next
    search as one update, which compares the datasets of both once."""
    search = SearchService.open(registry, (provider,), attach=False)
    try:
        ids = sorted(rowids(search))
        was = expected(registry, ids)
        for lab_id, space in (("bsc-eo-lab", "earth-observation"), ("bsc-lang-lab", "language")):
            lab = {"id": lab_id, "name": lab_id, "factory": "bsc", "data_spaces": [space]}
            create_lab(registry, {**lab, "access_modes": ["Download"]}, staff_factory="bsc")
        mark = len(search.projected)
        assert lab_hits(search, "bsc-eo-lab")
        now = expected(registry, ids)
        moved = frozenset(i for i in ids if was[i] != now[i])
        assert list(search.lab_updates) == [(("bsc-eo-lab", "bsc-lang-lab"), moved)]
        assert list(search.projected)[mark:] == []
        assert indexed(search, ids) == now
    finally:
        search.close()
