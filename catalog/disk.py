"""Telling a full disk from other storage failures, and saying what was kept.

A full disk (or quota, or file-size limit) reaches the catalogue in several shapes: an
``OSError`` with ``ENOSPC``, ``EDQUOT`` or ``EFBIG``; RocksDB's "IO error: … No space left
on device" inside a :class:`~catalog.errors.StoreError`; SQLite's "database or disk is
full". :func:`storage_failure` turns any of them into one clear error that also says what
the catalogue still serves.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from catalog.errors import DatalabError, InsufficientStorage, StoreError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
FULL_TEXT = (
    "No space left on device",
    "Disk quota exceeded",
    "File too large",
    "database or disk is full",
)
#: What a failed write leaves, said the same way everywhere.
NOTHING_PUBLISHED = "nothing was published; the previous version is still served"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the disk, a quota or a file-size limit is
    exhausted."""
    for err in _chain(exc):
        if isinstance(err, OSError) and err.errno in FULL_ERRNOS:
            return True
        if any(marker in str(err) for marker in FULL_TEXT):
            return True
    return False


def is_storage_failure(exc: BaseException) -> bool:
    """An operating-system or database failure of the catalogue's own files."""
    return any(isinstance(err, OSError | sqlite3.Error | StoreError) for err in _chain(exc))


def storage_failure(exc: BaseException, *, kept: str, where: str | None = None) -> DatalabError:
    """One clear error for a failed write: :class:`InsufficientStorage` (507) when the disk
    is full, else :class:`StoreError`; ``kept`` says what is still served."""
    detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if disk_full(exc):
        return InsufficientStorage(
            f"the disk is full ({detail[:400]}); {kept}",
            where=where,
            details={"kept": kept},
        )
    return StoreError(
        f"the catalogue could not write its files ({detail[:400]}); {kept}",
        where=where,
        details={"kept": kept},
    )


@contextmanager
def storage_errors(*, kept: str, where: str | None = None) -> Iterator[None]:
    """Turn a failure of the catalogue's own files (OS, SQLite, a full disk behind a store
    error) inside the block into :func:`storage_failure`; other errors pass unchanged."""
    try:
        yield
    except InsufficientStorage:
        raise
    except (OSError, sqlite3.Error, StoreError) as exc:
        if isinstance(exc, StoreError) and not disk_full(exc):
            raise
        raise storage_failure(exc, kept=kept, where=where) from exc
