"""Data labs: read by anyone; created and edited by their own factory's staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.auth import Principal, PrincipalDep
from api.deps import CatalogueDep, OffersDep
from catalog.errors import Forbidden, Unauthorized
from catalog.labs import create_lab, edit_lab, ensure_registry, get_lab, list_labs
from catalog.offers.live import answer_lab_datasets

router = APIRouter(tags=["labs"])


def _staff_factory(principal: Principal) -> str:
    if principal.anonymous:
        raise Unauthorized(
            "editing data labs needs 'Authorization: Bearer <token>' of factory staff",
            where="Authorization",
        )
    if principal.role != "staff" or not principal.factory:
        raise Forbidden("only a factory's staff may create or edit its data labs", where="role")
    return principal.factory


@router.get("/labs", operation_id="list_labs")
def labs(
    catalogue: CatalogueDep,
    factory: Annotated[str | None, Query(description="Only this factory's labs.")] = None,
) -> dict[str, Any]:
    """Every data lab."""
    ensure_registry(catalogue)
    items = [lab.to_dict() for lab in list_labs(catalogue, factory)]
    return {"items": items, "count": len(items)}


@router.get("/labs/{lab_id}", operation_id="get_lab")
def lab(lab_id: str, catalogue: CatalogueDep) -> dict[str, Any]:
    """One data lab."""
    ensure_registry(catalogue)
    return get_lab(catalogue, lab_id).to_dict()


@router.post("/labs", operation_id="create_lab", status_code=201)
def add_lab(
    catalogue: CatalogueDep, principal: PrincipalDep, body: Annotated[dict[str, Any], Body()]
) -> JSONResponse:
    """Create a data lab of the caller's factory."""
    factory = _staff_factory(principal)
    ensure_registry(catalogue)
    created = create_lab(catalogue, {"factory": factory, **body}, staff_factory=factory)
    return JSONResponse(created.to_dict(), status_code=201)


@router.patch("/labs/{lab_id}", operation_id="edit_lab")
def change_lab(
    lab_id: str,
    catalogue: CatalogueDep,
    principal: PrincipalDep,
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Edit a data lab of the caller's factory (id and factory cannot change)."""
    factory = _staff_factory(principal)
    ensure_registry(catalogue)
    return edit_lab(catalogue, lab_id, body, staff_factory=factory).to_dict()


@router.get("/labs/{lab_id}/datasets", operation_id="lab_datasets")
def datasets_of_lab(
    lab_id: str,
    catalogue: CatalogueDep,
    live: OffersDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Datasets this lab may offer (outright or under conditions), with the verdict, by id.

    ``total`` counts them all (``null`` while the materialised offers are still building)."""
    ensure_registry(catalogue)
    offers, total = answer_lab_datasets(catalogue, lab_id, limit=limit, live=live)
    return {
        "lab": lab_id,
        "items": [
            {
                "dataset": o.dataset,
                "verdict": o.verdict,
                "access_mode": o.access_mode,
                "usable_for_ai_training": o.usable_for_ai_training,
            }
            for o in offers
        ],
        "count": len(offers),
        "total": total,
    }
