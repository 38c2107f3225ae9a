"""The harvest's prefetch thread: order, bounded read-ahead, errors and early stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from catalog.errors import HarvestError
from catalog.harvest.prefetch import prefetched


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "harvest-prefetch"]


class Listing:
    """A listing of ``n`` pages that records what was produced and whether it was closed."""

    def __init__(self, n: int, fail_after: int | None = None) -> None:
        self.n = n
        self.fail_after = fail_after
        self.produced = 0
        self.closed = False
        self.thread: str | None = None

    def pages(self) -> Iterator[int]:
        try:
            for i in range(self.n):
                if self.fail_after is not None and i == self.fail_after:
                    raise HarvestError(f"page {i + 1} could not be read")
                self.thread = threading.current_thread().name
                self.produced += 1
                yield i
        finally:
            self.closed = True


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_every_page_arrives_in_order(depth: int) -> None:
    listing = Listing(20)
    assert list(prefetched(listing.pages(), depth)) == list(range(20))
    assert listing.closed
    assert listing.thread == ("harvest-prefetch" if depth else "MainThread")
    assert not _prefetch_threads()


def test_read_ahead_is_bounded() -> None:
    listing = Listing(12)
    ahead = []
    for consumed, _ in enumerate(prefetched(listing.pages(), 2), start=1):
        time.sleep(0.02)  # a slow store: the producer runs ahead until the queue is full
        ahead.append(listing.produced - consumed)
    # queued (2) plus the one the producer holds while it waits for a free slot
    assert max(ahead) <= 3
    assert max(ahead) >= 2  # it did fetch ahead


def test_listing_error_surfaces_where_the_page_would_have_been() -> None:
    listing = Listing(10, fail_after=3)
    got: list[int] = []

    def consume() -> None:
        for page in prefetched(listing.pages(), 1):
            got.append(page)

    with pytest.raises(HarvestError, match="page 4 could not be read"):
        consume()
    assert got == [0, 1, 2]
    assert not _prefetch_threads()


def test_consumer_failure_stops_the_thread_and_closes_the_listing() -> None:
    listing = Listing(1000)

    def store() -> None:
        for page in prefetched(listing.pages(), 1):
            if page == 2:
                raise RuntimeError("store failed")

    with pytest.raises(RuntimeError, match="store failed"):
        store()
    assert listing.closed
    assert listing.produced <= 5  # it stopped fetching instead of reading the whole listing
    assert not _prefetch_threads()
