"""The paging guard: the rules on their own, and the runner enforcing them on a hostile
third-party plugin (discovered by entry point like any other) that never fetches anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox
import pytest

from catalog.errors import HarvestError
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.contract import Capability, Page, SourceRecord
from catalog.harvest.jobs import FAILED, SUCCEEDED
from catalog.harvest.paging import guarded
from catalog.harvest.plugins import GROUP, plugins
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.connectors.plugins import write_dist_info

SOURCE = "https://hostile.example/api"
DCAT_DATASET = ox.NamedNode("http://www.w3.org/ns/dcat#Dataset")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCT_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")


def _record(rid: str) -> SourceRecord:
    iri = ox.NamedNode(f"https://hostile.example/dataset/{rid}")
    triples = [ox.Triple(iri, RDF_TYPE, DCAT_DATASET), ox.Triple(iri, DCT_TITLE, ox.Literal(rid))]
    return SourceRecord(rid, iri, triples)


def _page(n: int, rids: list[str], url: str | None = None, next_url: str | None = None) -> Page:
    return Page(n, url or f"{SOURCE}?page={n}", [_record(r) for r in rids], next_url=next_url)


class HostilePlugin:
    """A third-party connector whose paging misbehaves as ``options["mode"]`` says.

    Every page it starts producing is logged in ``produced`` (what a real connector would
    fetch), so a test can tell that a hostile next link was never followed.
    """

    kind: ClassVar[str] = "hostile"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING
    produced: ClassVar[list[str]] = []

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.mode = str((options or {}).get("mode", "good"))

    def _produce(self, url: str) -> str:
        HostilePlugin.produced.append(url)
        return url

    def pages(self, since: str | None = None) -> Iterator[Page]:
        mode = self.mode
        if mode == "good":
            yield _page(1, ["a", "b"], self._produce(f"{self.url}?page=1"))
            return
        n = 0
        while True:
            n += 1
            url = f"{self.url}?page={n}"
            if mode == "endless":  # fresh URL, fresh records, for ever
                yield _page(n, [f"r{n}"], self._produce(url), next_url=f"{self.url}?page={n + 1}")
            elif mode == "same-page":  # the same page, URL and all, for ever
                yield _page(1, ["a"], self._produce(f"{self.url}?page=1"))
            elif mode == "same-records":  # fresh URLs, the same records
                yield _page(n, ["a", "b"], self._produce(url))
            elif mode == "other-host":  # links to a host it was never registered for
                yield _page(n, [f"r{n}"], self._produce(url), next_url="https://evil.example/p")
            elif mode == "link-back":  # announces page 1 again as the next page
                yield _page(n, [f"r{n}"], self._produce(url), next_url=f"{self.url}?page=1")
            else:
                raise AssertionError(mode)


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[HostilePlugin]]:
    """``HostilePlugin`` installed as the entry point ``hostile`` of a third-party package."""
    value = f"{__name__}:HostilePlugin"
    write_dist_info(tmp_path / "site", "datalab-hostile", "0.1", {GROUP: {"hostile": value}})
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    plugins.reset()
    HostilePlugin.produced = []
    yield HostilePlugin
    plugins.reset()


@pytest.mark.parametrize(
    ("mode", "words", "most_produced"),
    [
        ("endless", "paging did not end after 5 pages", 5),
        ("same-page", "the paging loops", 2),
        ("same-records", "repeats records already listed", 2),
        ("other-host", "paging across hosts is not followed", 1),
        ("link-back", "the paging loops", 1),
    ],
)
def test_runner_stops_a_hostile_plugin_and_keeps_the_catalogue(
    hostile: type[HostilePlugin], tmp_path: Path, mode: str, words: str, most_produced: int
) -> None:
    settings = get_settings(home=tmp_path / "home", harvest_max_pages=5)
    sources = HarvestSources(settings)
    sources.add("bad", "hostile", SOURCE)
    with Catalogue.open(settings) as cat:
        first = Harvester(cat, validate=False).run("bad")
        assert first.status == SUCCEEDED, first.message
        served = cat.graphs.current("bad")
        source = sources.get("bad")
        source.options = {"mode": mode}
        sources.save(source)
        hostile.produced.clear()
        job = Harvester(cat, validate=False).run("bad")
        assert job.status == FAILED
        assert words in (job.message or "")
        assert not job.published
        assert cat.graphs.current("bad") == served  # nothing of the hostile run published
        assert cat.count("bad") == 2
    # the guard stopped the plugin before it produced (fetched) a page it must not
    assert len(hostile.produced) <= most_produced
    assert not any("evil.example" in url for url in hostile.produced)


def _listing(pages: list[Page], **settings: object) -> list[Page]:
    return list(guarded(iter(pages), SOURCE, get_settings(**settings)))


def test_a_well_behaved_listing_passes_unchanged() -> None:
    pages = [_page(1, ["a", "b"], next_url=f"{SOURCE}?page=2"), _page(2, ["b", "c"])]
    assert _listing(pages) == pages


def test_the_cap_refuses_an_announced_page_past_it_without_asking_for_it() -> None:
    asked: list[int] = []

    def pages() -> Iterator[Page]:
        for n in range(1, 10):
            asked.append(n)
            yield _page(n, [f"r{n}"], next_url=f"{SOURCE}?page={n + 1}")

    with pytest.raises(HarvestError, match="did not end after 3 pages") as err:
        list(guarded(pages(), SOURCE, get_settings(harvest_max_pages=3)))
    assert asked == [1, 2, 3]
    assert err.value.where == SOURCE


def test_the_cap_counts_pages_of_a_connector_that_announces_no_links() -> None:
    pages = [_page(n, [f"r{n}"]) for n in range(1, 5)]
    with pytest.raises(HarvestError, match="did not end after 3 pages"):
        _listing(pages, harvest_max_pages=3)


@pytest.mark.parametrize(
    ("pages", "words"),
    [
        ([_page(1, ["a"], url="https://other.example/api?page=1")], "another host"),
        ([_page(1, ["a"]), _page(2, ["b"], url=f"{SOURCE}?page=1/")], "already visited"),
        ([_page(1, ["a"], next_url="http://hostile.example/api?page=2")], "another host"),
        ([_page(1, ["a"], next_url=f"{SOURCE}?page=1")], "already visited"),
        ([_page(1, ["a", "b"]), _page(2, ["b", "a"])], "repeats records"),
    ],
    ids=["page-off-host", "page-again", "next-off-host", "next-visited", "same-records"],
)
def test_each_rule_raises_with_the_source_as_where(pages: list[Page], words: str) -> None:
    with pytest.raises(HarvestError, match=words) as err:
        _listing(pages)
    assert err.value.where == SOURCE


def test_pages_without_records_or_with_some_new_ones_are_not_repeats() -> None:
    pages = [_page(1, ["a", "b"]), _page(2, []), _page(3, ["b", "c"]), _page(4, [])]
    assert len(_listing(pages)) == 4


def test_the_connector_is_closed_when_the_guard_stops_it() -> None:
    closed: list[bool] = []

    def pages() -> Iterator[Page]:
        try:
            yield _page(1, ["a"], next_url="https://evil.example/")
            yield _page(2, ["b"])
        finally:
            closed.append(True)

    with pytest.raises(HarvestError):
        list(guarded(pages(), SOURCE, get_settings()))
    assert closed == [True]
