"""Keeping a server's long-lived objects out of the cyclic garbage collector's full passes.

A full collection walks every object the collector tracks. A serving process holds some
100,000 of them before its first request (the modules of FastAPI, SQLAlchemy, rdflib,
pydantic, numpy, Tantivy and Oxigraph, and the open catalogue), and walking them took
35-110 ms on the 2-core machine of ``bench/RESULTS.md``: a pause in whichever search
set the collection off, which made a common word's p95 at two million datasets (the
scale bench's serving stage, 20 runs per kind).

:func:`freeze_long_lived` (at a server's start, once its services are open) moves every
object alive then into the collector's permanent generation, which full passes skip; the
objects made by requests are collected as before. :func:`thaw` (at shutdown) hands them
back, so that a process opening several servers one after the other (the tests) does not
keep the cycles of the closed ones.

After a build, the freeze also hands the heap's free pages back to the system
(:func:`release_free_memory`): the build's garbage is freed, but glibc keeps freed memory
mapped wherever a live allocation sits above it (80 MB of 1,630 MB after a build of two
million datasets; the facet columns, most of the rest, are mapped from disk instead: the
ones a build gathered, :meth:`catalog.search.columns.FacetColumns.adopt`, and those read
from the index's tables, :meth:`~catalog.search.columns.FacetColumns.spill`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache


def freeze_long_lived(collect: bool = False) -> None:
    """Keep every object alive now out of the collector's full passes; with ``collect``,
    what is garbage is collected first (after a build, whose leftovers are many: a start
    makes little garbage, and a full pass there would cost what the freeze saves, in a
    process that starts many servers, the tests, each time). Cycles frozen with the rest
    are collected once thawed."""
    if collect:
        gc.collect()
        release_free_memory()
    gc.freeze()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` on another C library."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_free_memory() -> bool:
    """Hand the free pages of every malloc arena back to the system (glibc's
    ``malloc_trim(0)``); ``False`` where the C library has no such call. Cheap: 17 ms
    after a build of two million datasets."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def thaw() -> None:
    """Hand the frozen objects back to the collector (the server is closing)."""
    gc.unfreeze()
