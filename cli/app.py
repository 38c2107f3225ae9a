"""The Typer application every command module registers on, and shared CLI helpers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from catalog.db import Database
from catalog.db.documents import OperatorDocuments
from catalog.errors import DatalabError
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings

app = typer.Typer(
    name="datalab",
    help="Data Lab Catalogue: DCAT-AP datasets, AI Factory data labs and their terms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def settings_from_cli(**overrides: Any) -> Settings:
    return get_settings(**{k: v for k, v in overrides.items() if v is not None})


@contextmanager
def open_catalogue(settings: Settings | None = None) -> Iterator[Catalogue]:
    with Catalogue.open(settings or settings_from_cli()) as catalogue:
        yield catalogue


@contextmanager
def operator_documents(settings: Settings) -> Iterator[OperatorDocuments]:
    """The operator's documents (licence mappings, data spaces) of the catalogue's database,
    closed after the command."""
    with Database.open(settings) as database:
        yield OperatorDocuments(database)


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def fail(exc: DatalabError, *, as_json: bool = False) -> None:
    """Report an error the way every command does, and exit with status 2."""
    if as_json:
        typer.echo(json.dumps(exc.to_body(), ensure_ascii=False), err=True)
    else:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


@contextmanager
def reported(as_json: bool = False) -> Iterator[None]:
    """Turn catalogue errors into a clear message and exit status 2."""
    try:
        yield
    except DatalabError as exc:
        fail(exc, as_json=as_json)


def configure_logging(level: str = "info") -> None:
    logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
