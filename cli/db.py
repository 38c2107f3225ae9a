"""``datalab db upgrade`` and ``datalab db status``: the operational database's schema.

The embedded SQLite database is upgraded whenever it is opened; a PostgreSQL database
(``DATALAB_DATABASE_URL``) only by ``datalab db upgrade``, which the catalogue asks for when
it refuses to start on a database behind the code. URLs are shown with the password masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catalog.db import Database, revisions, upgrade
from cli.app import app, emit_json, reported, settings_from_cli

db_app = typer.Typer(
    help="The operational database: schema status and upgrade.", no_args_is_help=True
)
app.add_typer(db_app, name="db")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@db_app.command("upgrade")
def db_upgrade(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Migrate the database to the newest schema (a no-op when it is there already)."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        with Database.open(settings, check=False) as database:
            before = revisions(database).current
            after = upgrade(database)
            url = database.url
        if as_json:
            emit_json({"url": url, "from": before, "to": after.current, "head": after.head})
        elif before == after.current:
            typer.echo(f"{url}: already at the newest schema revision {after.current}")
        else:
            typer.echo(f"{url}: upgraded from revision {before or 'none'} to {after.current}")


@db_app.command("status")
def db_status(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """The database (password masked), its schema revision and the code's newest."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        with Database.open(settings, check=False) as database:
            state = revisions(database)
            url, dialect = database.url, database.dialect
        if as_json:
            emit_json(
                {
                    "url": url,
                    "dialect": dialect,
                    "current": state.current,
                    "head": state.head,
                    "up_to_date": not state.behind,
                }
            )
            return
        typer.echo(f"database: {url}")
        typer.echo(f"current:  {state.current or 'none (empty)'}")
        typer.echo(f"head:     {state.head}")
        typer.echo("up to date" if not state.behind else "behind: run `datalab db upgrade`")
