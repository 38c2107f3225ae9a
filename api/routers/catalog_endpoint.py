"""``/catalog``: the DCAT-AP 3 catalogue that other catalogues harvest.

Turtle, JSON-LD or RDF/XML by ``Accept`` (or ``?format=``), Hydra paging (``page``,
``page_size``), filters ``modified_since``, ``data_space``, ``source`` and
``exclude_catalog``. See :mod:`catalog.federation.dcat_export` for the federation rules.
Datasets whose description would break DCAT-AP 3 are left out of the page
(:mod:`catalog.federation.dcat_conformance`); ``X-Datalab-Left-Out`` counts them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from api.deps import CatalogueDep, ServicesDep
from api.links import this_url
from api.negotiation import negotiate
from catalog.federation.dcat_export import CatalogQuery, build_catalog_page, check_since
from catalog.graphs import check_source_name
from catalog.service import export_format, serialize

router = APIRouter(tags=["federation"])

CATALOG_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/rdf+xml": "xml",
}


@router.get(
    "/catalog",
    operation_id="get_catalog",
    responses={
        200: {
            "description": "One page of the DCAT-AP 3 catalogue.",
            "content": {media: {} for media in CATALOG_TYPES},
        }
    },
)
def get_catalog(
    request: Request,
    catalogue: CatalogueDep,
    services: ServicesDep,
    accept: Annotated[str | None, Header()] = None,
    format: Annotated[
        str | None, Query(description="ttl, jsonld or xml; overrides Accept.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number.")] = 1,
    page_size: Annotated[int | None, Query(ge=1, description="Datasets per page.")] = None,
    modified_since: Annotated[
        str | None, Query(description="Only datasets modified at or after this date(-time).")
    ] = None,
    data_space: Annotated[
        str | None, Query(description="Only datasets of this data space (name or IRI).")
    ] = None,
    source: Annotated[str | None, Query(description="Only datasets of this source.")] = None,
    exclude_catalog: Annotated[
        list[str] | None,
        Query(description="Leave out datasets that came through this catalogue (IRI)."),
    ] = None,
) -> Response:
    """The catalogue as DCAT-AP 3, one Hydra page at a time."""
    media = negotiate(accept, list(CATALOG_TYPES), format)
    settings = catalogue.settings
    size = min(page_size or settings.page_size, settings.max_page_size)
    query = CatalogQuery(
        page=page,
        page_size=size,
        modified_since=check_since(modified_since),
        data_space=data_space,
        source=check_source_name(source) if source else None,
        exclude_catalogs=tuple(exclude_catalog or ()),
    )

    def link(n: int) -> str:
        return this_url(request, page=n)

    result = build_catalog_page(catalogue, query, link, services.export_conformance)
    body = serialize(result.triples, export_format(CATALOG_TYPES[media]))
    headers = {
        "Vary": "Accept",
        "X-Total-Count": str(result.total),
        "X-Datalab-Left-Out": str(len(result.left_out)),
    }
    return Response(body, media_type=media, headers=headers)
