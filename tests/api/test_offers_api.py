"""Factories, labs (with staff-only writes) and dataset offers over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.ids import dataset_id
from catalog.service import Catalogue
from catalog.settings import Settings

DATA = Path(__file__).resolve().parents[1] / "catalog" / "offers" / "data" / "datasets.ttl"
HEALTH = dataset_id("https://example.org/ds/health")
LANG_NC = dataset_id("https://example.org/ds/lang-nc")
UNKNOWN = dataset_id("https://example.org/ds/unknown-lic")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        cat.load_file(DATA, source="fixtures", replace=True)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    accounts = Accounts(accounts_path(settings.home))
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
    assert jaif["terms"]["procedure"][0].startswith("1. data permit from the health data access")
    assert jaif["odrl"]["assigner"] == "https://w3id.org/datalab/lab/jaif-datalab"
    assert jaif["odrl"]["@type"] == "Offer"
    assert jaif["odrl"]["permission"]
    brain = by_lab["brain-datalab"]
    assert brain["verdict"] == "may_not_offer"
    assert any("not linked to the health data space" in r for r in brain["reasons"])


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
