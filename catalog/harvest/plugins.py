"""Connector plugins, found by entry point, lazily, on first use.

Built-in and third-party connectors register the same way, in the entry point group
``datalab.connectors`` (``ckan = "connectors.ckan:CkanConnector"``). Nothing is imported
until a connector is asked for; an unknown name lists the known ones; two distributions
declaring one name is an error, never a silent pick.
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import EntryPoint, entry_points

from catalog.errors import ConfigurationError, ConnectorNotFound
from catalog.harvest.contract import Connector

log = logging.getLogger(__name__)

GROUP = "datalab.connectors"


class ConnectorPlugins:
    """Connector classes by name, discovered from entry points when first needed."""

    def __init__(self, group: str = GROUP) -> None:
        self.group = group
        self._points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, type] = {}
        self._lock = threading.Lock()

    def _discover(self) -> dict[str, EntryPoint]:
        with self._lock:
            if self._points is None:
                found: dict[str, EntryPoint] = {}
                for point in entry_points(group=self.group):
                    other = found.get(point.name)
                    if other is not None and other.value != point.value:
                        raise ConfigurationError(
                            f"two connectors are registered as {point.name!r}: "
                            f"{other.value} and {point.value}; uninstall one",
                            where=self.group,
                        )
                    found[point.name] = point
                self._points = found
                log.debug("connectors found: %s", ", ".join(sorted(found)))
            return self._points

    def names(self) -> list[str]:
        """Every registered connector name, sorted."""
        return sorted(self._discover())

    def get(self, name: str) -> type[Connector]:
        """The connector class registered as ``name`` (imported on first call)."""
        points = self._discover()
        if name not in points:
            known = ", ".join(sorted(points)) or "none"
            raise ConnectorNotFound(
                f"no connector named {name!r}; known connectors: {known}", where="type"
            )
        if name not in self._loaded:
            try:
                cls = points[name].load()
            except Exception as exc:
                raise ConfigurationError(
                    f"connector {name!r} ({points[name].value}) failed to import: {exc}"
                ) from exc
            if getattr(cls, "kind", None) != name:
                raise ConfigurationError(
                    f"connector {points[name].value} declares kind "
                    f"{getattr(cls, 'kind', None)!r} but is registered as {name!r}"
                )
            self._loaded[name] = cls
        return self._loaded[name]

    def reset(self) -> None:
        """Forget what was discovered (after installing a plugin in a running process)."""
        with self._lock:
            self._points = None
            self._loaded.clear()


#: The connectors installed in this process (entry points are process-wide).
plugins = ConnectorPlugins()


def get_connector(name: str) -> type[Connector]:
    return plugins.get(name)


def connector_names() -> list[str]:
    return plugins.names()
