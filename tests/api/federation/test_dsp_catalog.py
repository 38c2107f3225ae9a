"""The Dataspace Protocol 2025-1 catalogue: schemas, paging, offers, errors, a real harvest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.namespace import DCAT as DCAT_NS
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import ODRL2 as ODRL_NS
from rdflib.namespace import RDF
from typer.testing import CliRunner

from api.app import create_app
from catalog.demo import load_demo
from catalog.federation.dsp_catalog import DSP_CONTEXT
from catalog.harvest import Harvester
from catalog.ids import dataset_id
from catalog.model import Dataset
from catalog.offers import MAY_NOT, REVIEW, offers_for
from catalog.rdf_bridge import to_rdflib_graph
from catalog.rdf_input import ParseLimits, default_context_resolver, iter_triples
from catalog.samples import SampleStore, Upload
from catalog.service import Catalogue
from catalog.settings import Settings
from cli.app import app as cli
from connectors.dsp import next_link
from tests.api.federation.conftest import free_port
from tests.dsp_jsonld import relative_iris, spec_graph
from tests.dsp_schemas import DspSchemas, dsp_schemas

REQUEST = {"@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage", "filter": []}
ODRL = "http://www.w3.org/ns/odrl/2/"
DCAT = "http://www.w3.org/ns/dcat#"
RESTRICTED_ID = "synthetic-ehr-fhir-u2otqddy"  # RESTRICTED, yet some labs may offer it
# non-public, under a licence no table maps: every lab may not offer it or needs review
NON_PUBLIC_ID = "tokamak-diagnostics-mouydiz7"
PUBLIC_ID = "land-cover-europe-2021-p7333jz2"


@pytest.fixture(scope="module")
def spec(corpus: Path) -> Path:
    return corpus / "dataspace-protocol"


@pytest.fixture(scope="module")
def schemas(corpus: Path) -> DspSchemas:
    return dsp_schemas(corpus)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        load_demo(cat)
    with TestClient(create_app(settings)) as c:
        yield c


def _pages(client: TestClient, url: str, message: dict) -> list[dict]:
    pages = []
    while url:
        r = client.post(url, json=message)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        pages.append(r.json())
        nxt = next_link(r.headers)
        url = nxt.replace("http://testserver", "") if nxt else ""
        assert len(pages) < 50
    return pages


def test_every_page_is_a_valid_dsp_catalog_and_paging_covers_every_offered_dataset(
    client: TestClient, spec: Path, schemas: DspSchemas
) -> None:
    # the spec's own example passes the registry (the schemas are read as published)
    schemas.check(json.loads((spec / "catalog.json").read_text("utf-8")))

    pages = _pages(client, "/dsp/catalog/request?page_size=7", REQUEST)
    assert len(pages) == 6  # 41 demo datasets, 7 per page
    seen: list[str] = []
    for doc in pages:
        schemas.check(doc)
        assert doc["@type"] == "Catalog"
        assert doc["service"][0]["endpointURL"].endswith("/dsp")
        seen += [d["@id"] for d in doc.get("dataset", [])]
    assert len(seen) == len(set(seen))

    app_cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    offered = set()
    for item in app_cat.datasets(limit=500).items:
        if offers_for(app_cat, item.id).odrl():
            offered.add(item.iri)
    assert set(seen) == offered
    assert 0 < len(offered) < 41  # datasets no lab may offer are left out


def test_offers_are_the_labs_that_may_offer_and_read_back_as_odrl(
    client: TestClient, schemas: DspSchemas
) -> None:
    r = client.get(f"/dsp/catalog/datasets/{PUBLIC_ID}")
    assert r.status_code == 200
    doc = r.json()
    schemas.check(doc)

    app_cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    result = offers_for(app_cat, PUBLIC_ID)
    may = {o.lab.iri for o in result.offers if o.verdict != MAY_NOT and o.permissions}
    refused = {o.lab.iri for o in result.offers if o.verdict == MAY_NOT}
    assigners = {p["assigner"] for p in doc["hasPolicy"]}
    assert assigners <= may
    assert not assigners & refused
    assert assigners
    service = {d["accessService"]["@id"] for d in doc["distribution"]}
    assert len(service) == 1

    # the JSON-LD means what it says under the bundled DSP context (nothing fetched)
    triples = list(
        iter_triples(
            r.content,
            ox.RdfFormat.JSON_LD,
            ParseLimits(10**7, 10**5, 10**6, 64),
            resolver=default_context_resolver({}),
        )
    )
    ds = ox.NamedNode(doc["@id"])
    policies = [
        t.object for t in triples if t.subject == ds and t.predicate.value == ODRL + "hasPolicy"
    ]
    assert len(policies) == len(doc["hasPolicy"])
    offer_type = ox.NamedNode(ODRL + "Offer")
    assert all(any(t.subject == p and t.object == offer_type for t in triples) for p in policies)
    actions = {t.object.value for t in triples if t.predicate.value == ODRL + "action"}
    assert ODRL + "use" in actions
    assert any(t.predicate.value == DCAT + "accessService" for t in triples)


def test_dataset_by_iri_and_errors_are_catalog_errors(client: TestClient) -> None:
    iri = "https://demo.datalab.example.eu/dataset/earth-observation/land-cover-europe-2021"
    by_iri = client.get(f"/dsp/catalog/datasets/{quote(iri, safe='')}")
    assert by_iri.status_code == 200
    assert by_iri.json()["@id"] == iri

    def error(r, status: int) -> dict:
        assert r.status_code == status, r.text
        body = r.json()
        assert body["@type"] == "CatalogError"
        assert body["@context"] == [DSP_CONTEXT]
        assert isinstance(body["code"], str)
        assert body["reason"]
        return body

    error(client.get("/dsp/catalog/datasets/no-such-dataset"), 404)
    refused = error(client.get(f"/dsp/catalog/datasets/{NON_PUBLIC_ID}"), 404)
    assert "not offered" in refused["reason"][0]
    app_cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    verdicts = {o.verdict for o in offers_for(app_cat, NON_PUBLIC_ID).offers}
    assert verdicts and verdicts <= {MAY_NOT, REVIEW}
    error(client.post("/dsp/catalog/request", content=b"{nope"), 400)
    error(client.post("/dsp/catalog/request", json={**REQUEST, "@type": "Catalog"}), 400)
    error(client.post("/dsp/catalog/request", json={"@type": "CatalogRequestMessage"}), 400)
    bad_filter = error(
        client.post("/dsp/catalog/request", json={**REQUEST, "filter": [{"sql": "1=1"}]}), 400
    )
    assert "unsupported filter" in bad_filter["reason"][0]
    error(client.post("/dsp/catalog/request?page=99", json=REQUEST), 400)
    error(client.post("/dsp/catalog/request", content=b" " * (65 * 1024)), 413)


def test_filter_by_data_space(client: TestClient, schemas: DspSchemas) -> None:
    message = {**REQUEST, "filter": [{"dataSpace": "earth-observation"}]}
    pages = _pages(client, "/dsp/catalog/request?page_size=100", message)
    ids = [d["@id"] for p in pages for d in p.get("dataset", [])]
    assert ids
    assert all("/earth-observation/" in i for i in ids)
    empty = client.post(
        "/dsp/catalog/request", json={**REQUEST, "filter": [{"source": "no-such-source"}]}
    )
    assert empty.status_code == 200
    assert "dataset" not in empty.json()
    schemas.check(empty.json())


def test_restricted_dataset_exports_metadata_only(client: TestClient, tmp_path: Path) -> None:
    settings = client.app.state.services.settings  # type: ignore[attr-defined]
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"patient_code": ["SECRET-ROW-VALUE-1", "SECRET-ROW-VALUE-2"]}), path)
    SampleStore(settings).add(RESTRICTED_ID, Upload(path=path), uploaded_by="t")

    r = client.get(f"/dsp/catalog/datasets/{RESTRICTED_ID}")
    assert r.status_code == 200
    assert r.json()["dct:accessRights"]["@id"].endswith("/RESTRICTED")
    pages = _pages(client, "/dsp/catalog/request?page_size=500", REQUEST)
    for text in (r.text, json.dumps(pages)):
        assert "SECRET-ROW-VALUE" not in text
        assert "/sample" not in text
        assert "patient_code" not in text


def test_the_projects_dsp_connector_harvests_a_running_instance(
    instance_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    pa_, pb = free_port(), free_port()
    monkeypatch.setenv("DATALAB_PAGE_SIZE", "8")  # so the connector follows Link over pages
    a = instance_factory("a", port=pa_, demo=True)
    monkeypatch.delenv("DATALAB_PAGE_SIZE")
    b = instance_factory("b", port=pb, peers=(pa_,))
    result = CliRunner().invoke(
        cli,
        ["source", "add", "peer-a", "--type", "dsp", "--url", f"{a.url}/dsp"],
        env={"DATALAB_HOME": str(b.settings.home)},
    )
    assert result.exit_code == 0, result.output

    job = Harvester(b.catalogue, validate=False).run("peer-a")
    assert job.status == "succeeded", job.message
    assert job.pages == 6
    offered = {
        item.iri
        for item in a.catalogue.datasets(limit=500).items
        if offers_for(a.catalogue, item.id).odrl()
    }
    assert job.counts["new"] == len(offered)
    harvested = {item.iri for item in b.catalogue.datasets(limit=500, source="peer-a").items}
    assert harvested == offered

    again = Harvester(b.catalogue, validate=False).run("peer-a")
    assert again.status == "succeeded", again.message
    assert again.counts["new"] == 0
    assert again.counts["unchanged"] == len(offered)


def test_the_version_endpoint_names_the_dsp_path_and_service(
    client: TestClient, corpus: Path
) -> None:
    """``/.well-known/dspace-version`` (a MUST of DSP 2025-1): valid by the spec's JSON
    schema, unauthenticated, its path is where the catalogue answers and its serviceId the
    catalogue's DataService."""
    common = corpus / "dataspace-protocol" / "2025-1" / "common"
    schemas = dsp_schemas(corpus)
    name = "protocol-version-schema.json"
    example = json.loads((common / "example" / "protocol-version.json").read_text("utf-8"))
    schemas.check(example, name)
    assert schemas.errors({"protocolVersions": []}, name)  # the schema is not a blank check

    r = client.get("/.well-known/dspace-version")  # no credentials
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    schemas.check(doc, name)
    [version] = doc["protocolVersions"]
    assert (version["version"], version["binding"]) == ("2025-1", "HTTPS")
    catalog = client.post(f"{version['path']}/catalog/request?page_size=1", json=REQUEST)
    assert catalog.status_code == 200
    [service] = catalog.json()["service"]
    assert version["serviceId"] == service["@id"]
    public = client.app.state.services.settings.public_url  # type: ignore[attr-defined]
    assert service["endpointURL"] == public + version["path"]


