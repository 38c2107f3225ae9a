"""The domain services the pages use, opened once per app (shared with the JSON API)."""

from __future__ import annotations

from fastapi import Request

from api.auth import get_accounts
from api.routers.search import search_service
from catalog.access_requests import AccessRequests
from catalog.samples import SampleStore
from catalog.samples.service import SampleService
from catalog.search import SearchService
from catalog.service import Catalogue


def catalogue_of(request: Request) -> Catalogue:
    return request.app.state.catalogue  # type: ignore[no-any-return]


def samples_of(request: Request) -> SampleService:
    """The sample service (the same object the samples API caches)."""
    state, cat = request.app.state, catalogue_of(request)
    service = getattr(state, "samples", None)
    if service is None or service.catalogue is not cat:
        service = SampleService(cat, SampleStore(state.settings), get_accounts(request))
        state.samples = service
    return service


def requests_of(request: Request) -> AccessRequests:
    state, cat = request.app.state, catalogue_of(request)
    service = getattr(state, "access_requests", None)
    if service is None or service.catalogue is not cat:
        service = AccessRequests(cat, get_accounts(request))
        state.access_requests = service
    return service


def search_of(request: Request) -> SearchService:
    return search_service(request, catalogue_of(request))


def badges(search: SearchService, ids: list[str]) -> dict[str, dict[str, list[str]]]:
    """Data space, AI-training and lab facet values of a page of hits, in one query."""
    out: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    sql = (
        "SELECT d.id, f.field, f.value FROM facets f JOIN docs d ON d.rowid = f.doc "  # noqa: S608
        f"WHERE d.id IN ({marks}) AND f.field IN ('data_space', 'ai_training', 'lab') "
        "ORDER BY f.value"
    )
    with search.index.lock:
        rows = search.index.db().execute(sql, ids).fetchall()
    for ident, field_name, value in rows:
        out[ident].setdefault(field_name, []).append(value)
    return out
