"""The common European data spaces: read by anyone; extended by an administrator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.auth import Principal, PrincipalDep
from api.deps import CatalogueDep
from catalog.dataspaces import DataSpace, add_data_space, data_spaces, make_data_space
from catalog.errors import Forbidden, Unauthorized
from catalog.labs.store import remove_unused_data_space

router = APIRouter(tags=["data-spaces"])


class NewDataSpace(BaseModel):
    """A data space an administrator adds (its IRI is minted from the id)."""

    id: str = Field(description="Short id: 2-63 characters of a-z, 0-9 and '-'.")
    labels: dict[str, str] = Field(description="Label by language tag; 'en' is required.")
    themes: list[str] = Field(
        default_factory=list, description="EU data-theme codes (AGRI, HEAL, …) or their IRIs."
    )


def _require_admin(principal: Principal) -> None:
    if principal.anonymous:
        raise Unauthorized(
            "changing the data spaces needs 'Authorization: Bearer <token>' of an administrator",
            where="Authorization",
        )
    if principal.role != "admin":
        raise Forbidden("only an administrator may change the data spaces", where="role")


def _public(space: DataSpace, builtin: bool) -> dict[str, Any]:
    return {**space.to_dict(), "builtin": builtin}


@router.get("/data-spaces", operation_id="list_data_spaces")
def list_spaces(catalogue: CatalogueDep) -> dict[str, Any]:
    """Every data space a lab may link or a dataset belong to: built-in, then added."""
    spaces = data_spaces(catalogue.documents)
    items = [_public(s, spaces.is_builtin(s.id)) for s in spaces]
    return {"items": items, "count": len(items)}


@router.post("/data-spaces", operation_id="add_data_space", status_code=201)
def add_space(catalogue: CatalogueDep, principal: PrincipalDep, body: NewDataSpace) -> JSONResponse:
    """Add a data space, or replace one added before (administrators)."""
    _require_admin(principal)
    space = make_data_space(body.id, body.labels, body.themes)
    existed = space.id in data_spaces(catalogue.documents)
    add_data_space(catalogue.documents, space)
    return JSONResponse(_public(space, False), status_code=200 if existed else 201)


@router.delete("/data-spaces/{space_id}", operation_id="remove_data_space", status_code=204)
def remove_space(space_id: str, catalogue: CatalogueDep, principal: PrincipalDep) -> Response:
    """Remove an added data space that no data lab links (administrators)."""
    _require_admin(principal)
    remove_unused_data_space(catalogue, space_id)
    return Response(status_code=204)
