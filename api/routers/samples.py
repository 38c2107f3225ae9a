"""Dataset samples: upload, overview, rows, statistics and the Parquet file, gated by terms."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from api.auth import PrincipalDep, get_accounts
from api.deps import CatalogueDep, SettingsDep
from api.links import public_url_for, this_url
from catalog.errors import DatalabError, LimitExceeded
from catalog.samples import PARQUET_MEDIA_TYPE, SampleStore, Upload, fetched
from catalog.samples import graph as sample_graph
from catalog.samples.filters import SampleQuery
from catalog.samples.service import SampleService
from catalog.samples.store import storage_full

log = logging.getLogger("datalab.api")

#: Responses depend on who asks: never shared by caches, never stored for restricted data.
PRIVATE = {"Cache-Control": "private, no-store", "Vary": "Authorization"}


class PrivateRoute(APIRoute):
    """Every answer of these routes, errors included, is marked private and not storable."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except DatalabError as exc:
                if exc.status >= 500:
                    log.warning("request failed: %s", exc)
                response = JSONResponse(exc.to_body(), status_code=exc.status)
            response.headers.update(PRIVATE)
            return response

        return handler


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up (after the app's own lifespan opened the catalogue): open the sample
    store, which removes the staging entries killed uploads left, and keep the sample
    distributions' checksums in step with access levels after every publish."""
    try:
        store = SampleStore(app.state.settings)
    except OSError as exc:  # e.g. a read-only samples folder: sample requests will say so
        log.warning("the sample store cannot be opened at start-up: %s", exc)
        yield
        return
    app.state.sample_store = store
    catalogue = getattr(app.state, "catalogue", None)
    if catalogue is not None:
        sample_graph.follow_access(catalogue, store)
    yield


router = APIRouter(tags=["samples"], route_class=PrivateRoute, lifespan=lifespan)


def _service(request: Request, catalogue: Any) -> SampleService:
    state = request.app.state
    service = getattr(state, "samples", None)
    if service is None or service.catalogue is not catalogue:
        store = getattr(state, "sample_store", None) or SampleStore(state.settings)
        service = SampleService(catalogue, store, get_accounts(request))
        state.samples = service
    return service


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _distribution(request: Request, catalogue: Any, dataset_id: str, meta: dict) -> dict:
    """The sample as a DCAT-AP ``adms:sample`` distribution of the dataset (also in the
    dataset's record: ``in_graph``); its SHA-256 when ``meta`` carries it (entitled callers,
    and the uploader)."""
    out = {
        "property": sample_graph.SAMPLE,
        "iri": sample_graph.distribution_iri(catalogue, dataset_id),
        "type": "http://www.w3.org/ns/dcat#Distribution",
        "media_type": sample_graph.IANA + meta["media_type"],
        "byte_size": meta["byte_size"],
        "download_url": public_url_for(request, "download_sample", dataset_id=dataset_id),
        "in_graph": sample_graph.in_graph(catalogue, dataset_id),
    }
    if meta.get("sha256"):
        out["checksum"] = {"algorithm": "sha256", "value": meta["sha256"]}
    return out


@router.put("/datasets/{dataset_id}/sample", operation_id="put_sample", status_code=201)
async def put_sample(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Attach a sample (body: Parquet, or CSV converted to Parquet); stewards and admins."""
    service = _service(request, catalogue)
    await run_in_threadpool(service.authorize_upload, principal, dataset_id)
    cap = settings.sample_max_upload_bytes
    fd, path = service.store.stage.file("body")  # named after this process: see staging.py
    try:
        size = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > cap:
                        raise LimitExceeded(f"the sample exceeds the limit of {cap} bytes")
                    fh.write(chunk)
        except OSError as exc:
            if storage_full(exc):
                raise service.store.full_error(dataset_id, exc) from None
            raise
        upload = Upload(path=path, media_type=request.headers.get("content-type"))
        meta = await run_in_threadpool(service.upload, principal, dataset_id, upload)
    finally:
        path.unlink(missing_ok=True)
    return _json(_created(request, catalogue, dataset_id, meta), 201)


def _created(request: Request, catalogue: Any, dataset_id: str, meta: dict) -> dict:
    body = {k: meta[k] for k in ("dataset_id", "version", "byte_size", "rows", "columns")}
    if "origin" in meta:
        body["origin"] = meta["origin"]
    body["distribution"] = _distribution(request, catalogue, dataset_id, meta)
    return body


@router.post(
    "/datasets/{dataset_id}/sample/from-distribution",
    operation_id="sample_from_distribution",
    status_code=201,
)
def sample_from_distribution(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    distribution: Annotated[
        str | None,
        Query(description="IRI of the distribution; default: the first serving CSV or Parquet."),
    ] = None,
) -> JSONResponse:
    """Take a bounded sample from a distribution's download URL (CSV: the first rows within
    `sample_fetch_max_bytes`; Parquet: only a file that fits whole); stewards and admins."""
    service = _service(request, catalogue)
    service.authorize_upload(principal, dataset_id)
    candidate = fetched.pick(catalogue, dataset_id, distribution)
    upload, origin = fetched.fetch(settings, candidate)
    meta = service.upload(principal, dataset_id, upload, origin)
    return _json(_created(request, catalogue, dataset_id, meta), 201)


@router.delete("/datasets/{dataset_id}/sample", operation_id="delete_sample", status_code=204)
def delete_sample(
    dataset_id: str, request: Request, catalogue: CatalogueDep, principal: PrincipalDep
) -> Response:
    """Remove the sample and its adms:sample distribution; stewards and admins."""
    _service(request, catalogue).delete(principal, dataset_id)
    return Response(status_code=204)


@router.get("/datasets/{dataset_id}/sample", operation_id="get_sample")
def get_sample(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> JSONResponse:
    """Schema and size of the sample, and whether its rows are visible to you and why."""
    service = _service(request, catalogue)
    body = service.overview(principal, dataset_id)
    body["distribution"] = _distribution(request, catalogue, dataset_id, body)
    return _json(body)


@router.get("/datasets/{dataset_id}/sample/rows", operation_id="get_sample_rows")
def get_sample_rows(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    principal: PrincipalDep,
    offset: Annotated[int, Query(ge=0, le=2**62, description="Rows to skip.")] = 0,
    limit: Annotated[int | None, Query(ge=0, description="Rows to return (≤ 100).")] = None,
    filter: Annotated[
        list[str] | None,
        Query(
            description="column:op:value; ops eq ne lt le gt ge contains startswith "
            "isnull notnull in (comma-separated values). Repeatable."
        ),
    ] = None,
    sort: Annotated[str | None, Query(description="column, or -column for descending.")] = None,
) -> JSONResponse:
    """A page of rows (≤ 100 rows, ≤ 1 MB; `truncated` says whether the page was cut)."""
    service = _service(request, catalogue)
    query = SampleQuery.parse(filter, sort, offset=offset, limit=limit)
    body = service.rows(principal, dataset_id, query)
    if body["next_offset"] is not None:
        body["next"] = this_url(request, offset=body["next_offset"])
    return _json(body)


@router.get("/datasets/{dataset_id}/sample/statistics", operation_id="get_sample_statistics")
def get_sample_statistics(
    dataset_id: str, request: Request, catalogue: CatalogueDep, principal: PrincipalDep
) -> JSONResponse:
    """Column statistics computed at upload: nulls, distinct, min/max, histograms, top values."""
    return _json(_service(request, catalogue).statistics(principal, dataset_id))


@router.get("/datasets/{dataset_id}/sample/file", operation_id="download_sample")
def download_sample(
    dataset_id: str, request: Request, catalogue: CatalogueDep, principal: PrincipalDep
) -> Response:
    """The sample's Parquet file (the distribution's download URL), gated like its rows."""
    data = _service(request, catalogue).parquet(principal, dataset_id)
    return Response(data, media_type=PARQUET_MEDIA_TYPE)
