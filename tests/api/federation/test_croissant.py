"""Croissant 1.1 export, read back by mlcroissant from a live instance on loopback."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Namespace, URIRef

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.demo import load_demo
from catalog.samples import SampleStore, Upload
from catalog.service import Catalogue
from catalog.settings import Settings

PUBLIC_ID = "land-cover-europe-2021-p7333jz2"
RESTRICTED_ID = "synthetic-ehr-fhir-u2otqddy"
PERSONAL_ID = "diabetes-cohort-utrecht-2ffnfyux"  # RESTRICTED, personal data, provenance
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
SDO = Namespace("https://schema.org/")
ROWS = {
    "tile": ["E32N26", "E33N26", "E34N27"],
    "class_code": [3, 7, 11],
    "accuracy": [0.81, 0.79, 0.9],
    "observed": [dt.date(2021, 5, 1), dt.date(2021, 6, 2), dt.date(2021, 7, 3)],
    "cloud free": [True, False, True],
}


def write_sample(path: Path, rows: dict) -> bytes:
    pq.write_table(pa.table(rows), path)
    return path.read_bytes()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """mlcroissant downloads with requests: keep it on loopback whatever the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


# mlcroissant 1.1.1 calls DataFrame.reset_index(inplace=True), which pandas 3.1 deprecates
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")
def test_mlcroissant_loads_the_metadata_and_iterates_the_sample(
    instance_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_proxy: None
) -> None:
    import mlcroissant as mlc
    from mlcroissant._src.core import constants

    monkeypatch.setattr(constants, "DOWNLOAD_PATH", tmp_path / "croissant-cache")
    inst = instance_factory("a", demo=True)
    data = write_sample(tmp_path / "s.parquet", ROWS)
    SampleStore(inst.settings).add(PUBLIC_ID, Upload(data=data), uploaded_by="t")

    r = httpx.get(f"{inst.url}/datasets/{PUBLIC_ID}/croissant")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert isinstance(doc["@context"], dict)  # inline: no context is ever fetched
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    (file_object,) = doc["distribution"]
    assert file_object["contentUrl"] == f"{inst.url}/datasets/{PUBLIC_ID}/sample/file"
    assert file_object["encodingFormat"] == "application/x-parquet"
    assert file_object["sha256"] == hashlib.sha256(data).hexdigest()
    assert all("examples" not in rs for rs in doc["recordSet"])  # never rows

    path = tmp_path / "croissant.json"
    path.write_bytes(r.content)
    dataset = mlc.Dataset(jsonld=path)
    meta = dataset.metadata
    assert meta.name == "10 m land-cover map of Europe, 2021"
    assert [rs.name for rs in meta.record_sets] == ["sample"]
    fields = {f.name: f for f in meta.record_sets[0].fields}
    assert set(fields) == set(ROWS)
    records = list(dataset.records("sample"))
    assert len(records) == 3
    by_tile = {rec["sample/tile"].decode(): rec for rec in records}
    assert by_tile["E33N26"]["sample/class_code"] == 7
    assert by_tile["E34N27"]["sample/accuracy"] == pytest.approx(0.9)
    assert [rec["sample/column-4"] for rec in records] == [True, False, True]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        load_demo(cat)
    with TestClient(create_app(settings)) as c:
        yield c


def test_restricted_dataset_is_metadata_only_unless_entitled(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    secret = {"patient_code": ["SECRET-ROW-1", "SECRET-ROW-2"], "hba1c": [41.5, 77.25]}
    data = write_sample(tmp_path / "s.parquet", secret)
    SampleStore(settings).add(RESTRICTED_ID, Upload(data=data), uploaded_by="t")
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    accounts.add_user("granted", "developer")
    accounts.grant("granted", RESTRICTED_ID)
    dev = {"Authorization": f"Bearer {accounts.issue_token('dev')}"}
    granted = {"Authorization": f"Bearer {accounts.issue_token('granted')}"}

    for headers in ({}, dev):
        r = client.get(f"/datasets/{RESTRICTED_ID}/croissant", headers=headers)
        assert r.status_code == 200
        assert r.headers["cache-control"] == "private, no-store"
        doc = r.json()
        # the file is described (valid Croissant), without its checksum
        (file_object,) = doc["distribution"]
        assert file_object["contentUrl"].endswith(f"/datasets/{RESTRICTED_ID}/sample/file")
        assert "sha256" not in file_object and "md5" not in file_object
        assert doc["isLiveDataset"] is True
        (record_set,) = doc["recordSet"]
        assert [f["name"] for f in record_set["field"]] == ["patient_code", "hba1c"]
        text = json.dumps({k: v for k, v in doc.items() if k != "@context"})
        for leaked in ("SECRET-ROW", "41.5", "77.25", hashlib.sha256(data).hexdigest()):
            assert leaked not in text
        assert "examples" not in text
        download = client.get(f"/datasets/{RESTRICTED_ID}/sample/file", headers=headers)
        assert download.status_code == 403

    r = client.get(f"/datasets/{RESTRICTED_ID}/croissant", headers=granted)
    (file_object,) = r.json()["distribution"]
    assert file_object["sha256"] == hashlib.sha256(data).hexdigest()
    assert "SECRET-ROW" not in r.text  # even entitled callers get no rows in the metadata


def test_licence_offers_and_responsible_ai_fields(client: TestClient) -> None:
    doc = client.get(f"/datasets/{PERSONAL_ID}/croissant").json()
    assert "recordSet" not in doc  # no sample
    assert doc["sameAs"] == "https://demo.datalab.example.eu/dataset/health/diabetes-cohort-utrecht"
    assert doc["license"]
    assert doc["rai:personalSensitiveInformation"]
    assert doc["rai:dataCollection"]

    public = client.get(f"/datasets/{PUBLIC_ID}/croissant")
    g = Graph().parse(data=public.text, format="json-ld")
    (ds,) = g.subjects(predicate=None, object=SDO.Dataset)
    offers = list(g.objects(ds, SDO.usageInfo))
    assert offers
    for offer in offers:
        assert (offer, ODRL.assigner, None) in g
        assert (offer, ODRL.target, URIRef(doc_iri(public.json()))) in g
    assert list(g.objects(ds, SDO.license))


def doc_iri(doc: dict) -> str:
    return doc["sameAs"]


def test_unknown_dataset_is_the_common_404(client: TestClient) -> None:
    r = client.get("/datasets/no-such-dataset/croissant")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "dataset_not_found"
