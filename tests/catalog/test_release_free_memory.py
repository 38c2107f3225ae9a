"""A build frees far more than it keeps; the freed heap goes back to the system once the
build's garbage is collected (:func:`catalog.long_lived.freeze_long_lived` with
``collect``), instead of staying in the process until it restarts."""

from __future__ import annotations

import gc

from bench.search_bench import current_rss_mb
from catalog.long_lived import freeze_long_lived, release_free_memory

#: Allocations above pymalloc's small-object limit go to the C library's malloc.
_CHUNK = 4096
_CHUNKS = 60_000  # about 250 MB


def _fragmented_heap() -> list[bytes]:
    """Free most of ``_CHUNKS`` allocations, keeping one in a hundred alive and spread
    through the heap: the C library cannot give the freed pages back by shrinking its
    top, and keeps them."""
    made = [bytes(_CHUNK) for _ in range(_CHUNKS)]
    kept = made[::100]
    del made
    return kept


def test_the_freed_heap_is_handed_back() -> None:
    kept = _fragmented_heap()
    before = current_rss_mb()
    assert release_free_memory()
    after = current_rss_mb()
    assert before - after > 150, (before, after)  # most of the 250 MB freed
    assert len(kept) == _CHUNKS // 100  # the live ones are untouched
    assert all(chunk == bytes(_CHUNK) for chunk in kept)


def test_the_freeze_after_a_build_hands_it_back() -> None:
    kept = _fragmented_heap()
    before = current_rss_mb()
    try:
        freeze_long_lived(collect=True)
        after = current_rss_mb()
    finally:
        gc.unfreeze()
    assert before - after > 150, (before, after)
    del kept
