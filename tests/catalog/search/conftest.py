"""Fixtures of the search tests: a real catalogue on disk with the fixture or demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.demo import load_demo
from catalog.search import SearchService
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(params=["fts5", "tantivy"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Every search test runs once per text engine (``search_text_engine``)."""
    return get_settings(home=tmp_path / "home", search_text_engine=request.param)


@pytest.fixture
def fixture_ttl() -> Path:
    return DATA / "multilingual.ttl"


@pytest.fixture
def loaded(catalogue: Catalogue, fixture_ttl: Path) -> Catalogue:
    catalogue.load_file(fixture_ttl, source="fixture", replace=True)
    return catalogue


@pytest.fixture
def search(loaded: Catalogue) -> Iterator[SearchService]:
    service = SearchService.open(loaded)
    yield service
    service.close()


@pytest.fixture
def demo_search(catalogue: Catalogue) -> Iterator[SearchService]:
    load_demo(catalogue)
    service = SearchService.open(catalogue)
    yield service
    service.close()


def ids(result: object) -> list[str]:
    """Hit ids without their hash suffix (``fx-1`` datasets keep their IRI slug)."""
    return [h.id.rsplit("-", 1)[0] for h in result.items]  # type: ignore[attr-defined]


def service_over(catalogue: Catalogue, turtle: str, source: str) -> Iterator[SearchService]:
    """A fixture's body: ``turtle`` loaded as ``source``, the search service opened over
    it and closed after the test."""
    catalogue.load(turtle.encode(), fmt="turtle", source=source, replace=True)
    service = SearchService.open(catalogue)
    yield service
    service.close()
