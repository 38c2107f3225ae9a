"""``/datasets/{id}/croissant``: the dataset as MLCommons Croissant 1.1 JSON-LD.

Metadata and the sample's ``FileObject`` for everyone (valid Croissant for every caller);
the file's checksum only for callers the sample gate lets read rows. Never rows or
statistics. See :mod:`catalog.federation.croissant`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.auth import Principal, PrincipalDep
from api.deps import CatalogueDep, SamplesDep
from api.routers.synthetic import synthetic_previews
from api.routing import PRIVATE
from catalog.federation.croissant import (
    SampleView,
    SyntheticView,
    croissant_document,
    sha256_of,
)
from catalog.samples import graph as sample_graph
from catalog.samples.service import SampleService
from catalog.samples.store import samples_root
from catalog.service import Catalogue

router = APIRouter(tags=["croissant"])
JSONLD = "application/ld+json"


def _sample_view(
    cat: Catalogue, service: SampleService, principal: Principal, dataset_id: str
) -> SampleView | None:
    if not service.store.has_sample(dataset_id):
        return None
    meta = service.store.meta(dataset_id)
    view = SampleView(
        columns=meta["columns"],
        content_url=sample_graph.sample_urls(cat, dataset_id)[1],
        byte_size=meta["byte_size"],
    )
    status = synthetic_previews(service).status(dataset_id)
    if status.served:
        url = sample_graph.sample_urls(cat, dataset_id)[0] + "/synthetic"
        view = replace(view, synthetic=SyntheticView(url, status.min_count))
    if not service.decide(principal, dataset_id).rows_visible:
        return view  # the file is described, its checksum is not (docs/security.md)
    digest = meta.get("sha256")  # computed at upload; older samples: computed once here
    if not digest:
        key = (str(samples_root(cat.settings)), dataset_id, meta["version"])
        digest = sha256_of(key, lambda: service.store.parquet_bytes(dataset_id))
    return replace(view, rows_visible=True, sha256=digest)


def _build(
    cat: Catalogue, service: SampleService, principal: Principal, dataset_id: str
) -> dict[str, Any]:
    ref = cat.find(dataset_id)
    view = _sample_view(cat, service, principal, ref.id)
    url = f"{cat.settings.public_url.rstrip('/')}/datasets/{ref.id}"
    return croissant_document(cat, ref.id, url, view)


@router.get(
    "/datasets/{dataset_id}/croissant",
    operation_id="get_dataset_croissant",
    responses={200: {"content": {JSONLD: {}}}},
)
async def get_croissant(
    dataset_id: str, catalogue: CatalogueDep, principal: PrincipalDep, service: SamplesDep
) -> JSONResponse:
    """The dataset as Croissant 1.1: metadata, offers in usageInfo, the sample's schema."""
    doc = await run_in_threadpool(_build, catalogue, service, principal, dataset_id)
    return JSONResponse(doc, media_type=JSONLD, headers=PRIVATE)
