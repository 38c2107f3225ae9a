"""The read actions of CKAN's Action API over the catalogue (the HTTP side is
``api/routers/ckan_api.py``).

``package_search`` goes through the search engine: ``q``/``fq`` are parsed by
:mod:`catalog.federation.ckan_query` into one :class:`~catalog.search.request.SearchQuery`
(words, facet filters and exclusions, dataset ids), facet counts come from the engine
(``facet.field``), and paging is the engine's when it can order the hits itself (``score
desc`` with words, ``id``/``name`` ascending, ``title_string`` ascending). Orders by
``metadata_modified`` (the record's change time here, which the index does not hold) take
every hit's id from the engine and order them by change time, id breaking ties.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from catalog.change_times import change_times
from catalog.errors import InvalidInput, NotFound
from catalog.federation import ckan_query
from catalog.federation.ckan_directory import Directory, Entry, directory, slug
from catalog.federation.ckan_package import group_dict, organization_dict, package, resource
from catalog.federation.ckan_query import CkanFilter
from catalog.graphs import CURRENT_GRAPHS
from catalog.ids import dataset_id
from catalog.namespaces import DCAT, DLAB
from catalog.search import SearchService
from catalog.search.request import SearchQuery
from catalog.service import Catalogue

Params = dict[str, Any]
MAX_ROWS = 1000
#: CKAN's facet fields -> the index's facets they count.
FACETS = {
    "organization": "publisher",
    "groups": "theme",
    "res_format": "format",
    "license_id": "licence",
    "data_space": "data_space",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Context:
    """What every action reads: the catalogue, its search service, and the directory."""

    cat: Catalogue
    search: SearchService

    def __post_init__(self) -> None:
        self.names: Directory = directory(self.cat)
        self._times: dict[str, datetime] | None = None

    def times(self) -> dict[str, datetime]:
        if self._times is None:
            self._times = change_times(self.cat)
        return self._times

    def changed(self, entry: Entry) -> datetime | None:
        return self.times().get(entry.id)

    def package(self, entry: Entry) -> dict[str, Any]:
        return package(self.cat, entry, self.names, self.changed(entry))

    def find(self, ref: str) -> Entry:
        """A dataset by id, name, or IRI (``uri``); also by the name given at creation."""
        names = self.names.entries
        base = self.cat.settings.base_iri.rstrip("/")
        for candidate in (
            ref,
            dataset_id(ref) if "://" in ref else "",
            dataset_id(f"{base}/dataset/{ref}"),
        ):
            if candidate in names:
                return names[candidate]
        raise NotFound(f"Not found: no dataset {ref!r}", where="id")


def integer(params: Params, name: str, default: int, high: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be an integer", where=name) from None
    if not 0 <= number <= high:
        raise InvalidInput(f"{name} must be between 0 and {high}", where=name)
    return number


def text(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", where=name)
    return value


def flag(params: Params, name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes")


def _list(params: Params, name: str) -> list[str]:
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.startswith("[") else [value]
        except ValueError:
            raise InvalidInput(f"{name} must be a JSON list", where=name) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name} must be a list of strings", where=name)
    return value


# -- package_search -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Order:
    """How a search is ordered: by the engine (``engine`` sort) or here by change time."""

    engine: str | None
    descending: bool = False


def _order(sort: str, has_words: bool) -> _Order:
    keys = [k.strip() for k in sort.split(",") if k.strip()]
    for key in keys:
        name, _, direction = key.partition(" ")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise InvalidInput(
                f"sort direction must be asc or desc, not {direction!r}", where="sort"
            )
        if name == "score":
            if not has_words:
                continue  # every package scores alike: the next key orders
            if direction != "desc":
                raise InvalidInput("only 'score desc' is supported", where="sort")
            return _Order("relevance")
        if name in ("id", "name"):
            return _Order("id") if direction == "asc" else _Order(None, True)
        if name == "title_string":
            if direction != "asc":
                raise InvalidInput("only 'title_string asc' is supported", where="sort")
            return _Order("title")
        if name == "metadata_modified":
            return _Order(None, direction == "desc")
        raise InvalidInput(
            f"unsupported sort key {name!r}; supported: score desc, metadata_modified, id, "
            "name, title_string asc",
            where="sort",
        )
    return _Order(None, True)


def _query(ctx: Context, found: CkanFilter, order: _Order, start: int, rows: int) -> SearchQuery:
    base = SearchQuery.parse(ctx.cat.settings, found.text, filters=found.include)
    exclude = ckan_query_exclude(found)
    return replace(
        base,
        exclude=exclude,
        only_ids=frozenset(found.only_ids) if found.only_ids is not None else None,
        without_ids=frozenset(found.without_ids),
        sort=order.engine or "id",  # type: ignore[arg-type]
        offset=start,
        size=max(rows, 1),
    )


def ckan_query_exclude(found: CkanFilter) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((name, tuple(values)) for name, values in sorted(found.exclude.items()) if values)


def package_search(ctx: Context, params: Params) -> dict[str, Any]:
    """Search datasets; CKAN harvesters page this with ``start``/``rows``."""
    sort = text(params, "sort") or "score desc, metadata_modified desc"
    rows = min(integer(params, "rows", 10, 10**9), MAX_ROWS)
    start = integer(params, "start", 0, 10**9)
    fq = text(params, "fq")
    fq_list = _list(params, "fq_list")
    if fq_list:
        fq = " ".join(f"({f})" for f in ([fq] if fq else []) + fq_list)
    found = ckan_query.build(text(params, "q"), fq, ctx.names, ctx.times)
    facet_fields = _list(params, "facet.field")
    for name in facet_fields:
        if name not in FACETS and name != "tags":
            raise InvalidInput(
                f"facet.field {name!r} is not supported; supported: {', '.join([*FACETS, 'tags'])}",
                where="facet.field",
            )
    facet_limit = integer(params, "facet.limit", 50, 10**6)
    order = _order(sort, bool(found.words))
    if found.nothing:
        ids: list[str] = []
        total, counts = 0, {}
    else:
        query = _query(ctx, found, order, start, rows)
        if order.engine is not None:
            result = ctx.search.find(query)
            ids = [hit.id for hit in result.items]
            total, counts = result.total, result.facets
        else:
            every = ctx.search.match_ids(query)
            total = len(every)
            ids = _by_change(ctx, every, order.descending)[start : start + rows]
            counts = (
                ctx.search.find(replace(query, offset=0, size=1)).facets if facet_fields else {}
            )
    results = [ctx.package(ctx.names.entries[i]) for i in ids if i in ctx.names.entries]
    facets = _facets(ctx, facet_fields, counts, facet_limit, found, order)
    return {
        "count": total,
        "results": results,
        "sort": sort,
        "facets": {name: {i["name"]: i["count"] for i in items} for name, items in facets.items()},
        "search_facets": {name: {"title": name, "items": items} for name, items in facets.items()},
    }


def _by_change(ctx: Context, ids: list[str], descending: bool) -> list[str]:
    """``ids`` (in id order) by change time, ties in id order."""
    times = ctx.times()
    entries = ctx.names.entries

    def when(ident: str) -> datetime:
        at = times.get(ident)
        if at is not None:
            return at
        entry = entries.get(ident)
        try:
            loaded = datetime.fromisoformat(
                (entry.loaded_at if entry else "").replace("Z", "+00:00")
            )
        except ValueError:
            return _EPOCH
        return loaded if loaded.tzinfo else loaded.replace(tzinfo=UTC)

    ordered = sorted(ids, key=when, reverse=descending)
    if descending:  # sorted is stable: restore id order among equal times
        ordered = sorted(ordered, key=lambda i: (-when(i).timestamp(), i))
    return ordered


def _facets(
    ctx: Context,
    fields: list[str],
    counts: dict[str, list[dict[str, Any]]],
    limit: int,
    found: CkanFilter,
    order: _Order,
) -> dict[str, list[dict[str, Any]]]:
    """CKAN's ``search_facets`` items (``name``, ``display_name``, ``count``) per field."""
    out: dict[str, list[dict[str, Any]]] = {}
    names = ctx.names
    for name in fields:
        items: dict[str, dict[str, Any]] = {}
        if name == "tags":
            # keywords are no facet of the index: counted over the matching datasets
            query = _query(ctx, found, order, 0, 1)
            hits = set(ctx.search.match_ids(query)) if not found.nothing else set()
            for tag, ids in names.tags.items():
                n = len(ids & hits)
                if n:
                    items[tag] = {"name": tag, "display_name": tag, "count": n}
        else:
            for value in counts.get(FACETS[name], []):
                key, label = _facet_name(names, name, value["value"]), value.get("label")
                if key is None:
                    continue
                item = items.setdefault(
                    key, {"name": key, "display_name": label or key, "count": 0}
                )
                item["count"] += value["count"]
        out[name] = sorted(items.values(), key=lambda i: (-i["count"], i["name"]))[:limit]
    return out


