"""Demo harvest sources: one of each data-space connector, served from fictional fixtures.

:func:`demo_connectors` describes a HealthDCAT-AP catalogue, an OAI-PMH language
repository (META-SHARE records, two pages joined by a resumption token), a STAC API (one
Sentinel-2-like collection across the antimeridian) and a Dataspace Protocol catalogue (one
dataset with an ODRL offer). :func:`serve_demo_sources` replays the fixtures next to this
module on 127.0.0.1, the way each service would. :func:`harvest_demo_sources` registers the
four sources and harvests them through the real connectors, so the demo shows datasets of
the four data spaces side by side. All the data is fictional and written for the project.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from catalog.namespaces import DATASPACE

log = logging.getLogger(__name__)

FIXTURES = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Route:
    """One answer of the demo server: a fixture file and its content type."""

    file: str
    content_type: str
    method: str = "GET"


@dataclass(frozen=True)
class DemoConnector:
    """A demo source: its name, connector type, data space, entry path and routes."""

    name: str
    type: str
    data_space: str
    path: str
    routes: dict[str, Route] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def data_space_iri(self) -> str:
        return str(DATASPACE) + self.data_space


def demo_connectors() -> list[DemoConnector]:
    """One demo source of each data-space connector kind."""
    xml = "text/xml; charset=utf-8"
    return [
        DemoConnector(
            "demo-ehds",
            "healthdcat-ap",
            "health",
            "/health/catalog.ttl",
            {"/health/catalog.ttl": Route("health.ttl", "text/turtle")},
        ),
        DemoConnector(
            "demo-clarin",
            "oai-pmh",
            "language",
            "/oai",
            {
                "/oai?verb=ListMetadataFormats": Route("oai-formats.xml", xml),
                "/oai?metadataPrefix=metashare&verb=ListRecords": Route("oai-page-1.xml", xml),
                "/oai?resumptionToken=page-2&verb=ListRecords": Route("oai-page-2.xml", xml),
            },
            {"iri_base": "https://demo.datalab.example.eu/language/"},
        ),
        DemoConnector(
            "demo-cdse",
            "stac",
            "earth-observation",
            "/stac/",
            {
                "/stac/": Route("stac-landing.json", "application/json"),
                "/stac/collections": Route("stac-collections.json", "application/json"),
                "/stac/collections/demo-sentinel-2-l2a-pacific/items": Route(
                    "stac-items.json", "application/geo+json"
                ),
            },
            {"iri_base": "https://demo.datalab.example.eu/eo/collections/"},
        ),
        DemoConnector(
            "demo-edc",
            "dsp",
            "research",
            "/dsp",
            {"/dsp/catalog/request": Route("dsp-catalog.json", "application/json", "POST")},
        ),
    ]


class _DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    base: str


def _route_key(raw_path: str) -> tuple[str, str]:
    parts = urlsplit(raw_path)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query)) if k != "limit")
    return parts.path, f"{parts.path}?{query}" if query else parts.path


class _Handler(BaseHTTPRequestHandler):
    server: _DemoServer

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        path, keyed = _route_key(self.path)
        route = self.server.routes.get(keyed) or self.server.routes.get(path)
        if route is None or route.method != method:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = (FIXTURES / route.file).read_text(encoding="utf-8")
        data = body.replace("{base}", self.server.base).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")


@contextmanager
def serve_demo_sources() -> Iterator[tuple[str, list[DemoConnector]]]:
    """Serve every demo fixture on 127.0.0.1 (a free port); yields the base URL."""
    connectors = demo_connectors()
    server = _DemoServer(("127.0.0.1", 0), _Handler)
    server.routes = {k: r for c in connectors for k, r in c.routes.items()}
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="demo-sources")
    thread.start()
    try:
        yield server.base, connectors
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def harvest_demo_sources(catalogue: Any) -> list[Any]:
    """Register (if needed) and harvest the four demo sources; returns the finished jobs.

    The demo server runs only for the duration of the call, on loopback; the harvest is
    allowed to reach exactly that host and port.
    """
    from catalog.errors import Conflict
    from catalog.harvest import Harvester, HarvestSources
    from catalog.outbound.fetcher import Fetcher

    jobs = []
    with serve_demo_sources() as (base, connectors):
        host = base.removeprefix("http://")
        settings = catalogue.settings.model_copy(
            update={
                "fetch_allow_hosts": [*catalogue.settings.fetch_allow_hosts, host],
                "fetch_host_delay_s": 0,
            }
        )
        registry = HarvestSources(catalogue.database)
        with Fetcher(settings) as fetcher:
            harvester = Harvester(catalogue, fetcher=fetcher, validate=False)
            harvester.settings = settings  # connectors may reach the demo server
            for demo in connectors:
                url = base + demo.path
                try:
                    registry.add(demo.name, demo.type, url, options=demo.options)
                except Conflict:
                    source = registry.get(demo.name)
                    source.url = url  # the demo server's port changes on every run
                    registry.save(source)
                job = harvester.run(demo.name, full=True)
                log.info("demo source %s: %s %s", demo.name, job.status, job.counts)
                jobs.append(job)
    return jobs


__all__ = [
    "DemoConnector",
    "Route",
    "demo_connectors",
    "harvest_demo_sources",
    "serve_demo_sources",
]
