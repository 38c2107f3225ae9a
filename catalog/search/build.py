"""Writing many search documents: in this process, or overlapped with worker processes.

Projecting the graph (SPARQL, then Python) and preparing the documents (folding, stemming,
compounds, the display JSON) plus writing them to SQLite cost about the same, and both are
Python: on one core a million datasets take well over ten minutes. So, once a write passes
one batch (:data:`BATCH` documents, a small catalogue never starts a process):

* :class:`StagedBuild` (a full rebuild into a new file) hands the documents, batch by
  batch, to one *writer process* that prepares and inserts them into the staged file (and
  adds them to a new Tantivy mirror) while this process projects the next batch;
* :func:`prepared` (re-indexing a large source in the live file, which only this process
  may write) has worker processes prepare the documents while this process writes.

Workers are spawned (no lock or open store is inherited) and get only plain documents.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import NamedTuple

from catalog import lifeline
from catalog.search.columns_build import ColumnsBuilder
from catalog.search.index import IndexFile, PreparedDoc, prepare_docs
from catalog.search.mirror_build import MirrorBuilder
from catalog.search.project import SearchDoc

log = logging.getLogger(__name__)

#: Documents per batch handed to a worker.
BATCH = 2000
#: Batches in flight per worker (bounds the memory of a build).
IN_FLIGHT = 4
#: Batches in flight to the writer process of a rebuild: a source is projected in one go
#: (a handful of whole-graph queries), so the writer must be able to take a whole source
#: of the usual size while the next one is projected (about 150 MB per 50,000 datasets).
WRITER_IN_FLIGHT = 32
#: Batches waiting for the writer process from which the building process prepares the
#: next batch itself (folding, stemming, display JSON: 87 ms a batch) instead of handing
#: it over as it is: the writer then only unpickles and inserts (17 ms to unpickle a
#: prepared batch, 39 ms a batch of documents). Measured at two million datasets: from 31
#: waiting, the build took 517.7 s (CPU: building process 383.7 s, writer 541.8 s); from 2,
#: 550.5 s (474.3 s and 431.3 s: the building process became the one waited for).
PREPARE_HERE_FROM = WRITER_IN_FLIGHT - 1


def batches(docs: Iterable[SearchDoc], size: int = BATCH) -> Iterator[list[SearchDoc]]:
    batch: list[SearchDoc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- a full rebuild: one writer process owns the staged file -------------------------------
_staged: sqlite3.Connection | None = None
_mirror: MirrorBuilder | None = None
_columns: ColumnsBuilder | None = None
#: When the writer process opened the staged file, the seconds it has spent writing
#: batches since, and those of it spent collecting their garbage (its account of its time:
#: :func:`_worker_commit`).
_opened_at = 0.0
_writing_s = 0.0
_collecting_s = 0.0


def open_staged(path: Path) -> sqlite3.Connection:
    """A connection for building ``path`` from empty: the file is swapped in only once
    complete and dropped if the build fails, so no journal (one big WAL would write the
    whole index twice) and no syncs."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    return db


def _worker_open(path: str, mirror: str | None, columns: str | None = None) -> None:
    global _staged, _mirror, _columns, _opened_at, _writing_s, _collecting_s
    _opened_at, _writing_s, _collecting_s = time.perf_counter(), 0.0, 0.0
    # the writer's garbage is collected once per batch (:func:`_write_batch`), not by the
    # automatic collector: unpickling a batch makes some 40,000 containers, and the
    # collections they set off walked the batch again and again (a sixth of the writer's
    # CPU); the objects of the process as started are frozen out of every collection
    gc.disable()
    gc.freeze()
    _staged = open_staged(Path(path))
    if mirror is not None:
        _mirror = MirrorBuilder(Path(mirror))
        _mirror.catch_up(_staged)
    if columns is not None:
        _columns = ColumnsBuilder(Path(columns))
        _columns.catch_up(_staged)
    _staged.execute("BEGIN")


def _worker_write(docs: list[SearchDoc]) -> int:
    return _write_batch(lambda: prepare_docs(docs))


def _worker_write_prepared(rows: list[PreparedDoc]) -> int:
    """Write a batch the building process prepared (the writer was behind)."""
    return _write_batch(lambda: rows)


