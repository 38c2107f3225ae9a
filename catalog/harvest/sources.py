"""The harvest sources, persisted as JSON under ``settings.home``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from catalog.errors import Conflict, InvalidInput, SourceNotFound
from catalog.graphs import check_source_name
from catalog.harvest.files import read_json, write_json
from catalog.harvest.plugins import plugins
from catalog.labs.store import LABS_SOURCE, REGISTRY_SOURCE
from catalog.settings import Settings


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
    return settings.home / "harvest"


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
    """Add, list, show and remove harvest sources (``<home>/harvest/sources.json``)."""

    _guard = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = harvest_dir(settings) / "sources.json"

    def _all(self) -> dict[str, dict[str, Any]]:
        data = read_json(self.path, {})
        return data if isinstance(data, dict) else {}

    def list(self, owner: str | None = None) -> list[HarvestSource]:
        """Every source, or only those of ``owner`` when given."""
        found = [HarvestSource(**v) for _, v in sorted(self._all().items())]
        return found if owner is None else [s for s in found if s.owner == owner]

    def get(self, name: str) -> HarvestSource:
        data = self._all().get(name)
        if data is None:
            raise SourceNotFound(f"no harvest source named {name!r}", where="name")
        return HarvestSource(**data)

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
        source of that name (loaded, not harvested: it is not free either)."""
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
        with self._guard:
            everything = self._all()
            if name in everything:
                raise Conflict(f"a harvest source named {name!r} already exists", where="name")
            source = HarvestSource(
                name,
                type_,
                url,
                incremental,
                dict(options or {}),
                datetime.now(UTC).isoformat(timespec="seconds"),
                owner=owner,
            )
            everything[name] = source.to_dict()
            write_json(self.path, everything)
        return source

    def save(self, source: HarvestSource) -> None:
        with self._guard:
            everything = self._all()
            everything[source.name] = source.to_dict()
            write_json(self.path, everything)

    def remove(self, name: str) -> HarvestSource:
        with self._guard:
            everything = self._all()
            if name not in everything:
                raise SourceNotFound(f"no harvest source named {name!r}", where="name")
            source = HarvestSource(**everything.pop(name))
            write_json(self.path, everything)
        return source
