"""Small durable-file helpers for harvest state: atomic JSON writes and a per-source lock."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from types import TracebackType
from typing import Any

from catalog.errors import Conflict
from catalog.operator_files import write_json

__all__ = ["SourceLock", "busy", "read_json", "write_json"]


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def busy(source: str) -> Conflict:
    """The error of a run of ``source`` while another holds its lock."""
    return Conflict(
        f"a harvest of source {source!r} is already running; try again when it has finished",
        where=source,
    )


class SourceLock:
    """An exclusive, non-blocking lock on one source, held by one process at a time.

    It is an ``flock`` on a file, so the kernel releases it when the holder dies: a killed
    run never blocks the next one. It excludes processes of one machine only: the lock of
    the embedded database (see :mod:`catalog.harvest.locks` for PostgreSQL's).
    """

    def __init__(self, folder: Path, source: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{source}.lock"
        self.source = source
        self._fd: int | None = None

    def acquire(self) -> SourceLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise busy(self.source) from None
        self._fd = fd
        return self

    def held_elsewhere(self) -> bool:
        """Whether another holder has the lock right now (without taking it)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> SourceLock:
        return self.acquire()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