def _facet_name(names: Directory, field: str, value: str) -> str | None:
    if field == "organization":
        org = names.organization_of_publisher(value)
        return org.name if org else None
    if field == "groups":
        for group in names.groups.values():
            if group.facet == value:
                return group.name
        return None
    return value


# -- the other read actions -----------------------------------------------------------------


def status_show(ctx: Context, _: Params) -> Any:
    """CKAN's site status."""
    s = ctx.cat.settings
    return {
        "ckan_version": "2.10.0",
        "site_url": s.public_url,
        "site_title": s.catalogue_title,
        "site_description": s.catalogue_description,
        "error_emails_to": None,
        "locale_default": "en",
        "extensions": ["datalab-catalogue", "dcat"],
    }


def package_list(ctx: Context, params: Params) -> Any:
    """Every dataset's name."""
    names = sorted(ctx.names.entries)
    offset = integer(params, "offset", 0, 10**9)
    limit = integer(params, "limit", len(names), 10**9)
    return names[offset : offset + limit]


def current_package_list_with_resources(ctx: Context, params: Params) -> Any:
    """Packages with their resources, most recently changed first (``limit``, ``offset``
    or ``page``)."""
    limit = min(integer(params, "limit", MAX_ROWS, 10**9), MAX_ROWS)
    offset = integer(params, "offset", 0, 10**9)
    if "page" in params:
        page = integer(params, "page", 1, 10**9)
        if page < 1:
            raise InvalidInput("page must be at least 1", where="page")
        offset = (page - 1) * limit
    ordered = _by_change(ctx, sorted(ctx.names.entries), descending=True)
    return [ctx.package(ctx.names.entries[i]) for i in ordered[offset : offset + limit]]


