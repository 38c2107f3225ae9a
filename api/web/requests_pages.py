"""Access-request pages: ask a lab for a dataset; follow, comment, withdraw or decide."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import Principal
from api.deps import AccessRequestsDep, CatalogueDep
from api.web.render import WebRoute, render
from api.web.session import checked_form, web_principal
from api.web.visitor_profile import visitor_profile
from catalog.access_requests import TRANSITIONS, AccessRequest
from catalog.errors import Conflict, InvalidInput, Unauthorized
from catalog.labs import ensure_registry, get_lab
from catalog.offers.profiles import FORM_ORG_TYPES, PURPOSES
from catalog.service import Catalogue

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)


def signed_in(request: Request) -> Principal:
    principal = web_principal(request)
    if principal.anonymous:
        raise Unauthorized("sign in to continue", where="session")
    return principal


def _form_page(
    request: Request,
    cat: Catalogue,
    dataset_id: str,
    lab_id: str,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    ensure_registry(cat)
    ref = cat.find(dataset_id)
    lab = get_lab(cat, lab_id)
    shown = {"org_type": "", "country": "", "purpose": "", "comment": ""}
    shown.update(values or {})
    return render(
        request,
        "request_form.html",
        status,
        dataset_id=ref.id,
        lab=lab,
        org_types=sorted(FORM_ORG_TYPES),
        purposes=PURPOSES,
        values=shown,
        error=error,
    )


@router.get("/datasets/{dataset_id}/request", operation_id="web_request_form")
def request_form(dataset_id: str, request: Request, cat: CatalogueDep, lab: str = "") -> Response:
    signed_in(request)
    # the profile the visitor checked their terms with on the dataset pages, filled in
    return _form_page(request, cat, dataset_id, lab, values=visitor_profile(request).form)


@router.post("/datasets/{dataset_id}/request", operation_id="web_request_submit")
async def submit(
    dataset_id: str, request: Request, cat: CatalogueDep, service: AccessRequestsDep
) -> Response:
    principal = signed_in(request)
    form = await checked_form(request)
    values = {k: str(form.get(k) or "") for k in ("org_type", "country", "purpose", "comment")}
    lab_id = str(form.get("lab") or "")
    try:
        req = service.submit(
            principal,
            dataset_id=dataset_id,
            lab_id=lab_id,
            org_type=values["org_type"],
            country=values["country"],
            purpose=values["purpose"],
            comment=values["comment"],
        )
    except (InvalidInput, Conflict) as exc:
        reasons = (exc.details or {}).get("reasons", []) if isinstance(exc.details, dict) else []
        message = exc.message + (": " + "; ".join(reasons) if reasons else "")
        return _form_page(
            request, cat, dataset_id, lab_id, values=values, error=message, status=exc.status
        )
    return RedirectResponse(f"/ui/requests/{req.id}", status_code=303)


@router.get("/requests", operation_id="web_requests")
def list_requests(
    request: Request, service: AccessRequestsDep, state: str | None = None
) -> Response:
    principal = signed_in(request)
    items = service.list_for(principal, state or None)
    return render(request, "requests.html", items=items, state=state or "")


def _actions(principal: Principal, req: AccessRequest, handler: bool) -> list[str]:
    out = []
    for action, (starts, _, who) in TRANSITIONS.items():
        if req.state not in starts:
            continue
        if (who == "requester" and req.requester == principal.name) or (who == "staff" and handler):
            out.append(action)
    return out


@router.get("/requests/{request_id}", operation_id="web_request")
def show_request(request_id: str, request: Request, service: AccessRequestsDep) -> Response:
    principal = signed_in(request)
    req = service.get(principal, request_id)
    handler = service.is_handler(principal, req)
    return render(
        request, "request.html", req=req, actions=_actions(principal, req, handler), handler=handler
    )


@router.post("/requests/{request_id}", operation_id="web_request_act")
async def act(request_id: str, request: Request, service: AccessRequestsDep) -> Response:
    principal = signed_in(request)
    form = await checked_form(request)
    action = str(form.get("action") or "")
    comment = str(form.get("comment") or "")
    if action == "comment":
        service.comment(principal, request_id, comment)
    else:
        service.act(principal, request_id, action, comment)
    return RedirectResponse(f"/ui/requests/{request_id}", status_code=303)
