"""``datalab search QUERY [--facet name=value ...] [--json]`` and ``datalab reindex``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from catalog.errors import InvalidInput
from catalog.search import SearchService
from catalog.search.facets import parse_bbox_param
from catalog.search.providers import DEFAULT_PROVIDERS
from catalog.search.request import SearchQuery
from cli.app import app, emit_json, open_catalogue, reported, settings_from_cli

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
_TAGS = re.compile(r"</?mark>")


def _facets(pairs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise InvalidInput(f"--facet expects name=value, got {pair!r}", where="--facet")
        out.setdefault(name.strip(), []).append(value.strip())
    return out


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", prefix*, -excluded.')] = "",
    facet: Annotated[
        list[str] | None,
        typer.Option("--facet", "-f", help="Filter name=value (repeat; same name = OR)."),
    ] = None,
    sort: Annotated[str, typer.Option(help="relevance, modified or title.")] = "relevance",
    limit: Annotated[int, typer.Option(min=1, help="Hits to show.")] = 10,
    cursor: Annotated[str | None, typer.Option(help="Cursor of the next page.")] = None,
    modified_from: Annotated[str | None, typer.Option(help="YYYY[-MM[-DD]]")] = None,
    modified_to: Annotated[str | None, typer.Option(help="YYYY[-MM[-DD]]")] = None,
    bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = None,
    lang: Annotated[str, typer.Option(help="Preferred label languages, e.g. 'de,en'.")] = "",
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search the catalogue's datasets (full text in every language, with facets)."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as catalogue:
        service = SearchService.open(catalogue, DEFAULT_PROVIDERS)
        try:
            request = SearchQuery.parse(
                catalogue.settings,
                query,
                filters=_facets(facet or []),
                sort=sort,
                limit=limit,
                cursor=cursor,
                modified_from=modified_from,
                modified_to=modified_to,
                bbox=parse_bbox_param(bbox) if bbox else None,
            )
            langs = [x.strip() for x in lang.split(",") if x.strip()]
            result = service.find(request, langs=langs)
        finally:
            service.close()
        if as_json:
            emit_json(result.to_dict())
            return
        typer.echo(f"{result.total} datasets")
        for hit in result.items:
            typer.echo(f"{hit.id}  {hit.title}")
            typer.echo(f"    {_TAGS.sub('*', hit.snippet)}")
        if result.next_cursor:
            typer.echo(f"next: --cursor {result.next_cursor}")


@app.command("reindex")
def reindex(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Rebuild the search index from the graph (it is derived; nothing is lost)."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as catalogue:
        service = SearchService(catalogue, DEFAULT_PROVIDERS)
        try:
            count = service.rebuild()
            stats = service.index.stats()
        finally:
            service.close()
        if as_json:
            emit_json({"datasets": count, "bytes": stats["bytes"]})
        else:
            typer.echo(f"search index rebuilt: {count} datasets")