def package_show(ctx: Context, params: Params) -> Any:
    """One dataset as a CKAN package (by id, name or IRI)."""
    return ctx.package(ctx.find(text(params, "id") or ""))


def resource_show(ctx: Context, params: Params) -> Any:
    """One distribution as a CKAN resource (by its resource id)."""
    wanted = text(params, "id") or ""
    owners = [ctx.names.entries[p] for p in (wanted.rsplit("-", 1)[0],) if p in ctx.names.entries]
    if not owners:  # a distribution with an IRI: its id is the IRI's
        rows = ctx.cat.store.select(
            f"SELECT DISTINCT ?id ?x WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ "
            f"?d <{DLAB.datasetId}> ?id ; <{DCAT.distribution}> ?x }} }}"
        )
        owners = [
            ctx.names.entries[r["id"].value]
            for r in rows
            if dataset_id(r["x"].value) == wanted and r["id"].value in ctx.names.entries
        ]
    for entry in owners:
        for res in ctx.package(entry)["resources"]:
            if res["id"] == wanted:
                return res
    raise NotFound(f"Not found: no resource {wanted!r}", where="id")


def organization_list(ctx: Context, params: Params) -> Any:
    """Every publisher, as CKAN organisations (``all_fields``, ``limit``, ``offset``)."""
    orgs = [ctx.names.organizations[n] for n in sorted(ctx.names.organizations)]
    wanted = set(_list(params, "organizations"))
    if wanted:
        orgs = [o for o in orgs if o.name in wanted]
    orgs = orgs[integer(params, "offset", 0, 10**9) :][: integer(params, "limit", 1000, 10**6)]
    if not flag(params, "all_fields"):
        return [o.name for o in orgs]
    return [organization_dict(o, count=len(o.datasets)) for o in orgs]


