"""Stored facts (catalog/facts/table.py), on both dialects: a full offers build that copies
what the search projection stored gives exactly the rows a build reading the RDF store
gives, and the stored rows stop counting as soon as they could be older than a record (a
change in place, a new version, other data spaces, a read cut short)."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

import pyoxigraph as ox
import pytest
import sqlalchemy as sa

from bench.offers_bench import corpus_shaped
from catalog import lifeline
from catalog.dataspaces import add_data_space, make_data_space
from catalog.db import Database, upgrade
from catalog.db.schema import (
    dataset_facts,
    facts_sources,
    offer_labs,
    offer_resolutions,
    offer_state,
    offer_terms,
)
from catalog.demo import load_demo
from catalog.errors import StoreError
from catalog.facts import DatasetFacts
from catalog.facts import table as facts_table
from catalog.facts.read import catalogue_facts, record_facts
from catalog.facts.table import FactsTable
from catalog.harvest import overrides as steward
from catalog.labs import load_registry
from catalog.offers import codec, offers_for, resolving
from catalog.offers.follower import BULK_CHANGES, OffersFollower
from catalog.offers.live import LiveOffers
from catalog.search import SearchService
from catalog.search.project import project_graph
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.catalog.legacy import second_record

N = 90
DCT_ACCESS = "http://purl.org/dc/terms/accessRights"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"


@pytest.fixture
def cat(db_settings: Settings) -> Iterator[Catalogue]:
    if db_settings.database_url is not None:
        with Database.postgresql(db_settings.database_url) as fresh:
            upgrade(fresh)
    with Catalogue.open(db_settings) as c:
        load_demo(c)
        c.load(corpus_shaped(N), fmt="turtle", source="shaped", replace=True)
        load_registry(c)
        yield c


def _project(cat: Catalogue, *names: str) -> None:
    """What the search build does to each source: one bulk projection (it stores facts)."""
    for src in cat.sources():
        if not names or src.name in names:
            list(project_graph(cat, src.name, src.graph))


def _usable(cat: Catalogue) -> set[str]:
    table = FactsTable(cat)
    return {s.name for s in cat.sources() if table.usable(s.name, s.graph) is not None}


def _offers(cat: Catalogue) -> tuple[OffersFollower, dict[str, Any]]:
    """A first offers build from nothing stored: every dataset's stored facts (as text) and
    offers (as each dataset's answer gives them), and which (signature, lab) are stored."""
    with cat.database.transaction() as conn:
        for t in (offer_terms, offer_resolutions, offer_labs, offer_state):
            conn.execute(t.delete())
    follower = OffersFollower(cat)
    assert follower.rebuild()
    with cat.database.read() as conn:
        terms = {
            r.dataset_id: (r.source, r.iri, r.signature, r.facts)
            for r in conn.execute(sa.select(offer_terms))
        }
        resolved = set(
            conn.execute(sa.select(offer_resolutions.c.signature, offer_resolutions.c.lab_id))
        )
    offers = {}
    for ident in terms:
        found = follower.store.dataset(ident)
        assert found is not None
        offers[ident] = (found[0], {o.lab.id: o for o in found[1]})
    return follower, {"terms": terms, "resolved": resolved, "offers": offers}


def _plain(cat: Catalogue) -> dict[str, Any]:
    """The same build with nothing usable stored: every fact read from the RDF store."""
    with cat.database.transaction() as conn:
        conn.execute(facts_sources.delete())
    follower, rows = _offers(cat)
    assert follower.records_read == len(rows["terms"])
    return rows


def test_a_build_copying_stored_facts_stores_what_reading_the_store_stores(
    cat: Catalogue,
) -> None:
    _project(cat)
    assert _usable(cat) == {s.name for s in cat.sources()}
    copied, rows = _offers(cat)
    assert copied.records_read == 0  # not one record read from the RDF store
    assert len(rows["terms"]) == cat.count() >= N
    assert len(rows["resolved"]) > 0
    assert rows == _plain(cat)


def test_the_search_build_stores_the_facts_of_every_source(cat: Catalogue) -> None:
    service = SearchService.open(cat, attach=False)
    try:
        assert _usable(cat) == {s.name for s in cat.sources()}
        stored = FactsTable(cat).usable("shaped", cat.graphs.current("shaped"))
        assert stored is not None and stored.datasets == N
    finally:
        service.close()
    live = LiveOffers.start(cat, background=False)
    try:
        health = [f for f in catalogue_facts(cat, "shaped") if f.health is not None]
        assert health
        for facts in health:
            answer = live.dataset_offers(facts.dataset_id)
            direct = offers_for(cat, facts.dataset_id)  # read from the record itself
            assert [(o.lab.id, o.verdict, o.usable_for_ai_training) for o in answer.offers] == [
                (o.lab.id, o.verdict, o.usable_for_ai_training) for o in direct.offers
            ]
    finally:
        live.close()


def test_a_change_in_place_voids_the_stored_facts_of_its_source(cat: Catalogue) -> None:
    _project(cat)
    facts = next(f for f in catalogue_facts(cat, "shaped") if f.access_level == "public")
    steward.set_field(cat, "shaped", facts.iri, DCT_ACCESS, [ox.NamedNode(ACCESS + "NON_PUBLIC")])
    assert "shaped" not in _usable(cat)
    assert _usable(cat) == {s.name for s in cat.sources()} - {"shaped"}
    _, rows = _offers(cat)
    changed = record_facts(cat, facts.dataset_id)
    assert changed.access_level == "non_public"
    stored = rows["terms"][facts.dataset_id][3]
    assert '"non_public"' in stored and '"NON_PUBLIC"' in stored
    assert rows == _plain(cat)
    _project(cat, "shaped")  # the next bulk read stores them again
    assert "shaped" in _usable(cat)


def test_an_upsert_and_a_delete_void_them_too(cat: Catalogue) -> None:
    _project(cat)
    cat.load(corpus_shaped(1), fmt="turtle", source="shaped")  # an upsert, in place
    assert "shaped" not in _usable(cat)
    _project(cat, "shaped")
    assert "shaped" in _usable(cat)
    gone = next(iter(catalogue_facts(cat, "shaped"))).dataset_id
    cat.delete(gone)
    assert "shaped" not in _usable(cat)
    _, rows = _offers(cat)
    assert gone not in rows["terms"]


def test_a_new_version_or_other_data_spaces_void_them(cat: Catalogue) -> None:
    _project(cat)
    cat.load(corpus_shaped(N // 2), fmt="turtle", source="shaped", replace=True)
    assert "shaped" not in _usable(cat)  # the stored rows are the old version's
    _project(cat, "shaped")
    before = _usable(cat)
    assert "shaped" in before
    add_data_space(cat.documents, make_data_space("mobility-x", {"en": "Mobility X"}, ["TRAN"]))
    assert _usable(cat) == set()  # derived with other data spaces: none counts


def _stored_sources(cat: Catalogue) -> tuple[set[str], set[str]]:
    """The sources with stored rows, and those with a marker."""
    with cat.database.read() as conn:
        rows = {r.source for r in conn.execute(sa.select(dataset_facts.c.source).distinct())}
        markers = {r.source for r in conn.execute(sa.select(facts_sources.c.source))}
    return rows, markers


def test_a_removed_source_leaves_no_stored_rows(cat: Catalogue) -> None:
    _project(cat)
    rows, markers = _stored_sources(cat)
    assert "shaped" in rows and "shaped" in markers
    usable = _usable(cat)
    cat.remove_source("shaped")
    assert _stored_sources(cat) == (rows - {"shaped"}, markers - {"shaped"})
    assert _usable(cat) == usable - {"shaped"}  # the others' rows stay usable


def test_a_read_cut_short_or_a_missing_row_stores_nothing_usable(cat: Catalogue) -> None:
    graph = cat.graphs.current("shaped")
    assert graph is not None
    writer = FactsTable(cat).writer("shaped", graph)
    writer.add(list(catalogue_facts(cat, "shaped"))[:10])  # never finished
    assert "shaped" not in _usable(cat)
    _project(cat, "shaped")
    assert "shaped" in _usable(cat)
    with cat.database.transaction() as conn:
        one = conn.execute(sa.select(dataset_facts.c.dataset_id).limit(1)).scalar()
        conn.execute(dataset_facts.delete().where(dataset_facts.c.dataset_id == one))
    assert "shaped" not in _usable(cat)


def test_records_under_one_id_in_two_sources_are_merged_as_the_store_reading_merges(
    cat: Catalogue,
) -> None:
    facts = next(f for f in catalogue_facts(cat, "shaped") if f.access_level == "public")
    second_record(cat, facts.dataset_id)
    _project(cat)
    assert {"legacy", "shaped"} <= _usable(cat)
    _, rows = _offers(cat)
    stored = rows["terms"][facts.dataset_id][3]
    assert "DUPLICATE_RECORD" in stored and "held by two records" in stored
    assert rows == _plain(cat)


def test_a_damaged_stored_row_is_an_error_that_names_the_dataset(cat: Catalogue) -> None:
    _project(cat, "shaped")
    with cat.database.transaction() as conn:
        one = conn.execute(sa.select(dataset_facts.c.dataset_id).limit(1)).scalar()
        conn.execute(
            dataset_facts.update()
            .where(dataset_facts.c.dataset_id == one)
            .values(facts='{"terms": {"access_level": 7}}')
        )
    table = FactsTable(cat)
    stored = table.stored({s.name: s.graph for s in cat.sources()})
    with pytest.raises(StoreError) as caught:
        stored.colliding([str(one)])
    assert str(one) in str(caught.value)


def test_resolving_on_worker_processes_stores_what_resolving_here_stores(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _project(cat)
    here = _offers(cat)[1]
    monkeypatch.setattr(resolving, "PARALLEL_FROM", 1)  # this catalogue's few terms too
    monkeypatch.setattr(resolving, "CHUNK", 3)
    monkeypatch.setattr(
        cat, "settings", cat.settings.model_copy(update={"offers_build_workers": 2})
    )
    with caplog.at_level(logging.WARNING):
        assert _offers(cat)[1] == here
    assert "resolving in-process" not in caplog.text  # the workers did their share


def _fail_start() -> None:
    raise RuntimeError("this worker cannot start")


def _broken_pool(workers: int, **kwargs: object) -> ProcessPoolExecutor:
    """A pool whose workers die on start, as when a process cannot be spawned."""
    kwargs["initializer"], kwargs["initargs"] = _fail_start, ()
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, **kwargs)  # type: ignore[arg-type]


def test_workers_that_cannot_start_leave_the_resolving_to_this_process(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _project(cat)
    here = _offers(cat)[1]
    monkeypatch.setattr(resolving, "PARALLEL_FROM", 1)
    monkeypatch.setattr(resolving, "CHUNK", 3)
    monkeypatch.setattr(lifeline, "worker_pool", _broken_pool)
    monkeypatch.setattr(
        cat, "settings", cat.settings.model_copy(update={"offers_build_workers": 1})
    )
    with caplog.at_level(logging.WARNING):
        assert _offers(cat)[1] == here
    assert caplog.text.count("offers build workers failed; resolving in-process") == 1


def _uids_left_out(facts: DatasetFacts) -> DatasetFacts:
    """Stored facts share their terms' text by signature, which leaves a policy's uid out:
    a dataset reads the uid of the first dataset stored with its terms."""
    return replace(facts, policies=tuple(replace(p, uid=None) for p in facts.policies))


def test_a_follower_applying_a_large_publish_reads_the_stored_facts(cat: Catalogue) -> None:
    _project(cat)
    follower, _ = _offers(cat)
    many = BULK_CHANGES + 50
    records = corpus_shaped(many).replace(b"bench.example/", b"big.example/")
    cat.load(records, fmt="turtle", source="big")  # a harvest of a new source
    _project(cat, "big")  # the search follower's bulk projection of it
    read = follower.records_read
    follower.catch_up()
    assert follower.records_read == read  # not one record read from the store
    with cat.database.read() as conn:
        signatures = {
            r.dataset_id: r.signature
            for r in conn.execute(sa.select(offer_terms.c.dataset_id, offer_terms.c.signature))
        }
    assert len(signatures) == cat.count()
    plain = _plain(cat)
    assert signatures == {ident: row[2] for ident, row in plain["terms"].items()}
    for ident in signatures:
        found = follower.store.dataset(ident)
        assert found is not None
        facts, offers = plain["offers"][ident]
        assert _uids_left_out(found[0]) == _uids_left_out(facts), ident
        assert {o.lab.id: o for o in found[1]} == offers, ident


def test_another_derivation_voids_them(cat: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    _project(cat)
    assert _usable(cat) == {s.name for s in cat.sources()}
    monkeypatch.setattr(facts_table, "DERIVATION", facts_table.DERIVATION + 1)
    monkeypatch.setattr(facts_table, "_code", [])  # derived by other code: none counts
    assert _usable(cat) == set()
    _project(cat)
    assert _usable(cat) == {s.name for s in cat.sources()}


def test_a_source_of_more_rows_than_a_batch_is_stored_whole(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facts_table, "BATCH", 7)  # 90 datasets: thirteen transactions
    _project(cat, "shaped")
    table = FactsTable(cat)
    usable = table.usable("shaped", cat.graphs.current("shaped"))
    assert usable is not None and usable.datasets == N
    stored = table.stored_of(usable)
    read = {f.dataset_id: f for f in catalogue_facts(cat, "shaped")}
    assert stored.keys() == read.keys()
    for ident, facts in read.items():
        assert _uids_left_out(stored[ident]) == _uids_left_out(facts), ident


def test_more_distinct_terms_than_are_kept_encode_and_decode_alike(
    cat: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codec, "TERMS_KEPT", 2)
    facts = list(catalogue_facts(cat, "shaped"))
    assert len({f.signature() for f in facts}) > 2
    encode, read = codec.FactsEncoder(), codec.FactsReader()
    for f in facts:
        key, text = encode(f)
        assert len(encode._terms) <= 2 and len(read._terms) <= 2
        assert _uids_left_out(read(text, key)) == _uids_left_out(f), f.dataset_id
