"""Offers on many replicas: two catalogues on one Oxigraph server and one PostgreSQL answer
offers from the stored rows, which `offers` jobs of a worker keep in step with the feed.

Each replica answers from its in-process mirror of the rows, compared with the stored ones at
most once per ``offers_freshness_s``: 0 here, so B compares before every answer and sees A's
change as soon as the worker stored it (the window itself is tested at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import sqlalchemy as sa

from catalog.db import Database, upgrade
from catalog.db.schema import offer_labs, offer_resolutions, offer_state, offer_terms
from catalog.harvest import overrides
from catalog.ids import dataset_id
from catalog.jobs import JobQueue
from catalog.jobs.worker import OFFERS, Worker
from catalog.labs import edit_lab, load_registry
from catalog.offers import offers_for
from catalog.offers.follower import OffersFollower
from catalog.offers.live import LiveOffers
from catalog.offers.resolution import MAY_NOT, MAY_OFFER
from catalog.service import Catalogue
from catalog.settings import Settings
from catalog.store.sparql import SparqlStore
from tests.catalog.offers.held import HeldSnapshots
from tests.catalog.store.conftest import OxigraphServer, sparql_settings
from tests.pg_server import PostgresServer

DATA = Path(__file__).parent / "data" / "datasets.ttl"
EO_IRI = "https://example.org/ds/eo-open"
EO = dataset_id(EO_IRI)
ACCESS_RIGHTS = "http://purl.org/dc/terms/accessRights"
NON_PUBLIC = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
OFFERED = ("may_offer", "may_offer_under_conditions")


@dataclass
class Replicas:
    a: Catalogue
    b: Catalogue
    live_a: LiveOffers
    settings: Settings


@pytest.fixture
def pg(postgres: PostgresServer) -> Iterator[str]:
    url = postgres.new_database()
    with Database.postgresql(url) as fresh:
        upgrade(fresh)
    yield url
    postgres.drop_database(url)


def run_worker(settings: Settings) -> list[str]:
    """One worker process's turns until nothing is due: the kinds of the jobs it ran."""
    with Database.open(settings) as db:
        turns = Worker(settings, db, worker_id="w1").run(once=True)
    return [t.job.kind for t in turns if t.job is not None and t.outcome == "done"]


@pytest.fixture
def replicas(oxigraph_server: OxigraphServer, pg: str, tmp_path: Path) -> Iterator[Replicas]:
    def settings(name: str) -> Settings:
        return sparql_settings(
            oxigraph_server,
            tmp_path / name,
            database_url=pg,
            workers="queue",
            offers_freshness_s=0,  # compare with the stored rows before every answer
        )

    first = settings("a")
    store = SparqlStore.from_settings(first)
    store.update("DROP ALL")
    store.close()
    with Catalogue.open(first) as a, Catalogue.open(settings("b")) as b:
        a.load_file(DATA, source="fixtures", replace=True)
        load_registry(a)
        live_a = LiveOffers(a)  # what the API of replica A runs (api/services.py)
        a.on_publish.insert(0, live_a.on_publish)
        live_a.build()  # nothing stored yet: queues the first build for the workers
        assert not live_a.follows
        assert not live_a.ready
        assert run_worker(first) == [OFFERS]
        assert live_a.ready
        try:
            yield Replicas(a, b, live_a, first)
        finally:
            live_a.close()


def _verdicts(live: LiveOffers, ident: str) -> dict[str, str]:
    return {o.lab.id: o.verdict for o in live.dataset_offers(ident).offers}


def _snapshot(db: Database) -> dict[str, list[tuple[object, ...]]]:
    with db.read() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(sa.select(t)))
            for t in (offer_terms, offer_resolutions, offer_labs)
        }


def test_a_fresh_replica_answers_from_the_table_at_once(replicas: Replicas) -> None:
    live_b = LiveOffers(replicas.b)  # no build: B only reads what the worker stored
    assert live_b.ready
    for ident in (EO, dataset_id("https://example.org/ds/lang-nc")):
        assert live_b.dataset_offers(ident).to_dict() == offers_for(replicas.b, ident).to_dict()
    offers, total = live_b.lab_datasets("brain-datalab")
    assert EO in {o.dataset for o in offers}
    assert total == len(offers)
    assert live_b.follower.records_read == 0
    assert live_b.follower.recomputed == 0


