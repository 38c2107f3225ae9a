"""Factory staff pages: edit their labs, see what each lab can offer, handle requests."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import Principal
from api.deps import AccessRequestsDep, CatalogueDep, SearchDep
from api.web.render import WebRoute, render
from api.web.requests_pages import signed_in
from api.web.session import checked_form
from catalog.access_requests import OPEN
from catalog.errors import Forbidden, InvalidInput
from catalog.labs import edit_lab, ensure_registry, list_labs
from catalog.labs.model import (
    ACCESS_MODES,
    DATA_SPACES,
    LAB_PROHIBITABLE,
    ORG_TYPES,
    SERVICES,
)
from catalog.search.request import SearchQuery

router = APIRouter(prefix="/ui/staff", route_class=WebRoute, include_in_schema=False)
OFFERABLE_SHOWN = 15
MAX_STEPS = 20


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


@router.get("", operation_id="web_staff")
def overview(
    request: Request, cat: CatalogueDep, search: SearchDep, requests: AccessRequestsDep
) -> Response:
    principal = require_staff(signed_in(request))
    ensure_registry(cat)
    factory = None if principal.role == "admin" else principal.factory
    labs = list_labs(cat, factory)
    offerable = {}
    search.sync()  # once: a lab just edited has its facets followed now, at the latest
    for lab in labs:  # one index query per lab (the index has the lab facet)
        query = SearchQuery.parse(cat.settings, filters={"lab": [lab.id]}, limit=OFFERABLE_SHOWN)
        result = search.find(query, fresh=False)
        offerable[lab.id] = result
    pending = [r for r in requests.list_for(principal) if r.state in OPEN]
    return render(
        request,
        "staff.html",
        labs=labs,
        offerable=offerable,
        pending=pending,
        data_spaces=DATA_SPACES,
        access_modes=ACCESS_MODES,
        org_types=ORG_TYPES,
        services=SERVICES,
        prohibitable=tuple(LAB_PROHIBITABLE),
    )


@router.post("/labs/{lab_id}", operation_id="web_staff_edit_lab")
async def edit(lab_id: str, request: Request, cat: CatalogueDep) -> Response:
    principal = require_staff(signed_in(request))
    form = await checked_form(request)
    # Only these fields are read: id, factory, policy and the like cannot be sent in.
    changes: dict[str, object] = {
        "name": str(form.get("name") or "").strip()[:200] or lab_id,
        "data_spaces": [v for v in form.getlist("data_spaces") if isinstance(v, str)],
        "access_modes": [v for v in form.getlist("access_modes") if isinstance(v, str)],
        "eligible_org_types": [v for v in form.getlist("eligible_org_types") if isinstance(v, str)],
        "eligible_countries": [
            c.strip().upper()
            for c in str(form.get("eligible_countries") or "").split(",")
            if c.strip()
        ]
        or ["EU"],
        "fees": str(form.get("fees") or "").strip()[:500] or None,
    }
    changes["services"] = [v for v in form.getlist("services") if isinstance(v, str)]
    changes["prohibited_purposes"] = [
        v for v in form.getlist("prohibited_purposes") if isinstance(v, str)
    ]
    changes["procedure"] = procedure_from_text(str(form.get("procedure") or ""))
    lead = str(form.get("lead_time_days") or "").strip()
    changes["lead_time_days"] = int(lead) if lead.isdigit() else None
    ensure_registry(cat)
    factory = principal.factory or ""
    from catalog.labs import get_lab

    current = get_lab(cat, lab_id)
    if principal.role == "admin":
        factory = current.factory
    forms = {st.label: st.form for st in current.procedure}  # keep each kept step's form link
    for step in changes["procedure"]:  # type: ignore[attr-defined]
        step["form"] = forms.get(step["label"])
    edit_lab(cat, lab_id, changes, staff_factory=factory)  # its facets follow the feed, later
    return RedirectResponse("/ui/staff", status_code=303)
