"""Working sources for the connector contract suite, one builder per connector kind.

A builder gets a running loopback server, the corpus folder and an ExitStack (for anything
else it starts) and returns a :class:`ContractSource`. A new connector adds its builder
here so that the behavioural contract runs against it too; the fault contract needs none.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.dataspaces.oai_server import (
    OaiEndpoint,
    corpus_cmdi_records,
    corpus_metashare_records,
)
from tests.connectors.dataspaces.server import Reply, Request, Server
from tests.connectors.dataspaces.server import serve as serve_dataspace
from tests.connectors.dataspaces.stac_server import StacApi
from tests.connectors.dcat_server import EXAMPLES, DcatEndpoint, corpus_triples
from tests.connectors.loopback import Loopback
from tests.connectors.oxigraph_server import load, oxigraph_server


@dataclass
class ContractSource:
    """Where the source answers, its connector options, and how many datasets it holds."""

    url: str
    datasets: int
    options: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)


Builder = Callable[[Loopback, Path, ExitStack, Path], ContractSource]


def _ckan(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    portal = CkanPortal(server, corpus_packages(corpus))
    return ContractSource(portal.url, len(portal.packages), {"rows": 2})


def _dcat(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    return ContractSource(endpoint.url, len(endpoint.records))


def _sparql(server: Loopback, corpus: Path, stack: ExitStack, tmp: Path) -> ContractSource:
    load(tmp / "oxigraph", [corpus / name for name in EXAMPLES])
    url = stack.enter_context(oxigraph_server(tmp / "oxigraph"))
    port = httpx.URL(url).port
    return ContractSource(url, 11, {"rows": 4}, [f"127.0.0.1:{port}"])


def _example(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    body = ox.serialize(corpus_triples(corpus), format=ox.RdfFormat.N_TRIPLES)
    server.static("/dump.nt", body, "application/n-triples")
    return ContractSource(f"{server.base}/dump.nt", 11)


#: HealthDCAT-AP examples with distinct dataset IRIs: the ckanext-dcat health dataset (with
#: its blank-node HDAB agent) and the four Health-RI example datasets.
HEALTH_EXAMPLES = (
    "healthdcat-ap/ckanext-dcat/dataset_health.ttl",
    "healthdcat-ap/health-ri/example-dataset.ttl",
)


def _healthdcat(server: Loopback, corpus: Path, _stack: ExitStack, _tmp: Path) -> ContractSource:
    """A health data access body's catalogue: Turtle pages linked by hydra:next, counted."""
    endpoint = DcatEndpoint(server, corpus_triples(corpus, HEALTH_EXAMPLES), per_page=2)
    return ContractSource(endpoint.url, len(endpoint.records))


def _dataspace_server(stack: ExitStack) -> tuple[Server, list[str]]:
    """A second loopback server (GET and POST, request bodies read) and its allow-list entry."""
    srv = stack.enter_context(serve_dataspace())
    return srv, [f"127.0.0.1:{srv.port}"]


def _oai_pmh(_server: Loopback, corpus: Path, stack: ExitStack, _tmp: Path) -> ContractSource:
    """A language repository offering Dublin Core, CLARIN CMDI and META-SHARE records.

    The connector harvests the richest family offered (META-SHARE), page by page through
    resumption tokens; the CMDI records stay reachable under their own prefix.
    """
    srv, hosts = _dataspace_server(stack)
    metashare = corpus_metashare_records(corpus)
    endpoint = OaiEndpoint(
        srv,
        formats={
            "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
            "cmdi": "http://www.clarin.eu/cmd/",
            "metashare": "http://www.ilsp.gr/META-XMLSchema",
        },
        records={"cmdi": corpus_cmdi_records(corpus), "metashare": metashare},
        per_page=3,
    )
    return ContractSource(endpoint.url, len(metashare), hosts=hosts)


def _stac(_server: Loopback, corpus: Path, stack: ExitStack, _tmp: Path) -> ContractSource:
    """A STAC API over the Sentinel corpus: /collections paged two at a time, items sampled."""
    srv, hosts = _dataspace_server(stack)
    api = StacApi(srv, corpus, per_page=2)
    return ContractSource(api.url, len(api.collections), hosts=hosts)


def _dsp_pages(corpus: Path) -> list[dict[str, Any]]:
    """The corpus catalogue as page 1, then the corpus dataset offered twice more (fresh ids)."""
    dsp = corpus / "dataspace-protocol"
    first = json.loads((dsp / "catalog.json").read_text())
    second = json.loads(json.dumps(first))
    base = json.loads((dsp / "dataset.json").read_text())
    base.pop("@context", None)
    second["dataset"] = []
    for n in (1, 2):
        ds = json.loads(json.dumps(base))
        ds["@id"] = f"urn:uuid:contract-dataset-{n}"
        ds["hasPolicy"][0]["@id"] = f"urn:uuid:contract-offer-{n}"
        second["dataset"].append(ds)
    return [first, second]


def _dsp(_server: Loopback, corpus: Path, stack: ExitStack, _tmp: Path) -> ContractSource:
    """A DSP connector's catalogue: CatalogRequestMessage POSTs, paged by ``Link: rel=next``."""
    srv, hosts = _dataspace_server(stack)
    pages = _dsp_pages(corpus)

    def route(req: Request) -> Reply:
        if req.method != "POST" or json.loads(req.body or b"{}").get("@type") != (
            "CatalogRequestMessage"
        ):
            return Reply(400, b'{"@type": "CatalogError", "code": "400"}')
        n = int(req.query.get("page", ["1"])[0])
        headers = {"Link": f'</catalog/request?page={n + 1}>; rel="next"'} if n < len(pages) else {}
        return Reply(200, json.dumps(pages[n - 1]).encode(), "application/json", headers)

    srv.routes["/catalog/request"] = route
    return ContractSource(srv.base, sum(len(p["dataset"]) for p in pages), hosts=hosts)


BUILDERS: dict[str, Builder] = {
    "ckan": _ckan,
    "dcat": _dcat,
    "sparql": _sparql,
    "example": _example,
    "healthdcat-ap": _healthdcat,
    "oai-pmh": _oai_pmh,
    "stac": _stac,
    "dsp": _dsp,
}
