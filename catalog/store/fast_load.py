"""Bulk-loading N-Triples chunks into one named graph of an embedded Oxigraph store.

The chunks come from a producer that parses, guards and skolemises a document (holding
the GIL); pyoxigraph's ``bulk_load`` releases the GIL, so a loader thread loads chunk k
while the producer builds chunk k+1. The producer starts a chunk only once the loader has
taken the previous one, so at most two chunks are in memory at once.

The producer checks the whole document before its first chunk (a cap or a syntax error
is found before anything is loaded: see :meth:`catalog.rdf_input.GuardedTriples.check`).
On any later failure (the loader's: a full disk is reported as
:class:`~catalog.errors.InsufficientStorage`) both sides stop and the error is raised in
the caller's thread; whatever was loaded stays in the unpublished graph for the caller
to drop. The functions here get a callable that loads
one chunk, never the pyoxigraph store itself: a traceback kept after a failure must not keep
the store (and its RocksDB lock) alive once the catalogue closes it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

from catalog.disk import NOTHING_PUBLISHED, disk_full, storage_failure
from catalog.errors import StoreError

_END = object()

#: Bulk-loads one chunk of N-Triples (whole lines) into the target graph.
LoadChunk = Callable[[bytes], None]


def load_sequential(load: LoadChunk, chunks: Iterable[bytes]) -> int:
    """Load the chunks one after the other in this thread; returns the triples sent."""
    count = 0
    for chunk in chunks:
        _loaded(load, chunk)
        count += chunk.count(b"\n")
    return count


def _loaded(load: LoadChunk, chunk: bytes) -> None:
    """Load one chunk; a full disk is said as such (the graph is unpublished: the caller
    drops it, and nothing is published)."""
    try:
        load(chunk)
    except (OSError, StoreError) as exc:
        if disk_full(exc):
            raise storage_failure(exc, kept=NOTHING_PUBLISHED) from exc
        raise


class _Loader(threading.Thread):
    """Takes chunks off a one-slot queue and bulk-loads them until told to stop."""

    def __init__(self, load: LoadChunk) -> None:
        super().__init__(name="bulk-load", daemon=True)
        self.load = load
        self.inbox: queue.Queue[object] = queue.Queue(maxsize=1)
        #: Released each time a chunk is taken, i.e. once the previous one is loaded.
        self.taken = threading.Semaphore(0)
        self.error: BaseException | None = None
        self.aborted = threading.Event()

    def run(self) -> None:
        while True:
            chunk = self.inbox.get()
            self.taken.release()
            if chunk is _END:
                return
            if self.error is not None or self.aborted.is_set():
                continue  # drain, so the producer never blocks on a dead loader
            try:
                _loaded(self.load, chunk)  # type: ignore[arg-type]
            except BaseException as exc:  # re-raised in the caller's thread
                self.error = exc


def load_pipelined(load: LoadChunk, chunks: Iterable[bytes]) -> int:
    """Load the chunks on a loader thread while this thread produces the next one."""
    loader = _Loader(load)
    loader.start()
    count = 0
    try:
        for chunk in chunks:
            if loader.error is not None:
                break
            loader.inbox.put(chunk)
            count += chunk.count(b"\n")
            del chunk
            # Build the next chunk only once the loader has this one: two in memory.
            loader.taken.acquire()
    except BaseException:
        loader.aborted.set()
        raise
    finally:
        loader.inbox.put(_END)
        loader.join()
    error, loader.error = loader.error, None
    if error is not None:
        raise error
    return count
