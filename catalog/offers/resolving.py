"""Resolving many distinct terms against every lab at once: a first build's signatures.

A full build resolves each distinct terms signature once per lab, and at two million
corpus-shaped datasets there are tens of thousands of them (about ``n ** 0.49``), each some
milliseconds for nineteen labs: the largest part of a build that copies the stored facts
(catalog/facts/table.py). Resolving needs no store, so it is shared between this process and
spawned worker processes (``DATALAB_OFFERS_BUILD_WORKERS``), which end with this process
(:func:`catalog.lifeline.worker_pool`): the facts go to them as the stored JSON text, and
the resolutions come back as ``offer_resolutions`` rows, the text a build stores. A pool that
cannot start or breaks leaves its share to this process (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from catalog import lifeline
from catalog.errors import StoreError
from catalog.labs import DataLab
from catalog.offers.codec import CodecError, FactsReader
from catalog.offers.licences import LicenceTable
from catalog.offers.resolution import resolve
from catalog.offers.stored import resolution_row

log = logging.getLogger(__name__)
#: Signatures per batch handed out.
CHUNK = 400
#: Fewer signatures than this are resolved here (spawning workers costs about a second).
PARALLEL_FROM = 4000

Item = tuple[str, str]  # (signature key, stored facts JSON of one of its datasets)
Row = dict[str, Any]

_worker: tuple[list[DataLab], LicenceTable] | None = None


def rows(items: list[Item], labs: list[DataLab], table: LicenceTable) -> list[Row]:
    """The resolution rows of ``items`` against each of ``labs``."""
    read = FactsReader()
    out: list[Row] = []
    for sig, text in items:
        try:
            facts = read(text, sig)
        except CodecError as exc:  # written by this code (the stamp): a damaged row
            raise StoreError(
                f"stored facts of terms {sig} do not decode: {exc}", where="dataset_facts"
            ) from exc
        for lab in labs:
            out.append(resolution_row(sig, lab.id, resolve(facts, lab, table)))
    return out


def _start(labs: list[DataLab], table: LicenceTable) -> None:
    global _worker
    _worker = (labs, table)


def _rows(items: list[Item]) -> list[Row]:
    assert _worker is not None
    return rows(items, *_worker)


def _submit(pool: ProcessPoolExecutor | None, chunk: list[Item]) -> Future[list[Row]] | None:
    if pool is None:
        return None
    try:
        return pool.submit(_rows, chunk)
    except BrokenProcessPool:
        return None


def resolve_all(
    items: list[Item], labs: list[DataLab], table: LicenceTable, workers: int
) -> Iterator[list[Row]]:
    """The resolution rows of every item, a batch at a time, in no particular order."""
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    if workers < 1 or len(items) < PARALLEL_FROM:
        for chunk in chunks:
            yield rows(chunk, labs, table)
        return
    # every (workers + 1)th batch stays here, resolved while the workers start and run
    mine = chunks[:: workers + 1]
    theirs = [c for i, c in enumerate(chunks) if i % (workers + 1)]
    try:
        pool = lifeline.worker_pool(workers, initializer=_start, initargs=(labs, table))
    except OSError:
        log.warning("offers build workers could not start; resolving in-process", exc_info=True)
        pool = None
    futures = [(c, _submit(pool, c)) for c in theirs]
    try:
        for chunk in mine:
            yield rows(chunk, labs, table)
        broken = False
        for chunk, future in futures:
            done = None
            if future is not None and not broken:
                try:
                    done = future.result()
                except BrokenProcessPool:
                    log.warning("offers build workers failed; resolving in-process", exc_info=True)
                    broken = True
            yield done if done is not None else rows(chunk, labs, table)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["CHUNK", "PARALLEL_FROM", "resolve_all", "rows"]
