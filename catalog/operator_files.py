"""An operator's additions kept as JSON lists in the catalogue's home (licence mappings,
data spaces): read with a clear error, cached until the file changes, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from catalog.errors import InvalidInput

#: What identifies one version of a file: inode, modification time, size (None: no file).
Stamp = tuple[int, int, int] | None

__all__ = ["Stamp", "StampCache", "file_stamp", "read_json_list", "write_json"]

T = TypeVar("T")


def write_json(path: Path, value: Any) -> None:
    """Write ``value`` to ``path`` atomically (temp file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh, indent=2, ensure_ascii=False, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_json_list(path: Path, what: str) -> list[Any]:
    """The JSON list in ``path`` (``[]`` when there is no file); a bad file is an error
    naming ``what`` it should hold."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", where=str(path)) from None
    if not isinstance(raw, list):
        raise InvalidInput(f"the {what} file must hold a JSON list", where=str(path))
    return raw


class StampCache(Generic[T]):
    """One value per version of a file: rebuilt only when the file's stamp changes (the same
    object is handed out meanwhile, so callers may compare by identity)."""

    def __init__(self) -> None:
        self._values: dict[Path, tuple[Stamp, T]] = {}
        self._guard = threading.Lock()

    def get(self, path: Path, build: Callable[[], T]) -> T:
        stamp = file_stamp(path)
        with self._guard:
            cached = self._values.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        value = build()
        with self._guard:
            self._values[path] = (stamp, value)
        return value
