"""One-time import of a catalogue's harvest state from before the operational database.

Catalogues installed before issue 17 kept it in files under ``<home>/harvest``: the sources
in ``sources.json``, one JSON file per job in ``jobs/<source>/<id>.json`` and the validation
queue in ``validation.sqlite``. When a harvest store is first opened and one of them exists
while its table is still empty, its content is copied over in one transaction and the file
(or the ``jobs`` folder) is renamed ``*.migrated``, so the import happens once and the old
data stays at hand. A table that already holds rows is never imported into: the file stays
where it is and a warning says so (as :mod:`catalog.db.legacy_accounts` does).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from catalog.db.database import Database
from catalog.db.legacy_tables import retire
from catalog.db.schema import harvest_jobs, harvest_sources, harvest_validation
from catalog.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

Rows = list[dict[str, Any]]


def legacy_sources_path(harvest: Path) -> Path:
    return harvest / "sources.json"


def legacy_jobs_path(harvest: Path) -> Path:
    return harvest / "jobs"


def legacy_queue_path(harvest: Path) -> Path:
    return harvest / "validation.sqlite"


def import_legacy_sources(database: Database, harvest: Path) -> bool:
    """Copy ``<harvest>/sources.json`` into ``harvest_sources`` once; True when it did."""
    return _import_once(database, harvest_sources, legacy_sources_path(harvest), _sources)


def import_legacy_jobs(database: Database, harvest: Path) -> bool:
    """Copy ``<harvest>/jobs/*/*.json`` into ``harvest_jobs`` once; True when it did."""
    return _import_once(database, harvest_jobs, legacy_jobs_path(harvest), _jobs)


def import_legacy_queue(database: Database, harvest: Path) -> bool:
    """Copy ``<harvest>/validation.sqlite`` into ``harvest_validation`` once."""
    return _import_once(database, harvest_validation, legacy_queue_path(harvest), _queue)


def _import_once(
    database: Database, table: sa.Table, legacy: Path, read: Callable[[Path], Rows]
) -> bool:
    if not legacy.exists():
        return False
    with database.transaction() as conn:
        if database.dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
            conn.execute(sa.text(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE"))
        if not legacy.exists():  # another process imported it while this one waited
            return False
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            log.warning(
                "%s was not imported: the database already holds %s; its content stays "
                "in that file",
                legacy,
                table.name,
            )
            return False
        rows = read(legacy)
        if rows:
            conn.execute(table.insert(), rows)
    retire(legacy)
    log.info("imported %d row(s) of %s into %s (%s)", len(rows), legacy, database.url, table)
    return True


def _sources(legacy: Path) -> Rows:
    data = _json(legacy)
    if not isinstance(data, dict):
        return []
    return [
        {
            "name": name,
            "type": str(value.get("type", "")),
            "url": str(value.get("url", "")),
            "incremental": bool(value.get("incremental", False)),
            "options": json.dumps(value.get("options") or {}, ensure_ascii=False),
            "created": value.get("created") or "",
            "cursor": value.get("cursor"),
            "owner": value.get("owner"),
        }
        for name, value in sorted(data.items())
        if isinstance(value, dict)
    ]


def _jobs(legacy: Path) -> Rows:
    rows: Rows = []
    for path in sorted(legacy.glob("*/*.json")):
        data = _json(path)
        if not isinstance(data, dict):
            log.warning("%s is not a job and was not imported", path)
            continue
        data = {**data, "id": data.get("id") or path.stem, "source": path.parent.name}
        rows.append(
            {
                "id": data["id"],
                "source": data["source"],
                "status": data.get("status") or "running",
                "body": json.dumps(data, ensure_ascii=False),
            }
        )
    return rows


_QUEUE_COLUMNS = tuple(c.name for c in harvest_validation.columns)


def _queue(legacy: Path) -> Rows:
    try:
        source = sqlite3.connect(legacy, timeout=30)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot read the old validation queue {legacy}: {exc}") from exc
    try:
        present = {r[1] for r in source.execute("PRAGMA table_info(validation)")}
        columns = [c for c in _QUEUE_COLUMNS if c in present]
        if not columns:
            return []
        quoted = ", ".join(f'"{c}"' for c in columns)
        query = f"SELECT {quoted} FROM validation ORDER BY queued_at"  # noqa: S608  (fixed names)
        return [dict(zip(columns, r, strict=True)) for r in source.execute(query)]
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot read the old validation queue {legacy}: {exc}") from exc
    finally:
        source.close()


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
