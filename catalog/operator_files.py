"""JSON files in the catalogue's home: written atomically, read as a list with a clear error.

The operator's documents (licence mappings, data spaces) moved to the operational database
(:mod:`catalog.db.documents`); :func:`read_json_list` reads their old files once, for the
import, and :func:`write_json` serves the harvest's state files.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from catalog.errors import InvalidInput

__all__ = ["read_json_list", "write_json"]


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
