"""``GET /search``: ranked full-text search with facets, as JSON or a minimal HTML page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from api.deps import SearchDep, SettingsDep
from api.links import this_url
from api.negotiation import HTML, JSON, negotiate
from catalog.search import FACET_FIELDS
from catalog.search.facets import parse_bbox_param
from catalog.search.request import SearchQuery
from catalog.search.snippets import accept_languages

router = APIRouter(tags=["search"])

_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>Search: {{ q }}</title></head>
<body>
<form method="get" action="search"><input type="search" name="q" value="{{ q }}">
<button>Search</button></form>
<p>{{ result.total }} datasets</p>
<ol>{% for hit in result["items"] %}
<li><a href="{{ hit.links.self }}">{{ hit.title }}</a><br><small>{{ hit.snippet }}</small></li>
{% endfor %}</ol>
{% if result.next_cursor %}<a href="{{ next_url }}">Next</a>{% endif %}
{% for name, values in result.facets.items() if values %}
<h2>{{ name }}</h2><ul>{% for v in values %}
<li>{{ v.label }} ({{ v.count }})</li>{% endfor %}</ul>
{% endfor %}
</body></html>"""
_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_template = _env.from_string(_PAGE)


def _filters(request: Request) -> dict[str, list[str]]:
    return {
        name: request.query_params.getlist(name)
        for name in FACET_FIELDS
        if name in request.query_params
    }


@router.get(
    "/search",
    operation_id="search_datasets",
    responses={200: {"content": {JSON: {}, HTML: {}}}},
)
def search(
    request: Request,
    service: SearchDep,
    settings: SettingsDep,
    q: Annotated[str, Query(description='words, "phrases", prefix*, -excluded')] = "",
    sort: Annotated[str, Query(description="relevance, modified or title")] = "relevance",
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int | None, Query(ge=1, description="hits per page")] = None,
    modified_from: Annotated[str | None, Query(description="YYYY[-MM[-DD]]")] = None,
    modified_to: Annotated[str | None, Query(description="YYYY[-MM[-DD]]")] = None,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    format: Annotated[str | None, Query(description="json or html")] = None,
    accept: Annotated[str | None, Header()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> Any:
    """Datasets matching the query and the facet filters (``?data_space=health&theme=HEAL``;
    repeat a facet for OR), with facet counts; labels follow ``Accept-Language``."""
    media = negotiate(accept, [JSON, HTML], format)
    langs = accept_languages(accept_language)
    query = SearchQuery.parse(
        settings,
        q,
        filters=_filters(request),
        modified_from=modified_from,
        modified_to=modified_to,
        bbox=parse_bbox_param(bbox) if bbox else None,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    result = service.find(query, langs=langs)
    body = result.to_dict()
    headers = {"Vary": "Accept, Accept-Language", "Content-Language": (langs or ["en"])[0]}
    if media == HTML:
        for hit in body["items"]:
            hit["snippet"] = Markup(hit["snippet"])  # noqa: S704 (built escaped, only <mark>)
        next_url = this_url(request, cursor=result.next_cursor or "")
        page = _template.render(result=body, q=q, lang=(langs or ["en"])[0], next_url=next_url)
        return HTMLResponse(page, headers=headers)
    return JSONResponse(body, headers=headers)
