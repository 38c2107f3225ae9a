"""Training baskets as JSON: create, read the answers, change, delete; the AI Act summary,
the attributions, the Croissant description; one submission of every access request.

Bodies are closed models (``extra="forbid"``): an owner or an id cannot be sent in. A
basket made by a signed-in caller is theirs (403 for anyone else); one made anonymously is
reached by its unguessable id alone (see :mod:`catalog.baskets.model`). Every answer is
private and never stored by caches (the id of an anonymous basket is its key).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import PrincipalDep
from api.deps import ServicesDep
from api.routing import PRIVATE, PrivateRoute
from catalog.baskets.ai_act_summary import summary_document
from catalog.baskets.attributions import attributions
from catalog.baskets.croissant import basket_croissant
from catalog.baskets.service import Baskets
from catalog.baskets.summary_formats import to_markdown, to_pdf

router = APIRouter(tags=["baskets"], route_class=PrivateRoute)
JSONLD = "application/ld+json"


def get_baskets(services: ServicesDep) -> Baskets:
    """The baskets over the app's catalogue, access requests and stored offers."""
    return Baskets(services.catalogue, services.access_requests, services.offers)


BasketsDep = Annotated[Baskets, Depends(get_baskets)]


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_type: str | None = Field(default=None, max_length=50, description="research, sme, ...")
    country: str | None = Field(default=None, max_length=2, description="ISO 3166-1 alpha-2")
    purpose: str | None = Field(
        default=None, max_length=100, description="e.g. commercial-ai-training"
    )


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200)
    version: str = Field(default="", max_length=200)
    modalities: list[str] = Field(default_factory=list, max_length=5)
    general_purpose: bool = False
    provider: str = Field(default="", max_length=200, description="name and contact")


class NewBasket(BaseModel):
    """A basket as the developer states it."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    datasets: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=100
    )
    profile: Profile | None = None
    model: ModelInfo | None = None


class BasketChange(BaseModel):
    """A PATCH: add or remove datasets, or replace any stated part."""

    model_config = ConfigDict(extra="forbid")
    add: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=100)
    remove: list[Annotated[str, Field(max_length=500)]] = Field(
        default_factory=list, max_length=100
    )
    datasets: list[Annotated[str, Field(max_length=500)]] | None = Field(
        default=None, max_length=100
    )
    name: str | None = Field(default=None, max_length=200)
    profile: Profile | None = None
    model: ModelInfo | None = None


class RequestAll(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=4000)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**PRIVATE, **(headers or {})})


def _links(basket_id: str) -> dict[str, str]:
    base = f"/baskets/{basket_id}"
    return {
        "self": base,
        "page": f"/ui/baskets/{basket_id}",
        "ai_act_summary": f"{base}/ai-act-summary",
        "attributions": f"{base}/attributions",
        "croissant": f"{base}/croissant",
        "access_requests": f"{base}/access-requests",
    }


@router.post("/baskets", operation_id="create_basket", status_code=201)
def create_basket(body: NewBasket, principal: PrincipalDep, baskets: BasketsDep) -> JSONResponse:
    """A new basket; signed in, it is yours; anonymous, its id is its key."""
    basket = baskets.create(principal, body.model_dump())
    out = {**basket.to_dict(), "links": _links(basket.id)}
    return _json(out, 201, {"Location": f"/baskets/{basket.id}"})


@router.get("/baskets", operation_id="list_baskets")
def list_baskets(principal: PrincipalDep, baskets: BasketsDep) -> JSONResponse:
    """Your baskets (signed in); anonymous callers have none listed (keep the ids)."""
    items = [{**b.to_dict(), "links": _links(b.id)} for b in baskets.mine(principal)]
    return _json({"items": items, "count": len(items)})


@router.get("/baskets/{basket_id}", operation_id="get_basket")
async def get_basket(basket_id: str, principal: PrincipalDep, baskets: BasketsDep) -> JSONResponse:
    """The answers: where to get each dataset, what you owe, conflicts, lead time, the
    requests' states, and what changed since you last looked."""
    found, changed = await run_in_threadpool(baskets.look, principal, basket_id)
    return _json({**found.to_dict(changed), "links": _links(basket_id)})


