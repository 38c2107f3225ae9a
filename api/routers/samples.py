"""Dataset samples: upload, overview, rows, statistics and the Parquet file, gated by terms."""

from __future__ import annotations

import os
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from api.auth import PrincipalDep
from api.deps import CatalogueDep, SamplesDep, SettingsDep
from api.links import this_url
from api.routing import PrivateRoute
from catalog.errors import LimitExceeded
from catalog.samples import PARQUET_MEDIA_TYPE, Upload, fetched
from catalog.samples import graph as sample_graph
from catalog.samples.filters import SampleQuery
from catalog.samples.store import storage_full

router = APIRouter(tags=["samples"], route_class=PrivateRoute)


def _json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _distribution(catalogue: Any, dataset_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The sample as a DCAT-AP ``adms:sample`` distribution of the dataset (also in the
    dataset's record: ``in_graph``); its SHA-256 when ``meta`` carries it (entitled callers,
    and the uploader)."""
    out = {
        "property": sample_graph.SAMPLE,
        "iri": sample_graph.distribution_iri(catalogue, dataset_id),
        "type": "http://www.w3.org/ns/dcat#Distribution",
        "media_type": sample_graph.media_type_iri(meta),
        "byte_size": meta["byte_size"],
        "download_url": sample_graph.sample_urls(catalogue, dataset_id)[1],
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
    service: SamplesDep,
) -> JSONResponse:
    """Attach a sample (body: Parquet, or CSV converted to Parquet); stewards and admins."""
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
    return _json(_created(catalogue, dataset_id, meta), 201)


def _created(catalogue: Any, dataset_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    body = {k: meta[k] for k in ("dataset_id", "version", "byte_size", "rows", "columns")}
    if "origin" in meta:
        body["origin"] = meta["origin"]
    body["distribution"] = _distribution(catalogue, dataset_id, meta)
    return body


@router.post(
    "/datasets/{dataset_id}/sample/from-distribution",
    operation_id="sample_from_distribution",
    status_code=201,
)
def sample_from_distribution(
    dataset_id: str,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    service: SamplesDep,
    distribution: Annotated[
        str | None,
        Query(description="IRI of the distribution; default: the first serving CSV or Parquet."),
    ] = None,
) -> JSONResponse:
    """Take a bounded sample from a distribution's download URL (CSV: the first rows within
    `sample_fetch_max_bytes`; Parquet: only a file that fits whole); stewards and admins."""
    service.authorize_upload(principal, dataset_id)
    candidate = fetched.pick(catalogue, dataset_id, distribution)
    upload, origin = fetched.fetch(settings, candidate)
    meta = service.upload(principal, dataset_id, upload, origin)
    return _json(_created(catalogue, dataset_id, meta), 201)


@router.delete("/datasets/{dataset_id}/sample", operation_id="delete_sample", status_code=204)
def delete_sample(dataset_id: str, principal: PrincipalDep, service: SamplesDep) -> Response:
    """Remove the sample and its adms:sample distribution; stewards and admins."""
    service.delete(principal, dataset_id)
    return Response(status_code=204)


@router.get("/datasets/{dataset_id}/sample", operation_id="get_sample")
def get_sample(
    dataset_id: str,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    service: SamplesDep,
) -> JSONResponse:
    """Schema and size of the sample, and whether its rows are visible to you and why."""
    body = service.overview(principal, dataset_id)
    body["distribution"] = _distribution(catalogue, dataset_id, body)
    return _json(body)


@router.get("/datasets/{dataset_id}/sample/rows", operation_id="get_sample_rows")
def get_sample_rows(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    principal: PrincipalDep,
    service: SamplesDep,
    offset: Annotated[int, Query(ge=0, le=2**62, description="Rows to skip.")] = 0,
    limit: Annotated[int | None, Query(ge=0, description="Rows to return (≤ 100).")] = None,
    filter: Annotated[
        list[str] | None,
        Query(
            description="column:op:value; ops eq ne lt le gt ge contains startswith "
            "isnull notnull in (comma-separated values) between (low,high: numbers, dates, "
            "times). Repeatable; all must hold."
        ),
    ] = None,
    sort: Annotated[str | None, Query(description="column, or -column for descending.")] = None,
    q: Annotated[
        str | None,
        Query(
            description="Words to find within rows: each must occur, ignoring case, in one "
            "of the text columns."
        ),
    ] = None,
) -> JSONResponse:
    """A page of rows (≤ 100 rows, ≤ 1 MB; `truncated` says whether the page was cut);
    `matched` is the exact number of rows the filters and search let through (of `total`)."""
    query = SampleQuery.parse(filter, sort, offset=offset, limit=limit, search=q)
    body = service.rows(principal, dataset_id, query)
    if body["next_offset"] is not None:
        body["next"] = this_url(request, offset=body["next_offset"])
    return _json(body)


@router.get("/datasets/{dataset_id}/sample/statistics", operation_id="get_sample_statistics")
def get_sample_statistics(
    dataset_id: str, principal: PrincipalDep, service: SamplesDep
) -> JSONResponse:
    """Column statistics computed at upload: nulls, distinct, min/max, histograms, top values."""
    return _json(service.statistics(principal, dataset_id))


@router.get("/datasets/{dataset_id}/sample/file", operation_id="download_sample")
def download_sample(dataset_id: str, principal: PrincipalDep, service: SamplesDep) -> Response:
    """The sample's Parquet file (the distribution's download URL), gated like its rows."""
    data = service.parquet(principal, dataset_id)
    return Response(data, media_type=PARQUET_MEDIA_TYPE)
