"""Datasets: list with cursor paging, one dataset with content negotiation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from rdflib import URIRef

from api.deps import CatalogueDep
from api.links import public_url_for, this_url
from api.negotiation import JSON, RDF_MEDIA_TYPES, negotiate
from catalog.model import Dataset
from catalog.rdf_bridge import to_rdflib_graph
from catalog.records import DatasetSummary
from catalog.service import serialize

router = APIRouter(tags=["datasets"])

DATASET_TYPES = [JSON, *RDF_MEDIA_TYPES]


class Links(BaseModel):
    self: str
    formats: dict[str, str]


class DatasetListItem(BaseModel):
    id: str
    iri: str
    source: str
    title: str | None
    titles: dict[str, str]
    links: Links


class DatasetsPublic(BaseModel):
    items: list[DatasetListItem]
    count: int
    next: str | None


def _links(request: Request, dataset_id: str) -> Links:
    url = public_url_for(request, "get_dataset", dataset_id=dataset_id)
    return Links(
        self=url,
        formats={fmt: f"{url}?format={fmt}" for fmt in ("jsonld", "ttl", "xml", "nt")},
    )


def _best_title(titles: dict[str, str], prefer: str = "en") -> str | None:
    return titles.get(prefer) or titles.get("") or next(iter(titles.values()), None)


def list_item(request: Request, item: DatasetSummary) -> DatasetListItem:
    return DatasetListItem(
        id=item.id,
        iri=item.iri,
        source=item.source,
        title=_best_title(item.titles),
        titles=item.titles,
        links=_links(request, item.id),
    )


@router.get("/datasets", operation_id="list_datasets", response_model=DatasetsPublic)
def list_datasets(
    request: Request,
    catalogue: CatalogueDep,
    cursor: Annotated[str | None, Query(description="Opaque cursor from a `next` link.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="Page size.")] = None,
    source: Annotated[str | None, Query(description="Only datasets of this source.")] = None,
) -> DatasetsPublic:
    """Datasets ordered by id, a page at a time; follow `next` for the following page."""
    page = catalogue.datasets(cursor=cursor, limit=limit, source=source)
    next_url = None
    if page.next_cursor:
        next_url = this_url(request, cursor=page.next_cursor)
    return DatasetsPublic(
        items=[list_item(request, item) for item in page.items],
        count=catalogue.count(source),
        next=next_url,
    )


@router.get(
    "/datasets/{dataset_id}",
    operation_id="get_dataset",
    responses={
        200: {
            "description": "The dataset as JSON, JSON-LD, Turtle, RDF/XML or N-Triples.",
            "content": {media: {} for media in DATASET_TYPES},
        }
    },
)
def get_dataset(
    dataset_id: str,
    request: Request,
    catalogue: CatalogueDep,
    accept: Annotated[str | None, Header()] = None,
    format: Annotated[
        str | None, Query(description="json, jsonld, ttl, xml or nt; overrides Accept.")
    ] = None,
) -> Response:
    """One dataset's record, negotiated by `Accept` (or `?format=`)."""
    media = negotiate(accept, DATASET_TYPES, format)
    record = catalogue.get(dataset_id)
    headers = {"Vary": "Accept"}
    if media != JSON:
        body = serialize(record.triples, RDF_MEDIA_TYPES[media])
        return Response(body, media_type=media, headers=headers)
    graph = to_rdflib_graph(record.triples)
    model = Dataset.from_graph(graph, URIRef(record.ref.iri))
    payload: dict[str, Any] = {
        "id": record.ref.id,
        "iri": record.ref.iri,
        "source": record.ref.source,
        "links": _links(request, dataset_id).model_dump(),
        "dataset": model.to_dict(),
    }
    return JSONResponse(payload, headers=headers)
