"""The cluster of the cluster tests, started once for the package and stopped after it.

PostgreSQL (the session's server, a fresh database), Virtuoso (the session's server,
emptied first), SeaweedFS (started here), a loopback CKAN portal replaying corpus packages
for harvests; then ``datalab db upgrade``, the demo catalogue and the labs loaded once, the
users and their tokens, two API replicas ``a`` and ``b`` and two workers ``w1`` and ``w2``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import URIRef

from catalog.accounts import Accounts
from catalog.db import Database
from catalog.db.feed import ChangeFeed
from catalog.demo import load_demo
from catalog.labs import list_labs, load_registry
from catalog.model import Dataset
from catalog.offers.stored import OfferStore
from catalog.rdf_bridge import to_rdflib_graph
from catalog.samples import SampleStore
from catalog.service import Catalogue
from catalog.store.sparql import SparqlStore
from tests.catalog.store.conftest import clear
from tests.cluster.cluster import Backends, Cluster, Replica, wait_until
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.loopback import Loopback, serve
from tests.pg_server import PostgresServer
from tests.s3_server import ACCESS_KEY, SECRET_KEY, running_seaweedfs
from tests.virtuoso_server import VirtuosoServer

#: The demo dataset requested from a lab (restricted access) and that lab.
DATASET_PREFIX, LAB = "synthetic-ehr-fhir", "aiff-datalab"


@dataclass
class Site:
    """The running cluster and what the tests need to act on it."""

    cluster: Cluster
    portal: CkanPortal
    tokens: dict[str, str]
    #: The restricted demo dataset, its publisher (the steward's organisation).
    dataset_id: str
    organisation: str
    #: Lab id → the user name of its factory's staff.
    lab_staff: dict[str, str] = field(default_factory=dict)

    @property
    def a(self) -> Replica:
        return self.cluster.replicas["a"]

    @property
    def b(self) -> Replica:
        return self.cluster.replicas["b"]

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def database(self) -> Database:
        return Database.open(self.cluster.settings("checks"))


def _seed(cluster: Cluster) -> tuple[dict[str, str], str, str, dict[str, str]]:
    """Load the demo catalogue and the labs, make the bucket, add the users."""
    settings = cluster.settings("setup")
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        ident = next(
            i.id
            for i in cat.datasets(source="demo-health", limit=100).items
            if i.id.startswith(DATASET_PREFIX)
        )
        record = cat.get(ident)
        graph = to_rdflib_graph(record.triples)
        organisation = Dataset.from_graph(graph, URIRef(record.ref.iri)).publisher.iri
        labs = {lab.id: lab.factory for lab in list_labs(cat)}
    SampleStore(settings).backend.ensure_bucket()  # type: ignore[attr-defined]
    with Database.open(settings) as database:
        accounts = Accounts(database)
        accounts.add_user("root", "admin")
        accounts.add_user("dev", "developer")
        accounts.add_user("stew", "steward", organisation=organisation)
        staff = {lab: f"staff-{factory}" for lab, factory in labs.items()}
        for lab, factory in labs.items():
            accounts.add_user(staff[lab], "staff", factory=factory)
        tokens = {u.name: accounts.issue_token(u.name) for u in accounts.users()}
    return tokens, ident, organisation, staff


def _offers_caught_up(site: Site) -> bool:
    with site.database() as database:
        state = OfferStore(database).state()
        return state is not None and state.position >= ChangeFeed(database).head()


@pytest.fixture(scope="package")
def site(
    postgres: PostgresServer,
    virtuoso_server: VirtuosoServer,
    tmp_path_factory: pytest.TempPathFactory,
    corpus: Path,
) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("cluster")
    started = time.monotonic()
    (root / "seaweedfs").mkdir()
    database_url = postgres.new_database()
    try:
        with running_seaweedfs(root / "seaweedfs") as s3_endpoint, serve() as loopback:
            # a worker killed mid-harvest leaves a broken pipe behind: expected, not printed
            loopback.server.handle_error = lambda *_: None  # type: ignore[method-assign]
            cluster = Cluster(root, _backends(database_url, virtuoso_server, s3_endpoint, loopback))
            try:
                site = _start(cluster, loopback, corpus)
                print(f"\ncluster up in {time.monotonic() - started:.1f} s")
                yield site
            finally:
                cluster.stop()
    finally:
        postgres.drop_database(database_url)


def _backends(
    database_url: str, virtuoso: VirtuosoServer, s3_endpoint: str, loopback: Loopback
) -> Backends:
    store = SparqlStore(
        virtuoso.query_url, virtuoso.update_url, virtuoso.gsp_url, dialect="virtuoso"
    )
    try:
        clear(store)  # the session's Virtuoso may hold other tests' graphs
    finally:
        store.close()
    return Backends(
        database_url=database_url,
        sparql_query_url=virtuoso.query_url,
        sparql_update_url=virtuoso.update_url,
        sparql_gsp_url=virtuoso.gsp_url,
        s3_endpoint=s3_endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        fetch_host=f"127.0.0.1:{loopback.port}",
        page_rows=virtuoso.row_cap // 2,
    )


def _start(cluster: Cluster, loopback: Loopback, corpus: Path) -> Site:
    """Migrate, seed, then start the replicas and workers and let them settle."""
    cluster.db_upgrade()
    tokens, ident, organisation, staff = _seed(cluster)
    site = Site(cluster, CkanPortal(loopback, corpus_packages(corpus)), tokens, ident,
                organisation, staff)  # fmt: skip
    for name in ("a", "b"):
        cluster.add_replica(name)
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    cluster.start()
    # the first search of a replica builds its index from the graph; the first offers are
    # built by a worker: both before any test measures how fast a change travels
    for replica in (site.a, site.b):
        assert replica.client.get("/search", params={"q": "health"}).status_code == 200
    wait_until(lambda: _offers_caught_up(site), 120, "the first offers are built")
    return site
