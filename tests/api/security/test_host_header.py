"""The Host header never decides a link: every absolute link is on public_url, and hosts that
are not trusted get 400 before any route runs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.middleware.hosts import host_of, is_trusted, trusted_hosts
from catalog.demo import load_demo
from catalog.federation.dsp_catalog import DSP_CONTEXT
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.catalog.samples.builders import IDS, load_datasets, sales_table, users

PUBLIC = "https://catalogue.example.eu"
EVIL = "evil.example"
DSP_REQUEST = {"@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage", "filter": []}
HTML = {"Accept": "text/html"}


@dataclass
class Apps:
    strict: TestClient  # default trusted hosts (public_url's host, localhost, ...)
    open: TestClient  # trusted_hosts = * : the Host check is off, links must still hold
    dataset: str


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    home = tmp_path_factory.mktemp("host-header")
    strict = get_settings(home=home, public_url=PUBLIC, offers_index="off")
    anything = get_settings(home=home, public_url=PUBLIC, offers_index="off", trusted_hosts="*")
    load_datasets(strict)
    with Catalogue.open(strict) as cat:
        load_demo(cat)
        load_registry(cat)
    admin = {"Authorization": f"Bearer {users(strict)['admin']}"}
    dataset = IDS["public"]
    buf = io.BytesIO()
    pq.write_table(sales_table(250), buf)
    with (
        Catalogue.open(strict) as cat,
        TestClient(create_app(anything, catalogue=cat)) as open_client,
    ):
        r = open_client.put(
            f"/datasets/{dataset}/sample",
            content=buf.getvalue(),
            headers=admin | {"Content-Type": "application/vnd.apache.parquet"},
        )
        assert r.status_code == 201, r.text
        with TestClient(create_app(strict, catalogue=cat)) as strict_client:
            yield Apps(strict_client, open_client, dataset)


def _probes(dataset: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every response that carries absolute links, with paging small enough for a next."""
    return [
        ("GET", "/datasets?limit=1", {}),
        ("GET", f"/datasets/{dataset}", {}),
        ("GET", "/catalog?page_size=1", {}),
        ("GET", "/search?limit=1", {}),
        ("GET", "/search?limit=1", {"headers": HTML}),
        ("POST", "/dsp/catalog/request?page=2&page_size=1", {"json": DSP_REQUEST}),
        ("GET", "/api/3/action/package_search?rows=1", {}),
        ("GET", f"/datasets/{dataset}/croissant", {}),
        ("GET", f"/datasets/{dataset}/sample", {}),
        ("GET", f"/datasets/{dataset}/sample/rows?limit=1", {}),
        ("GET", "/ui/search", {}),
        ("GET", f"/ui/datasets/{dataset}", {}),
        ("GET", "/ui/login", {}),
    ]


def _everything(response: Any) -> str:
    return response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())


@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:443", "localhost:9999"])
def test_no_link_ever_carries_the_host_header(apps: Apps, host: str) -> None:
    for method, url, kwargs in _probes(apps.dataset):
        headers = {"Host": host} | kwargs.pop("headers", {})
        r = apps.open.request(method, url, headers=headers, **kwargs)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        assert host.split(":")[0] not in _everything(r), url
        assert "testserver" not in _everything(r), url


def test_the_links_are_on_the_public_url(apps: Apps) -> None:
    c, ds, host = apps.open, apps.dataset, {"Host": EVIL}
    page = c.get("/datasets?limit=1", headers=host).json()
    assert page["next"].startswith(f"{PUBLIC}/datasets?")
    assert page["items"][0]["links"]["self"].startswith(f"{PUBLIC}/datasets/")
    search = c.get("/search?limit=1", headers=host).text
    assert f"{PUBLIC}/search?" in c.get("/search?limit=1", headers=host | HTML).text
    assert search  # the JSON search answer carries no absolute links of its own
    assert f"<{PUBLIC}/catalog?" in c.get("/catalog?page_size=1", headers=host).text
    dsp = c.post("/dsp/catalog/request?page=2&page_size=1", json=DSP_REQUEST, headers=host)
    assert f"<{PUBLIC}/dsp/catalog/request?" in dsp.headers["link"]
    sample = c.get(f"/datasets/{ds}/sample", headers=host).json()
    assert sample["distribution"]["download_url"] == f"{PUBLIC}/datasets/{ds}/sample/file"
    rows = c.get(f"/datasets/{ds}/sample/rows?limit=1", headers=host).json()
    assert rows["next"].startswith(f"{PUBLIC}/datasets/{ds}/sample/rows?")
    assert f"{PUBLIC}/ui/datasets/{ds}" in c.get(f"/ui/datasets/{ds}", headers=host).text


def test_untrusted_hosts_get_400_without_their_name_echoed(apps: Apps) -> None:
    for method, url, kwargs in [*_probes(apps.dataset), ("GET", "/health", {})]:
        for host in (EVIL, f"{EVIL}:8000", "catalogue.example.eu.evil.example", "[::2]", "a b"):
            headers = {"Host": host} | kwargs.get("headers", {})
            r = apps.strict.request(method, url, headers=headers, json=kwargs.get("json"))
            assert r.status_code == 400, (url, host)
            error = r.json()["error"]
            assert error["code"] == "untrusted_host"
            assert error["where"] == "Host"
            assert "evil" not in r.text
    for host in ("catalogue.example.eu", "catalogue.example.eu:443", "localhost:8000", "[::1]"):
        assert apps.strict.get("/health", headers={"Host": host}).status_code == 200, host
    assert apps.strict.get("/health").status_code == 200  # TestClient's own "testserver"


def test_host_parsing_and_patterns() -> None:
    assert host_of("Example.EU.:8443") == "example.eu"
    assert host_of("[::1]:80") == "::1"
    for bad in ("", "a b", "x:y", "[zz]", "host:123456", "evil.example/path"):
        assert host_of(bad) is None, bad
    patterns = trusted_hosts(get_settings(public_url=PUBLIC, trusted_hosts="*.example.org"))
    assert "catalogue.example.eu" in patterns
    assert is_trusted("data.example.org", patterns)
    assert not is_trusted("example.org", patterns)
    assert not is_trusted("evilexample.org", patterns)
