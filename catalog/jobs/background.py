"""One catch-up run on a thread of its own, so a publisher does not wait for derived state.

>>> later = Coalesced(service.sync, name="search-follow")     # doctest: +SKIP
>>> later.request()          # returns at once; ``service.sync()`` runs on the thread
>>> later.wait(5.0)          # True once every request made so far has been served

Requests made while a run is in progress make it run once more when it ends (never two
runs at once, never a request lost: a run started after the request reads whatever the
request was about). A run that raises is logged and does not stop later requests. Used for
a lab edit, whose offers and search facets follow the change feed after the request that
made it has been answered (``docs/deploying.md``, "Offers on many replicas").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Coalesced:
    """Runs ``work`` on a daemon thread when asked; asks during a run coalesce into one."""

    def __init__(self, work: Callable[[], object], name: str) -> None:
        self.work = work
        self.name = name
        #: Runs started (for tests and status pages).
        self.runs = 0
        self._guard = threading.Lock()
        self._wanted = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def request(self) -> None:
        """Run ``work`` soon on the thread (started now unless it is running already)."""
        with self._guard:
            if self._closed:
                return
            self._wanted = True
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._guard:
                if not self._wanted or self._closed:
                    self._thread = None
                    self._idle.set()
                    return
                self._wanted = False
                self.runs += 1
            try:
                self.work()
            except Exception:  # the next request tries again
                log.exception("%s: the background run failed", self.name)

    def wait(self, timeout: float | None = None) -> bool:
        """Whether every request made so far was served within ``timeout`` seconds."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Take no more requests and wait for a run in progress (at most ``timeout``)."""
        with self._guard:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join(timeout)


__all__ = ["Coalesced"]
