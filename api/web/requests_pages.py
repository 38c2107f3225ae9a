"""Access-request pages: ask a lab for a dataset; follow, comment, withdraw or decide."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import Principal
from api.deps import AccessRequestsDep, CatalogueDep
from api.web.render import WebRoute, render
from api.web.session import checked_form, web_principal
from api.web.visitor_profile import visitor_profile
from catalog.access_requests import TRANSITIONS, AccessRequest, AccessRequests, DuplicateRequest
from catalog.errors import Conflict, DatalabError, InvalidInput, Unauthorized
from catalog.labs import ensure_registry, get_lab
from catalog.offers.profiles import FORM_ORG_TYPES, PURPOSES
from catalog.service import Catalogue

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)


def signed_in(request: Request) -> Principal:
    principal = web_principal(request)
    if principal.anonymous:
        raise Unauthorized("sign in to continue", where="session")
    return principal


#: The request form's fields, in the order of the form (its error summary follows it).
REQUEST_FIELDS = ("org_type", "country", "purpose", "comment")


def field_problems(exc: DatalabError) -> dict[str, str]:
    """Field -> message from a refusal (all fields the catalogue named, else its ``where``)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    fields = details.get("fields")
    if isinstance(fields, dict):
        return {str(k): str(v) for k, v in fields.items()}
    return {str(exc.where or "form"): exc.message}


def _form_page(
    request: Request,
    cat: Catalogue,
    dataset_id: str,
    lab_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    reasons: list[str] | None = None,
    open_request: str | None = None,
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
        errors={k: v for k, v in (errors or {}).items() if k in REQUEST_FIELDS},
        refusal=refusal,
        reasons=reasons or [],
        open_request=open_request,
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
    except DuplicateRequest as exc:
        found = str((exc.details or {}).get("request") or "")
        return _form_page(
            request, cat, dataset_id, lab_id, values=values, refusal=exc.message,
            open_request=found, status=409,
        )  # fmt: skip
    except Conflict as exc:  # the lab may not offer the dataset to this profile
        reasons = (exc.details or {}).get("reasons", []) if isinstance(exc.details, dict) else []
        return _form_page(
            request, cat, dataset_id, lab_id, values=values, refusal=exc.message,
            reasons=[str(r) for r in reasons], status=409,
        )  # fmt: skip
    except InvalidInput as exc:
        errors = field_problems(exc)
        refusal = None if set(errors) <= set(REQUEST_FIELDS) else exc.message
        return _form_page(
            request, cat, dataset_id, lab_id, values=values, errors=errors, refusal=refusal,
            status=422,
        )  # fmt: skip
    return RedirectResponse(f"/ui/requests/{req.id}?done=submit", status_code=303)


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


def _request_page(
    request: Request,
    service: AccessRequests,
    principal: Principal,
    request_id: str,
    *,
    comment: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    req = service.get(principal, request_id)
    handler = service.is_handler(principal, req)
    return render(
        request,
        "request.html",
        status,
        req=req,
        actions=_actions(principal, req, handler),
        handler=handler,
        comment=comment,
        errors=errors or {},
        done=request.query_params.get("done", ""),
    )


@router.get("/requests/{request_id}", operation_id="web_request")
def show_request(request_id: str, request: Request, service: AccessRequestsDep) -> Response:
    return _request_page(request, service, signed_in(request), request_id)


@router.post("/requests/{request_id}", operation_id="web_request_act")
async def act(request_id: str, request: Request, service: AccessRequestsDep) -> Response:
    principal = signed_in(request)
    form = await checked_form(request)
    action = str(form.get("action") or "")
    comment = str(form.get("comment") or "")
    try:
        if action == "comment":
            service.comment(principal, request_id, comment)
        else:
            service.act(principal, request_id, action, comment)
    except InvalidInput as exc:  # e.g. a rejection without its reason: the comment field
        errors = field_problems(exc)
        if exc.where == "comment" and action in ("reject", "revoke"):
            errors = {
                "comment": f"write the reason to {action} this request: the requester reads it"
            }
        return _request_page(
            request, service, principal, request_id, comment=comment, errors=errors, status=422
        )
    return RedirectResponse(f"/ui/requests/{request_id}?done={action}", status_code=303)
