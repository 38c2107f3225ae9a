"""``datalab search-snapshot publish|restore|list``: search index snapshots in the shared
object storage (``docs/deploying.md``, "Search replicas").

``datalab search QUERY`` takes any word as its query, so the snapshot commands are a group
of their own. ``publish`` and ``restore`` work on this home's index (``<home>/search``, the
one ``datalab search`` reads); workers publish from their own (``search-snapshot`` jobs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from catalog.errors import ConfigurationError, NotFound
from catalog.object_storage import ObjectStorage
from catalog.search import SearchService, snapshots
from catalog.search.providers import DEFAULT_PROVIDERS
from catalog.settings import Settings
from cli.app import app, emit_json, open_catalogue, reported, settings_from_cli

snapshot_app = typer.Typer(
    help="Search index snapshots in the object storage (S3).", no_args_is_help=True
)
app.add_typer(snapshot_app, name="search-snapshot")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _storage(settings: Settings) -> ObjectStorage:
    storage = snapshots.storage_for(settings)
    if storage is None:
        raise ConfigurationError(
            "no object storage for search snapshots: set DATALAB_SEARCH_SNAPSHOT_S3_ENDPOINT "
            "or DATALAB_SAMPLES_S3_ENDPOINT",
            where="DATALAB_SEARCH_SNAPSHOT_S3_ENDPOINT",
        )
    return storage


@snapshot_app.command("publish")
def publish(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Catch this home's search index up with the change feed and publish a snapshot now."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        storage = _storage(settings)
        with open_catalogue(settings) as catalogue:
            service = SearchService.open(catalogue, DEFAULT_PROVIDERS, attach=False)
            try:
                published = snapshots.publish(service, storage, settings.search_snapshot_keep)
            finally:
                service.close()
        if as_json:
            emit_json(published.to_dict())
        elif published.uploaded:
            m = published.manifest
            typer.echo(f"published {m.archive}: position {m.position}, {m.datasets} datasets")
        else:
            typer.echo(f"unchanged since {published.manifest.archive}: LATEST confirmed")


@snapshot_app.command("restore")
def restore(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Replace this home's search index by the latest snapshot, then catch up with the
    change feed (stop the API replica of this home first)."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        storage = _storage(settings)
        manifest = snapshots.latest(storage)
        if manifest is None:
            raise NotFound(f"no search snapshot in {storage!r}")
        with open_catalogue(settings) as catalogue:
            service = SearchService(catalogue, DEFAULT_PROVIDERS)
            try:
                snapshots.restore(service, storage, manifest)
                service.sync()
                position = service.feed_status().position
            finally:
                service.close()
        if as_json:
            emit_json({"archive": manifest.archive, "snapshot_position": manifest.position,
                       "position": position})  # fmt: skip
        else:
            typer.echo(f"restored {manifest.archive}; caught up to position {position}")


@snapshot_app.command("list")
def list_snapshots(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """The kept snapshots, the one LATEST names, and the oldest kept position (trimming the
    change feed must keep every row after it)."""
    with reported(as_json):
        storage = _storage(settings_from_cli(home=home))
        kept = snapshots.snapshots(storage)
        newest = snapshots.latest(storage)
        body: dict[str, Any] = {
            "snapshots": [
                {"archive": s.name, "position": s.position, "size": s.size} for s in kept
            ],
            "latest": None if newest is None else newest.archive,
            "oldest_position": kept[0].position if kept else None,
        }
        if as_json:
            emit_json(body)
            return
        for s in kept:
            mark = "  (LATEST)" if s.name == body["latest"] else ""
            typer.echo(f"{s.name}  position {s.position}  {s.size} bytes{mark}")
        typer.echo(f"oldest kept position: {body['oldest_position']}")
