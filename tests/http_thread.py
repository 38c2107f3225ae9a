"""Run one of the standard library's HTTP servers on a thread for a ``with`` block."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def running(
    server: socketserver.BaseServer,
    before_stop: Callable[[], None] | None = None,
    poll_interval: float = 0.5,
) -> Iterator[None]:
    """Serve on a daemon thread; on exit call ``before_stop`` (release handlers that are
    holding requests), shut down, close the socket and join the thread."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        if before_stop is not None:
            before_stop()
        server.shutdown()
        server.server_close()
        thread.join(10)
