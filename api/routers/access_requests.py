"""Access requests as JSON: submit, list, read, comment and move through the workflow.

Bodies are closed models (``extra="forbid"``): a requester, state, grant or owner cannot be
sent in, so mass assignment is impossible. Requests that are not the caller's to see are
404, the same as requests that do not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import PrincipalDep
from api.deps import AccessRequestsDep, CatalogueDep
from api.routing import PRIVATE
from catalog.labs import ensure_registry

router = APIRouter(tags=["access requests"])


class NewRequest(BaseModel):
    """What a developer states when asking a lab for a dataset."""

    model_config = ConfigDict(extra="forbid")
    dataset_id: str = Field(max_length=500)
    lab: str = Field(max_length=100)
    org_type: str = Field(max_length=50, description="research, start-up, sme, ...")
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2")
    purpose: str = Field(max_length=100, description="e.g. academic-research")
    comment: str | None = Field(default=None, max_length=4000)


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=4000)


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=PRIVATE)


@router.post("/access-requests", operation_id="submit_access_request", status_code=201)
def submit(
    body: NewRequest,
    catalogue: CatalogueDep,
    principal: PrincipalDep,
    service: AccessRequestsDep,
) -> JSONResponse:
    """Ask a lab for a dataset; refused (409, with reasons) when the lab may not offer it."""
    ensure_registry(catalogue)
    req = service.submit(
        principal,
        dataset_id=body.dataset_id,
        lab_id=body.lab,
        org_type=body.org_type,
        country=body.country,
        purpose=body.purpose,
        comment=body.comment,
    )
    return _json(req.to_dict(), 201)


@router.get("/access-requests", operation_id="list_access_requests")
def list_requests(
    principal: PrincipalDep,
    service: AccessRequestsDep,
    state: Annotated[str | None, Query(description="Only requests in this state.")] = None,
) -> JSONResponse:
    """Your requests (developers) or your factory's (staff); every request for admins."""
    items = [r.to_dict() for r in service.list_for(principal, state)]
    return _json({"items": items, "count": len(items)})


@router.get("/access-requests/{request_id}", operation_id="get_access_request")
def get_request(
    request_id: str, principal: PrincipalDep, service: AccessRequestsDep
) -> JSONResponse:
    """One request with its comments."""
    return _json(service.get(principal, request_id).to_dict())


@router.post("/access-requests/{request_id}/comments", operation_id="comment_access_request")
def comment(
    request_id: str,
    body: Comment,
    principal: PrincipalDep,
    service: AccessRequestsDep,
) -> JSONResponse:
    """Add a comment without changing the state."""
    req = service.comment(principal, request_id, body.comment or "")
    return _json(req.to_dict())


@router.post("/access-requests/{request_id}/{action}", operation_id="act_on_access_request")
def act(
    request_id: str,
    action: Annotated[Literal["review", "approve", "reject", "withdraw", "revoke"], Path()],
    principal: PrincipalDep,
    service: AccessRequestsDep,
    body: Comment | None = None,
) -> JSONResponse:
    """Move the request on: review, approve (grants access), reject, withdraw or revoke."""
    comment_text = body.comment if body else None
    req = service.act(principal, request_id, action, comment_text)
    return _json(req.to_dict())
