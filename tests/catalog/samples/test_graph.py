"""The sample as an ``adms:sample`` distribution in the graph: shown by every view of the
dataset, kept by the next harvest of its source, gone once the sample is deleted."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.harvest import Harvester, SourceRegistry
from catalog.settings import Settings
from tests.catalog.samples.builders import sales_table
from tests.connectors.dcat_server import DcatEndpoint, corpus_triples
from tests.connectors.loopback import Loopback, serve

ADMS_SAMPLE = "http://www.w3.org/ns/adms#sample"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
XSD_NNI = "http://www.w3.org/2001/XMLSchema#nonNegativeInteger"
PARQUET = {"Content-Type": "application/vnd.apache.parquet"}
SYNTAXES = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
            "xml": ox.RdfFormat.RDF_XML, "nt": ox.RdfFormat.N_TRIPLES}  # fmt: skip


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def env(server: Loopback, corpus: Path, tmp_path: Path):
    settings: Settings = server.settings(tmp_path / "home")
    endpoint = DcatEndpoint(server, corpus_triples(corpus))
    SourceRegistry(settings).add("demo", "dcat", endpoint.url)
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("root", "admin", None, None)
    auth = {"Authorization": f"Bearer {accounts.issue_token('root')}"}
    with TestClient(create_app(settings)) as client:
        harvester = Harvester(client.app.state.catalogue, validate=False)
        job = harvester.run("demo")
        assert job.status == "succeeded", job.message
        yield client, auth, harvester, endpoint


def _parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(sales_table(120), buf)
    return buf.getvalue()


def _graph(client: TestClient, ds: str, fmt: str = "nt") -> list[ox.Triple]:
    r = client.get(f"/datasets/{ds}", params={"format": fmt})
    assert r.status_code == 200
    return list(ox.parse(r.content, format=SYNTAXES[fmt]))


def _sample_of(triples: list[ox.Triple], iri: str) -> dict[str, list[ox.Term]]:
    """The distribution linked by adms:sample from ``iri``, property → objects."""
    dists = [
        t.object for t in triples if t.subject.value == iri and t.predicate.value == ADMS_SAMPLE
    ]
    if not dists:
        return {}
    assert len(dists) == 1
    out: dict[str, list[ox.Term]] = {}
    for t in triples:
        if t.subject == dists[0]:
            out.setdefault(t.predicate.value, []).append(t.object)
    out["@id"] = [dists[0]]
    return out


def _check_distribution(dist: dict, triples: list[ox.Triple], ds: str, data: bytes) -> None:
    assert dist["@id"][0].value.endswith(f"/datasets/{ds}/sample")
    assert [o.value for o in dist["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"]] == [
        DCAT + "Distribution"
    ]
    assert dist[DCAT + "downloadURL"][0].value.endswith(f"/datasets/{ds}/sample/file")
    assert dist[DCAT + "mediaType"][0].value.endswith("/application/vnd.apache.parquet")
    size = dist[DCAT + "byteSize"][0]
    assert size.datatype.value == XSD_NNI
    assert int(size.value) == len(data)
    assert dist["http://purl.org/dc/terms/format"][0].value.endswith("file-type/PARQUET")
    assert dist["http://purl.org/dc/terms/issued"]
    checksum = dist[SPDX + "checksum"][0]
    values = {t.predicate.value: t.object.value for t in triples if t.subject == checksum}
    assert values[SPDX + "algorithm"] == SPDX + "checksumAlgorithm_sha256"
    assert values[SPDX + "checksumValue"] == hashlib.sha256(data).hexdigest()


def test_sample_in_every_view_survives_harvest_and_goes_with_delete(env) -> None:
    client, auth, harvester, _ = env
    item = client.get("/datasets", params={"source": "demo"}).json()["items"][0]
    ds, iri = item["id"], item["iri"]
    assert _sample_of(_graph(client, ds), iri) == {}
    data = _parquet()
    r = client.put(f"/datasets/{ds}/sample", content=data, headers=auth | PARQUET)
    assert r.status_code == 201, r.text
    assert r.json()["distribution"]["in_graph"] is True
    stored = client.get(f"/datasets/{ds}/sample/file", headers=auth).content
    for fmt in SYNTAXES:
        triples = _graph(client, ds, fmt)
        _check_distribution(_sample_of(triples, iri), triples, ds, stored)
    listing = client.get("/catalog", params={"format": "ttl", "page_size": 100})
    whole = list(ox.parse(listing.content, format=ox.RdfFormat.TURTLE))
    _check_distribution(_sample_of(whole, iri), whole, ds, stored)
    exported = list(
        ox.parse(client.app.state.catalogue.export("ntriples"), format=ox.RdfFormat.N_TRIPLES)
    )
    _check_distribution(_sample_of(exported, iri), exported, ds, stored)

    job = harvester.run("demo")
    assert job.status == "succeeded", job.message
    triples = _graph(client, ds)
    _check_distribution(_sample_of(triples, iri), triples, ds, stored)
    assert client.get(f"/datasets/{ds}/sample").json()["distribution"]["in_graph"] is True

    assert client.delete(f"/datasets/{ds}/sample", headers=auth).status_code == 204
    assert _sample_of(_graph(client, ds), iri) == {}
    assert client.get(f"/datasets/{ds}/sample").status_code == 404
    assert harvester.run("demo").status == "succeeded"
    triples = _graph(client, ds)
    assert _sample_of(triples, iri) == {}
    assert not [t for t in triples if t.object.value.endswith(f"/datasets/{ds}/sample/file")]


def test_replacing_the_sample_leaves_one_distribution_with_the_new_checksum(env) -> None:
    client, auth, harvester, _ = env
    item = client.get("/datasets", params={"source": "demo"}).json()["items"][1]
    ds, iri = item["id"], item["iri"]
    client.put(f"/datasets/{ds}/sample", content=_parquet(), headers=auth | PARQUET)
    buf = io.BytesIO()
    pq.write_table(sales_table(40), buf)
    second = buf.getvalue()
    assert client.put(f"/datasets/{ds}/sample", content=second, headers=auth | PARQUET).is_success
    harvester.run("demo")
    triples = _graph(client, ds)
    stored = client.get(f"/datasets/{ds}/sample/file", headers=auth).content
    _check_distribution(_sample_of(triples, iri), triples, ds, stored)
    checksums = [t for t in triples if t.predicate.value == SPDX + "checksumValue"]
    assert len(checksums) == 1


def test_restricted_dataset_shows_the_distribution_but_not_its_file(env) -> None:
    client, auth, _, _ = env
    items = client.get("/datasets", params={"source": "demo"}).json()["items"]
    gated = next(
        i for i in items
        if client.get(f"/datasets/{i['id']}/sample").status_code == 404
        and "PUBLIC" not in client.get(f"/datasets/{i['id']}", params={"format": "nt"}).text
    )  # fmt: skip
    ds = gated["id"]
    assert client.put(
        f"/datasets/{ds}/sample", content=_parquet(), headers=auth | PARQUET
    ).is_success
    triples = _graph(client, ds)
    assert _sample_of(triples, gated["iri"])[DCAT + "downloadURL"]
    assert client.get(f"/datasets/{ds}/sample/file").status_code in (401, 403)
    assert client.get(f"/datasets/{ds}/sample/rows").status_code in (401, 403)
    assert "rows" not in client.get(f"/datasets/{ds}/sample").json()