@router.patch("/baskets/{basket_id}", operation_id="change_basket")
def change_basket(
    basket_id: str, body: BasketChange, principal: PrincipalDep, baskets: BasketsDep
) -> JSONResponse:
    """Add or remove datasets, rename, or restate the profile or the model."""
    data = body.model_dump(exclude_unset=True)
    basket = baskets.change(principal, basket_id, data)
    return _json({**basket.to_dict(), "links": _links(basket.id)})


@router.put("/baskets/{basket_id}", operation_id="replace_basket")
def replace_basket(
    basket_id: str, body: NewBasket, principal: PrincipalDep, baskets: BasketsDep
) -> JSONResponse:
    """The basket becomes exactly what the body states."""
    basket = baskets.replace(principal, basket_id, body.model_dump())
    return _json({**basket.to_dict(), "links": _links(basket.id)})


@router.delete("/baskets/{basket_id}", operation_id="delete_basket", status_code=204)
def delete_basket(basket_id: str, principal: PrincipalDep, baskets: BasketsDep) -> Response:
    baskets.delete(principal, basket_id)
    return Response(status_code=204, headers=PRIVATE)


@router.get(
    "/baskets/{basket_id}/ai-act-summary",
    operation_id="basket_ai_act_summary",
    responses={200: {"content": {"text/markdown": {}, "application/pdf": {}}}},
)
async def ai_act_summary(
    basket_id: str,
    principal: PrincipalDep,
    baskets: BasketsDep,
    format: Annotated[Literal["md", "json", "pdf"], Query(description="md, json or pdf")] = "md",
) -> Response:
    """A draft of the AI Act's public summary of training content (art. 53(1)(d)),
    section by section of the AI Office template; what the catalogue cannot know is marked
    for the provider to complete."""
    found = await run_in_threadpool(baskets.answer, principal, basket_id)
    doc = summary_document(found)
    name = f"ai-act-summary-{basket_id}"
    if format == "json":
        return _json(doc)
    if format == "pdf":
        pdf = await run_in_threadpool(to_pdf, doc)
        disposition = {"Content-Disposition": f'attachment; filename="{name}.pdf"'}
        return Response(pdf, media_type="application/pdf", headers={**PRIVATE, **disposition})
    return Response(to_markdown(doc), media_type="text/markdown; charset=utf-8", headers=PRIVATE)


@router.get(
    "/baskets/{basket_id}/attributions",
    operation_id="basket_attributions",
    responses={200: {"content": {"text/markdown": {}}}},
)
async def basket_attributions(
    basket_id: str, principal: PrincipalDep, baskets: BasketsDep
) -> Response:
    """One attribution file for the whole basket (Markdown)."""
    found = await run_in_threadpool(baskets.answer, principal, basket_id)
    return Response(attributions(found), media_type="text/markdown; charset=utf-8", headers=PRIVATE)


@router.get(
    "/baskets/{basket_id}/croissant",
    operation_id="basket_croissant",
    responses={200: {"content": {JSONLD: {}}}},
)
async def croissant(basket_id: str, principal: PrincipalDep, baskets: BasketsDep) -> Response:
    """One Croissant description listing every dataset with its licence and credit line."""
    found = await run_in_threadpool(baskets.answer, principal, basket_id)
    url = f"{baskets.catalogue.settings.public_url.rstrip('/')}/baskets/{basket_id}"
    return JSONResponse(basket_croissant(found, url), media_type=JSONLD, headers=PRIVATE)


@router.post(
    "/baskets/{basket_id}/access-requests", operation_id="basket_access_requests", status_code=201
)
async def request_access(
    basket_id: str,
    principal: PrincipalDep,
    baskets: BasketsDep,
    body: RequestAll | None = None,
) -> JSONResponse:
    """Ask, in one submission, for every dataset that needs a request, each from the lab
    the chosen cover takes it from; refusals come back per dataset with the reasons."""
    comment = body.comment if body else None
    result, _ = await run_in_threadpool(baskets.request_access, principal, basket_id, comment)
    return _json(result.to_dict(), 201)
