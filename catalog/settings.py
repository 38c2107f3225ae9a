"""The one Settings object of the catalogue.

Every limit the catalogue enforces lives here, read from the environment with the
``DATALAB_`` prefix. Build it with :func:`get_settings` and pass it down; nothing in the
project reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.errors import ConfigurationError

PLACEHOLDERS = {"changeme", "change-me", "xxx", "todo", "replace-me"}


class Settings(BaseSettings):
    """Configuration of one catalogue instance (environment prefix ``DATALAB_``)."""

    model_config = SettingsConfigDict(env_prefix="DATALAB_", extra="ignore", frozen=True)

    home: Path = Field(
        default=Path(".datalab"),
        description="Folder holding the store and everything else the catalogue writes.",
    )
    store_backend: Literal["oxigraph", "sparql"] = Field(
        default="oxigraph",
        description="Graph store: embedded Oxigraph on disk, or a remote SPARQL 1.1 server.",
    )
    sparql_query_url: str | None = Field(
        default=None, description="SPARQL 1.1 query endpoint of the remote store."
    )
    sparql_update_url: str | None = Field(
        default=None, description="SPARQL 1.1 update endpoint of the remote store."
    )
    sparql_gsp_url: str | None = Field(
        default=None, description="SPARQL 1.1 Graph Store Protocol endpoint of the remote store."
    )
    sparql_timeout_s: float = Field(
        default=30.0, gt=0, description="Deadline of one request to the remote SPARQL store."
    )
    base_iri: str = Field(
        default="https://datalab.example.eu/",
        description="Base IRI for resources minted by this catalogue (catalogue, named graphs).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public base URL of the API, used to build links in responses.",
    )
    shapes_path: Path | None = Field(
        default=None,
        description="SHACL shapes used for validation; default: the project's DCAT-AP 3 shapes. "
        "Point it at the official DCAT-AP shapes to validate against those instead.",
    )
    jsonld_contexts: dict[str, Path] = Field(
        default_factory=dict,
        description="Extra JSON-LD contexts as a JSON object of URL to local file; contexts "
        "are never fetched during ingest, only bundled or listed ones are used.",
    )
    max_document_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest RDF document accepted, in bytes."
    )
    max_triples: int = Field(
        default=1_000_000, gt=0, description="Most triples accepted from one document."
    )
    max_literal_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Longest literal accepted, in bytes."
    )
    max_nesting: int = Field(
        default=128, gt=0, description="Deepest nesting accepted in Turtle, JSON-LD or XML."
    )
    validation_timeout_s: float = Field(
        default=30.0, gt=0, description="Deadline of SHACL validation of one document."
    )
    page_size: int = Field(default=50, gt=0, le=1000, description="Default page size of lists.")
    max_page_size: int = Field(default=500, gt=0, description="Largest page size a client may ask.")
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port the API listens on.")
    log_level: str = Field(default="info", description="Log level of the API server.")

    @field_validator("base_iri", "public_url")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        if value.strip().lower() in PLACEHOLDERS:
            raise ValueError(f"placeholder value {value!r} must be replaced")
        return value

    @model_validator(mode="after")
    def _remote_store_needs_endpoints(self) -> Settings:
        if self.store_backend == "sparql" and not self.sparql_query_url:
            raise ValueError("DATALAB_SPARQL_QUERY_URL is required when store_backend is sparql")
        return self

    @property
    def store_path(self) -> Path:
        """Folder of the embedded Oxigraph store."""
        return self.home / "store"


def get_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
