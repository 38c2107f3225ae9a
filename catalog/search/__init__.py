"""Search for AI developers: a derived, rebuildable full-text and facet index of the graph.

:class:`SearchService` owns the index (SQLite FTS5, see ``docs/search-engine.md``);
:mod:`catalog.search.project` projects the graph into :class:`SearchDoc` documents; facet
values from outside the graph come from providers (:mod:`catalog.search.providers`).
"""

from catalog.search.engine import Hit, SearchResult, SearchService
from catalog.search.index import FACET_FIELDS
from catalog.search.project import FacetProvider, SearchDoc, project_graph

__all__ = [
    "FACET_FIELDS",
    "FacetProvider",
    "Hit",
    "SearchDoc",
    "SearchResult",
    "SearchService",
    "project_graph",
]