def _write_batch(rows: Callable[[], list[PreparedDoc]]) -> int:
    global _writing_s, _collecting_s
    assert _staged is not None
    inserted = _mirror.add if _mirror is not None else None
    appended = _columns.appended if _columns is not None else None
    # what is alive now is frozen out of the collection below: the batch as received (its
    # documents hold no cycles; reference counting frees them) and what outlived earlier
    # batches (a collection walked each batch's 40,000 containers once more)
    gc.freeze()
    started = time.perf_counter()
    try:
        return IndexFile.write_prepared(_staged, rows(), True, inserted, appended)
    finally:
        collecting = time.perf_counter()
        gc.collect()  # the garbage of preparing and writing the batch
        done = time.perf_counter()
        _writing_s += done - started
        _collecting_s += done - collecting


def _worker_set_source(source: str, key: str) -> None:
    assert _staged is not None
    IndexFile.set_source(_staged, source, key)


class WriterTime(NamedTuple):
    """The writer process's account of its time, in seconds (:func:`_worker_commit`)."""

    open: float
    batches: float
    collecting: float
    complete: float
    mirror: float


def _worker_commit(complete: str, position: int | None = None) -> WriterTime:
    """Mark the file complete (at feed ``position``) and commit; then commit and stamp the
    mirror for it. Returns the writer's account of its time."""
    global _staged, _mirror
    assert _staged is not None
    started = time.perf_counter()
    _complete(_staged, complete, position)
    completed = time.perf_counter()
    if _mirror is not None:
        _mirror.finish(_staged)
        _mirror = None
    _staged.close()
    _staged = None
    done = time.perf_counter()
    return WriterTime(
        done - _opened_at, _writing_s, _collecting_s, completed - started, done - completed
    )


def _complete(db: sqlite3.Connection, complete: str, position: int | None) -> None:
    """Create the indexes a build defers, mark the file complete (at feed ``position``)
    and commit: the last step of a build, in whichever process wrote it."""
    IndexFile.create_deferred_indexes(db)
    db.execute("INSERT INTO meta VALUES ('complete', ?)", (complete,))
    IndexFile.set_feed_position(db, position)
    db.execute("COMMIT")


def _worker_save_columns() -> bool:
    """Save the columns gathered while writing (after :func:`_worker_commit`)."""
    global _columns
    builder, _columns = _columns, None
    return builder is not None and builder.save()


