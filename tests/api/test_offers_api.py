"""Factories, labs (with staff-only writes) and dataset offers over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from catalog import records
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.ids import dataset_id
from catalog.labs import list_labs, load_registry
from catalog.offers import RequesterProfile, lab_datasets, offers_for
from catalog.rdf_input import format_from_name, iter_triples
from catalog.search.index import IndexFile
from catalog.service import Catalogue
from catalog.settings import Settings
from cli.app import app as cli
from tests.engines import ENGINES, cli_env, engine_settings

DATA = Path(__file__).resolve().parents[1] / "catalog" / "offers" / "data" / "datasets.ttl"
HEALTH = dataset_id("https://example.org/ds/health")
LANG_NC = dataset_id("https://example.org/ds/lang-nc")
UNKNOWN = dataset_id("https://example.org/ds/unknown-lic")


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Each test on the embedded engines, then on the shared ones (tests/engines.py)."""
    return engine_settings(request, tmp_path / "home")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        cat.load_file(DATA, source="fixtures", replace=True)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    with Database.open(settings) as database:
        accounts = Accounts(database)
        accounts.add_user("ana", "staff", factory="bsc")
        accounts.add_user("dev", "developer")
        return {"bsc": accounts.issue_token("ana"), "dev": accounts.issue_token("dev")}