def test_a_restarted_replica_answers_from_the_tables_while_its_rows_load(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    live_b = LiveOffers(replicas.b)
    held = HeldSnapshots(live_b.store, monkeypatch)
    try:
        assert live_b.ready
        assert held.started.wait(30)
        lang = dataset_id("https://example.org/ds/lang-nc")
        for ident in (EO, lang):
            assert live_b.dataset_offers(ident).to_dict() == offers_for(replicas.b, ident).to_dict()
        early = live_b.lab_datasets("brain-datalab")
        assert EO in {o.dataset for o in early[0]}
        assert "brain-datalab" in live_b.facets(replicas.b, [EO])[EO]["lab"]

        overrides.set_field(
            replicas.a, "fixtures", EO_IRI, ACCESS_RIGHTS, [ox.NamedNode(NON_PUBLIC)]
        )
        assert run_worker(replicas.settings) == [OFFERS]
        assert not live_b.mirror.loaded
        assert _verdicts(live_b, EO)["brain-datalab"] == MAY_NOT  # the tables, fresh
        assert live_b.dataset_offers(EO).to_dict() == offers_for(replicas.b, EO).to_dict()
    finally:
        held.release.set()
    assert live_b.mirror.wait_loaded(30)
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_NOT
    assert live_b.lab_datasets("brain-datalab")[1] == early[1] - 1
    live_b.close()


def test_non_public_on_a_reaches_b_after_the_follower_ran(replicas: Replicas) -> None:
    live_b = LiveOffers(replicas.b)
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_OFFER
    assert "brain-datalab" in live_b.facets(replicas.b, [EO])[EO]["lab"]

    overrides.set_field(
        replicas.a, "fixtures", EO_IRI, ACCESS_RIGHTS, [ox.NamedNode(NON_PUBLIC)]
    )  # a steward's in-place edit on A: one feed row, one offers job queued
    queued = JobQueue(replicas.a.database).list(state="queued")
    assert [j.kind for j in queued] == [OFFERS]
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_OFFER  # not followed yet

    assert run_worker(replicas.settings) == [OFFERS]
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_NOT  # brain offers downloads only
    assert live_b.dataset_offers(EO).to_dict() == offers_for(replicas.b, EO).to_dict()
    facets = live_b.facets(replicas.b, [EO])[EO]
    want = [o.lab.id for o in offers_for(replicas.b, EO).offers if o.verdict in OFFERED]
    assert facets["lab"] == sorted(want)
    assert "brain-datalab" not in facets["lab"]


def test_a_lab_edit_on_a_changes_that_lab_only_without_reading_records(
    replicas: Replicas,
) -> None:
    live_b = LiveOffers(replicas.b)
    ids = sorted(live_b.index.terms)
    before = {i: _verdicts(live_b, i) for i in ids}
    assert before[EO]["brain-datalab"] == MAY_OFFER

    edit_lab(replicas.a, "brain-datalab", {"data_spaces": ["language"]}, staff_factory="brain")
    assert {i: _verdicts(live_b, i) for i in ids} == before  # the API returned; not followed

    follower = OffersFollower(replicas.a)  # what the offers job runs
    report = follower.catch_up()
    assert report.rows == 1  # the lab's feed row
    assert follower.records_read == 0  # re-resolved from the stored facts
    assert follower.recomputed == len(ids)  # one lab's column, nothing else
    after = {i: _verdicts(live_b, i) for i in ids}
    assert after[EO]["brain-datalab"] == MAY_NOT  # earth observation is no longer linked
    for ident in ids:  # every other lab's verdicts are as they were
        assert {k: v for k, v in after[ident].items() if k != "brain-datalab"} == {
            k: v for k, v in before[ident].items() if k != "brain-datalab"
        }
        assert live_b.dataset_offers(ident).to_dict() == offers_for(replicas.b, ident).to_dict()
    offers, _ = live_b.lab_datasets("brain-datalab")
    assert EO not in {o.dataset for o in offers}


def test_the_follower_is_idempotent_and_resumes_after_a_kill(replicas: Replicas) -> None:
    db = replicas.a.database
    base = OffersFollower(replicas.a).store.state()
    assert base is not None
    for n in range(3):  # three publishes: three pages of one publish each
        replicas.a.load(
            (
                "@prefix dcat: <http://www.w3.org/ns/dcat#> . "
                "@prefix dct: <http://purl.org/dc/terms/> .\n"
                f'<https://example.org/ds/new-{n}> a dcat:Dataset ; dct:title "New {n}" ; '
                "dct:license <http://publications.europa.eu/resource/authority/licence/"
                "CC_BY_4_0> ; "
                "dct:accessRights <http://publications.europa.eu/resource/authority/access-right/"
                "PUBLIC> .\n"
            ).encode(),
            fmt="turtle",
            source=f"steward-{n}",
        )
    killed = OffersFollower(replicas.a, page=1)
    assert killed.catch_up(max_pages=1).rows == 1  # then the process dies
    stored = killed.store.state()
    assert stored is not None and stored.position > base.position

    restarted = OffersFollower(replicas.a, page=1)
    report = restarted.catch_up()
    assert (report.rows, report.pages) == (2, 2)  # from the stored position, not from 0
    assert report.position == replicas.a.changes.head()
    assert restarted.records_read == 2
    done = _snapshot(db)
    assert len(done["offer_terms"]) == len(replicas.a.datasets(limit=500).items)

    with db.transaction() as conn:  # as if every page were applied once more
        conn.execute(offer_state.update().values(position=base.position))
    again = OffersFollower(replicas.a)
    assert again.catch_up().rows == 3
    assert again.recomputed == 0  # the same facts: nothing resolved, nothing written
    assert _snapshot(db) == done


def test_within_the_freshness_window_b_answers_from_memory(replicas: Replicas) -> None:
    live_b = LiveOffers(replicas.b)
    live_b.mirror.freshness_s = 3600.0  # a window that does not pass during the test
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_OFFER
    assert live_b.mirror.wait_loaded(30)  # the rows load on a thread of their own
    loads = live_b.mirror.loads
    overrides.set_field(replicas.a, "fixtures", EO_IRI, ACCESS_RIGHTS, [ox.NamedNode(NON_PUBLIC)])
    assert run_worker(replicas.settings) == [OFFERS]
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_OFFER  # the window has not passed
    assert live_b.mirror.loads == loads  # nothing read from the database

    live_b.mirror.expire()  # as when the window passes
    assert _verdicts(live_b, EO)["brain-datalab"] == MAY_NOT  # from the tables meanwhile
    assert live_b.mirror.wait_loaded(30)
    assert live_b.mirror.loads == loads + 1  # another replica wrote: the rows loaded again
    assert live_b.dataset_offers(EO).to_dict() == offers_for(replicas.b, EO).to_dict()
