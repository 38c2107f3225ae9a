"""The harvest sources, kept in the operational database (table ``harvest_sources``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from catalog.db import Database
from catalog.db.legacy_harvest import import_legacy_sources
from catalog.db.schema import harvest_sources
from catalog.errors import Conflict, InvalidInput, SourceNotFound
from catalog.graphs import check_source_name
from catalog.harvest.plugins import plugins
from catalog.harvest.state import by_code_point, database_of, insert
from catalog.labs.store import LABS_SOURCE, REGISTRY_SOURCE
from catalog.settings import Settings

#: The folder, under the catalogue's home, of the harvest's local files (source locks on
#: the embedded database; the files of catalogues from before the database).
HARVEST = "harvest"


@dataclass
class HarvestSource:
    """One registered source: a name, a connector type, a URL and its options."""

    name: str
    type: str
    url: str
    incremental: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    #: The incremental cursor: the latest ``modified`` seen by a successful run.
    cursor: str | None = None
    #: Who manages it: ``organisation:<org>`` or ``factory:<id>``; None = administrators only.
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def owner_key(role: str, organisation: str | None = None, factory: str | None = None) -> str | None:
    """The owner a user's sources get: a steward's organisation or a staff member's factory."""
    if role == "steward" and organisation:
        return f"organisation:{organisation}"
    if role == "staff" and factory:
        return f"factory:{factory}"
    return None


def harvest_dir(settings: Settings) -> Path:
    return settings.home / HARVEST


def check_source_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(
            f"source URL {url!r} must be an http:// or https:// URL with a host", where="url"
        )
    if parts.username or parts.password:
        raise InvalidInput("source URL must not carry a user name or password", where="url")
    return url


#: Source names the catalogue itself uses: never created or removed through ``/sources``.
RESERVED_NAMES = {
    "local": "it holds locally registered datasets",
    LABS_SOURCE: "it holds the data labs staff describe",
    REGISTRY_SOURCE: "it holds the AI factories",
}
RESERVED_PREFIXES = {"steward-": "it names the datasets a steward registers in the pages"}


def reserved_reason(name: str) -> str | None:
    """Why ``name`` cannot be a harvest source's name, or ``None``."""
    if name in RESERVED_NAMES:
        return RESERVED_NAMES[name]
    for prefix, why in RESERVED_PREFIXES.items():
        if name.startswith(prefix):
            return why
    return None


class HarvestSources:
    """Add, list, show and remove harvest sources (table ``harvest_sources``).

    ``HarvestSources(database)`` uses an open :class:`~catalog.db.Database`;
    ``HarvestSources(settings)`` opens the one the settings name. Sources of a catalogue
    from before the database (``<home>/harvest/sources.json``) are imported on first open.
    """

    def __init__(self, where: Database | Settings) -> None:
        self.database = database_of(where)
        if self.database.home is not None:
            import_legacy_sources(self.database, self.database.home / HARVEST)

    def list(self, owner: str | None = None) -> list[HarvestSource]:
        """Every source by name (by code point), or only those of ``owner`` when given."""
        query = sa.select(harvest_sources)
        if owner is not None:
            query = query.where(harvest_sources.c.owner == owner)
        with self.database.read() as db:
            rows = db.execute(query).mappings().all()
        return sorted((_source(r) for r in rows), key=lambda s: s.name)

    def get(self, name: str) -> HarvestSource:
        query = sa.select(harvest_sources).where(harvest_sources.c.name == name)
        with self.database.read() as db:
            row = db.execute(query).mappings().first()
        if row is None:
            raise SourceNotFound(f"no harvest source named {name!r}", where="name")
        return _source(row)

    def add(
        self,
        name: str,
        type_: str,
        url: str,
        *,
        incremental: bool = False,
        options: dict[str, Any] | None = None,
        owner: str | None = None,
        in_use: Callable[[str], bool] | None = None,
    ) -> HarvestSource:
        """Register a source; ``in_use(name)`` tells whether the store already holds a
        source of that name (loaded, not harvested: it is not free either). A name taken
        already is a :class:`Conflict`, also when two replicas add it at once."""
        check_source_name(name)
        reason = reserved_reason(name)
        if reason:
            raise InvalidInput(f"source name {name!r} is reserved: {reason}", where="name")
        if in_use is not None and in_use(name):
            raise Conflict(
                f"source name {name!r} is already used by datasets loaded under it; a source "
                "name belongs to whoever created it",
                where="name",
            )
        plugins.get(type_)  # unknown type → ConnectorNotFound listing the known ones
        check_source_url(url)
        source = HarvestSource(
            name,
            type_,
            url,
            incremental,
            dict(options or {}),
            datetime.now(UTC).isoformat(timespec="seconds"),
            owner=owner,
        )
        try:
            with self.database.transaction() as db:
                db.execute(harvest_sources.insert().values(_row(source)))
        except IntegrityError:
            raise Conflict(
                f"a harvest source named {name!r} already exists", where="name"
            ) from None
        return source

    def save(self, source: HarvestSource) -> None:
        """Write ``source`` whole (added if it is not registered)."""
        row = _row(source)
        query = insert(self.database, harvest_sources).values(row)
        query = query.on_conflict_do_update(
            index_elements=[harvest_sources.c.name],
            set_={k: v for k, v in row.items() if k != "name"},
        )
        with self.database.transaction() as db:
            db.execute(query)

    def advance_cursor(self, name: str, cursor: str) -> bool:
        """Move ``name``'s incremental cursor forward to ``cursor`` (never back), in one
        UPDATE; False when it was there already (or further, or the source is gone)."""
        column = by_code_point(self.database, harvest_sources.c.cursor)
        query = (
            harvest_sources.update()
            .where(harvest_sources.c.name == name)
            .where(sa.or_(harvest_sources.c.cursor.is_(None), column < cursor))
            .values(cursor=cursor)
        )
        with self.database.transaction() as db:
            return db.execute(query).rowcount > 0

    def remove(self, name: str) -> HarvestSource:
        table = harvest_sources
        with self.database.transaction() as db:
            row = db.execute(sa.select(table).where(table.c.name == name)).mappings().first()
            if row is None:
                raise SourceNotFound(f"no harvest source named {name!r}", where="name")
            db.execute(table.delete().where(table.c.name == name))
        return _source(row)


def _row(source: HarvestSource) -> dict[str, Any]:
    return source.to_dict() | {"options": json.dumps(source.options, ensure_ascii=False)}


def _source(row: sa.RowMapping) -> HarvestSource:
    return HarvestSource(
        **(
            dict(row)
            | {"incremental": bool(row["incremental"]), "options": json.loads(row["options"])}
        )
    )
