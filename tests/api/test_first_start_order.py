"""A server's first start over a large catalogue (issue 18): the search index is built first,
on the offers' thread, and the first offers build copies the facts it stored instead of
reading every record from the graph store again. Below the size where that pays, and
with an index already there, the search index waits for the first search as before."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from api import services as services_module
from api.app import create_app
from bench.offers_bench import corpus_shaped
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.offers.live import LiveOffers
from catalog.search.index import index_path
from catalog.service import Catalogue
from catalog.settings import Settings

N = 150


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        cat.load(corpus_shaped(N), fmt="turtle", source="shaped", replace=True)
        load_registry(cat)
    return settings


@contextmanager
def _started(settings: Settings) -> Iterator[tuple[TestClient, LiveOffers]]:
    with TestClient(create_app(settings)) as client:
        offers = client.app.state.services.offers  # type: ignore[attr-defined]
        assert offers.wait_ready(120)
        yield client, offers


def test_a_first_start_over_a_large_catalogue_builds_search_first_and_copies_its_facts(
    loaded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services_module, "SEARCH_FIRST_FROM", N)  # "large" for this test
    frozen_when: list[bool] = []  # whether the index existed when the build's leftovers froze
    monkeypatch.setattr(
        services_module,
        "freeze_long_lived",
        lambda collect: frozen_when.append(collect and index_path(loaded.home).exists()),
    )
    assert not index_path(loaded.home).exists()
    with _started(loaded) as (client, offers):
        assert index_path(loaded.home).exists()  # built before any search was asked
        assert frozen_when == [True]  # then kept out of the collector's full passes
        assert offers.follower.records_read == 0  # every dataset's facts copied
        found = client.get("/search", params={"q": "", "limit": 1}).json()
        datasets = found["total"]
        assert datasets > N
        one = client.get("/datasets", params={"limit": 1}).json()["items"][0]["id"]
        answer = client.get(f"/datasets/{one}/offers")
        assert answer.status_code == 200 and answer.json()["offers"]
    with _started(loaded) as (_, offers):  # a restart builds nothing and reads nothing
        assert offers.follower.records_read == 0


def test_a_small_catalogue_reads_its_records_and_leaves_search_to_the_first_search(
    loaded: Settings,
) -> None:
    with _started(loaded) as (client, offers):
        assert not index_path(loaded.home).exists()
        assert offers.follower.records_read > N
        assert client.get("/search", params={"q": ""}).status_code == 200
        assert index_path(loaded.home).exists()
