"""``datalab dataspace list|add|remove``: the common European data spaces a lab may link.

Like ``datalab licence``, these act as the local administrator: whoever can run the command
line can write the catalogue's folder, where the added spaces live (``data-spaces.json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catalog.dataspaces import add_data_space, data_spaces, make_data_space
from catalog.labs.store import remove_unused_data_space
from cli.app import (
    app,
    emit_json,
    open_catalogue,
    operator_documents,
    reported,
    settings_from_cli,
)

dataspace_app = typer.Typer(
    help="The common European data spaces: list them, add or remove your own (administrator).",
    no_args_is_help=True,
)
app.add_typer(dataspace_app, name="dataspace")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
LabelOption = Annotated[str | None, typer.Option(help="The label in this language.")]


@dataspace_app.command("list")
def dataspace_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List the built-in data spaces and the ones added to this catalogue."""
    settings = settings_from_cli(home=home)
    with reported(as_json), operator_documents(settings) as documents:
        spaces = data_spaces(documents)
        if as_json:
            emit_json([{**s.to_dict(), "builtin": spaces.is_builtin(s.id)} for s in spaces])
            return
        for s in spaces:
            mark = " " if spaces.is_builtin(s.id) else "+"
            typer.echo(f"{mark} {s.id:22} {','.join(s.themes) or '-':14} {s.label()}")


@dataspace_app.command("add")
def dataspace_add(
    space_id: Annotated[str, typer.Argument(metavar="ID", help="Short id: a-z, 0-9 and '-'.")],
    label: Annotated[str, typer.Option("--label", help="The English label.")],
    label_de: LabelOption = None,
    label_fr: LabelOption = None,
    label_pl: LabelOption = None,
    label_el: LabelOption = None,
    theme: Annotated[
        list[str] | None,
        typer.Option("--theme", help="EU data theme (AGRI, HEAL, …); repeat or comma-separate."),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a data space (or replace one added before); labs may then link it."""
    settings = settings_from_cli(home=home)
    labels = {"en": label, "de": label_de, "fr": label_fr, "pl": label_pl, "el": label_el}
    themes = [part.strip() for t in theme or [] for part in t.split(",") if part.strip()]
    with reported(as_json), operator_documents(settings) as documents:
        space = make_data_space(space_id, {k: v for k, v in labels.items() if v}, themes)
        add_data_space(documents, space)
        emit_json(space.to_dict()) if as_json else typer.echo(f"added {space.iri}")


@dataspace_app.command("remove")
def dataspace_remove(
    space_id: Annotated[str, typer.Argument(metavar="ID", help="An added data space's id.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove an added data space (built-in ones stay; a space a lab links is refused)."""
    settings = settings_from_cli(home=home)
    with reported(as_json), open_catalogue(settings) as cat:
        remove_unused_data_space(cat, space_id)
        emit_json({"removed": space_id}) if as_json else typer.echo(f"removed {space_id}")
