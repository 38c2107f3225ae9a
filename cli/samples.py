"""Sample commands: ``datalab sample add|delete|sweep|synthetic`` (users and grants:
:mod:`cli.users`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from catalog.accounts import Accounts
from catalog.db import Database
from catalog.errors import InvalidInput
from catalog.samples import SampleStore, Upload, fetched
from catalog.samples.service import SampleService, attach, detach
from catalog.samples.store import CSV_TYPES, PARQUET_TYPES
from catalog.samples.synthetic_service import SyntheticPreviews
from cli.app import app, emit_json, open_catalogue, reported, settings_from_cli

KNOWN_TYPES = PARQUET_TYPES | CSV_TYPES

sample_app = typer.Typer(help="Dataset samples (Parquet or CSV).", no_args_is_help=True)
app.add_typer(sample_app, name="sample")

HomeOption = Annotated[
    Path | None, typer.Option("--home", help="Catalogue folder (default: $DATALAB_HOME).")
]


@sample_app.command("add")
def sample_add(
    dataset_id: Annotated[str, typer.Argument(help="Id of the dataset.")],
    file_or_url: Annotated[
        str | None,
        typer.Argument(
            help="A Parquet or CSV file, or an http(s) URL; with --from-distribution, the "
            "IRI of the distribution (default: the first serving CSV or Parquet)."
        ),
    ] = None,
    from_distribution: Annotated[
        bool,
        typer.Option(
            "--from-distribution",
            help="Sample the dataset's distribution through the shared fetcher (at most "
            "sample_fetch_max_bytes: CSV is cut after the last full line, Parquet must fit).",
        ),
    ] = False,
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Attach a sample to a dataset (run by an operator: acts as admin)."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        with open_catalogue(settings) as catalogue:
            catalogue.find(dataset_id)
            origin = None
            if from_distribution:
                candidate = fetched.pick(catalogue, dataset_id, file_or_url)
                upload, origin = fetched.fetch(settings, candidate)
            elif file_or_url is None:
                raise InvalidInput("give a file or URL, or --from-distribution", where="sample")
            elif file_or_url.startswith(("http://", "https://")):
                from catalog.outbound.fetcher import Fetcher

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
            meta = attach(catalogue, SampleStore(settings), dataset_id, upload, None, origin)
            Accounts(Database.open(settings)).audit(
                None, "sample.upload", dataset_id, "ok", {"v": meta["version"], "via": "cli"}
            )
        if as_json:
            emit_json(meta)
        else:
            typer.echo(
                f"sample of {dataset_id}: {meta['rows']} rows, {len(meta['columns'])} columns, "
                f"{meta['byte_size']} bytes (version {meta['version']})"
            )
            if origin:
                cut = " (first rows only: the file is larger than the cap)"
                typer.echo(f"taken from {origin['url']}{cut if origin['truncated'] else ''}")


@sample_app.command("delete")
def sample_delete(
    dataset_id: Annotated[str, typer.Argument(help="Id of the dataset.")],
    home: HomeOption = None,
) -> None:
    """Delete a dataset's sample and its adms:sample distribution."""
    with reported():
        settings = settings_from_cli(home=home)
        with open_catalogue(settings) as catalogue:
            detach(catalogue, SampleStore(settings), dataset_id)
            Accounts(Database.open(settings)).audit(
                None, "sample.delete", dataset_id, "ok", {"via": "cli"}
            )
        typer.echo(f"sample of {dataset_id} deleted")


@sample_app.command("sweep")
def sample_sweep(home: HomeOption = None) -> None:
    """Remove sample versions that killed or failed uploads left behind, and replaced
    versions, once older than DATALAB_SAMPLE_STAGING_MAX_AGE_S (workers do it every
    minute on S3)."""
    with reported():
        removed = SampleStore(settings_from_cli(home=home)).sweep()
        typer.echo(f"{removed} sample version(s) removed")


@dataclass(frozen=True)
class _Operator:
    """The operator at the command line: acts as an administrator, audited as nobody."""

    name: str | None = None
    role: str = "admin"
    organisation: str | None = None
    factory: str | None = None


@sample_app.command("synthetic")
def sample_synthetic(
    dataset_id: Annotated[str, typer.Argument(help="Id of the dataset.")],
    on: Annotated[
        bool | None,
        typer.Option(
            "--on/--off",
            help="Serve a synthetic preview of the sample, or stop; without either, show the "
            "switch and what the dataset's terms say.",
        ),
    ] = None,
    min_count: Annotated[
        int | None,
        typer.Option(
            "--min-count",
            help="k: values occurring fewer than k times never appear (at least "
            "DATALAB_SYNTHETIC_MIN_COUNT).",
        ),
    ] = None,
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Switch a dataset's synthetic preview on or off (refused where the terms forbid
    derived data)."""
    with reported(as_json):
        settings = settings_from_cli(home=home)
        with open_catalogue(settings) as catalogue, Database.open(settings) as database:
            samples = SampleService(catalogue, SampleStore(settings), Accounts(database))
            previews = SyntheticPreviews(samples, lambda _caller, _source: False)
            if on is None:
                status = previews.status(dataset_id)
            else:
                status = previews.configure(_Operator(), dataset_id, on, min_count)
        if as_json:
            emit_json(status.to_dict())
            return
        state = "on" if status.enabled else "off"
        served = "served" if status.served else "not served"
        typer.echo(f"synthetic preview of {dataset_id}: {state} (k={status.min_count}), {served}")
        verdict = "allow" if status.terms.allowed else "forbid"
        typer.echo(f"the terms {verdict} derived data: {status.terms.reason}")
