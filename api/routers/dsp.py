"""``/dsp``: the Dataspace Protocol 2025-1 catalogue (HTTPS binding) that connectors harvest.

``POST /dsp/catalog/request`` takes a ``CatalogRequestMessage`` and answers a ``Catalog``,
one page at a time (``?page=``, ``?page_size=``; the next and previous pages are in the
``Link`` header, to be POSTed the same message). ``GET /dsp/catalog/datasets/{id}`` answers
one ``Dataset`` (by catalogue id or dataset IRI). Errors are DSP ``CatalogError`` messages
with the HTTP status of the problem. See :mod:`catalog.federation.dsp_catalog`.

``GET /.well-known/dspace-version`` (unversioned, unauthenticated, as the spec requires)
tells a connector which protocol version is spoken and where: ``2025-1`` at ``/dsp``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import CatalogueDep, SettingsDep
from api.links import this_url
from catalog.errors import DatalabError, LimitExceeded
from catalog.federation import dsp_catalog as dsp

router = APIRouter(prefix=dsp.DSP_PATH, tags=["dataspace-protocol"])
#: The version metadata endpoint, at the root (RFC 8615), outside the versioned path.
well_known = APIRouter(tags=["dataspace-protocol"])
JSON = "application/json"


@well_known.get(
    "/.well-known/dspace-version",
    operation_id="dsp_version",
    responses={200: {"content": {JSON: {}}}},
)
def dspace_version(settings: SettingsDep) -> JSONResponse:
    """The Dataspace Protocol versions this catalogue speaks and the path of each."""
    return JSONResponse(dsp.version_document(settings), media_type=JSON)


def _error(exc: DatalabError) -> JSONResponse:
    body = dsp.catalog_error(exc.code, exc.message)
    if exc.where:
        body["reason"].append(f"at {exc.where}")
    return JSONResponse(body, status_code=exc.status, media_type=JSON)


def _links(request: Request, page: dsp.DspPage) -> str | None:
    links = []
    if page.page < page.last_page:
        url = this_url(request, page=page.page + 1)
        links.append(f'<{url}>; rel="next"')
    if page.page > 1:
        url = this_url(request, page=page.page - 1)
        links.append(f'<{url}>; rel="previous"')
    return ", ".join(links) or None


@router.post(
    "/catalog/request",
    operation_id="dsp_catalog_request",
    responses={200: {"content": {JSON: {}}}, 400: {"description": "CatalogError"}},
)
async def catalog_request(
    request: Request,
    catalogue: CatalogueDep,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number.")] = 1,
    page_size: Annotated[int | None, Query(ge=1, description="Datasets per page.")] = None,
) -> JSONResponse:
    """A ``CatalogRequestMessage`` in, one page of the ``Catalog`` out."""
    settings = catalogue.settings
    size = min(page_size or settings.page_size, settings.max_page_size)
    try:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.dsp_max_request_bytes:
                raise LimitExceeded("the catalogue request is too large", where="body")
        query = dsp.parse_request(body, settings.dsp_max_request_bytes)
        result = await run_in_threadpool(dsp.build_catalog, catalogue, query, page, size)
    except DatalabError as exc:
        return _error(exc)
    headers = {"X-Total-Count": str(result.total)}
    link = _links(request, result)
    if link:
        headers["Link"] = link
    return JSONResponse(result.document, media_type=JSON, headers=headers)


@router.get(
    "/catalog/datasets/{dataset_id:path}",
    operation_id="dsp_get_dataset",
    responses={200: {"content": {JSON: {}}}, 404: {"description": "CatalogError"}},
)
async def get_dataset(dataset_id: str, catalogue: CatalogueDep) -> JSONResponse:
    """One ``Dataset`` with its offers and distributions (id, or the dataset's IRI)."""
    try:
        doc = await run_in_threadpool(dsp.dataset_document, catalogue, dataset_id)
    except DatalabError as exc:
        return _error(exc)
    return JSONResponse(doc, media_type=JSON)