def organization_show(ctx: Context, params: Params) -> Any:
    """One organisation (by name), with its packages when ``include_datasets``."""
    ref = text(params, "id") or ""
    org = ctx.names.organizations.get(ref) or ctx.names.organizations.get(slug(ref))
    if org is None:
        raise NotFound(f"Not found: no organization {ref!r}", where="id")
    out = organization_dict(org, count=len(org.datasets))
    if flag(params, "include_datasets"):
        out["packages"] = [
            ctx.package(ctx.names.entries[i]) for i in sorted(org.datasets)[:MAX_ROWS]
        ]
    out["users"] = []
    return out


def group_list(ctx: Context, params: Params) -> Any:
    """Every theme in use, as CKAN groups (``all_fields``, ``limit``, ``offset``)."""
    names = sorted(ctx.names.groups)
    wanted = set(_list(params, "groups"))
    if wanted:
        names = [n for n in names if n in wanted]
    names = names[integer(params, "offset", 0, 10**9) :][: integer(params, "limit", 1000, 10**6)]
    if not flag(params, "all_fields"):
        return names
    return [group_dict(ctx.names, n, count=len(ctx.names.groups[n].datasets)) for n in names]


def group_show(ctx: Context, params: Params) -> Any:
    """One group (by name), with its packages when ``include_datasets``."""
    ref = text(params, "id") or ""
    group = ctx.names.groups.get(ref) or next(
        (g for g in ctx.names.groups.values() if g.iri == ref), None
    )
    if group is None:
        raise NotFound(f"Not found: no group {ref!r}", where="id")
    out = group_dict(ctx.names, group.name, count=len(group.datasets))
    if flag(params, "include_datasets"):
        out["packages"] = [
            ctx.package(ctx.names.entries[i])
            for i in sorted(group.datasets)[:MAX_ROWS]
            if i in ctx.names.entries
        ]
    out["users"] = []
    return out


def tag_list(ctx: Context, params: Params) -> Any:
    """Every keyword (``query``: those containing it; ``all_fields``)."""
    query = (text(params, "query") or "").lower()
    tags = sorted(t for t in ctx.names.tags if query in t.lower())
    if flag(params, "all_fields"):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in tags]
    return tags


def license_list(ctx: Context, _: Params) -> Any:
    """The licences the catalogue's distributions use."""
    counts = ctx.search.all_facet_values("licence")
    out = []
    for value in sorted(counts):
        iri = (
            value
            if "://" in value
            else f"http://publications.europa.eu/resource/authority/licence/{value}"
        )
        out.append(
            {
                "id": value,
                "title": value,
                "url": iri,
                "status": "active",
                "od_conformance": "not reviewed",
                "osd_conformance": "not reviewed",
                "family": "",
                "maintainer": "",
            }
        )
    return out


READS: dict[str, Callable[[Context, Params], Any]] = {
    f.__name__: f
    for f in (
        status_show,
        package_list,
        current_package_list_with_resources,
        package_show,
        package_search,
        resource_show,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        license_list,
    )
}

__all__ = ["READS", "Context", "resource"]
