"""Which data lab may offer a dataset, on what terms, and why (JSON or ODRL JSON-LD)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from api.deps import CatalogueDep, OffersDep
from api.negotiation import JSON, negotiate
from catalog.labs import ensure_registry
from catalog.offers import RequesterProfile
from catalog.offers.live import answer_offers

router = APIRouter(tags=["offers"])
JSONLD = "application/ld+json"


@router.get(
    "/datasets/{dataset_id}/offers",
    operation_id="dataset_offers",
    responses={200: {"content": {JSON: {}, JSONLD: {}}}},
)
def dataset_offers(
    dataset_id: str,
    catalogue: CatalogueDep,
    live: OffersDep,
    org_type: Annotated[
        str | None, Query(description="research, start-up, sme, large-company or public-sector")
    ] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2 code")] = None,
    purpose: Annotated[
        str | None, Query(description="e.g. academic-research, commercial-ai-training")
    ] = None,
    format: Annotated[str | None, Query(description="json or odrl (ODRL JSON-LD only)")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Every data lab's verdict for this dataset, with reasons, terms and an ODRL Offer.

    Served from the materialised offers (narrowed to the requester's profile from the
    cached terms); while they are still being built at start-up, resolved directly."""
    fmt = {"odrl": "jsonld"}.get((format or "").lower(), format)
    media = negotiate(accept, [JSON, JSONLD], fmt)
    profile = RequesterProfile.parse(org_type, country, purpose)
    ensure_registry(catalogue)
    result = answer_offers(catalogue, dataset_id, profile, live=live)
    headers = {"Vary": "Accept"}
    if media == JSONLD:
        return JSONResponse(result.odrl(), media_type=JSONLD, headers=headers)
    return JSONResponse(result.to_dict(), headers=headers)