def _count_keys(node: object, key: str) -> int:
    if isinstance(node, dict):
        return sum((k == key) + _count_keys(v, key) for k, v in node.items())
    if isinstance(node, list):
        return sum(_count_keys(v, key) for v in node)
    return 0


def test_the_specs_own_context_reads_titles_keywords_and_odrl_terms(
    client: TestClient, corpus: Path
) -> None:
    """Issue 14: read with the spec's context (from the corpus, by rdflib and Oxigraph),
    every title, description and keyword of the catalogue is there, as many as the graph
    holds, and no ODRL action or left operand is a document-relative IRI."""
    [page] = _pages(client, "/dsp/catalog/request?page_size=500", REQUEST)
    graph = spec_graph(corpus, page)
    assert not relative_iris(graph), sorted(relative_iris(graph))[:10]

    app_cat: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    titles = descriptions = keywords = 0
    for ds in page["dataset"]:
        record = app_cat.get(dataset_id(ds["@id"]))
        model = Dataset.from_graph(to_rdflib_graph(record.triples), record.ref.iri)
        node = rdflib.URIRef(ds["@id"])
        got_titles = {str(t) for t in graph.objects(node, DCT.title)}
        assert got_titles == ({model.title.best(["en"])} if model.title.best(["en"]) else set())
        got_desc = set(graph.objects(node, DCT.description))
        assert len(got_desc) == (1 if model.description.best(["en"]) else 0)
        got_keywords = {str(k) for k in graph.objects(node, DCAT_NS.keyword)}
        assert got_keywords == {k for _, k in model.keyword.pairs()}
        titles += len(got_titles)
        descriptions += len(got_desc)
        keywords += len(got_keywords)
    assert titles == len(page["dataset"])  # every demo dataset has a title
    assert descriptions > 0 and keywords > len(page["dataset"])
    catalog = rdflib.URIRef(page["@id"])
    assert graph.value(catalog, DCT.title) is not None
    assert graph.value(catalog, DCT.description) is not None
    dist_titles = sum(1 for ds in page["dataset"] for d in ds["distribution"] if "dct:title" in d)
    assert dist_titles == sum(
        1 for d in graph.subjects(RDF.type, DCAT_NS.Distribution) if graph.value(d, DCT.title)
    )

    actions = list(graph.objects(None, ODRL_NS.action))
    assert len(actions) == _count_keys(page, "action")
    known = (ODRL, "https://w3id.org/datalab/ns#", "http://creativecommons.org/ns#")
    assert all(isinstance(a, rdflib.URIRef) and str(a).startswith(known) for a in actions)
    left = list(graph.objects(None, ODRL_NS.leftOperand))
    assert left and len(left) == _count_keys(page, "leftOperand")
    assert all(str(x).startswith(ODRL) for x in left)
    operators = set(graph.objects(None, ODRL_NS.operator))
    assert operators and all(str(x).startswith(ODRL) for x in operators)
    # the distributions reach the catalogue's DataService as a node, not as a string
    service = rdflib.URIRef(page["service"][0]["@id"])
    assert set(graph.objects(None, DCAT_NS.accessService)) == {service}
