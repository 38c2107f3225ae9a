"""Factory staff pages: create and edit their labs, see what each lab can offer, handle requests.

A lab form that is refused is shown again (422) with what was sent and each problem next
to its field: the catalogue's lab rules (:meth:`catalog.labs.DataLab.from_dict`) check every
field and report them all at once, so one bad country code never costs the other edits.
A saved lab is confirmed on the page the browser is sent back to (``?saved=`` / ``?created=``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from api.auth import Principal
from api.deps import AccessRequestsDep, CatalogueDep, SearchDep
from api.web.render import WebRoute, render
from api.web.requests_pages import signed_in
from api.web.session import checked_form
from catalog.access_requests import OPEN, AccessRequests
from catalog.durations import describe_days
from catalog.errors import DatalabError, Forbidden, InvalidInput, NotFound
from catalog.labs import (
    DataLab,
    create_lab,
    edit_lab,
    ensure_registry,
    get_lab,
    list_factories,
    list_labs,
)
from catalog.labs.model import ACCESS_MODES, DATA_SPACES, LAB_PROHIBITABLE, ORG_TYPES, SERVICES
from catalog.search import SearchService
from catalog.search.request import SearchQuery
from catalog.service import Catalogue

router = APIRouter(prefix="/ui/staff", route_class=WebRoute, include_in_schema=False)
OFFERABLE_SHOWN = 15
MAX_STEPS = 20
#: The checkbox groups of a lab form (each sends a list).
LISTS = ("data_spaces", "access_modes", "eligible_org_types", "services", "prohibited_purposes")
#: Where the catalogue names a problem -> the form field it is shown next to.
FIELD_OF = {"lead_time_days": "lead_time"}


def require_staff(principal: Principal) -> Principal:
    if principal.role == "admin" or (principal.role == "staff" and principal.factory):
        return principal
    raise Forbidden("only a factory's staff may manage its data labs", where="role")


def procedure_from_text(text: str) -> list[dict[str, str | None]]:
    """Procedure steps from a textarea: one per line, ``AccessMode: label`` limits a step."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_STEPS:
        raise InvalidInput(f"a procedure has at most {MAX_STEPS} steps", where="procedure")
    steps: list[dict[str, str | None]] = []
    for line in lines:
        mode, sep, rest = line.partition(":")
        applies = mode.strip() if sep and mode.strip() in ACCESS_MODES else None
        label = (rest if applies else line).strip()[:500]
        if label:
            steps.append({"label": label, "applies_to": applies})
    return steps


def shown_values(lab: DataLab) -> dict[str, Any]:
    """A lab as its form shows it (the same shape as :func:`sent_values`)."""
    return {
        "id": lab.id,
        "factory": lab.factory,
        "name": lab.name,
        **{k: list(getattr(lab, k)) for k in LISTS},
        "procedure": "".join(
            f"{s.applies_to + ': ' if s.applies_to else ''}{s.label}\n" for s in lab.procedure
        ),
        "eligible_countries": ", ".join(lab.eligible_countries),
        "lead_time": describe_days(lab.lead_time_days),
        "fees": lab.fees or "",
    }


def sent_values(form: FormData) -> dict[str, Any]:
    """What the browser sent, as the form shows it again (nothing of it is lost)."""
    return {
        **{k: str(form.get(k) or "") for k in ("id", "factory", "name", "procedure")},
        **{k: str(form.get(k) or "") for k in ("eligible_countries", "lead_time", "fees")},
        **{k: [v for v in form.getlist(k) if isinstance(v, str)] for k in LISTS},
    }


def changes_from(values: dict[str, Any]) -> dict[str, Any]:
    """The lab fields the form may set (id, factory and policy links cannot be sent in);
    values pass to the catalogue as typed, which parses and checks them."""
    countries = [c.strip() for c in values["eligible_countries"].split(",") if c.strip()]
    return {
        "name": values["name"].strip()[:200] or None,
        **{k: values[k] for k in LISTS},
        "eligible_countries": countries or ["EU"],
        "lead_time_days": values["lead_time"].strip() or None,
        "fees": values["fees"].strip()[:500] or None,
    }


