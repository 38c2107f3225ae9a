"""The steward page's synthetic preview switch: ``POST /ui/steward/synthetic``.

The same switch as ``PUT /datasets/{id}/sample/synthetic-preview`` (one rule for who may
switch, one reading of the terms: :class:`~catalog.samples.synthetic_service.SyntheticPreviews`);
a refusal is shown on the steward page with its reasons.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import ServicesDep, get_samples
from api.routers.synthetic import synthetic_previews
from api.services import Services
from api.web.render import WebRoute
from api.web.requests_pages import signed_in
from api.web.session import checked_form
from api.web.steward_logic import require_steward
from catalog.errors import DatalabError, InvalidField

router = APIRouter(prefix="/ui/steward", route_class=WebRoute, include_in_schema=False)


def synthetic_states(services: Services, datasets: list[dict[str, Any]]) -> dict[str, Any]:
    """For the steward page: each sampled dataset's switch and the terms' verdict."""
    service = get_samples(services)
    previews = synthetic_previews(service)
    states = [
        previews.status(d["id"]).to_dict() for d in datasets if service.store.has_sample(d["id"])
    ]
    return {"states": states, "floor": services.settings.synthetic_min_count}


def _min_count(raw: object) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidField(f"k must be a whole number, not {text[:20]!r}", where="min_count")
    return int(text)


@router.post("/synthetic", operation_id="web_steward_synthetic")
async def switch_synthetic(request: Request, services: ServicesDep) -> Response:
    from api.web.steward_pages import overview_page

    principal = require_steward(signed_in(request))
    form = await checked_form(request, services.settings.web_form_max_bytes)
    await form.close()
    dataset_id = str(form.get("dataset_id") or "")
    enabled = form.get("enabled") == "on"
    previews = synthetic_previews(get_samples(services))
    try:
        k = _min_count(form.get("min_count"))
        status = await run_in_threadpool(previews.configure, principal, dataset_id, enabled, k)
    except DatalabError as exc:
        reasons = (exc.details or {}).get("reasons") if isinstance(exc.details, dict) else None
        error = exc.message if not reasons else "Not switched on: " + "; ".join(reasons)
        return overview_page(request, services, status=exc.status, error=error)
    state = "on" if status.enabled else "off"
    message = f"Synthetic preview of {dataset_id} switched {state} (k = {status.min_count})."
    return overview_page(request, services, message=message)
