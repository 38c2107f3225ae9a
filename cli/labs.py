"""Commands for factories, data labs and offers: ``datalab factories``, ``datalab lab
add|edit|show``, ``datalab offers DATASET``, ``datalab licence add|list|remove``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from catalog.accounts import Accounts
from catalog.db import Database
from catalog.errors import Forbidden, InvalidInput
from catalog.labs import (
    create_lab,
    edit_lab,
    ensure_registry,
    get_lab,
    list_factories,
)
from catalog.offers import RequesterProfile, offers_for
from catalog.offers.licence_store import (
    LicenceMappingNotFound,
    add_licence,
    extra_licences,
    make_entry,
    remove_licence,
)
from catalog.settings import Settings
from cli.app import (
    app,
    emit_json,
    open_catalogue,
    operator_documents,
    reported,
    settings_from_cli,
)

lab_app = typer.Typer(help="Describe a factory's data labs (factory staff).", no_args_is_help=True)
app.add_typer(lab_app, name="lab")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
TokenOption = Annotated[
    str, typer.Option("--token", envvar="DATALAB_TOKEN", help="Your factory staff API token.")
]


def _staff_factory(settings: Settings, token: str) -> str:
    user = Accounts(Database.open(settings)).authenticate(token)
    if user.role != "staff" or not user.factory:
        raise Forbidden("only a factory's staff may create or edit its data labs", where="role")
    return user.factory


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise InvalidInput("the lab description must be a JSON object", where=str(path))
    return data


@app.command()
def factories(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List the AI factories and antennas."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as cat:
        ensure_registry(cat)
        items = list_factories(cat)
        if as_json:
            emit_json([f.to_dict() for f in items])
            return
        for f in items:
            typer.echo(f"{f.id:12} {f.kind:8} {','.join(f.countries):18} {f.name}")


@lab_app.command("show")
def lab_show(lab_id: str, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show one data lab."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as cat:
        ensure_registry(cat)
        lab = get_lab(cat, lab_id)
        if as_json:
            emit_json(lab.to_dict())
            return
        typer.echo(f"{lab.name} ({lab.id}), factory {lab.factory}")
        typer.echo(f"  data spaces:  {', '.join(lab.data_spaces)}")
        typer.echo(f"  access modes: {', '.join(lab.access_modes)}")
        typer.echo(
            f"  eligible:     {', '.join(lab.eligible_org_types)} from "
            f"{', '.join(lab.eligible_countries)}"
        )
        for step in lab.procedure:
            typer.echo(f"  {step.order}. {step.label}")


@lab_app.command("add")
def lab_add(
    file: Annotated[Path, typer.Argument(help="JSON description of the lab.")],
    token: TokenOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a data lab of your factory from a JSON file."""
    settings = settings_from_cli(home=home)
    with reported(as_json), open_catalogue(settings) as cat:
        factory = _staff_factory(settings, token)
        ensure_registry(cat)
        lab = create_lab(cat, {"factory": factory, **_read_json(file)}, staff_factory=factory)
        emit_json(lab.to_dict()) if as_json else typer.echo(f"created {lab.id}")


@lab_app.command("edit")
def lab_edit(
    lab_id: str,
    file: Annotated[Path, typer.Argument(help="JSON object of the fields to change.")],
    token: TokenOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change fields of a data lab of your factory."""
    settings = settings_from_cli(home=home)
    with reported(as_json), open_catalogue(settings) as cat:
        factory = _staff_factory(settings, token)
        ensure_registry(cat)
        lab = edit_lab(cat, lab_id, _read_json(file), staff_factory=factory)
        emit_json(lab.to_dict()) if as_json else typer.echo(f"updated {lab.id}")


@app.command()
def offers(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    org_type: Annotated[str | None, typer.Option(help="research, start-up, sme, ...")] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
    purpose: Annotated[str | None, typer.Option(help="e.g. commercial-ai-training.")] = None,
    odrl: Annotated[bool, typer.Option("--odrl", help="Print the ODRL Offers only.")] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Which data lab may offer DATASET, on what terms, and why."""
    with reported(as_json), open_catalogue(settings_from_cli(home=home)) as cat:
        profile = RequesterProfile.parse(org_type, country, purpose)
        ensure_registry(cat)
        result = offers_for(cat, dataset, profile)
        if odrl:
            emit_json(result.odrl())
            return
        if as_json:
            emit_json(result.to_dict())
            return
        for o in result.offers:
            typer.echo(
                f"{o.lab.id}: {o.verdict.replace('_', ' ')}"
                + (f" ({o.access_mode})" if o.access_mode else "")
            )
            for reason in o.reasons:
                typer.echo(f"    - {reason.text}")
            for i, step in enumerate(o.procedure, start=1):
                typer.echo(f"    {i}. {step}")


licence_app = typer.Typer(
    help="Map licences the built-in table does not know (what each permits, requires, prohibits).",
    no_args_is_help=True,
)
app.add_typer(licence_app, name="licence")
UsesOption = Annotated[
    list[str] | None,
    typer.Option(help="Comma-separated: commercial, derivatives, distribution, tdm, ai-training."),
]


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


@licence_app.command("add")
def licence_add(
    iri: Annotated[str, typer.Argument(help="The licence IRI datasets cite in dct:license.")],
    label: Annotated[str | None, typer.Option(help="Human-readable name.")] = None,
    permits: UsesOption = None,
    prohibits: UsesOption = None,
    requires: Annotated[
        list[str] | None,
        typer.Option(help="Comma-separated: attribution, share-alike, notice, non-commercial."),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add or replace the mapping of licence IRI (offers using it are recomputed)."""
    settings = settings_from_cli(home=home)
    with reported(as_json), operator_documents(settings) as documents:
        entry = make_entry(
            iri,
            label=label,
            permits=_split(permits),
            requires=_split(requires),
            prohibits=_split(prohibits),
        )
        add_licence(documents, entry)
        emit_json(entry.to_dict()) if as_json else typer.echo(f"mapped {entry.key}")


@licence_app.command("list")
def licence_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List the licence mappings added to this catalogue."""
    settings = settings_from_cli(home=home)
    with reported(as_json), operator_documents(settings) as documents:
        items = extra_licences(documents)
        if as_json:
            emit_json([e.to_dict() for e in items])
            return
        for e in items:
            typer.echo(
                f"{e.key}: permits {','.join(sorted(e.permits)) or '-'}; "
                f"requires {','.join(sorted(e.requires)) or '-'}; "
                f"prohibits {','.join(sorted(e.prohibits)) or '-'}"
            )


@licence_app.command("remove")
def licence_remove(
    iri: Annotated[str, typer.Argument(help="The licence IRI to unmap.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove an added mapping (the built-in one, if any, applies again)."""
    settings = settings_from_cli(home=home)
    with reported(as_json), operator_documents(settings) as documents:
        if not remove_licence(documents, iri):
            raise LicenceMappingNotFound(f"no added mapping for {iri!r}", where="iri")
        emit_json({"removed": iri}) if as_json else typer.echo(f"removed {iri}")
