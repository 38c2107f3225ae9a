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


def test_a_sources_reports_are_cached_per_version_and_follow_every_change(tmp_path) -> None:
    from catalog.quality import source_quality
    from catalog.quality.cache import cached_source_quality

    with Catalogue.open(get_settings(home=tmp_path / "home")) as cat:
        load_demo(cat)
        ids = {i.id for i in cat.datasets(source="demo-health", limit=5).items}
        first = cached_source_quality(cat, "demo-health", (), ids, None)
        assert cached_source_quality(cat, "demo-health", (), ids, None) is first  # no re-read
        fresh = source_quality(cat, "demo-health", (), only=ids)[1]
        assert {k: v.to_dict() for k, v in first[1].items()} == {
            k: v.to_dict() for k, v in fresh.items()
        }
        # a sample changes the key; so does a new version of the source
        one = sorted(ids)[0]
        with_sample = cached_source_quality(cat, "demo-health", {one}, ids, None)
        assert with_sample is not first
        assert with_sample[1][one].to_dict() == (
            source_quality(cat, "demo-health", {one}, only=ids)[1][one].to_dict()
        )
        record = cat.get(one)
        keyword = f'\n<{record.ref.iri}> <http://www.w3.org/ns/dcat#keyword> "cache"@en .\n'
        cat.load(ox_turtle(record.triples) + keyword.encode(), fmt="turtle", source="demo-health")
        after = cached_source_quality(cat, "demo-health", (), ids, None)
        assert after is not first
        assert (
            after[1][one].to_dict()
            == source_quality(cat, "demo-health", (), only=ids)[1][one].to_dict()
        )


def ox_turtle(triples) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(list(triples), format=ox.RdfFormat.TURTLE) or b""
