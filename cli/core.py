"""Core commands: serve, demo, load, validate, export, datasets, show, delete, sources."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from catalog.db import Database
from catalog.errors import InvalidInput, LimitExceeded, ValidationFailed
from catalog.rdf_input import format_from_name, guess_format
from catalog.records import DatasetSummary
from catalog.service import LOCAL_SOURCE, Catalogue, export_format, serialize
from catalog.settings import Settings
from cli.app import (
    app,
    configure_logging,
    emit_json,
    open_catalogue,
    reported,
    settings_from_cli,
)

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]


def _serve(settings: Settings, catalogue_setup: object = None) -> None:
    """Serve the API with the server bounds of api/server.py (header deadline, keep-alive,
    connection cap, backlog, header size)."""
    from api.app import create_app
    from api.server import listen, serve

    configure_logging(settings.log_level)
    # bound first: with port 0, the settings then name the port the system picked
    sock, settings = listen(settings)
    try:
        # refuse to start on a PostgreSQL database behind the code (the embedded one is
        # upgraded)
        Database.open(settings).close()
        app_ = create_app(settings, on_startup=catalogue_setup)  # type: ignore[arg-type]
        serve(app_, settings, sock)
    finally:
        sock.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    home: HomeOption = None,
) -> None:
    """Serve the configured catalogue over HTTP."""
    with reported():
        _serve(settings_from_cli(host=host, port=port, home=home))


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    home: HomeOption = None,
) -> None:
    """Serve the built-in demo: AI factories, data labs and a multi-data-space catalogue
    (in --home, else $DATALAB_HOME, else ./.datalab-demo)."""
    with reported():
        _serve(demo_settings(host=host, port=port, home=home), load_demo_catalogue)


#: The demo's folder when neither --home nor DATALAB_HOME names one.
DEMO_HOME = Path(".datalab-demo")


def demo_settings(
    *, host: str | None = None, port: int | None = None, home: Path | None = None
) -> Settings:
    """The demo's settings: like ``serve``'s, but in :data:`DEMO_HOME` when neither
    ``home`` nor ``DATALAB_HOME`` names the folder (never the default ``./.datalab``)."""
    settings = settings_from_cli(host=host, port=port, home=home)
    if "home" in settings.model_fields_set:  # --home, or DATALAB_HOME
        return settings
    return settings_from_cli(host=host, port=port, home=DEMO_HOME)


def load_demo_catalogue(catalogue: Catalogue) -> None:
    """Load (or refresh) every built-in demo source: the factory registry and the datasets."""
    from catalog.demo import load_demo
    from catalog.demo.sources import harvest_demo_sources
    from catalog.labs import load_registry

    load_registry(catalogue)
    load_demo(catalogue)
    # one demo source of each data-space connector, harvested from a loopback server
    harvest_demo_sources(catalogue)


#: Bytes read from standard input at a time.
STDIN_CHUNK = 1024 * 1024


def read_capped(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read ``stream`` to its end in bounded chunks, stopping as soon as it passes
    ``max_bytes`` (so an endless or huge pipe is refused without being held whole)."""
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(min(STDIN_CHUNK, max_bytes + 1 - size)):
        size += len(chunk)
        if size > max_bytes:
            raise LimitExceeded(
                f"standard input passed the cap of {max_bytes} bytes "
                "(DATALAB_MAX_DOCUMENT_BYTES); nothing was read further or stored",
                where="stdin",
                details={"limit": "max_document_bytes", "cap": max_bytes},
            )
        parts.append(chunk)
    return b"".join(parts)


def _read_input(file_or_url: str, settings: Settings) -> tuple[bytes, str | None, str | None]:
    """Bytes, file name and media type of a local file, ``-`` (stdin) or a URL."""
    if file_or_url.startswith(("http://", "https://")):
        from catalog.outbound.fetcher import Fetcher

        fetcher = Fetcher(settings)
        try:
            result = fetcher.get(
                file_or_url,
                accept="text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
                "application/n-triples;q=0.7",
            )
        finally:
            fetcher.close()
        return result.content, result.url.rsplit("/", 1)[-1], result.media_type
    if file_or_url == "-":
        return read_capped(sys.stdin.buffer, settings.max_document_bytes), None, None
    path = Path(file_or_url)
    if not path.is_file():
        raise InvalidInput(f"no such file: {file_or_url}", where=file_or_url)
    size = path.stat().st_size
    if size > settings.max_document_bytes:
        raise LimitExceeded(
            f"file of {size} bytes exceeds the cap of {settings.max_document_bytes}",
            where=file_or_url,
        )
    return path.read_bytes(), path.name, None


