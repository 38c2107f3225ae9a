"""Basket pages: "Add to basket" from search and dataset pages, "My baskets", one basket's
five answers with its exports, and "Request access for all".

Signed in, baskets are the user's. Anonymous, a basket is reached by its id, and this
browser's baskets are remembered by a random key in an HttpOnly cookie (``datalab_basket``;
only its SHA-256 is stored) so "My baskets" can list them. Exports are served here too,
since a browser sends its session cookie, not an API token.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.deps import ServicesDep, get_services
from api.routing import PRIVATE
from api.web.render import WebRoute, add_global, render
from api.web.session import checked_form, web_principal
from catalog.baskets.ai_act_summary import summary_document
from catalog.baskets.attributions import attributions
from catalog.baskets.croissant import basket_croissant
from catalog.baskets.model import Basket
from catalog.baskets.service import Baskets
from catalog.baskets.store import holder_digest
from catalog.baskets.summary_formats import to_markdown, to_pdf
from catalog.errors import DatalabError, InvalidInput
from catalog.offers.profiles import FORM_ORG_TYPES, PURPOSES

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)
BASKET_COOKIE = "datalab_basket"


def _service(services: Any) -> Baskets:
    return Baskets(services.catalogue, services.access_requests, services.offers)


def _holder(request: Request) -> str | None:
    return holder_digest(request.cookies.get(BASKET_COOKIE))


def basket_choices(request: Request) -> list[Basket]:
    """The baskets the "Add to basket" form offers (the visitor's, newest first)."""
    cached: list[Basket] | None = request.scope.get("basket_choices")
    if cached is not None:  # one query per page, however many forms it shows
        return cached
    try:
        services = get_services(request)
        found = _service(services).mine(web_principal(request), _holder(request))[:20]
    except DatalabError:
        found = []
    request.scope["basket_choices"] = found
    return found


@router.get("/baskets", operation_id="web_baskets")
def my_baskets(request: Request, services: ServicesDep) -> Response:
    items = _service(services).mine(web_principal(request), _holder(request))
    return render(request, "baskets.html", items=items)


@router.post("/baskets/add", operation_id="web_basket_add")
async def add(request: Request, services: ServicesDep) -> Response:
    """Add one dataset to a chosen basket, or to a new one."""
    form = await checked_form(request)
    principal = web_principal(request)
    dataset_id = str(form.get("dataset_id") or "")
    choice = str(form.get("basket") or "new")
    baskets = _service(services)
    key = request.cookies.get(BASKET_COOKIE)
    new_key = None
    if choice == "new":
        if principal.anonymous and not key:
            key = new_key = secrets.token_urlsafe(32)
        name = str(form.get("name") or "").strip() or None
        basket = baskets.create(
            principal, {"name": name, "datasets": [dataset_id]}, holder=holder_digest(key)
        )
    else:
        basket = baskets.change(principal, choice, {"add": [dataset_id]})
    response = RedirectResponse(f"/ui/baskets/{basket.id}", status_code=303)
    if new_key:
        response.set_cookie(
            BASKET_COOKIE,
            new_key,
            max_age=3600 * 24 * 180,
            path="/",
            secure=services.settings.web_cookie_secure,
            httponly=True,
            samesite="strict",
        )
    return response


@router.get("/baskets/{basket_id}", operation_id="web_basket")
def basket_page(basket_id: str, request: Request, services: ServicesDep) -> Response:
    baskets = _service(services)
    found, changed = baskets.look(web_principal(request), basket_id)
    return _page(request, found.to_dict(changed), found.basket)


def _page(request: Request, answer: dict[str, Any], basket: Basket, **extra: Any) -> Response:
    titles = {d["dataset"]: d["title"] for d in answer["datasets_detail"]}
    labs = {lab["lab"]: lab["lab_name"] for lab in answer["where_to_get_it"]["labs"]}
    return render(
        request,
        "basket.html",
        a=answer,
        basket=basket,
        titles=titles,
        lab_names=labs,
        org_types=sorted(FORM_ORG_TYPES),
        purposes=PURPOSES,
        submission=extra.get("submission"),
        error=extra.get("error"),
    )


@router.post("/baskets/{basket_id}", operation_id="web_basket_change")
async def change(basket_id: str, request: Request, services: ServicesDep) -> Response:
    """The basket page's forms: the profile, removing a dataset."""
    form = await checked_form(request)
    principal = web_principal(request)
    baskets = _service(services)
    action = str(form.get("action") or "")
    if action == "profile":
        profile = {k: str(form.get(k) or "") or None for k in ("org_type", "country", "purpose")}
        model = {
            "name": str(form.get("model_name") or ""),
            "version": str(form.get("model_version") or ""),
            "provider": str(form.get("model_provider") or ""),
            "modalities": [str(m) for m in form.getlist("modalities")],
            "general_purpose": form.get("general_purpose") == "on",
        }
        try:
            baskets.change(principal, basket_id, {"profile": profile, "model": model})
        except InvalidInput as exc:
            found, changed = baskets.look(principal, basket_id)
            return _page(
                request, found.to_dict(changed), found.basket, error=f"{exc.message} ({exc.where})"
            )
    elif action == "remove":
        baskets.change(principal, basket_id, {"remove": [str(form.get("dataset_id") or "")]})
    else:
        raise InvalidInput(f"unknown action {action!r}", where="action")
    return RedirectResponse(f"/ui/baskets/{basket_id}", status_code=303)


@router.post("/baskets/{basket_id}/requests", operation_id="web_basket_requests")
async def request_all(basket_id: str, request: Request, services: ServicesDep) -> Response:
    """ "Request access for all": one submission, grouped by lab; the page then shows them."""
    form = await checked_form(request)
    principal = web_principal(request)
    baskets = _service(services)
    try:
        result, _ = baskets.request_access(principal, basket_id, str(form.get("comment") or ""))
    except InvalidInput as exc:
        found, changed = baskets.look(principal, basket_id)
        return _page(request, found.to_dict(changed), found.basket, error=exc.message)
    found, changed = baskets.look(principal, basket_id)
    return _page(request, found.to_dict(changed), found.basket, submission=result.to_dict())


@router.get("/baskets/{basket_id}/ai-act-summary", operation_id="web_basket_summary")
def summary(
    basket_id: str, request: Request, services: ServicesDep, format: str = "md"
) -> Response:
    found = _service(services).answer(web_principal(request), basket_id)
    doc = summary_document(found)
    if format == "json":
        return JSONResponse(doc, headers=PRIVATE)
    if format == "pdf":
        disposition = f'attachment; filename="ai-act-summary-{basket_id}.pdf"'
        return Response(
            to_pdf(doc),
            media_type="application/pdf",
            headers={**PRIVATE, "Content-Disposition": disposition},
        )
    if format != "md":
        raise InvalidInput(f"unknown format {format!r}; known: md, json, pdf", where="format")
    return Response(to_markdown(doc), media_type="text/markdown; charset=utf-8", headers=PRIVATE)


@router.get("/baskets/{basket_id}/attributions", operation_id="web_basket_attributions")
def attributions_file(basket_id: str, request: Request, services: ServicesDep) -> Response:
    found = _service(services).answer(web_principal(request), basket_id)
    return Response(attributions(found), media_type="text/markdown; charset=utf-8", headers=PRIVATE)


@router.get("/baskets/{basket_id}/croissant", operation_id="web_basket_croissant")
def croissant(basket_id: str, request: Request, services: ServicesDep) -> Response:
    found = _service(services).answer(web_principal(request), basket_id)
    url = f"{services.settings.public_url.rstrip('/')}/baskets/{basket_id}"
    return JSONResponse(
        basket_croissant(found, url), media_type="application/ld+json", headers=PRIVATE
    )


def basket_stylesheet(request: Request) -> bool:
    """Whether the "Add to basket" form should link its stylesheet: the first time on a
    page (pages owned by others do not link basket.css in their head)."""
    first = "basket_css" not in request.scope
    request.scope["basket_css"] = True
    return first


add_global("basket_choices", basket_choices)
add_global("basket_stylesheet", basket_stylesheet)

__all__ = ["BASKET_COOKIE", "basket_choices", "router"]
