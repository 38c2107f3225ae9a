"""Synthetic previews of samples: the rows (marked synthetic) and the steward's switch.

``GET /datasets/{id}/sample/synthetic`` serves the preview to anyone once the dataset's
steward turned it on and while its terms allow derived data (see
:mod:`catalog.samples.synthetic_service`); the body says ``"synthetic": true`` with a notice,
and the response carries the ``Synthetic-Data`` header. ``GET`` and ``PUT
/datasets/{id}/sample/synthetic-preview`` read and set the switch.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, PrincipalDep
from api.deps import SamplesDep
from api.links import this_url
from api.routing import PrivateRoute
from api.web.steward_logic import may_change
from catalog.callers import Caller
from catalog.samples.service import SampleService
from catalog.samples.synthetic_service import HEADER, SyntheticPreviews

router = APIRouter(tags=["samples"], route_class=PrivateRoute)


def _owns(caller: Caller, source: str) -> bool:
    """The one ownership rule of stewards' writes (:func:`may_change`)."""
    return isinstance(caller, Principal) and may_change(caller, source)


def synthetic_previews(service: SampleService) -> SyntheticPreviews:
    """Synthetic previews over the app's sample service (API and pages)."""
    return SyntheticPreviews(service, _owns)


def get_synthetic(service: SamplesDep) -> SyntheticPreviews:
    return synthetic_previews(service)


SyntheticDep = Annotated[SyntheticPreviews, Depends(get_synthetic)]


class SwitchBody(BaseModel):
    """The steward's switch of a dataset's synthetic preview."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="Serve a synthetic preview of the sample.")
    min_count: int | None = Field(
        default=None,
        description="k: values occurring fewer than k times never appear (at least "
        "DATALAB_SYNTHETIC_MIN_COUNT; default: unchanged, else that setting).",
    )


@router.get("/datasets/{dataset_id}/sample/synthetic", operation_id="get_sample_synthetic")
def get_sample_synthetic(
    dataset_id: str,
    request: Request,
    principal: PrincipalDep,
    previews: SyntheticDep,
    offset: Annotated[int, Query(ge=0, le=10**6, description="Rows to skip.")] = 0,
    limit: Annotated[int | None, Query(ge=0, description="Rows to return (≤ 100).")] = None,
) -> JSONResponse:
    """Synthetic rows generated from the sample's column statistics — not real data."""
    body: dict[str, Any] = previews.preview(principal, dataset_id, offset, limit)
    if body["next_offset"] is not None:
        body["next"] = this_url(request, offset=body["next_offset"])
    k = body["min_count"]
    return JSONResponse(body, headers={HEADER: f"true; min-count={k}"})


@router.get("/datasets/{dataset_id}/sample/synthetic-preview", operation_id="get_synthetic_preview")
def get_synthetic_preview(dataset_id: str, previews: SyntheticDep) -> JSONResponse:
    """Whether a synthetic preview is switched on and served, and what the terms say."""
    return JSONResponse(previews.status(dataset_id).to_dict())


@router.put("/datasets/{dataset_id}/sample/synthetic-preview", operation_id="put_synthetic_preview")
def put_synthetic_preview(
    dataset_id: str, body: SwitchBody, principal: PrincipalDep, previews: SyntheticDep
) -> JSONResponse:
    """Turn the synthetic preview on or off (admins, and stewards who may change the record);
    409 with the reasons when the dataset's terms forbid derived data."""
    status = previews.configure(principal, dataset_id, body.enabled, body.min_count)
    return JSONResponse(status.to_dict())
