"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.service import Catalogue
from catalog.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real third-party files in ../shared/corpus (read there, never copied)."""
    assert CORPUS.is_dir(), f"the corpus is missing at {CORPUS}"
    return CORPUS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(home=tmp_path / "home")


@pytest.fixture
def catalogue(settings: Settings) -> Iterator[Catalogue]:
    with Catalogue.open(settings) as cat:
        yield cat