@app.command()
def load(
    file_or_url: Annotated[str, typer.Argument(help="RDF file, URL, or - for standard input.")],
    source: Annotated[str, typer.Option(help="Source the datasets belong to.")] = LOCAL_SOURCE,
    fmt: Annotated[
        str | None, typer.Option("--format", help="turtle, ntriples, xml, jsonld (default: guess).")
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Replace the source's whole graph instead of upserting datasets.")
    ] = False,
    validate: Annotated[bool, typer.Option(help="Validate with SHACL before storing.")] = True,
    strict: Annotated[
        bool, typer.Option(help="Store nothing if validation finds violations.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Load DCAT-AP metadata (Turtle, N-Triples, RDF/XML, JSON-LD) into the catalogue."""
    from catalog.validation import validate_document

    with reported(as_json):
        settings = settings_from_cli(home=home)
        data, name, media_type = _read_input(file_or_url, settings)
        rdf_format = format_from_name(fmt) if fmt else guess_format(name, media_type)
        validation = validate_document(data, rdf_format, settings) if validate else None
        if validation is not None and strict and not validation.conforms:
            typer.echo(validation.to_text(), err=True)
            raise ValidationFailed(
                f"{len(validation.violations())} violation(s); nothing stored (--strict)",
                where=file_or_url,
                details=validation.to_dict(),
            )
        with open_catalogue(settings) as catalogue:
            report = catalogue.load(data, fmt=rdf_format, source=source, replace=replace)
        if as_json:
            emit_json(
                {
                    "source": report.source,
                    "triples": report.triples,
                    "datasets": report.dataset_ids,
                    "errors": [e.__dict__ for e in report.errors],
                    "validation": validation.to_dict() if validation else None,
                }
            )
            return
        typer.echo(
            f"loaded {report.datasets} dataset(s), {report.triples} triples into source "
            f"{report.source!r}"
        )
        for error in report.errors:
            typer.secho(f"  not stored: {error.record}: {error.message}", fg="yellow", err=True)
        if validation is not None and validation.findings:
            typer.echo(validation.to_text())


@app.command("validate")
def validate_cmd(
    file: Annotated[
        Path, typer.Argument(help="RDF file to validate.", exists=True, dir_okay=False)
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="RDF syntax (default: guess).")
    ] = None,
    shapes: Annotated[
        Path | None, typer.Option(help="SHACL shapes to use instead of the project's.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a DCAT-AP document against the SHACL shapes; exit 1 on violations."""
    from catalog.validation import validate_document

    with reported(as_json):
        settings = settings_from_cli(shapes_path=shapes)
        rdf_format = format_from_name(fmt) if fmt else guess_format(file.name)
        report = validate_document(file.read_bytes(), rdf_format, settings)
        if as_json:
            emit_json(report.to_dict())
        else:
            typer.echo(report.to_text())
        if not report.conforms:
            raise typer.Exit(code=1)


@app.command()
def export(
    fmt: Annotated[
        str, typer.Option("--format", help="turtle, jsonld, xml or ntriples.")
    ] = "turtle",
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    home: HomeOption = None,
) -> None:
    """Export the catalogue's datasets as DCAT-AP."""
    with reported(), open_catalogue(settings_from_cli(home=home)) as catalogue:
        body = catalogue.export(fmt, source=source)
        if output:
            output.write_bytes(body)
        else:
            sys.stdout.buffer.write(body)


@app.command()
def datasets(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    limit: Annotated[int, typer.Option(help="Most datasets to list.")] = 1000,
    home: HomeOption = None,
) -> None:
    """List the datasets in the catalogue."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as catalogue:
        items: list[DatasetSummary] = []
        cursor = None
        while len(items) < limit:
            page = catalogue.datasets(
                cursor=cursor, limit=min(500, limit - len(items)), source=source
            )
            items.extend(page.items)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        if as_json:
            emit_json(
                {
                    "items": [
                        {"id": i.id, "iri": i.iri, "source": i.source, "titles": i.titles}
                        for i in items
                    ]
                }
            )
            return
        for item in items:
            title = item.titles.get("en") or next(iter(item.titles.values()), "")
            typer.echo(f"{item.id}\t{item.source}\t{title}")


@app.command()
def show(
    dataset_id: Annotated[str, typer.Argument(help="Dataset id (see `datalab datasets`).")],
    fmt: Annotated[
        str, typer.Option("--format", help="json, turtle, jsonld, xml or ntriples.")
    ] = "json",
    home: HomeOption = None,
) -> None:
    """Show one dataset."""
    with reported(fmt == "json"), open_catalogue(settings_from_cli(home=home)) as catalogue:
        record = catalogue.get(dataset_id)
        if fmt == "json":
            from rdflib import URIRef

            from catalog.model import Dataset
            from catalog.rdf_bridge import to_rdflib_graph

            model = Dataset.from_graph(to_rdflib_graph(record.triples), URIRef(record.ref.iri))
            emit_json(
                {
                    "id": record.ref.id,
                    "iri": record.ref.iri,
                    "source": record.ref.source,
                    "dataset": model.to_dict(),
                }
            )
        else:
            sys.stdout.buffer.write(serialize(record.triples, export_format(fmt)))


@app.command()
def delete(
    dataset_id: Annotated[str, typer.Argument(help="Dataset id.")],
    home: HomeOption = None,
) -> None:
    """Delete one dataset from its source."""
    with reported(), open_catalogue(settings_from_cli(home=home)) as catalogue:
        ref = catalogue.delete(dataset_id)
        typer.echo(f"deleted {ref.id} ({ref.iri}) from source {ref.source!r}")


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """List the sources whose graphs the catalogue holds."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as catalogue:
        rows = [
            {"name": s.name, "loaded_at": s.loaded_at, "datasets": catalogue.count(s.name)}
            for s in catalogue.sources()
        ]
        if as_json:
            emit_json({"items": rows})
        else:
            for row in rows:
                typer.echo(f"{row['name']}\t{row['datasets']}\t{row['loaded_at']}")
