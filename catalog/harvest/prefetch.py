"""Fetch ahead: a connector's pages produced by a thread, a bounded number ahead.

While the harvest stores page N, the prefetch thread fetches, parses and maps page N+1
through the same connector (and so the same shared, polite fetcher: it still sends one
request at a time per host). At most ``depth`` finished pages wait in the queue, so memory
stays flat in the number of pages. An error in the listing is raised in the consumer,
where the page would have been; a consumer that stops early (an error while storing) stops
the thread and closes the connector's generator before returning.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
_POLL_S = 0.1


class _End:
    """The listing ended; ``error`` is what broke it, if anything."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def prefetched(pages: Iterator[T], depth: int) -> Iterator[T]:
    """``pages``, produced by a background thread at most ``depth`` items ahead.

    ``depth`` 0 iterates ``pages`` in the caller's thread (no prefetch).
    """
    if depth <= 0:
        yield from pages
        return
    slots: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: T | _End) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=_POLL_S)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        end = _End()
        try:
            for page in pages:
                if not offer(page):
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            end = _End(exc)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing the listing failed")
        offer(end)

    thread = threading.Thread(target=produce, name="harvest-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        thread.join()
