"""``/api/3/action/...``: the read subset of CKAN's Action API, for CKAN clients.

``package_search`` (``q``, ``fq`` with ``metadata_modified:[A TO B]`` and
``organization:NAME``, ``sort``, ``rows``, ``start``), ``package_show``, ``package_list``,
``organization_list`` and ``status_show``; by GET (query string) or POST (JSON body), under
``/api/3/action/`` and ``/api/action/`` as CKAN does. Answers use CKAN's envelope
(``{"help", "success", "result"}``); errors use CKAN's too (``success: false`` with an
``__type``), so CKAN clients such as ``ckanapi`` raise their own exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import CatalogueDep
from catalog.errors import DatalabError, InvalidInput, LimitExceeded
from catalog.federation import ckan_package as ckan
from catalog.service import Catalogue

router = APIRouter(tags=["ckan"])
MAX_ROWS = 1000
MAX_BODY = 64 * 1024
Params = dict[str, Any]


def _int(params: Params, name: str, default: int, high: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be an integer", where=name) from None
    if not 0 <= number <= high:
        raise InvalidInput(f"{name} must be between 0 and {high}", where=name)
    return number


def _str(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", where=name)
    return value


def status_show(cat: Catalogue, _: Params) -> Any:
    """CKAN's site status."""
    s = cat.settings
    return {
        "ckan_version": "2.10.0",
        "site_url": s.public_url,
        "site_title": s.catalogue_title,
        "site_description": s.catalogue_description,
        "extensions": ["datalab-catalogue"],
    }


def package_list(cat: Catalogue, params: Params) -> Any:
    """Every dataset's name."""
    names = sorted(i.id for i in ckan.summaries(cat))
    offset = _int(params, "offset", 0, 10**9)
    limit = _int(params, "limit", len(names), 10**9)
    return names[offset : offset + limit]


def organization_list(cat: Catalogue, params: Params) -> Any:
    """Every publisher, as CKAN organisations."""
    items = ckan.summaries(cat)
    names = ckan.organizations(items)
    if str(params.get("all_fields", "")).lower() not in ("true", "1"):
        return names
    counts = {n: sum(1 for i in items if i.organization == n) for n in names}
    return [{"id": n, "name": n, "title": n, "package_count": counts[n]} for n in names]


def package_show(cat: Catalogue, params: Params) -> Any:
    """One dataset as a CKAN package (by its id/name)."""
    ref = cat.find(_str(params, "id") or "")
    item = next(i for i in ckan.summaries(cat) if i.id == ref.id)
    return ckan.package(cat, item)


def package_search(cat: Catalogue, params: Params) -> Any:
    """Search datasets; CKAN harvesters page this with ``start``/``rows``."""
    sort = _str(params, "sort")
    hits = ckan.search(ckan.summaries(cat), _str(params, "q"), _str(params, "fq"), sort)
    rows = min(_int(params, "rows", 10, 10**9), MAX_ROWS)
    start = _int(params, "start", 0, 10**9)
    return {
        "count": len(hits),
        "results": [ckan.package(cat, item) for item in hits[start : start + rows]],
        "sort": sort or "metadata_modified desc, id asc",
        "facets": {},
        "search_facets": {},
    }


ACTIONS: dict[str, Callable[[Catalogue, Params], Any]] = {
    f.__name__: f
    for f in (status_show, package_list, organization_list, package_show, package_search)
}


def _error(request: Request, exc: DatalabError) -> JSONResponse:
    kind = "Not Found Error" if exc.status == 404 else "Validation Error"
    body = {
        "help": str(request.url.path),
        "success": False,
        "error": {"__type": kind, "message": exc.message, "where": exc.where},
    }
    return JSONResponse(body, status_code=404 if exc.status == 404 else 409)


async def _params(request: Request) -> Params:
    params: Params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if len(body) > MAX_BODY:
            raise LimitExceeded("the request body is too large", where="body")
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise InvalidInput("the body is not JSON", where="body") from None
            if not isinstance(data, dict):
                raise InvalidInput("the body must be a JSON object", where="body")
            params.update(data)
    return params


def _route(name: str) -> Callable[..., Any]:
    action = ACTIONS[name]

    async def endpoint(request: Request, catalogue: CatalogueDep) -> JSONResponse:
        import anyio

        try:
            params = await _params(request)
            result = await anyio.to_thread.run_sync(action, catalogue, params)
        except (InvalidInput, ckan.NotFoundLike) as exc:
            return _error(request, exc)
        return JSONResponse({"help": str(request.url.path), "success": True, "result": result})

    endpoint.__doc__ = action.__doc__
    return endpoint


for _prefix, _suffix in (("/api/3/action", ""), ("/api/action", "_unversioned")):
    for _name in ACTIONS:
        for _method in ("GET", "POST"):
            router.add_api_route(
                f"{_prefix}/{_name}",
                _route(_name),
                methods=[_method],
                operation_id=f"ckan_{_name}{_suffix}" + ("_post" if _method == "POST" else ""),
                include_in_schema=not _suffix,
            )
