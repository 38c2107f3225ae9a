"""``datalab source …`` and ``datalab harvest`` against a real loopback CKAN portal, and the
fetch faults (429 with Retry-After, redirect loop, gzip bomb) through whole harvests."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.harvest import Harvester, HarvestSources
from catalog.service import Catalogue
from catalog.settings import Settings
from cli.app import app
from tests.connectors.ckan_server import SEARCH, CkanPortal, corpus_packages
from tests.connectors.dcat_server import DcatEndpoint, corpus_triples
from tests.connectors.loopback import Answer, Loopback, serve


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def portal(server: Loopback, corpus: Path) -> CkanPortal:
    return CkanPortal(server, corpus_packages(corpus))


@pytest.fixture
def env(server: Loopback, tmp_path: Path) -> dict[str, str]:
    return {
        "DATALAB_HOME": str(tmp_path / "home"),
        "DATALAB_FETCH_ALLOW_HOSTS": f"127.0.0.1:{server.port}",
        "DATALAB_FETCH_HOST_DELAY_S": "0",
        "DATALAB_FETCH_BACKOFF_S": "0.01",
        "DATALAB_FETCH_READ_TIMEOUT_S": "2",
    }


def _cli(env: dict[str, str], *args: str):
    return CliRunner().invoke(app, list(args), env=env)


def test_source_add_list_show_remove(env, portal) -> None:
    added = _cli(
        env, "source", "add", "demo", "--type", "ckan", "--url", portal.url, "-o", "rows=2"
    )
    assert added.exit_code == 0, added.output
    assert "added source demo (ckan)" in added.output
    listed = _cli(env, "source", "list", "--json")
    assert listed.exit_code == 0
    [source] = json.loads(listed.stdout)
    assert source["name"] == "demo"
    assert source["options"] == {"rows": 2}
    assert f"demo\tckan\t{portal.url}" in _cli(env, "source", "list").stdout

    harvested = _cli(env, "harvest", "demo")
    assert harvested.exit_code == 0, harvested.output
    assert "demo: succeeded" in harvested.stdout
    assert "page 3, 5 of 5 records" in harvested.stderr  # the progress line

    shown = json.loads(_cli(env, "source", "show", "demo").stdout)
    assert shown["source"]["url"] == portal.url
    assert shown["jobs"][0]["status"] == "succeeded"
    assert shown["jobs"][0]["counts"]["new"] == 5

    removed = _cli(env, "source", "remove", "demo")
    assert removed.exit_code == 0, removed.output
    assert json.loads(_cli(env, "source", "list", "--json").stdout) == []
    with Catalogue.open(Settings(home=Path(env["DATALAB_HOME"]))) as cat:
        assert cat.count("demo") == 0


def test_source_add_refuses_bad_input(env, portal) -> None:
    unknown = _cli(env, "source", "add", "x", "--type", "gopher", "--url", portal.url)
    assert unknown.exit_code == 2
    assert "no connector named 'gopher'" in unknown.output
    bad_url = _cli(env, "source", "add", "x", "--type", "ckan", "--url", "file:///etc/passwd")
    assert bad_url.exit_code == 2
    assert "http:// or https://" in bad_url.output
    bad_option = _cli(
        env, "source", "add", "x", "--type", "ckan", "--url", portal.url, "-o", "rows"
    )
    assert bad_option.exit_code == 2
    assert "not KEY=VALUE" in bad_option.output
    assert _cli(env, "source", "show", "nope").exit_code == 2


def test_harvest_all_json_and_exit_status(env, portal, server, corpus) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=4)
    _cli(env, "source", "add", "demo", "--type", "ckan", "--url", portal.url)
    _cli(env, "source", "add", "geo", "--type", "dcat", "--url", endpoint.url)
    result = _cli(env, "harvest", "--all", "--json")
    assert result.exit_code == 0, result.output
    jobs = {j["source"]: j for j in json.loads(result.stdout)}
    assert jobs["demo"]["status"] == jobs["geo"]["status"] == "succeeded"
    assert jobs["geo"]["counts"]["new"] == len(endpoint.records)
    # one source breaks: exit status 1, the error named in plain words
    portal.fault = lambda _n, _q: Answer(503, b"down", {"Content-Type": "text/plain"})
    again = _cli(env, "harvest", "--all")
    assert again.exit_code == 1
    assert "demo: failed" in again.stdout
    assert "HTTP 503" in again.stdout
    assert "geo: succeeded" in again.stdout
    both = _cli(env, "harvest", "demo", "--all")
    assert both.exit_code == 2
    assert "not both" in both.output


# --- fetch faults through whole harvests --------------------------------------------------


def _first_run(settings: Settings, portal: CkanPortal, cat: Catalogue) -> bytes:
    HarvestSources(settings).add("demo", "ckan", portal.url, options={"rows": 2})
    job = Harvester(cat, validate=False).run("demo")
    assert job.status == "succeeded", job.message
    return b"".join(sorted(cat.export("ntriples").splitlines()))


def _on_page_two(answer: Answer, times: int | None = None):
    served = {"n": 0}

    def fault(_n: int, query: dict) -> Answer | None:
        if query.get("start") != ["2"]:
            return None
        served["n"] += 1
        return answer if times is None or served["n"] <= times else None

    return fault


def test_429_with_short_retry_after_waits_and_succeeds(server, portal, tmp_path) -> None:
    settings = server.settings(tmp_path / "home", fetch_max_retries=2)
    with Catalogue.open(settings) as cat:
        _first_run(settings, portal, cat)
        portal.packages[0] = {**portal.packages[0], "title": "changed upstream"}
        portal.requests.clear()
        portal.fault = _on_page_two(Answer(429, b"slow down", {"Retry-After": "1"}), times=1)
        job = Harvester(cat, validate=False).run("demo")
        assert job.status == "succeeded", job.message
        assert job.counts["updated"] == 1
        assert job.counts["unchanged"] == 4
        assert [q["start"] for q in portal.requests] == [["0"], ["2"], ["2"], ["4"]]


def test_429_with_long_retry_after_fails_and_keeps_the_catalogue(server, portal, tmp_path):
    settings = server.settings(tmp_path / "home")
    with Catalogue.open(settings) as cat:
        before = _first_run(settings, portal, cat)
        portal.packages.pop()
        portal.fault = _on_page_two(Answer(429, b"later", {"Retry-After": "7200"}))
        job = Harvester(cat, validate=False).run("demo")
        assert job.status == "failed"
        assert "retry after" in job.message
        assert "nothing was published" in job.message
        assert job.counts["deleted"] == 0
        assert b"".join(sorted(cat.export("ntriples").splitlines())) == before


def test_redirect_loop_fails_and_keeps_the_catalogue(server, portal, tmp_path) -> None:
    settings = server.settings(tmp_path / "home")
    with Catalogue.open(settings) as cat:
        before = _first_run(settings, portal, cat)
        server.routes["/loop"] = lambda _p, _q: Answer(302, b"", {"Location": SEARCH + "?start=2"})
        portal.fault = _on_page_two(Answer(302, b"", {"Location": "/loop"}))
        job = Harvester(cat, validate=False).run("demo")
        assert job.status == "failed"
        assert "redirect loop" in job.message
        assert b"".join(sorted(cat.export("ntriples").splitlines())) == before
        assert cat.count("demo") == 5


def test_gzip_bomb_fails_and_keeps_the_catalogue(server, portal, tmp_path) -> None:
    settings = server.settings(tmp_path / "home", fetch_max_decompressed_bytes=1024 * 1024)
    bomb = gzip.compress(b" " * (30 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100_000
    with Catalogue.open(settings) as cat:
        before = _first_run(settings, portal, cat)
        portal.packages.pop()
        portal.fault = _on_page_two(Answer(200, bomb, {"Content-Encoding": "gzip"}))
        job = Harvester(cat, validate=False).run("demo")
        assert job.status == "failed"
        assert "decompresses to more than the cap" in job.message
        assert b"".join(sorted(cat.export("ntriples").splitlines())) == before
        assert cat.count("demo") == 5
