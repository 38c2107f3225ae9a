"""Fixtures of the sample tests: a catalogue with one dataset per access level, a store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.samples import SampleStore
from catalog.settings import Settings
from tests.catalog.samples.builders import load_datasets


@pytest.fixture
def store(settings: Settings) -> Iterator[SampleStore]:
    return SampleStore(settings)


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    """Settings of a catalogue holding the public/restricted/non-public/unstated datasets."""
    load_datasets(settings)
    return settings
