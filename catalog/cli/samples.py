"""Sample, user and grant commands: ``datalab sample add``, ``datalab user``, ``datalab grant``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catalog.accounts import Accounts, accounts_path
from catalog.cli.app import app, emit_json, open_catalogue, reported, settings_from_cli
from catalog.samples import SampleStore, Upload
from catalog.samples.store import CSV_TYPES, PARQUET_TYPES

KNOWN_TYPES = PARQUET_TYPES | CSV_TYPES

sample_app = typer.Typer(help="Dataset samples (Parquet or CSV).", no_args_is_help=True)
user_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
grant_app = typer.Typer(help="Per-dataset grants to see restricted samples.", no_args_is_help=True)
app.add_typer(sample_app, name="sample")
app.add_typer(user_app, name="user")
app.add_typer(grant_app, name="grant")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]


def _accounts(home: Path | None) -> Accounts:
    return Accounts(accounts_path(settings_from_cli(home=home).home))


@sample_app.command("add")
def sample_add(
    dataset_id: Annotated[str, typer.Argument(help="Id of the dataset.")],
    file_or_url: Annotated[str, typer.Argument(help="A Parquet or CSV file, or an http(s) URL.")],
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Attach a sample to a dataset (run by an operator: acts as admin)."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        with open_catalogue(settings) as catalogue:
            catalogue.find(dataset_id)
            if file_or_url.startswith(("http://", "https://")):
                from connectors.fetch import Fetcher

                fetcher = Fetcher(settings)
                try:
                    result = fetcher.get(file_or_url)
                finally:
                    fetcher.close()
                name = result.url.rsplit("/", 1)[-1]
                media = result.media_type if result.media_type in KNOWN_TYPES else None
                upload = Upload(data=result.content, media_type=media, filename=name)
            else:
                upload = Upload(path=Path(file_or_url))
            meta = SampleStore(settings).add(dataset_id, upload, uploaded_by=None)
            Accounts(accounts_path(settings.home)).audit(
                None, "sample.upload", dataset_id, "ok", {"v": meta["version"], "via": "cli"}
            )
        if as_json:
            emit_json(meta)
        else:
            typer.echo(
                f"sample of {dataset_id}: {meta['rows']} rows, {len(meta['columns'])} columns, "
                f"{meta['byte_size']} bytes (version {meta['version']})"
            )


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option("--role", help="developer, steward, staff or admin.")],
    org: Annotated[str | None, typer.Option("--org", help="Organisation.")] = None,
    factory: Annotated[str | None, typer.Option("--factory", help="AI factory.")] = None,
    home: HomeOption = None,
) -> None:
    """Register a user with a role."""
    with reported():
        user = _accounts(home).add_user(name, role, org, factory)
        typer.echo(f"user {user.name} added as {user.role}")


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="User name.")],
    days: Annotated[float, typer.Option("--days", help="Days until the token expires.")] = 90,
    home: HomeOption = None,
) -> None:
    """Issue an API token; it is shown this once and stored only as a hash."""
    with reported():
        typer.echo(_accounts(home).issue_token(name, days))


@grant_app.command("add")
def grant_add(
    user: Annotated[str, typer.Argument(help="User name.")],
    dataset_id: Annotated[str, typer.Argument(help="Dataset id.")],
    home: HomeOption = None,
) -> None:
    """Let a user see a restricted dataset's sample rows and statistics."""
    with reported():
        with open_catalogue(settings_from_cli(home=home)) as catalogue:
            catalogue.find(dataset_id)
        _accounts(home).grant(user, dataset_id)
        typer.echo(f"{user} may now see the sample of {dataset_id}")


@grant_app.command("revoke")
def grant_revoke(
    user: Annotated[str, typer.Argument(help="User name.")],
    dataset_id: Annotated[str, typer.Argument(help="Dataset id.")],
    home: HomeOption = None,
) -> None:
    """Withdraw a grant; the next request of that user is refused."""
    with reported():
        removed = _accounts(home).revoke(user, dataset_id)
        typer.echo(f"grant of {user} on {dataset_id} {'revoked' if removed else 'did not exist'}")
