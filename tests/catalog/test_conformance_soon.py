"""A page asks for a source's SHACL outcome without waiting for the validator."""

from __future__ import annotations

import time

from catalog.demo import load_demo
from catalog.quality import ConformanceCache
from catalog.service import Catalogue
from catalog.settings import get_settings


def test_the_outcome_is_computed_once_in_the_background_then_answered_at_once(tmp_path) -> None:
    with Catalogue.open(get_settings(home=tmp_path / "home")) as cat:
        load_demo(cat)
        cache = ConformanceCache(cat)
        started = time.monotonic()
        first = cache.source_soon("demo-health", wait_s=0.0)
        assert time.monotonic() - started < 0.5  # the validator is not waited for
        assert first is None
        deadline = time.monotonic() + 120
        outcome = None
        while outcome is None and time.monotonic() < deadline:
            outcome = cache.source_soon("demo-health", wait_s=1.0)
        assert outcome is not None  # the background run finished and was cached
        assert outcome == cache.source("demo-health")  # the same as computing it in line
        assert outcome and all(isinstance(v, bool) for v in outcome.values())
        started = time.monotonic()
        assert cache.source_soon("demo-health", wait_s=5.0) == outcome
        assert time.monotonic() - started < 0.1
        assert cache.source_soon("no-such-source", wait_s=1.0) is None
