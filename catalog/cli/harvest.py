"""Harvest commands: ``datalab source add|list|show|remove`` and ``datalab harvest``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from catalog.cli.app import app, emit_json, open_catalogue, reported, settings_from_cli
from catalog.errors import InvalidInput
from catalog.harvest import Harvester, JobStore, SourceRegistry

source_app = typer.Typer(help="Register and inspect harvest sources.", no_args_is_help=True)
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(
    name: str,
    type_: Annotated[str, typer.Option("--type", help="Connector: ckan, dcat, sparql, …")],
    url: Annotated[str, typer.Option("--url", help="The source's base URL.")],
    incremental: Annotated[bool, typer.Option(help="Harvest only changes after a run.")] = False,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Connector option KEY=VALUE (e.g. rows=500)."),
    ] = None,
) -> None:
    """Register a harvest source."""
    with reported():
        options = dict(_option(o) for o in option or [])
        s = SourceRegistry(settings_from_cli()).add(
            name, type_, url, incremental=incremental, options=options
        )
        typer.echo(f"added source {s.name} ({s.type}) {s.url}")


def _option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"option {text!r} is not KEY=VALUE", where="--option")
    return key.strip(), int(value) if value.strip().isdigit() else value


@source_app.command("list")
def source_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List harvest sources."""
    with reported(as_json):
        sources = SourceRegistry(settings_from_cli()).list()
        if as_json:
            emit_json([s.to_dict() for s in sources])
        for s in [] if as_json else sources:
            typer.echo(f"{s.name}\t{s.type}\t{s.url}")


@source_app.command("show")
def source_show(name: str) -> None:
    """Show a source and its latest jobs."""
    with reported(True):
        settings = settings_from_cli()
        source = SourceRegistry(settings).get(name)
        jobs = JobStore(settings).list(name, limit=10)
        emit_json({"source": source.to_dict(), "jobs": [j.to_dict() for j in jobs]})


@source_app.command("remove")
def source_remove(name: str) -> None:
    """Unregister a source and remove its datasets from the catalogue."""
    with reported():
        settings = settings_from_cli()
        SourceRegistry(settings).remove(name)
        with open_catalogue(settings) as cat:
            cat.remove_source(name)
        typer.echo(f"removed source {name}")


@app.command()
def harvest(
    name: Annotated[str | None, typer.Argument(help="Source to harvest.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Harvest every source.")] = False,
    full: Annotated[bool, typer.Option(help="Ignore the incremental cursor.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Harvest one source (or --all); exit 1 unless every run succeeded."""
    with reported(as_json):
        if bool(name) == all_:
            raise InvalidInput("give a source name or --all, not both")
        with open_catalogue() as cat:
            harvester = Harvester(cat)

            listed: dict[str, int] = {}
            announced: dict[str, int] = {}

            def progress(job, page) -> None:  # type: ignore[no-untyped-def]
                listed[job.id] = listed.get(job.id, 0) + len(page.records) + len(page.failures)
                if page.total is not None:
                    announced.setdefault(job.id, page.total)
                if not as_json:
                    of = f" of {announced[job.id]}" if job.id in announced else ""
                    line = f"\r{job.source}: page {page.number}, {listed[job.id]}{of} records"
                    typer.echo(line, err=True, nl=False)

            sources = [s.name for s in harvester.sources.list()] if all_ else [name]
            jobs = []
            for n in sources:
                jobs.append(harvester.run(n, full=full, progress=progress))  # type: ignore[arg-type]
                if not as_json:
                    typer.echo("", err=True)
        if as_json:
            emit_json([j.to_dict() for j in jobs])
        for j in [] if as_json else jobs:
            typer.echo(
                f"{j.source}: {j.status} {j.counts}" + (f" — {j.message}" if j.message else "")
            )
            for e in j.errors[:20]:
                typer.echo(f"  {e['record']}: {e['message']}")
        if any(j.status != "succeeded" for j in jobs):
            raise typer.Exit(code=1)
