"""Fixtures of the model tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.catalog.model.model_helpers import CORPUS


@pytest.fixture
def corpus() -> Path:
    """The shared folder of real third-party files (never copied into the project)."""
    assert CORPUS.is_dir(), f"corpus not found at {CORPUS}"
    return CORPUS
