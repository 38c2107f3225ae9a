"""``/api/3/action/...``: CKAN's Action API, for CKAN harvesters and ``ckanapi`` scripts.

Reads (:mod:`catalog.federation.ckan_actions`): ``status_show``, ``package_list``,
``current_package_list_with_resources``, ``package_show``, ``package_search``,
``resource_show``, ``organization_list``/``_show``, ``group_list``/``_show``, ``tag_list``,
``license_list``. Writes (:mod:`api.routers.ckan_writes`): ``package_create``,
``package_update``, ``package_patch``, ``package_delete``, with a steward's token and the
steward pages' ownership rules. By GET (query string) or POST (JSON body), under
``/api/3/action/`` and ``/api/action/`` as CKAN does.

Answers use CKAN's envelope (``{"help", "success", "result"}``); errors use CKAN's too
(``success: false``, ``error.__type``: ``Validation Error`` 409, ``Not Found Error`` 404,
``Authorization Error`` 403, ``Bad request`` 400 for an unknown action), so CKAN clients
such as ``ckanapi`` raise their own exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.links import public_path
from api.routers import ckan_writes
from api.services import Services
from catalog.errors import DatalabError, Forbidden, InvalidInput, LimitExceeded, Unauthorized
from catalog.federation import ckan_actions
from catalog.federation.ckan_actions import Context, Params

router = APIRouter(tags=["ckan"])
MAX_BODY = 256 * 1024
ACTIONS: dict[str, Callable[..., Any]] = {**ckan_actions.READS, **ckan_writes.WRITES}

_TYPES = {
    404: "Not Found Error",
    403: "Authorization Error",
    401: "Authorization Error",
}


def _help(request: Request, name: str) -> str:
    """CKAN's ``help`` link, on the public URL (never the request's Host header)."""
    return public_path(request, f"/api/3/action/help_show?name={quote(name, safe='')}")


def _error(request: Request, name: str, exc: DatalabError) -> JSONResponse:
    kind = _TYPES.get(exc.status, "Validation Error")
    status = 403 if exc.status in (401, 403) else 404 if exc.status == 404 else 409
    error: dict[str, Any] = {"__type": kind, "message": exc.message}
    if kind == "Validation Error":
        error[exc.where or "message"] = [exc.message]
    body = {"help": _help(request, name), "success": False, "error": error}
    return JSONResponse(body, status_code=status)


async def _params(request: Request) -> Params:
    params: Params = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    if request.method == "POST":
        body = await request.body()
        if len(body) > MAX_BODY:
            raise LimitExceeded("the request body is too large", where="body")
        if body.strip():
            kind = request.headers.get("content-type", "")
            if kind.startswith("application/x-www-form-urlencoded"):
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
                return params
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
    writes = name in ckan_writes.WRITES

    async def endpoint(request: Request, services: ServicesDep) -> JSONResponse:
        try:
            params = await _params(request)
            if writes:
                if request.method != "POST":
                    raise InvalidInput(f"{name} must be called with POST", where="method")
                principal = ckan_writes.principal(request, services)
                result = await anyio.to_thread.run_sync(_write, action, services, principal, params)
            else:
                result = await anyio.to_thread.run_sync(_read, action, services, params)
        except (InvalidInput, Forbidden, Unauthorized, LimitExceeded) as exc:
            return _error(request, name, exc)
        except DatalabError as exc:
            if exc.status in (404, 409, 422):
                return _error(request, name, exc)
            raise
        return JSONResponse({"help": _help(request, name), "success": True, "result": result})

    endpoint.__doc__ = action.__doc__
    return endpoint


def _read(action: Callable[..., Any], services: Services, params: Params) -> Any:
    return action(Context(services.catalogue, services.search.get()), params)


def _write(action: Callable[..., Any], services: Services, principal: Any, params: Params) -> Any:
    ctx = Context(services.catalogue, services.search.get())
    return action(ctx, principal, params)


async def _unknown(request: Request, name: str) -> JSONResponse:
    body = {
        "help": _help(request, name),
        "success": False,
        "error": {
            "__type": "Bad request",
            "message": f"Bad request - Action name not known: {name}",
        },
    }
    return JSONResponse(body, status_code=400)


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
    router.add_api_route(
        _prefix + "/{name}",
        _unknown,
        methods=["GET", "POST"],
        operation_id=f"ckan_unknown_action{_suffix}",
        include_in_schema=False,
    )
