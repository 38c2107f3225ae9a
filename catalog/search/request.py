"""A search request parsed once, at the boundary, into a typed :class:`SearchQuery`.

The API, the web pages and the CLI call :meth:`SearchQuery.parse` with what the user sent
(query text, facet filters, date and bounding-box ranges, sort, cursor, page size); the
engine (:meth:`catalog.search.engine.SearchService.find`) takes the result as it is. Only
the expansion of the query's words against the index vocabulary (compound splitting,
:func:`catalog.search.query.expand`) waits for the index.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from catalog.errors import InvalidInput
from catalog.search.facets import check_date, parse_facet_filters
from catalog.search.query import Term, parse_terms
from catalog.settings import Settings

Sort = Literal["relevance", "modified", "title", "id"]
#: The sorts a user may ask for (``id`` is for API clients that page in id order, such as
#: CKAN harvesters: :mod:`catalog.federation.ckan_query`).
SORTS: tuple[Sort, ...] = ("relevance", "modified", "title")
BBox = tuple[float, float, float, float]


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, max_offset: int) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        offset = json.loads(raw)["o"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("invalid cursor", where="cursor") from None
    if not isinstance(offset, int) or not 0 <= offset <= max_offset:
        raise InvalidInput(f"cursor beyond the deepest page ({max_offset} hits)", where="cursor")
    return offset


@dataclass(frozen=True)
class SearchQuery:
    """A checked search request: the query's terms, the facet filters (each facet's
    non-empty values), the ranges, the sort and the page (offset and size).

    ``exclude`` drops documents holding any of a facet's values (``-facet:value``);
    ``only_ids`` keeps only those dataset ids (``None``: no such restriction) and
    ``without_ids`` drops those: restrictions a caller resolved outside the index (CKAN's
    ``tags:``, ``name:`` and ``metadata_modified`` filters)."""

    terms: tuple[Term, ...] = ()
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    modified_from: str | None = None
    modified_to: str | None = None
    bbox: BBox | None = None
    sort: Sort = "relevance"
    offset: int = 0
    size: int = 20
    exclude: tuple[tuple[str, tuple[str, ...]], ...] = ()
    only_ids: frozenset[str] | None = None
    without_ids: frozenset[str] = frozenset()

    @classmethod
    def parse(
        cls,
        settings: Settings,
        q: str = "",
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        modified_from: str | None = None,
        modified_to: str | None = None,
        bbox: BBox | None = None,
        sort: str = "relevance",
        cursor: str | None = None,
        limit: int | None = None,
    ) -> SearchQuery:
        """Check the request against the settings' limits; bad input raises InvalidInput."""
        s = settings
        if sort not in SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(SORTS)}", where="sort")
        size = min(limit or s.search_page_size, s.search_max_page_size)
        if size < 1:
            raise InvalidInput("limit must be at least 1", where="limit")
        offset = decode_cursor(cursor, s.search_max_offset) if cursor else 0
        terms = parse_terms(
            q.strip(),
            max_chars=s.search_max_query_chars,
            max_terms=s.search_max_terms,
            min_prefix=s.search_min_prefix_chars,
        )
        facets = parse_facet_filters(filters or {}, s.search_max_facet_values)
        for value, where in ((modified_from, "modified_from"), (modified_to, "modified_to")):
            if value:
                check_date(value, where)
        return cls(
            terms,
            tuple((name, tuple(values)) for name, values in facets.items()),
            modified_from or None,
            modified_to or None,
            bbox,
            sort,
            offset,
            size,
        )

    @property
    def facet_filters(self) -> dict[str, list[str]]:
        """The facet filters as the index layers take them (facet -> values)."""
        return {name: list(values) for name, values in self.filters}

    @property
    def excluded(self) -> dict[str, list[str]]:
        """The excluded facet values (facet -> values)."""
        return {name: list(values) for name, values in self.exclude}

    @property
    def restricted(self) -> bool:
        """Whether a restriction the text engine cannot apply is set (exclusions, ids)."""
        return bool(self.exclude) or self.only_ids is not None or bool(self.without_ids)

    @property
    def ranges(self) -> tuple[str | None, str | None, BBox | None]:
        return self.modified_from, self.modified_to, self.bbox
