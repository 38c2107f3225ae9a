"""Graph store backends behind one interface (:class:`GraphStore`)."""

from __future__ import annotations

from catalog.settings import Settings
from catalog.store.base import GraphStore, Row, Term


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: embedded Oxigraph, or a remote SPARQL server."""
    if settings.store_backend == "sparql":
        from catalog.store.sparql import SparqlStore

        return SparqlStore.from_settings(settings)
    from catalog.store.oxigraph import OxigraphStore

    return OxigraphStore(settings.store_path)


__all__ = ["GraphStore", "Row", "Term", "open_store"]