def field_errors(exc: DatalabError) -> dict[str, str]:
    """Form field -> message, from the catalogue's error (all of a lab's problems at once)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    found = details.get("fields") or {str(exc.where or "form"): exc.message}
    out: dict[str, str] = {}
    for where, message in found.items():
        field = where.split(".")[0]
        out.setdefault(FIELD_OF.get(field, field), message)
    return out


def _choices() -> dict[str, Any]:
    return {
        "data_spaces": DATA_SPACES,
        "access_modes": ACCESS_MODES,
        "org_types": ORG_TYPES,
        "services": SERVICES,
        "prohibitable": tuple(LAB_PROHIBITABLE),
    }


def _overview(
    request: Request,
    cat: Catalogue,
    search: SearchService,
    requests: AccessRequests,
    *,
    status: int = 200,
    draft: tuple[str, dict[str, Any], dict[str, str]] | None = None,
) -> Response:
    """The staff page; ``draft`` = (lab id, values sent, errors) shows one refused edit."""
    principal = require_staff(signed_in(request))
    ensure_registry(cat)
    factory = None if principal.role == "admin" else principal.factory
    labs = list_labs(cat, factory)
    offerable = {}
    search.sync()  # once: a lab just edited has its facets followed now, at the latest
    for lab in labs:  # one index query per lab (the index has the lab facet)
        query = SearchQuery.parse(cat.settings, filters={"lab": [lab.id]}, limit=OFFERABLE_SHOWN)
        offerable[lab.id] = search.find(query, fresh=False)
    values = {lab.id: shown_values(lab) for lab in labs}
    errors: dict[str, dict[str, str]] = {lab.id: {} for lab in labs}
    if draft is not None:
        lab_id, sent, problems = draft
        values[lab_id] = {**values.get(lab_id, {}), **sent}
        errors[lab_id] = problems
    names = {lab.id: lab.name for lab in labs}
    saved = request.query_params.get("saved") or request.query_params.get("created")
    pending = [r for r in requests.list_for(principal) if r.state in OPEN]
    return render(
        request,
        "staff.html",
        status,
        labs=labs,
        values=values,
        errors=errors,
        offerable=offerable,
        pending=pending,
        choices=_choices(),
        saved=names.get(saved or ""),
        created="created" in request.query_params,
        can_create=bool(principal.factory) or principal.role == "admin",
    )


@router.get("", operation_id="web_staff")
def overview(
    request: Request, cat: CatalogueDep, search: SearchDep, requests: AccessRequestsDep
) -> Response:
    return _overview(request, cat, search, requests)


def _owner_factory(principal: Principal, lab_factory: str | None) -> str:
    """The factory a change is made as: the staff member's own; an admin acts as the lab's."""
    if principal.role == "admin":
        return lab_factory or ""
    return principal.factory or ""


@router.post("/labs/{lab_id}", operation_id="web_staff_edit_lab")
async def edit(
    lab_id: str,
    request: Request,
    cat: CatalogueDep,
    search: SearchDep,
    requests: AccessRequestsDep,
) -> Response:
    principal = require_staff(signed_in(request))
    form = await checked_form(request)
    sent = sent_values(form)
    ensure_registry(cat)
    current = get_lab(cat, lab_id)
    try:
        changes = changes_from(sent)
        if changes["name"] is None:
            changes["name"] = current.name
        forms = {st.label: st.form for st in current.procedure}  # keep kept steps' form links
        steps = procedure_from_text(sent["procedure"])
        for step in steps:
            step["form"] = forms.get(step["label"] or "")
        changes["procedure"] = steps
        factory = _owner_factory(principal, current.factory)
        edit_lab(cat, lab_id, changes, staff_factory=factory)  # its facets follow the feed
    except (InvalidInput, NotFound) as exc:
        problems = field_errors(exc)
        draft = (lab_id, sent, problems)
        return _overview(request, cat, search, requests, status=422, draft=draft)
    return RedirectResponse(f"/ui/staff?saved={lab_id}#h-{lab_id}", status_code=303)


def _new_page(
    request: Request,
    cat: Catalogue,
    principal: Principal,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    factories = list_factories(cat) if principal.role == "admin" else None
    shown = {
        "id": "",
        "factory": principal.factory or "",
        "name": "",
        **{k: [] for k in LISTS},
        "eligible_org_types": list(ORG_TYPES),
        "procedure": "",
        "eligible_countries": "EU",
        "lead_time": "",
        "fees": "",
    }
    shown.update(values or {})
    return render(
        request,
        "staff_lab_new.html",
        status,
        v=shown,
        errors=errors or {},
        choices=_choices(),
        factories=factories,
    )


@router.get("/labs/new", operation_id="web_staff_new_lab")
def new_lab(request: Request, cat: CatalogueDep) -> Response:
    principal = require_staff(signed_in(request))
    ensure_registry(cat)
    return _new_page(request, cat, principal)


@router.post("/labs", operation_id="web_staff_create_lab")
async def create(request: Request, cat: CatalogueDep) -> Response:
    """Create a lab with the catalogue's own creation rules (:func:`catalog.labs.create_lab`):
    staff for their factory, administrators for the factory they choose."""
    principal = require_staff(signed_in(request))
    form = await checked_form(request)
    sent = sent_values(form)
    ensure_registry(cat)
    factory = sent["factory"].strip() if principal.role == "admin" else principal.factory or ""
    sent["factory"] = factory
    try:
        data = {"id": sent["id"].strip(), "factory": factory, **changes_from(sent)}
        data["name"] = data["name"] or data["id"]
        data["procedure"] = procedure_from_text(sent["procedure"])
        lab = create_lab(cat, data, staff_factory=_owner_factory(principal, factory))
    except (InvalidInput, NotFound) as exc:
        return _new_page(request, cat, principal, sent, field_errors(exc), 422)
    except DatalabError as exc:
        if exc.status != 409:
            raise
        return _new_page(request, cat, principal, sent, field_errors(exc), 409)
    return RedirectResponse(f"/ui/staff?created={lab.id}#h-{lab.id}", status_code=303)
