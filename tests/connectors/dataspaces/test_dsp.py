"""The Dataspace Protocol connector against a loopback DSP catalogue endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.jobs import FAILED, PARTIAL, SUCCEEDED
from catalog.harvest.paging import guarded
from catalog.outbound.fetcher import Fetcher
from catalog.service import Catalogue
from connectors.dsp import DspConnector
from connectors.dsp.mapping import DSP_SPEC, catalog_request
from tests.connectors.dataspaces.server import Reply, Request, Server, serve
from tests.dsp_schemas import dsp_schemas

ODRL = "http://www.w3.org/ns/odrl/2/"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
DLAB = "https://w3id.org/datalab/ns#"


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as srv:
        yield srv


@pytest.fixture
def dsp(corpus: Path) -> Path:
    return corpus / "dataspace-protocol"


def _dataset(n: int, base: dict) -> dict:
    ds = json.loads(json.dumps(base))
    ds["@id"] = f"urn:uuid:dataset-{n}"
    ds["hasPolicy"][0]["@id"] = f"urn:uuid:offer-{n}"
    ds.pop("@context", None)
    return ds


def _catalog_pages(dsp: Path, count: int, per_page: int) -> list[dict]:
    root = json.loads((dsp / "catalog.json").read_text())
    base = json.loads((dsp / "dataset.json").read_text())
    datasets = [_dataset(i, base) for i in range(count)]
    pages = []
    for start in range(0, count, per_page):
        page = dict(root)
        page["dataset"] = datasets[start : start + per_page]
        pages.append(page)
    return pages


def _serve_pages(server: Server, pages: list[dict], next_of: dict[int, str] | None = None) -> None:
    def route(req: Request) -> Reply:
        if req.method != "POST":
            return Reply(405, b"{}")
        n = int(req.query.get("page", ["1"])[0])
        headers = {}
        nxt = (next_of or {}).get(n)
        if nxt is None and n < len(pages):
            nxt = f"/catalog/request?page={n + 1}"
        if nxt:
            headers["Link"] = f'<{nxt}>; rel="next"'
        return Reply(200, json.dumps(pages[n - 1]).encode(), "application/json", headers)

    server.routes["/catalog/request"] = route


def _pages(server: Server, tmp_path: Path, **options: object) -> list:
    s = server.settings(tmp_path)
    with Fetcher(s) as fetcher:
        conn = DspConnector(server.base, s, fetcher, dict(options))
        return list(guarded(conn.pages(), server.base, s))


def test_corpus_catalog_keeps_offer_distribution_and_service(
    server: Server, dsp: Path, tmp_path: Path
) -> None:
    server.static("/catalog/request", (dsp / "catalog.json").read_bytes())
    pages = _pages(server, tmp_path)
    [record] = pages[0].records
    assert record.record_id == "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88"
    preds = {(t.predicate.value, str(t.object)) for t in record.triples}
    assert (ODRL + "hasPolicy", "<urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88>") in preds
    assert (ODRL + "action", f"<{ODRL}use>") in preds
    assert (ODRL + "leftOperand", f"<{ODRL}spatial>") in preds
    assert (DCAT + "endpointURL", "<https://provider-a.com/connector>") in preds
    # DCAT-AP: the distribution is reached at the DSP endpoint, the service has a title and
    # conforms to the DSP; the transfer type is not a file format
    assert (DCAT + "accessURL", "<https://provider-a.com/connector>") in preds
    assert (DCT + "conformsTo", f"<{DSP_SPEC}>") in preds
    assert any(p == DCT + "title" and "provider-a.com/connector" in o for p, o in preds)
    assert not any(p == DCT + "format" for p, _ in preds)
    assert (DLAB + "transferType", '"HttpData-PULL"') in preds
    assert (
        "https://w3id.org/datalab/ns#dataSpace",
        "<https://w3id.org/datalab/dataspace/research>",
    ) in preds
    # what was sent is a valid CatalogRequestMessage, POSTed to /catalog/request
    [req] = server.requests
    assert req.method == "POST"
    assert json.loads(req.body) == catalog_request()


def test_catalog_request_and_corpus_catalog_conform_to_the_spec_schemas(
    dsp: Path, corpus: Path
) -> None:
    schemas = dsp_schemas(corpus)
    assert schemas.errors(json.loads((dsp / "catalog.json").read_text())) == []
    bad = json.loads((dsp / "catalog.json").read_text())
    del bad["dataset"][0]["hasPolicy"]
    assert schemas.errors(bad), "a dataset without an offer must fail the schema"


def test_served_pages_conform_and_link_paging_is_followed(
    server: Server, dsp: Path, tmp_path: Path
) -> None:
    pages_served = _catalog_pages(dsp, 7, 3)
    schemas = dsp_schemas(dsp.parent)
    for page in pages_served:
        assert schemas.errors(page) == []
    _serve_pages(server, pages_served)
    pages = _pages(server, tmp_path, data_space="health")
    assert len(pages) == 3
    ids = [r.record_id for p in pages for r in p.records]
    assert ids == [f"urn:uuid:dataset-{i}" for i in range(7)]
    assert all(r.method == "POST" for r in server.requests)


def test_dataset_without_offer_is_a_clean_record_failure(
    server: Server, dsp: Path, tmp_path: Path
) -> None:
    [page] = _catalog_pages(dsp, 2, 5)
    del page["dataset"][1]["hasPolicy"]
    _serve_pages(server, [page])
    [got] = _pages(server, tmp_path)
    assert [r.record_id for r in got.records] == ["urn:uuid:dataset-0"]
    assert got.failures[0].record_id == "urn:uuid:dataset-1"
    assert "hasPolicy" in got.failures[0].message


@pytest.mark.parametrize(
    ("next_link", "expected"),
    [
        ("/catalog/request?page=1", "already visited"),
        ("http://10.0.0.1/catalog/request?page=2", "another host"),
        ("/catalog/request?page=2&pad=" + "x" * 5000, "characters long"),
    ],
)
def test_bad_next_links_fail_the_listing(
    server: Server, dsp: Path, tmp_path: Path, next_link: str, expected: str
) -> None:
    _serve_pages(server, _catalog_pages(dsp, 4, 2), next_of={1: next_link})
    from catalog.errors import HarvestError

    with pytest.raises(HarvestError, match=expected):
        _pages(server, tmp_path)


def test_catalog_error_fails_the_job_and_keeps_the_catalogue(
    server: Server, dsp: Path, tmp_path: Path
) -> None:
    settings = server.settings(tmp_path)
    HarvestSources(settings).add("edc", "dsp", server.base)
    _serve_pages(server, _catalog_pages(dsp, 3, 10))
    with Catalogue.open(settings) as cat:
        first = Harvester(cat, validate=False).run("edc")
        assert first.status == SUCCEEDED, first.message
        assert first.counts["new"] == 3
        server.static("/catalog/request", (dsp / "catalog-error.json").read_bytes())
        second = Harvester(cat, validate=False).run("edc")
        assert second.status == FAILED
        assert "Catalog not provisioned" in second.message
        rows = cat.store.select(
            "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d a "
            "<http://www.w3.org/ns/dcat#Dataset> } }"
        )
        assert int(rows[0]["n"].value) == 3
    assert second.status != PARTIAL


def test_not_json_and_html_answers_fail_cleanly(server: Server, tmp_path: Path) -> None:
    from catalog.errors import HarvestError

    server.static("/catalog/request", b"<html>login</html>", "text/html")
    with pytest.raises(HarvestError, match="HTML"):
        _pages(server, tmp_path)
    server.static("/catalog/request", b"{not json", "application/json")
    with pytest.raises(HarvestError, match="not JSON"):
        _pages(server, tmp_path)


def test_dsp_records_map_to_dcat_ap_distributions_and_services(
    server: Server, dsp: Path, tmp_path: Path
) -> None:
    """Issue 14: a harvested DSP dataset's distributions have an accessURL (the DSP
    endpoint), their data service a title and conformance to the DSP, and ``dct:format``
    only holds real formats: a transfer type goes to ``dlab:transferType``, a media type to
    ``dcat:mediaType``. The project's DCAT-AP 3 shapes find no violation about them."""
    from rdflib import Graph

    from catalog.validation import load_shapes, validate_graph

    base = json.loads((dsp / "dataset.json").read_text())  # an inline DataService
    csv = "http://publications.europa.eu/resource/authority/file-type/CSV"
    datasets = []
    for n, fmt in enumerate(["HttpData-PULL", "text/csv", csv]):
        ds = _dataset(n, base)
        ds["dct:title"] = f"dataset {n}"
        ds["dct:description"] = "a DSP dataset"
        ds["distribution"][0]["format"] = fmt
        datasets.append(ds)
    page = json.loads((dsp / "catalog.json").read_text())
    page["dataset"] = datasets
    assert dsp_schemas(dsp.parent).errors(page) == []
    _serve_pages(server, [page])
    [got] = _pages(server, tmp_path)
    by_id = {r.record_id: r for r in got.records}
    for n in range(3):
        triples = by_id[f"urn:uuid:dataset-{n}"].triples
        preds = {(t.predicate.value, str(t.object)) for t in triples}
        assert (DCAT + "accessURL", "<https://provider-a.com/connector>") in preds
        assert (DCT + "conformsTo", f"<{DSP_SPEC}>") in preds
        formats = {o for p, o in preds if p == DCT + "format"}
        assert formats == ({f"<{csv}>"} if n == 2 else set())
        graph = Graph()
        graph.parse(data="\n".join(f"{t} ." for t in triples), format="nt")
        report = validate_graph(graph, load_shapes())
        about = [
            f
            for f in report.violations()
            if f.path in ("dcat:accessURL", "dct:title", "dcat:endpointURL", "dct:format")
        ]
        assert not about, [(f.focus, f.path, f.message) for f in about]
    media = {(t.predicate.value, str(t.object)) for t in by_id["urn:uuid:dataset-1"].triples}
    iana = "https://www.iana.org/assignments/media-types/text/csv"
    assert (DCAT + "mediaType", f"<{iana}>") in media
    transfer = {(t.predicate.value, str(t.object)) for t in by_id["urn:uuid:dataset-0"].triples}
    assert (DLAB + "transferType", '"HttpData-PULL"') in transfer
