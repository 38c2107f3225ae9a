"""Pages anyone may open: search, a dataset, and the static CSS and JS (signing in and
out: :mod:`api.web.account_pages`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SearchDep, ServicesDep, SettingsDep
from api.web.dataset_page import dataset_context
from api.web.labels import known_label, page_language
from api.web.render import STATIC, WebRoute, render
from api.web.visitor_profile import remember, visitor_profile
from catalog.errors import NotFound
from catalog.model.values import parse_accept_language
from catalog.search import FACET_FIELDS
from catalog.search.request import SearchQuery
from catalog.search.snippets import pick
from catalog.search.vocab import labels_for

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)
_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript"}
# The files served: every stylesheet and script of static/, listed once at import.
_STATIC = {f.name: _STATIC_TYPES[f.suffix] for f in STATIC.iterdir() if f.suffix in _STATIC_TYPES}


@router.get("/static/{name}", operation_id="web_static")
def static(name: str) -> Response:
    if name not in _STATIC:
        raise NotFound("no such file", where="path")
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response((STATIC / name).read_bytes(), media_type=_STATIC[name], headers=headers)


@router.get("", operation_id="web_home")
@router.get("/", operation_id="web_home_slash")
def home() -> RedirectResponse:
    return RedirectResponse("/ui/search", status_code=303)


@router.get("/search", operation_id="web_search")
def search_page(
    request: Request,
    service: SearchDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    sort: str = "relevance",
    cursor: str | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    langs = parse_accept_language(accept_language)
    lang = page_language(langs)
    filters = {
        f: request.query_params.getlist(f) for f in FACET_FIELDS if f in request.query_params
    }
    query = SearchQuery.parse(settings, q, filters=filters, sort=sort, cursor=cursor, limit=20)
    result = service.find(query, langs=langs)
    marks = service.facet_values([h.id for h in result.items])  # the hits' badges
    params = {k: request.query_params.getlist(k) for k in request.query_params if k != "cursor"}
    spaces = {s for b in marks.values() for s in b.get("data_space", [])}
    return render(
        request,
        "search.html",
        q=q,
        sort=sort,
        result=result,
        badges=marks,
        facets=_facets(result.facets, filters, lang),
        active=sum(len(v) for v in filters.values()),
        space_labels={s: pick(labels_for("data_space", s), [*langs, lang]) or s for s in spaces},
        filters=filters,
        params=params,
        lang=lang,
    )


# The label table of a facet whose values are codes of another kind's name.
FACET_KINDS = {"format": "file_type"}


def _facets(
    counted: dict[str, list[dict[str, Any]]], filters: dict[str, list[str]], lang: str
) -> dict[str, list[dict[str, Any]]]:
    """The facet values the page lists, each with its label and whether it is on: a code
    the page's label tables know reads as everywhere else on the pages; other values keep
    the label the index gave them (themes, data spaces, publishers' names)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, values in counted.items():
        kind = FACET_KINDS.get(name, name)
        out[name] = [
            {
                **v,
                "label": known_label(v["value"], kind, lang) or v["label"],
                "on": v["value"] in filters.get(name, []),
            }
            for v in values[:12]
        ]
    return out


@router.get("/datasets/{dataset_id}", operation_id="web_dataset")
def dataset_page(
    dataset_id: str,
    request: Request,
    services: ServicesDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    langs = parse_accept_language(accept_language)
    visitor = visitor_profile(request)
    context = dataset_context(request, services, dataset_id, langs, visitor)
    response = render(request, "dataset.html", **context)
    remember(request, response, visitor)
    return response