class StagedBuild:
    """Writes a new index file from empty (the caller swaps it in after :meth:`finish`).

    The first :data:`BATCH` documents are written here; if there are more and workers are
    allowed, the rest goes to a writer process (this connection commits and closes first:
    SQLite has one writer). Given a ``mirror`` path, the writer process also builds the
    Tantivy mirror of the new file there, as it writes (:attr:`mirror_built`). Given a
    ``columns`` path, whichever process writes gathers the new file's facet columns as it
    writes and saves them there (:attr:`columns_built`; :mod:`.columns_build`).
    """

    def __init__(
        self, path: Path, workers: int, mirror: Path | None = None, columns: Path | None = None
    ) -> None:
        self.path = path
        self.workers = workers
        self.mirror = mirror
        self.mirror_built = False
        self.columns = columns
        self.columns_built = False
        #: The columns of what this process writes (until a writer process takes over).
        self.builder = ColumnsBuilder(columns) if columns is not None else None
        self.count = 0
        self.db: sqlite3.Connection | None = open_staged(path)
        self.db.execute("BEGIN")
        IndexFile.defer_indexes(self.db)
        self.pool: ProcessPoolExecutor | None = None
        self.pending: deque[Future[int] | Future[None]] = deque()
        #: Batches this process prepared because the writer process was behind.
        self.prepared_here = 0
        #: Seconds this process waited for the writer process (its queue full, then the
        #: end of the build).
        self.waited = 0.0

    def write(self, docs: Iterable[SearchDoc]) -> None:
        for batch in batches(docs):
            if self.pool is None and (self.count < BATCH or self.workers == 0):
                appended = self.builder.appended if self.builder is not None else None
                self.count += IndexFile.write_prepared(
                    self._db(), prepare_docs(batch), True, appended=appended
                )
                continue
            if self.pool is None:
                self._hand_over()
            assert self.pool is not None
            while self.pending and self.pending[0].done():
                self.count += self._result()
            if len(self.pending) >= PREPARE_HERE_FROM:
                # the writer is behind (at two million datasets its SQLite inserts cost
                # more than this process's projection): prepare the batch here rather
                # than wait for it (prepared rows are also cheaper to unpickle)
                self.pending.append(self.pool.submit(_worker_write_prepared, prepare_docs(batch)))
                self.prepared_here += 1
            else:
                self.pending.append(self.pool.submit(_worker_write, batch))
            while len(self.pending) >= WRITER_IN_FLIGHT:
                self.count += self._result()

    def set_source(self, source: str, key: str) -> None:
        if self.pool is None:
            IndexFile.set_source(self._db(), source, key)
        else:
            self.pending.append(self.pool.submit(_worker_set_source, source, key))

    def finish(self, complete: str, optimize: bool = False, position: int | None = None) -> int:
        """Commit everything, mark the file complete and record the change-feed
        ``position`` it holds (``optimize``: merge the FTS5 segments, for FTS5 ranking);
        returns the documents written."""
        if self.pool is not None:
            committed = self.pool.submit(_worker_commit, complete, position)
            while self.pending:
                self.count += self._result()
            spent = committed.result()
            if self.columns is not None:
                self.columns_built = bool(self.pool.submit(_worker_save_columns).result())
            self.pool.shutdown()
            log.info(
                "search build: %d batches prepared in this process while the writer was "
                "behind; this process waited %.1f s for the writer; the writer was open "
                "%.1f s, wrote batches for %.1f s (collecting garbage %.1f s of it), "
                "completed the file in %.1f s and the mirror in %.1f s",
                self.prepared_here, self.waited, *spent,
            )  # fmt: skip
            self.pool = None
            self.mirror_built = self.mirror is not None
            self.db = open_staged(self.path)
        else:
            _complete(self._db(), complete, position)
            if self.builder is not None:
                self.columns_built = self.builder.save()
        db = self._db()
        if optimize:
            db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        return self.count

    def _result(self) -> int:
        """The oldest pending task's count of documents written, waiting for it (and
        counting the wait) if need be."""
        started = time.perf_counter()
        written = self.pending.popleft().result()
        self.waited += time.perf_counter() - started
        return written or 0

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        if self.db is not None:
            self.db.close()
            self.db = None

    def _db(self) -> sqlite3.Connection:
        assert self.db is not None
        return self.db

    def _hand_over(self) -> None:
        self._db().execute("COMMIT")
        self._db().close()
        self.db = None
        mirror = str(self.mirror) if self.mirror is not None else None
        columns = str(self.columns) if self.columns is not None else None
        self.builder = None  # the writer process reads what was written so far
        self.pool = lifeline.worker_pool(
            1, initializer=_worker_open, initargs=(str(self.path), mirror, columns)
        )
        log.info("search build: a writer process takes over after %d datasets", self.count)


# -- re-indexing a large source in the live file ------------------------------------------
def prepared(docs: Iterable[SearchDoc], workers: int) -> Iterator[PreparedDoc]:
    """``docs`` prepared for the index, in order; after a full first batch, prepared by
    ``workers`` processes while the caller writes the previous ones."""
    chunks = batches(docs)
    first = next(chunks, [])
    yield from prepare_docs(first)
    if workers == 0 or len(first) < BATCH:
        for batch in chunks:
            yield from prepare_docs(batch)
        return
    pending: deque[tuple[list[SearchDoc], Future[list[PreparedDoc]] | None]] = deque()
    with lifeline.worker_pool(workers) as pool:
        broken = False
        for batch in chunks:
            pending.append((batch, None if broken else pool.submit(prepare_docs, batch)))
            while len(pending) >= IN_FLIGHT * workers or (pending and broken):
                done, broken = _collect(*pending.popleft(), broken)
                yield from done
        while pending:
            done, broken = _collect(*pending.popleft(), broken)
            yield from done


def _collect(
    batch: list[SearchDoc], future: Future[list[PreparedDoc]] | None, broken: bool
) -> tuple[list[PreparedDoc], bool]:
    """A batch's prepared documents; if the worker pool broke (a worker could not start,
    say), this and every later batch is prepared here instead."""
    if future is not None and not broken:
        try:
            return future.result(), False
        except BrokenProcessPool:
            log.warning("search build workers failed; preparing documents in-process")
    return prepare_docs(batch), True
