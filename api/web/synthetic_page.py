"""The dataset page's synthetic preview block: shown to a visitor the sample gate keeps from
the real rows, while the steward serves a preview the terms allow (every condition checked by
:class:`~catalog.samples.synthetic_service.SyntheticPreviews`, never here)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from api.deps import get_samples
from api.routers.synthetic import synthetic_previews
from api.services import Services
from api.web.session import web_principal
from catalog.errors import DatalabError

#: Synthetic rows shown on the page (the API pages through all of them).
PAGE_ROWS = 20


def synthetic_context(
    request: Request, services: Services, dataset_id: str, sample: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The block's content, or ``None`` when there is nothing to show: no sample, real rows
    visible to this visitor, or no preview served."""
    if sample is None or sample["overview"]["access"]["rows_visible"]:
        return None
    previews = synthetic_previews(get_samples(services))
    status = previews.status(dataset_id)
    if not status.served:
        return None
    try:
        body = previews.preview(web_principal(request), dataset_id, 0, PAGE_ROWS, status)
    except DatalabError as exc:  # e.g. the sample store failed: say so, show nothing
        return {"error": exc.message}
    return body | {"api": f"/datasets/{dataset_id}/sample/synthetic", "error": None}
