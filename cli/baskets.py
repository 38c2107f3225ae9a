"""Training baskets from the command line: ``datalab basket create|show|summary|attributions|
croissant|request|list|delete``.

Commands act as the user named by ``--as``, as ``datalab requests`` does (an existing
account; the basket is theirs, as over the API with their token), or anonymously without it
(the basket's id is then its key). Datasets come from ``--dataset`` options or from a JSON
file shaped like the API's ``POST /baskets`` body (``--file``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from catalog.access_requests import AccessRequests
from catalog.accounts import Accounts
from catalog.baskets.ai_act_summary import summary_document
from catalog.baskets.attributions import attributions
from catalog.baskets.croissant import basket_croissant
from catalog.baskets.service import Baskets
from catalog.baskets.summary_formats import to_markdown, to_pdf
from catalog.callers import Caller
from catalog.errors import InvalidInput
from catalog.labs import ensure_registry
from catalog.service import Catalogue
from cli.app import app, emit_json, open_catalogue, reported, settings_from_cli

basket_app = typer.Typer(help="Training baskets: many datasets, one model.", no_args_is_help=True)
app.add_typer(basket_app, name="basket")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]
UserOption = Annotated[
    str | None, typer.Option("--as", "--user", help="Act as this user (default: anonymous).")
]


@dataclass(frozen=True)
class _Anonymous:
    name: str | None = None
    role: str = "developer"
    organisation: str | None = None
    factory: str | None = None


def _caller(catalogue: Catalogue, user: str | None) -> Caller:
    if user is None:
        return _Anonymous()
    return Accounts(catalogue.database).user(user)


def _service(catalogue: Catalogue) -> Baskets:
    ensure_registry(catalogue)
    return Baskets(catalogue, AccessRequests(catalogue, Accounts(catalogue.database)))


def _body_from_file(path: Path) -> dict[str, Any]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read the basket file: {exc}", where=str(path)) from None
    if not isinstance(body, dict):
        raise InvalidInput("the basket file holds one JSON object", where=str(path))
    return body


@basket_app.command("create")
def create(
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", help="A dataset id (repeat).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A JSON basket (the API's body).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name")] = None,
    org_type: Annotated[str | None, typer.Option("--org-type")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    model_name: Annotated[str | None, typer.Option("--model-name")] = None,
    modality: Annotated[
        list[str] | None, typer.Option("--modality", help="text, image, ...")
    ] = None,
    general_purpose: Annotated[bool, typer.Option("--general-purpose")] = False,
    user: UserOption = None,
    home: HomeOption = None,
) -> None:
    """Create a basket; prints it as JSON (its id first)."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        body: dict[str, Any] = _body_from_file(file) if file else {}
        if dataset:
            body["datasets"] = [*body.get("datasets", []), *dataset]
        if name:
            body["name"] = name
        profile = dict(body.get("profile") or {})
        for key, value in (("org_type", org_type), ("country", country), ("purpose", purpose)):
            if value:
                profile[key] = value
        body["profile"] = profile
        model = dict(body.get("model") or {})
        if model_name:
            model["name"] = model_name
        if modality:
            model["modalities"] = modality
        if general_purpose:
            model["general_purpose"] = True
        body["model"] = model
        basket = _service(catalogue).create(_caller(catalogue, user), body)
        emit_json(basket.to_dict())


@basket_app.command("show")
def show(basket_id: str, user: UserOption = None, home: HomeOption = None) -> None:
    """The basket's answers as JSON (and what changed since you last looked)."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        found, changed = _service(catalogue).look(_caller(catalogue, user), basket_id)
        emit_json(found.to_dict(changed))


@basket_app.command("list")
def list_baskets(
    user: Annotated[str, typer.Option("--as", "--user")], home: HomeOption = None
) -> None:
    """A user's baskets."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        items = _service(catalogue).mine(_caller(catalogue, user))
        emit_json([b.to_dict() for b in items])


@basket_app.command("summary")
def summary(
    basket_id: str,
    format: Annotated[str, typer.Option("--format", help="md, json or pdf")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file.")
    ] = None,
    user: UserOption = None,
    home: HomeOption = None,
) -> None:
    """The draft AI Act summary of training content (art. 53(1)(d))."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        if format not in ("md", "json", "pdf"):
            raise InvalidInput(f"unknown format {format!r}; known: md, json, pdf", where="--format")
        if format == "pdf" and output is None:
            raise InvalidInput("a PDF needs --output FILE", where="--output")
        doc = summary_document(_service(catalogue).answer(_caller(catalogue, user), basket_id))
        if format == "pdf":
            assert output is not None
            output.write_bytes(to_pdf(doc))
            typer.echo(str(output))
            return
        text = to_markdown(doc) if format == "md" else json.dumps(doc, indent=2, ensure_ascii=False)
        if output is not None:
            output.write_text(text, encoding="utf-8")
            typer.echo(str(output))
        else:
            typer.echo(text)


@basket_app.command("attributions")
def attributions_cmd(basket_id: str, user: UserOption = None, home: HomeOption = None) -> None:
    """The attribution file of the whole basket (Markdown)."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        typer.echo(attributions(_service(catalogue).answer(_caller(catalogue, user), basket_id)))


@basket_app.command("croissant")
def croissant(basket_id: str, user: UserOption = None, home: HomeOption = None) -> None:
    """One Croissant JSON-LD listing every dataset with its licence and credit line."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        found = _service(catalogue).answer(_caller(catalogue, user), basket_id)
        url = f"{catalogue.settings.public_url.rstrip('/')}/baskets/{basket_id}"
        emit_json(basket_croissant(found, url))


@basket_app.command("request")
def request(
    basket_id: str,
    user: Annotated[str, typer.Option("--as", "--user", help="The requester (an existing user).")],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    home: HomeOption = None,
) -> None:
    """File every access request the basket needs, grouped by lab, in one submission."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        result, _ = _service(catalogue).request_access(_caller(catalogue, user), basket_id, comment)
        emit_json(result.to_dict())


@basket_app.command("delete")
def delete(basket_id: str, user: UserOption = None, home: HomeOption = None) -> None:
    """Delete a basket."""
    with reported(True), open_catalogue(settings_from_cli(home=home)) as catalogue:
        _service(catalogue).delete(_caller(catalogue, user), basket_id)
        typer.echo(f"deleted {basket_id}")