def test_factories_and_antennas(client: TestClient) -> None:
    body = client.get("/factories").json()
    kinds = [f["kind"] for f in body["items"]]
    assert kinds.count("factory") == 19
    assert kinds.count("antenna") == 7
    bsc = client.get("/factories/bsc").json()
    assert bsc["countries"] == ["ES", "PT", "RO", "TR"]
    assert [lab["id"] for lab in bsc["labs"]] == ["bsc-datalab"]
    missing = client.get("/factories/nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "factory_not_found"


def test_labs_read(client: TestClient) -> None:
    body = client.get("/labs").json()
    assert body["count"] == 19
    lab = client.get("/labs/nlaif-datalab").json()
    assert lab["access_modes"] == ["SecureProcessingEnvironment", "FederatedExecution"]
    assert client.get("/labs/none-lab").json()["error"]["code"] == "lab_not_found"


def test_lab_writes_need_own_factory_staff(client: TestClient, tokens: dict[str, str]) -> None:
    new = {
        "id": "bsc-language-lab",
        "name": "BSC language lab",
        "data_spaces": ["language"],
        "access_modes": ["Download"],
    }
    assert client.post("/labs", json=new).status_code == 401
    dev = {"Authorization": f"Bearer {tokens['dev']}"}
    assert client.post("/labs", json=new, headers=dev).status_code == 403
    staff = {"Authorization": f"Bearer {tokens['bsc']}"}
    created = client.post("/labs", json=new, headers=staff)
    assert created.status_code == 201
    assert created.json()["factory"] == "bsc"
    assert client.post("/labs", json=new, headers=staff).status_code == 409
    other = client.post("/labs", json={**new, "id": "x-lab", "factory": "jaif"}, headers=staff)
    assert other.status_code == 403
    edited = client.patch(
        "/labs/bsc-language-lab", json={"access_modes": ["FederatedExecution"]}, headers=staff
    )
    assert edited.json()["access_modes"] == ["FederatedExecution"]
    assert client.get("/labs/bsc-language-lab").json()["access_modes"] == ["FederatedExecution"]
    assert client.patch("/labs/jaif-datalab", json={"fees": "x"}, headers=staff).status_code == 403
    bad = client.patch("/labs/bsc-datalab", json={"factory": "jaif"}, headers=staff)
    assert bad.status_code == 403
    invalid = client.patch("/labs/bsc-datalab", json={"access_modes": ["Teleport"]}, headers=staff)
    assert invalid.status_code == 400
    assert invalid.json()["error"]["where"] == "access_modes"


def test_dataset_offers_json(client: TestClient) -> None:
    body = client.get(f"/datasets/{HEALTH}/offers").json()
    assert len(body["offers"]) == 19
    by_lab = {o["lab"]: o for o in body["offers"]}
    jaif = by_lab["jaif-datalab"]
    assert jaif["verdict"] == "may_offer_under_conditions"
    assert jaif["terms"]["access_mode"] == "SecureProcessingEnvironment"
    assert jaif["terms"]["procedure"][0].startswith("1. apply to Test HDAB")
    assert "data permit" in jaif["terms"]["procedure"][0]
    assert jaif["terms"]["route"] == "ehds-data-permit"
    assert jaif["odrl"]["assigner"] == "https://w3id.org/datalab/lab/jaif-datalab"
    assert jaif["odrl"]["@type"] == "Offer"
    assert jaif["odrl"]["permission"]
    brain = by_lab["brain-datalab"]
    assert brain["verdict"] == "may_not_offer"
    assert any("not linked to the dataset's data space: Health" in r for r in brain["reasons"])


def test_dataset_offers_with_profile(client: TestClient) -> None:
    body = client.get(
        f"/datasets/{LANG_NC}/offers",
        params={"org_type": "sme", "country": "BG", "purpose": "commercial-ai-training"},
    ).json()
    assert body["profile"]["org_type"] == "SME"
    assert body["usable_for_ai_training"] is False
    assert all(o["verdict"] == "may_not_offer" for o in body["offers"])
    research = client.get(
        f"/datasets/{LANG_NC}/offers", params={"purpose": "academic-research"}
    ).json()
    assert any(o["verdict"] == "may_offer" for o in research["offers"])
    bad = client.get(f"/datasets/{LANG_NC}/offers", params={"purpose": "world-domination"})
    assert bad.status_code == 400
    assert bad.json()["error"]["where"] == "purpose"


def test_dataset_offers_odrl_only(client: TestClient) -> None:
    odrl = client.get(f"/datasets/{HEALTH}/offers", params={"format": "odrl"})
    assert odrl.headers["content-type"].startswith("application/ld+json")
    offers = odrl.json()
    assert offers
    assert all(o["@type"] == "Offer" for o in offers)
    neg = client.get(f"/datasets/{HEALTH}/offers", headers={"Accept": "application/ld+json"})
    assert neg.json() == offers
    assert client.get(f"/datasets/{UNKNOWN}/offers", params={"format": "odrl"}).json() == []
    assert client.get("/datasets/nope/offers").status_code == 404


def test_lab_datasets(client: TestClient) -> None:
    body = client.get("/labs/jaif-datalab/datasets").json()
    ids = {i["dataset"] for i in body["items"]}
    assert HEALTH in ids
    assert UNKNOWN not in ids
    assert all(i["verdict"] in ("may_offer", "may_offer_under_conditions") for i in body["items"])


# -- materialised offers kept fresh by publishes ------------------------------------------
PROFILES = [{}, {"org_type": "sme", "country": "DE", "purpose": "commercial-ai-training"}]
EO = dataset_id("https://example.org/ds/eo-open")
NEW = "https://example.org/ds/steward-new"
NEW_ID = dataset_id(NEW)


def _record(title: str, licence: str = "CC_BY_4_0") -> bytes:
    return (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
        "@prefix lic: <http://publications.europa.eu/resource/authority/licence/> .\n"
        "@prefix ar: <http://publications.europa.eu/resource/authority/access-right/> .\n"
        f'<{NEW}> a dcat:Dataset ; dct:title "{title}" ; dct:license lic:{licence} ; '
        "dct:accessRights ar:PUBLIC ; "
        "<https://w3id.org/datalab/ns#dataSpace> <https://w3id.org/datalab/dataspace/language> .\n"
    ).encode()


@pytest.fixture
def live(settings: Settings) -> Iterator[TestClient]:
    """The API with offers materialised before it answers (``offers_index=eager``)."""
    yield from _live(settings)


@pytest.fixture
def live_now(settings: Settings) -> Iterator[TestClient]:
    """As ``live``, checking before every answer for changes made behind this process's
    back (``offers_freshness_s=0``; by default at most once a second)."""
    yield from _live(settings, offers_freshness_s=0)


def _live(settings: Settings, **overrides: object) -> Iterator[TestClient]:
    settings = settings.model_copy(update={"offers_index": "eager", **overrides})
    with Catalogue.open(settings) as cat:
        cat.load_file(DATA, source="fixtures", replace=True)
        load_registry(cat)
    with TestClient(create_app(settings)) as c:
        assert c.app.state.services.offers.ready  # type: ignore[attr-defined]
        yield c


def _cat(client: TestClient) -> Catalogue:
    return client.app.state.services.catalogue  # type: ignore[attr-defined,no-any-return]


def _recomputed(client: TestClient) -> int:
    return client.app.state.services.offers.index.recomputed  # type: ignore[attr-defined,no-any-return]


def _as_json(value: object) -> object:
    return json.loads(json.dumps(value))


def assert_matches_direct(client: TestClient) -> None:
    """Every answer served from the index equals direct resolution from the store."""
    cat = _cat(client)
    ids = [item.id for item in cat.datasets(limit=500).items]
    assert set(client.app.state.services.offers.index.terms) == set(ids)  # type: ignore[attr-defined]
    for ident in ids:
        for params in PROFILES:
            got = client.get(f"/datasets/{ident}/offers", params=params)
            assert got.status_code == 200, got.text
            want = offers_for(cat, ident, RequesterProfile.parse(**params)).to_dict()
            assert got.json() == _as_json(want), (ident, params)
    for lab in list_labs(cat):
        body = client.get(f"/labs/{lab.id}/datasets", params={"limit": 1000}).json()
        want_ids = sorted(o.dataset for o in lab_datasets(cat, lab.id))
        assert [i["dataset"] for i in body["items"]] == want_ids, lab.id
        assert body["total"] == len(want_ids)


def test_loads_and_deletes_recompute_only_the_changed_dataset(live: TestClient) -> None:
    cat = _cat(live)
    assert_matches_direct(live)
    labs = len(list_labs(cat))
    before = _recomputed(live)
    cat.load(_record("New corpus"), fmt="turtle", source="steward")
    assert _recomputed(live) - before == labs  # one new row
    assert live.get(f"/datasets/{NEW_ID}/offers").json()["usable_for_ai_training"] is True
    before = _recomputed(live)
    cat.load(_record("New corpus, better title"), fmt="turtle", source="steward")
    assert _recomputed(live) == before  # terms unchanged: nothing to recompute
    cat.load(_record("New corpus", "CC_BYNC_4_0"), fmt="turtle", source="steward")
    assert _recomputed(live) - before == labs
    nc = live.get(f"/datasets/{NEW_ID}/offers", params=PROFILES[1]).json()
    assert all(o["verdict"] == "may_not_offer" for o in nc["offers"])  # NC for a company
    assert_matches_direct(live)
    before = _recomputed(live)
    cat.delete(NEW_ID)
    assert _recomputed(live) == before
    assert live.get(f"/datasets/{NEW_ID}/offers").status_code == 404
    assert_matches_direct(live)


def test_harvest_like_replacement_recomputes_changed_terms_only(live: TestClient) -> None:
    cat = _cat(live)
    labs = len(list_labs(cat))
    ttl = DATA.read_text().replace(
        'dct:title "Open EO" ; dlab:dataSpace ds:earth-observation ;\n'
        "    dct:license lic:CC_BY_4_0 ; dct:accessRights ar:PUBLIC .",
        'dct:title "Open EO" ; dlab:dataSpace ds:earth-observation ;\n'
        "    dct:license lic:CC_BY_4_0 ; dct:accessRights ar:NON_PUBLIC .",
    )
    assert "ar:NON_PUBLIC ." in ttl
    before = _recomputed(live)
    quads = iter_triples(ttl.encode(), format_from_name("turtle"), cat.limits)
    cat.store_quads(quads, source="fixtures", replace=True)  # what a full harvest run does
    assert _recomputed(live) - before == labs  # only eo-open's terms changed
    eo = {o["lab"]: o for o in live.get(f"/datasets/{EO}/offers").json()["offers"]}
    assert eo["brain-datalab"]["terms"]["access_mode"] != "Download"
    assert_matches_direct(live)
    cat.remove_source("fixtures")
    assert live.app.state.services.offers.index.terms == {}  # type: ignore[attr-defined]
    assert live.get(f"/datasets/{EO}/offers").status_code == 404
    assert live.get("/labs/jaif-datalab/datasets").json()["items"] == []


def test_lab_edits_through_the_api_recompute_that_lab_only(
    live: TestClient, tokens: dict[str, str]
) -> None:
    staff = {"Authorization": f"Bearer {tokens['bsc']}"}
    datasets = len(live.app.state.services.offers.index.terms)  # type: ignore[attr-defined]
    assert EO not in {i["dataset"] for i in live.get("/labs/bsc-datalab/datasets").json()["items"]}
    before = _recomputed(live)
    edited = live.patch(
        "/labs/bsc-datalab", json={"data_spaces": ["earth-observation"]}, headers=staff
    )
    assert edited.status_code == 200  # followed after the answer: on a thread, or below
    assert EO in {i["dataset"] for i in live.get("/labs/bsc-datalab/datasets").json()["items"]}
    assert _recomputed(live) - before == datasets  # one column
    before = _recomputed(live)
    new = {"id": "bsc-eo-lab", "name": "BSC EO", "data_spaces": ["earth-observation"]}
    new["access_modes"] = ["Download"]
    assert live.post("/labs", json=new, headers=staff).status_code == 201
    offers = live.get(f"/datasets/{EO}/offers").json()["offers"]
    assert {o["lab"] for o in offers} >= {"bsc-eo-lab"}
    assert _recomputed(live) - before == datasets
    assert_matches_direct(live)


def test_licence_mapping_added_by_cli_recomputes_its_datasets(live_now: TestClient) -> None:
    live = live_now
    cat = _cat(live)
    labs = len(list_labs(cat))
    verdicts = {o["verdict"] for o in live.get(f"/datasets/{UNKNOWN}/offers").json()["offers"]}
    assert "may_offer" not in verdicts
    result = CliRunner().invoke(
        cli,
        [
            "licence",
            "add",
            "https://example.org/our-own-licence",
            "--label",
            "Our own",
            "--permits",
            "commercial,derivatives,distribution,tdm,ai-training",
        ],
        env=cli_env(cat.settings),
    )
    assert result.exit_code == 0, result.output
    before = _recomputed(live)
    body = live.get(f"/datasets/{UNKNOWN}/offers").json()
    assert _recomputed(live) - before == labs  # the one dataset citing that licence
    research = {o["lab"]: o["verdict"] for o in body["offers"]}
    assert research["jaif-datalab"] == "may_offer"
    assert_matches_direct(live)


def test_publish_behind_the_listener_is_caught_up(live_now: TestClient) -> None:
    live = live_now
    cat = _cat(live)
    graph = cat.graphs.copy_current("fixtures")  # as a harvest override does
    records.delete_record(cat.store, graph, "https://example.org/ds/eo-open")
    cat.graphs.publish("fixtures", graph)  # no listener is told
    assert live.get(f"/datasets/{EO}/offers").status_code == 404
    assert EO not in live.app.state.services.offers.index.terms  # type: ignore[attr-defined]
    assert_matches_direct(live)


def test_a_publish_behind_the_listener_is_seen_once_the_freshness_window_passed(
    live: TestClient,
) -> None:
    cat = _cat(live)
    offers = live.app.state.services.offers  # type: ignore[attr-defined]
    offers.mirror.freshness_s = 3600.0  # a window that does not pass during the test
    assert live.get(f"/datasets/{EO}/offers").status_code == 200
    graph = cat.graphs.copy_current("fixtures")
    records.delete_record(cat.store, graph, "https://example.org/ds/eo-open")
    cat.graphs.publish("fixtures", graph)  # no listener is told
    assert live.get(f"/datasets/{EO}/offers").status_code == 200  # from memory, in the window
    offers.mirror.expire()  # as when the window has passed
    assert live.get(f"/datasets/{EO}/offers").status_code == 404


def test_search_facets_come_from_the_materialised_offers(
    live: TestClient, tokens: dict[str, str]
) -> None:
    def lab_hits(lab: str) -> set[str]:
        body = live.get("/search", params={"lab": lab, "limit": 100}).json()
        return {h["id"] for h in body["items"]}

    assert lab_hits("jaif-datalab") == {
        i["dataset"] for i in live.get("/labs/jaif-datalab/datasets").json()["items"]
    }
    trainable = live.get("/search", params={"ai_training": "true", "limit": 100}).json()
    want = {
        d
        for d in live.app.state.services.offers.index.terms  # type: ignore[attr-defined]
        if offers_for(_cat(live), d).to_dict()["usable_for_ai_training"]
    }
    assert {h["id"] for h in trainable["items"]} == want
    staff = {"Authorization": f"Bearer {tokens['bsc']}"}
    assert EO not in lab_hits("bsc-datalab")
    live.patch("/labs/bsc-datalab", json={"data_spaces": ["earth-observation"]}, headers=staff)
    assert EO in lab_hits("bsc-datalab")


def test_a_lab_edit_is_answered_before_its_offers_and_search_facets_follow(
    live: TestClient, tokens: dict[str, str]
) -> None:
    """``PATCH /labs/{id}`` only writes the lab: it is answered while the search index and
    the offers follower are held by someone else. Both follow it afterwards, on threads of
    their own: the offers of that lab, and the facets of the datasets it moved."""
    services = live.app.state.services  # type: ignore[attr-defined]
    search, offers = services.search.get(), services.offers
    staff = {"Authorization": f"Bearer {tokens['bsc']}"}
    offered = {h["id"] for h in live.get("/search", params={"lab": "bsc-datalab"}).json()["items"]}
    assert EO not in offered
    mark, before, head = len(search.projected), _recomputed(live), _cat(live).changes.head()
    spaces = {"data_spaces": ["health", "language", "research", "earth-observation"]}
    pool = ThreadPoolExecutor(1)
    with search.index.lock, offers.follower._lock:  # what a re-projection or follow needs
        request = pool.submit(live.patch, "/labs/bsc-datalab", json=spaces, headers=staff)
        try:
            edited = request.result(timeout=30)
        except FutureTimeout:
            edited = None
        assert _recomputed(live) == before
        assert IndexFile.feed_position(search.index.db()) == head  # the lab's row: not yet
    pool.shutdown()
    assert edited is not None, "the lab edit waited for the offers or the search index"
    assert edited.status_code == 200
    assert offers.later.wait(60) and search.later.wait(60)
    assert _recomputed(live) - before == len(offers.index.terms)  # that lab's column
    eo = {EO, dataset_id("https://example.org/ds/eo-cc0")}
    assert list(search.lab_updates)[-1] == (("bsc-datalab",), frozenset(eo))
    assert list(search.projected)[mark:] == []
    now = {h["id"] for h in live.get("/search", params={"lab": "bsc-datalab"}).json()["items"]}
    assert now == offered | eo


def test_background_start_answers_and_then_serves_the_index(settings: Settings) -> None:
    with Catalogue.open(settings) as cat:
        cat.load_file(DATA, source="fixtures", replace=True)
    with TestClient(create_app(settings)) as c:
        assert c.get(f"/datasets/{HEALTH}/offers").status_code == 200  # built or not
        assert c.app.state.services.offers.wait_ready(30)  # type: ignore[attr-defined]
        assert c.app.state.services.offers.error is None  # type: ignore[attr-defined]
        assert_matches_direct(c)


def test_offers_index_off_resolves_directly(settings: Settings) -> None:
    settings = settings.model_copy(update={"offers_index": "off"})
    with Catalogue.open(settings) as cat:
        cat.load_file(DATA, source="fixtures", replace=True)
    with TestClient(create_app(settings)) as c:
        assert c.app.state.services.offers is None
        body = c.get(f"/datasets/{HEALTH}/offers").json()
        assert body == _as_json(offers_for(_cat(c), HEALTH).to_dict())
        assert c.get("/labs/jaif-datalab/datasets").json()["total"] is None
