"""A worker process ends when the process that started it dies.

A server killed with SIGKILL runs no cleanup: its worker processes (the search build's
writer, the SPARQL endpoint's and the SHACL validator's workers) are re-parented and, blocked
on a queue whose other end they hold themselves, would live on (one writer lingered 18
minutes, holding a half-written index file and hundreds of MB). Every worker calls
:func:`hold` first thing, with the pid of the process that started it:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment its
  parent goes, even while the worker is deep in C code holding the GIL. The kernel ties this
  to the parent *thread* that created the worker, so it is set only when the parent says the
  creating thread outlives the worker (``tied``: a build's pool, made and shut down within
  one call); a long-lived worker started from a request thread that may end first relies on
  the watcher below instead.
* everywhere, a daemon thread watching the parent: ``pidfd_open`` where the OS has it (the
  thread sleeps in ``poll`` without the GIL and wakes when the parent exits), else
  ``os.getppid()`` polled every :data:`POLL_S` seconds (a re-parented worker sees another
  parent pid). On the parent's death the worker ends at once with ``os._exit``: nothing it
  was doing is wanted any more, and its files are staged or rolled back by their owners.

>>> import os
>>> hold(os.getppid(), tied=False)      # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between checks of the parent pid where ``pidfd_open`` is missing.
POLL_S = 0.5
#: Exit status of a worker whose parent died.
ORPHANED = 70
_PR_SET_PDEATHSIG = 1


def hold(parent: int | None, *, tied: bool) -> None:
    """End this process when ``parent`` dies (see the module doc; ``tied``: the parent's
    creating thread outlives this process, so the kernel's parent-death signal may be used;
    ``None``: the current parent, for a worker forked by a forkserver, which itself ends
    with the process that started it). Ends the process at once if ``parent`` is already
    gone."""
    if parent is None:
        parent = os.getppid()
    if tied and sys.platform.startswith("linux"):
        _pdeathsig()
    if os.getppid() != parent:  # the parent died before (or while) we got here
        os._exit(ORPHANED)
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()


def _pdeathsig() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except OSError as exc:  # no libc to load: the watcher still ends the process
        log.warning("prctl(PR_SET_PDEATHSIG) unavailable: %s", exc)


def _watch(parent: int) -> None:
    pidfd = _pidfd(parent)
    if pidfd is not None and os.getppid() == parent:
        # readable once the parent has exited; the pid cannot have been reused while it is
        # still our parent, so the fd names the right process
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        while not poller.poll(None):
            pass
        os._exit(ORPHANED)
    while os.getppid() == parent:
        threading.Event().wait(POLL_S)
    os._exit(ORPHANED)


def _pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:  # an old kernel, or the pid is already gone
        return None


def worker_init(
    parent: int | None,
    tied: bool,
    then: Callable[..., object] | None = None,
    args: tuple[Any, ...] = (),
) -> None:
    """A pool initializer: :func:`hold`, then the pool's own initializer ``then``."""
    hold(parent, tied=tied)
    if then is not None:
        then(*args)


def worker_count(setting: int) -> int:
    """A worker-count setting's number of workers: -1 means one less than the CPU count."""
    return max(0, (os.cpu_count() or 1) - 1) if setting < 0 else setting


def worker_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """Spawned workers that end with this process (:func:`hold`): a pool lives within one
    call, so its creating thread outlives it (``tied``)."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=worker_init,
        initargs=(os.getpid(), True, initializer, initargs),
    )


def run_held(parent: int | None, tied: bool, target: Callable[..., object], *args: Any) -> None:
    """A ``Process`` target: :func:`hold`, then ``target(*args)``."""
    hold(parent, tied=tied)
    target(*args)


__all__ = ["ORPHANED", "POLL_S", "hold", "run_held", "worker_count", "worker_init", "worker_pool"]
