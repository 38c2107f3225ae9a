"""The one Settings object of the catalogue.

Every limit an operator may tune lives here, read from the environment with the
``DATALAB_`` prefix. Build it with :func:`get_settings` and pass it down; nothing in the
project reads the environment at import time. Code built without a Settings object (tests,
one-off scripts) reads a setting's documented default through :func:`default_of`, never a
copy of it.

What stays a module constant is not an operator's limit:

* protocol and format facts (media types, operators of a grammar, SPARQL fragments, the
  width of a decoded string slot, the search tokens' longest word, which the index format
  depends on);
* walk depths that reading and writing must agree on (the owned-node depth of
  :mod:`catalog.ownership` and :mod:`catalog.records`, the SHACL neighbourhood of
  :mod:`catalog.validation`, the JSON-LD export's chains), which a setting could set apart;
* batch, chunk and window sizes that change only speed and memory of one step, never what
  is accepted or answered (``_BATCH``, ``_CHUNK``, ``IN_FLIGHT``, the sorted copies' group
  sizes and window growth, the snippet window).
"""

from __future__ import annotations

import functools
import socket
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    sparql_max_response_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="Largest response accepted from the remote SPARQL store, in bytes.",
    )
    sparql_batch_triples: int = Field(
        default=20_000,
        gt=0,
        description="Triples serialised per chunk of a streamed add to the remote SPARQL "
        "store (per INSERT DATA request without a Graph Store endpoint); bounds its memory.",
    )
    sparql_snapshot_reads: bool = Field(
        default=False,
        description="Whether the remote SPARQL server runs each query on a consistent "
        "snapshot (true for Oxigraph server); unknown servers are assumed not to.",
    )
    # Unset (empty), these two are derived by _derive_urls below: after validation they
    # always hold a URL, so their readers never see an empty one.
    base_iri: str = Field(
        default="",
        description="Base IRI for resources minted by this catalogue (its catalogue "
        "<base_iri>/catalog, named graphs, sample distributions): the catalogue IRI peers "
        "see. Unset: <public_url>/, so two instances never share one. Set it for an "
        "instance that lasts: a derived one moves with the public URL.",
    )
    public_url: str = Field(
        default="",
        description="Public base URL of the API, used to build every link in responses "
        "(set it behind a reverse proxy). Unset: http://<host>:<port> of the address the "
        "server binds, with the port it really got when port is 0; for an unspecified "
        "address (0.0.0.0, ::) the machine's name (its fully qualified name, else its host "
        "name, the first that resolves and is not localhost; else 127.0.0.1).",
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
    # -- bounds while parsing, SHACL per dataset, /sparql answer bytes (issue 16) ------------
    max_rdf_list_items: int = Field(
        default=10_000,
        gt=0,
        description="Longest RDF list (rdf:first/rdf:rest chain, a Turtle '( … )' collection) "
        "accepted in one document, in items; a longer one is refused, naming the line the "
        "parser had reached.",
    )
    catalog_conformant_only: bool = Field(
        default=True,
        description="/catalog lists only datasets whose exported description conforms to "
        "the SHACL shapes (shapes_path; by default the project's, which give the official "
        "DCAT-AP 3.0.1 shapes' verdicts); the others stay in the API and search, and their "
        "quality page names the violations. Off: every dataset is listed as stored.",
    )
    validation_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Deadline of SHACL validation of one dataset. Documents and harvested "
        "records are validated dataset by dataset (in batches of validation_batch_datasets; a "
        "batch past this deadline is re-run one dataset at a time), so a large document takes "
        "time in proportion to its size, and a dataset past the deadline gets an entry in the "
        "report instead of failing the load.",
    )
    validation_batch_datasets: int = Field(
        default=50,
        gt=0,
        le=1000,
        description="Datasets validated together in one SHACL run (with their owned nodes "
        "and the nodes they link to).",
    )
    sparql_max_result_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Largest /sparql answer, in bytes, counted while it is serialised; a "
        "larger answer is refused with 413 and the one error body before any byte is sent "
        "(the row cap alone does not bound bytes). Ask for fewer rows or shorter values.",
    )
    page_size: int = Field(default=50, gt=0, le=1000, description="Default page size of lists.")
    max_page_size: int = Field(default=500, gt=0, description="Largest page size a client may ask.")
    fetch_max_body_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest body one outbound fetch reads."
    )
    fetch_max_decompressed_bytes: int = Field(
        default=200 * 1024 * 1024,
        gt=0,
        description="Largest body one outbound fetch yields after Content-Encoding decoding.",
    )
    fetch_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="Deadline to open one outbound connection."
    )
    fetch_read_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest silence tolerated while reading a response."
    )
    fetch_total_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="Deadline of one whole fetch: redirects, retries, waits and body included.",
    )
    fetch_max_redirects: int = Field(
        default=5, ge=0, le=20, description="Most redirects one fetch follows (each re-checked)."
    )
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="host:port pairs exempt from the internal-address refusal, comma-separated "
        "(DATALAB_FETCH_ALLOW_HOSTS=127.0.0.1:8080,localhost:9000); for tests and local mirrors.",
    )
    fetch_user_agent: str = Field(
        default="datalab-catalogue/0.1 (+https://datalab.example.eu/; datalab@example.eu)",
        description="User-Agent of every outbound request; names the project and a contact.",
    )
    fetch_host_delay_s: float = Field(
        default=1.0, ge=0, description="Pause between two requests to the same remote host."
    )
    fetch_max_retries: int = Field(
        default=3,
        ge=0,
        le=5,
        description="Retries of one request on 429/502/503/504 and connection errors.",
    )
    fetch_backoff_s: float = Field(
        default=1.0, ge=0, description="First backoff before a retry; doubles, with jitter."
    )
    fetch_max_retry_after_s: float = Field(
        default=3600.0, ge=0, description="Longest Retry-After the fetcher honours."
    )
    fetch_circuit_threshold: int = Field(
        default=5, gt=0, description="Consecutive failed fetches that open a host's breaker."
    )
    fetch_circuit_reset_s: float = Field(
        default=300.0, ge=0, description="How long an open breaker refuses before one trial."
    )
    harvest_max_pages: int = Field(
        default=10_000, gt=0, description="Most pages one harvest run reads before giving up."
    )
    harvest_page_size: int = Field(
        default=100, gt=0, le=1000, description="Records asked per page from paged sources."
    )
    harvest_prefetch_pages: int = Field(
        default=1,
        ge=0,
        le=8,
        description="Pages a harvest fetches and maps ahead while storing the current one "
        "(0: no prefetch thread).",
    )
    stac_items_sampled: int = Field(
        default=100,
        ge=0,
        le=10_000,
        description="Most STAC items read per collection to summarise it (items are never "
        "harvested one record per scene).",
    )
    stac_max_link_bytes: int = Field(
        default=4096, gt=0, description="Longest STAC/DSP 'next' link followed (growing links)."
    )
    samples_dir: Path | None = Field(
        default=None,
        description="Folder of the Parquet sample store (and its metadata index when the "
        "samples live in S3); default: <home>/samples.",
    )
    samples_s3_endpoint: str | None = Field(
        default=None,
        description="host:port of an S3-compatible endpoint; when set, samples live in S3.",
    )
    samples_s3_bucket: str = Field(default="datalab-samples", description="S3 bucket of samples.")
    samples_s3_prefix: str = Field(default="samples", description="Key prefix in the bucket.")
    samples_s3_access_key: str | None = Field(default=None, description="S3 access key id.")
    samples_s3_secret_key: str | None = Field(default=None, description="S3 secret key.")
    samples_s3_region: str = Field(default="us-east-1", description="S3 region.")
    samples_s3_url_style: Literal["path", "vhost"] = Field(
        default="path", description="S3 URL style: path (SeaweedFS, MinIO) or vhost (AWS)."
    )
    samples_s3_use_ssl: bool = Field(default=True, description="Use HTTPS to reach S3.")
    duckdb_threads: int = Field(
        default=2, gt=0, le=64, description="Threads of one sample DuckDB connection."
    )
    duckdb_memory_limit: str = Field(
        default="1GB", description="memory_limit of one sample DuckDB connection."
    )
    duckdb_deadline_s: float = Field(
        default=5.0, gt=0, description="Deadline of one sample query; interrupted past it."
    )
    duckdb_upload_deadline_s: float = Field(
        default=300.0, gt=0, description="Deadline of checking a sample and its statistics."
    )
    sample_max_rows: int = Field(
        default=100, gt=0, le=100, description="Most rows one sample response carries."
    )
    sample_max_response_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Largest JSON size of the rows of one response."
    )
    sample_max_cell_chars: int = Field(
        default=10_000, gt=0, description="Text and binary cells are cut to this many characters."
    )
    sample_max_upload_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="Largest sample file accepted, in bytes."
    )
    sample_max_uncompressed_bytes: int = Field(
        default=8 * 1024**3,
        gt=0,
        description="Largest logical (uncompressed) size a sample may claim (Parquet bombs).",
    )
    sample_max_compression_ratio: int = Field(
        default=1000,
        gt=0,
        description="Largest ratio of decoded size (estimated from the Parquet footer) to "
        "stored size, of each row group and of the whole sample (Parquet bombs).",
    )
    sample_max_decoded_bytes: int = Field(
        default=8 * 1024**3,
        gt=0,
        description="Largest size a sample may decode to, estimated from its Parquet footer "
        "before any page is read: per column chunk, the larger of its declared uncompressed "
        "size and values x decoded width (RLE and dictionary bombs).",
    )
    sample_max_cells: int = Field(
        default=1_000_000_000,
        gt=0,
        description="Most values (rows x leaf columns, from the Parquet footer) of a sample.",
    )
    sample_ratio_exempt_bytes: int = Field(
        default=64 * 1024**2,
        ge=0,
        description="Row groups and samples decoding to at most this many bytes are not held "
        "to sample_max_compression_ratio (a small constant column is harmless).",
    )
    sample_staging_max_age_s: float = Field(
        default=6 * 3600.0,
        gt=0,
        description="Age past which a sample upload's staging entry is removed at start-up "
        "even if its process still runs (or runs on another host); entries of dead "
        "processes on this host are removed at once.",
    )
    sample_max_columns: int = Field(default=1000, gt=0, description="Most columns of a sample.")
    sample_max_row_groups: int = Field(
        default=10_000, gt=0, description="Most row groups of a sample (footer bombs)."
    )
    sample_max_footer_bytes: int = Field(
        default=16 * 1024 * 1024, gt=0, description="Largest Parquet footer accepted, in bytes."
    )
    sample_max_nesting: int = Field(
        default=32, gt=0, description="Deepest list/struct/map nesting of a sample column."
    )
    sample_fetch_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Most bytes fetched when sampling a distribution's download URL (CSV: "
        "the first rows that fit; Parquet: only a file that fits whole).",
    )
    sample_sort_copy_min_rows: int = Field(
        default=1_000_000,
        ge=0,
        description="Samples with at least this many rows get a sorted copy per sortable "
        "column at upload, so a filtered and sorted page reads only a few row groups.",
    )
    sample_sort_copy_max_columns: int = Field(
        default=8,
        ge=0,
        description="Most sorted copies of one sample (each costs about the sample's size); "
        "sorts on other columns scan the whole sample.",
    )
    sample_max_filters: int = Field(
        default=10, gt=0, description="Most filter parameters of one sample rows request."
    )
    sample_max_in_values: int = Field(
        default=100, gt=0, description="Most comma-separated values after a filter's 'in'."
    )
    sample_max_filter_value_chars: int = Field(
        default=1000, gt=0, description="Longest value of one sample filter, in characters."
    )
    sample_stats_bins: int = Field(
        default=10, gt=0, le=1000, description="Bins of each histogram of a sample's statistics."
    )
    sample_stats_top_values: int = Field(
        default=10,
        ge=0,
        le=1000,
        description="Most frequent values listed per text column in a sample's statistics.",
    )
    sample_stats_value_chars: int = Field(
        default=200,
        gt=0,
        description="Listed frequent values of a sample's statistics are cut to this many "
        "characters.",
    )
    synthetic_min_count: int = Field(
        default=10,
        ge=2,
        le=1_000_000,
        description="k of synthetic previews: a value occurring fewer than k times in the real "
        "sample never appears in a preview, and each numeric bin holds at least k rows. The "
        "default of every dataset, and the lowest a steward may choose.",
    )
    synthetic_rows: int = Field(
        default=100, gt=0, le=1000, description="Rows generated for one synthetic preview."
    )
    synthetic_bins: int = Field(
        default=10,
        ge=2,
        le=100,
        description="Quantile bins of a numeric or date column in a synthetic preview (10: "
        "deciles), merged until each holds at least k rows.",
    )
    sample_exact_stats_max_rows: int = Field(
        default=1_000_000,
        ge=0,
        description="Samples of at most this many rows get exact distinct counts (marked "
        "exact); larger ones an estimate (HyperLogLog, never above the non-null count).",
    )
    search_page_size: int = Field(default=20, gt=0, description="Search hits per page.")
    search_max_page_size: int = Field(
        default=100, gt=0, description="Most search hits one page may ask for."
    )
    search_max_offset: int = Field(
        default=10_000, gt=0, description="Deepest hit a search may page to (cursor offset)."
    )
    search_max_query_chars: int = Field(
        default=500, gt=0, description="Longest search query accepted, in characters."
    )
    search_max_terms: int = Field(
        default=24, gt=0, description="Most terms, phrases and prefixes in one search query."
    )
    search_min_prefix_chars: int = Field(
        default=2, gt=0, description="Shortest prefix a 'term*' search query may use."
    )
    search_max_facet_values: int = Field(
        default=50, gt=0, description="Most values one facet filter of a search may name."
    )
    search_facet_values_shown: int = Field(
        default=30, gt=0, description="Most values listed per facet in a search answer."
    )
    search_text_engine: Literal["fts5", "tantivy"] = Field(
        default="tantivy",
        description="Engine that matches and BM25-ranks search text: SQLite FTS5, or a Tantivy "
        "index mirrored from the index file's text (same tokens; the file then keeps its text "
        "in a plain table; an index of the other engine is rebuilt; see docs/search-engine.md).",
    )
    search_build_workers: int = Field(
        default=-1,
        ge=-1,
        le=32,
        description="Worker processes that fold, stem and split texts while the search index "
        "is built or a large source re-indexed (-1: one less than the CPU count; 0: none, all "
        "in the serving process). Used only once a build passes 2,000 datasets.",
    )
    # -- search index snapshots in the shared object storage (issue 17) --------------------
    search_snapshot_s3_endpoint: str | None = Field(
        default=None,
        description="host:port of the S3-compatible endpoint holding search index snapshots; "
        "unset: the samples' (DATALAB_SAMPLES_S3_ENDPOINT). With neither set there are no "
        "snapshots. Region, URL style and TLS are the samples_s3_* ones.",
    )
    search_snapshot_s3_bucket: str | None = Field(
        default=None, description="S3 bucket of search index snapshots; unset: the samples'."
    )
    search_snapshot_s3_prefix: str = Field(
        default="search-snapshots",
        description="Key prefix of search index snapshots in their bucket (snapshots, their "
        "manifests and the LATEST pointer live under it).",
    )
    search_snapshot_s3_access_key: str | None = Field(
        default=None, description="S3 access key id for snapshots; unset: the samples'."
    )
    search_snapshot_s3_secret_key: str | None = Field(
        default=None,
        repr=False,
        description="S3 secret key for snapshots; unset: the samples'. Never shown.",
    )
    search_snapshot_every_s: float = Field(
        default=3600.0,
        ge=0,
        description="How often workers publish a snapshot of the search index (a "
        "'search-snapshot' job; one queued or running at a time); 0: never. An unchanged "
        "index is not uploaded again, its LATEST pointer is only confirmed.",
    )
    search_snapshot_keep: int = Field(
        default=3,
        ge=1,
        le=1000,
        description="Snapshots kept in the object storage (the newest); older ones are "
        "deleted after each publish. Trimming the change feed must keep the rows after the "
        "oldest kept snapshot's position (datalab search-snapshot list shows it).",
    )
    search_snapshot_restore: bool = Field(
        default=True,
        description="Whether a replica whose search index is missing, whose feed position the "
        "change feed no longer covers, or which is more than search_snapshot_restore_lag rows "
        "behind, starts from the latest snapshot (then applies the feed from its position) "
        "instead of building the index from the graph.",
    )
    search_snapshot_restore_lag: int = Field(
        default=100_000,
        gt=0,
        description="Feed rows an existing search index may be behind before a newer "
        "snapshot replaces it at start (below that it catches up from the feed).",
    )
    search_snapshot_max_bytes: int = Field(
        default=16 * 1024**3,
        gt=0,
        description="Largest search index snapshot a replica downloads, and largest size it "
        "may unpack to, in bytes; a larger one is refused and the index is built instead.",
    )
    catalogue_title: str = Field(
        default="Data Lab Catalogue",
        description="Title of this instance's dcat:Catalog in the federation exports.",
    )
    catalogue_description: str = Field(
        default="Datasets of the common European data spaces and the AI Factories' data labs "
        "that may offer them.",
        description="Description of this instance's dcat:Catalog in the federation exports.",
    )
    catalogue_publisher: str = Field(
        default="Data Lab Catalogue operator",
        description="Name of the agent publishing this instance's catalogue (dct:publisher).",
    )
    sparql_endpoint_timeout_s: float = Field(
        default=10.0, gt=0, description="Deadline of one /sparql query; its worker is killed."
    )
    sparql_endpoint_max_rows: int = Field(
        default=10_000, gt=0, description="Most solutions (or triples) one /sparql answer holds."
    )
    sparql_endpoint_max_query_chars: int = Field(
        default=100_000, gt=0, description="Longest query text /sparql accepts, in characters."
    )
    sparql_endpoint_max_query_nodes: int = Field(
        default=1_000_000,
        gt=0,
        description="Most nodes of a /sparql query's parse tree walked while it is checked; "
        "a larger query is refused with 413.",
    )
    dsp_max_request_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="Largest Dataspace Protocol message accepted (catalogue request, contract "
        "negotiation and transfer process messages), in bytes.",
    )
    dsp_transfer_token_hours: float = Field(
        default=24.0,
        gt=0,
        description="Lifetime of the bearer token a Dataspace Protocol transfer's data address "
        "carries; it also ends when the transfer is completed, suspended or terminated, or its "
        "grant revoked.",
    )
    dsp_callback_attempts: int = Field(
        default=8,
        gt=0,
        le=100,
        description="Attempts to deliver one Dataspace Protocol message to a consumer's "
        "callback (backing off up to 5 minutes between them) before its negotiation or "
        "transfer is terminated.",
    )
    dsp_courier_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="How often a server retries Dataspace Protocol callbacks that are due and "
        "looks for access requests decided elsewhere (the CLI, another replica) whose "
        "negotiations must follow.",
    )
    publish_attempts: int = Field(
        default=5,
        gt=0,
        le=100,
        description="How often a writer that lost the race to publish a source's new version "
        "(another writer published meanwhile) tries again before failing with 409.",
    )
    keep_graph_ntriples: bool = Field(
        default=True,
        description="Keep each harvested source version's N-Triples, as loaded, compressed "
        "under <home>/ntriples (about 230 bytes per dataset of the generated mix): a full "
        "search build reads a version from them, unless it was changed in place since, "
        "instead of decoding it back from the store.",
    )
    unpublished_grace_s: float = Field(
        default=6 * 3600.0,
        gt=0,
        description="Age past which an unpublished version graph is dropped as abandoned; a "
        "younger one may belong to a writer still at work. Keep it above the longest load.",
    )
    sparql_endpoint_memory_bytes: int = Field(
        default=2 * 1024**3,
        gt=0,
        description="Address-space limit of the /sparql worker process, in bytes.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address the API listens on (0.0.0.0 or :: for every interface).",
    )
    port: int = Field(
        default=8000,
        ge=0,
        le=65535,
        description="Port the API listens on; 0: a free port the system picks when the "
        "server starts, which a derived public_url then carries.",
    )
    log_level: str = Field(default="info", description="Log level of the API server.")
    web_session_hours: float = Field(
        default=12, gt=0, description="Lifetime of a browser session of the web pages, in hours."
    )
    web_cookie_secure: bool = Field(
        default=True,
        description="Mark the web session and CSRF cookies Secure (only sent over HTTPS; "
        "browsers also send them to http://localhost).",
    )
    web_form_max_bytes: int = Field(
        default=5 * 1024**2,
        gt=0,
        description="Largest DCAT-AP document accepted through the steward's web form, in bytes.",
    )
    offers_index: Literal["background", "eager", "off"] = Field(
        default="background",
        description="Materialised offers in the API: built in a background thread at start-up "
        "(answers come from direct resolution until it is built), 'eager' (built before the "
        "API answers) or 'off' (always direct resolution).",
    )
    # -- request bounds, server timeouts, trusted hosts, sign-in throttling (issue 16) ------
    max_request_bytes: int = Field(
        default=1024**2,
        gt=0,
        description="Largest request body a route accepts, in bytes, unless the upload table "
        "of api/middleware/bounds.py gives it a larger cap (sample uploads: "
        "sample_max_upload_bytes; the steward's document forms: web_form_max_bytes). A larger "
        "Content-Length, or a streamed body that grows past it, is refused with 413.",
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="Largest request line plus headers, in bytes; larger ones get 431 (also "
        "uvicorn's h11_max_incomplete_event_size).",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Deadline for a client to send its complete request line and headers, "
        "counted from the connection (or from the first byte of a kept-alive request); past "
        "it the server answers 408 and closes the connection (slowloris).",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Deadline to receive a whole request body once the headers are in; a body "
        "that trickles past it gets 408.",
    )
    upload_timeout_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="Body deadline of the routes in the upload table (sample and document "
        "uploads), instead of body_timeout_seconds.",
    )
    server_keep_alive_seconds: int = Field(
        default=5,
        ge=1,
        description="How long the server keeps an idle kept-alive connection open between "
        "requests (uvicorn's timeout_keep_alive).",
    )
    server_max_connections: int = Field(
        default=2048,
        ge=16,
        description="Open connections plus running requests past which new requests get 503 "
        "(uvicorn's limit_concurrency); connections still sending their headers count too, "
        "so keep it well above the expected number of slow clients.",
    )
    server_backlog: int = Field(
        default=2048,
        ge=16,
        description="Connections the kernel queues before the server accepts them.",
    )
    trusted_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1", "testserver"],
        description="Host names the API answers to besides public_url's host, which is always "
        "trusted; comma-separated, '*.example.eu' matches subdomains, '*' any host. Other "
        "Host headers get 400. Links are always built from public_url, never from Host.",
    )
    auth_failure_limit: int = Field(
        default=10,
        gt=0,
        description="Distinct wrong bearer tokens or sign-ins one client address may send "
        "within auth_failure_window_seconds; past it every authentication attempt from that "
        "address (valid tokens included) gets 429 with Retry-After.",
    )
    auth_failure_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Sliding window over which failed authentication attempts are counted.",
    )
    # -- accounts: passwords and single sign-on (issue 15, catalog/passwords.py, catalog/oidc)
    password_min_chars: int = Field(
        default=12,
        ge=8,
        description="Shortest password a user may set, in characters (a password is also "
        "refused when it is the user name or the password it replaces).",
    )
    password_time_cost: int = Field(
        default=3,
        ge=1,
        description="argon2id passes over memory per password hash. Raising it (or the "
        "memory or lanes) rehashes each stored password at its owner's next sign-in.",
    )
    password_memory_kib: int = Field(
        default=64 * 1024,
        ge=8 * 1024,
        description="argon2id memory per password hash, in KiB (64 MiB by default).",
    )
    password_parallelism: int = Field(
        default=4, ge=1, le=64, description="argon2id lanes per password hash."
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the factory's OpenID Connect provider (its "
        "/.well-known/openid-configuration is read from it); unset: no single sign-on. The "
        "sign-in page then offers 'Sign in with <oidc_name>'. The provider must redirect to "
        "<public_url>/ui/login/oidc/callback.",
    )
    oidc_client_id: str | None = Field(
        default=None, description="This catalogue's client id at the OpenID Connect provider."
    )
    oidc_client_secret: str | None = Field(
        default=None,
        repr=False,
        description="The client secret at the provider (sent with HTTP Basic to its token "
        "endpoint); never shown.",
    )
    oidc_name: str = Field(
        default="your organisation's account",
        description="Who the provider is, for the sign-in button: 'Sign in with <oidc_name>'.",
    )
    oidc_scopes: str = Field(
        default="openid profile email",
        description="Scopes asked of the provider, space-separated ('openid' is always sent).",
    )
    oidc_default_role: Literal["developer", "steward", "staff", "admin"] = Field(
        default="developer",
        description="Role of a user created at their first single sign-on, unless "
        "oidc_role_claim names a claim carrying a known role.",
    )
    oidc_role_claim: str | None = Field(
        default=None,
        description="ID-token claim holding the user's role (developer, steward, staff or "
        "admin), read at the first sign-on only; unset or unknown value: oidc_default_role.",
    )
    oidc_organisation_claim: str | None = Field(
        default=None,
        description="ID-token claim holding the user's organisation (IRI or name), read at "
        "the first sign-on only.",
    )
    oidc_factory_claim: str | None = Field(
        default=None,
        description="ID-token claim holding the user's AI factory, read at the first sign-on only.",
    )
    oidc_allow_internal_issuer: bool = Field(
        default=False,
        description="Let the catalogue reach the issuer's own host:port even on a loopback "
        "or private address (a provider inside the factory's network, or a test's); every "
        "other address stays refused, as for every outbound fetch.",
    )
    oidc_login_minutes: float = Field(
        default=10,
        gt=0,
        description="How long a started single sign-on may take before its state expires.",
    )
    oidc_clock_skew_s: int = Field(
        default=60,
        ge=0,
        le=600,
        description="Clock difference tolerated when checking an ID token's iat and exp.",
    )
    max_name_chars: int = Field(
        default=200,
        gt=0,
        description="Longest name, label or id-like string stored from a request (lab names, "
        "sectors, duties, user names, factories), in characters; longer ones get 400.",
    )
    max_field_chars: int = Field(
        default=4000,
        gt=0,
        description="Longest free-text string stored from a request (access-request comments, "
        "lab fees, procedure steps, organisations), in characters; longer ones get 400.",
    )
    max_list_items: int = Field(
        default=100,
        gt=0,
        description="Most items of one list stored from a request (a lab's sectors, duties, "
        "procedure steps); longer lists get 400.",
    )
    # -- operational state: users, tokens, grants, audit, change feed, jobs (issue 17) ------
    database_url: str | None = Field(
        default=None,
        repr=False,
        description="PostgreSQL URL (postgresql://user:password@host:5432/name) of the "
        "operational state: users, tokens, grants, the audit log, the change feed and the job "
        "queue. Unset: the embedded SQLite file <home>/datalab.sqlite3, created and upgraded "
        "on open. A PostgreSQL database is upgraded only by 'datalab db upgrade'; the "
        "catalogue refuses to start on one behind the code. The password is never shown.",
    )
    database_statement_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Deadline of one statement on the PostgreSQL database (its "
        "statement_timeout); SQLite waits at most this long for a lock held by another writer.",
    )

    source_write_lock_wait_s: float = Field(
        default=300.0,
        gt=0,
        description="Longest a write of a source (load, delete, edit) waits for another "
        "writer of the same source, in any process sharing the database, before it is "
        "refused with 409 source_busy.",
    )

    # -- workers: harvest and validation as queued jobs (issue 17, catalog/jobs/) -------------
    workers: Literal["inline", "queue"] = Field(
        default="inline",
        description="Who runs harvests and their validation: 'inline', the API process "
        "itself on threads; 'queue', 'datalab worker' processes, to which the API only hands "
        "jobs through the database's queue (POST …/harvest answers 202 with the queued job). "
        "Queue mode needs a store the workers can open too (DATALAB_STORE_BACKEND=sparql).",
    )
    worker_lease_s: float = Field(
        default=300.0,
        ge=5,
        description="How long a worker holds a claimed job without a heartbeat; it renews "
        "the lease every third of this while the job runs. A job whose worker died is taken "
        "over by another worker once its lease has expired.",
    )
    worker_poll_s: float = Field(
        default=5.0,
        gt=0,
        description="How often an idle worker looks for due jobs and due schedules.",
    )
    worker_max_attempts: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Attempts of a queued job before it is marked failed with its last "
        "error; retries wait 30 s, 60 s, 120 s, … (at most an hour). A job whose worker "
        "died counts an attempt.",
    )

    # -- graph servers: Virtuoso and Oxigraph server, paged reads (issue 17) ----------------
    store_sparql_dialect: Literal["auto", "oxigraph", "virtuoso", "generic"] = Field(
        default="auto",
        description="Which SPARQL server the remote store talks to: 'auto' asks the query "
        "endpoint once (its Server header); 'virtuoso' sends queries and updates as form "
        "posts, Graph Store uploads as one sized request per chunk (Virtuoso 7 does not read "
        "chunked bodies), pages with its scrollable-cursor form and hides its system graphs; "
        "'oxigraph' and 'generic' use the plain SPARQL 1.1 Protocol.",
    )
    store_sparql_user: str | None = Field(
        default=None,
        description="User of the remote store's update and Graph Store endpoints (HTTP "
        "digest auth, as Virtuoso's /sparql-auth and /sparql-graph-crud-auth ask); unset: "
        "anonymous.",
    )
    store_sparql_password: str | None = Field(
        default=None,
        repr=False,
        description="Password of store_sparql_user; never shown.",
    )
    store_sparql_page_rows: int = Field(
        default=10_000,
        gt=0,
        description="Rows per page of a read from the remote store: every SELECT without its "
        "own LIMIT is read page by page (ORDER BY, LIMIT, OFFSET), never as one answer. Keep "
        "it at most Virtuoso's ResultSetMaxRows (10000 by default); a page the server cut "
        "anyway (X-SPARQL-MaxRows) is an error, never a silently short answer.",
    )
    offers_build_workers: int = Field(
        default=-1,
        ge=-1,
        le=32,
        description="Worker processes that resolve terms against every lab, beside the "
        "building process, in a first offers build of many distinct terms (-1: one less than "
        "the CPU count; 0: none). Used only once a build has 4,000 distinct terms to resolve.",
    )
    offers_freshness_s: float = Field(
        default=1.0,
        ge=0,
        description="How often, at most, a replica's in-process mirror of the stored offers "
        "checks whether another process changed them (one small query comparing the stored "
        "generation; with DATALAB_WORKERS=inline, also the follower's catch-up with publishes "
        "made behind this process's back). Answers in between come from memory; a publish in "
        "this process is applied at once. 0: check before every answer.",
    )

    #: Which of public_url and base_iri were derived (unset), for :meth:`with_port`.
    _derived: frozenset[str] = PrivateAttr(default=frozenset())

    @field_validator("trusted_hosts", mode="before")
    @classmethod
    def _split_trusted_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("fetch_allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("base_iri", "public_url")
    @classmethod
    def _no_placeholder(cls, value: str) -> str:
        if value.strip().lower() in PLACEHOLDERS:
            raise ValueError(f"placeholder value {value!r} must be replaced")
        return value

    @model_validator(mode="after")
    def _derive_urls(self) -> Settings:
        """Fill an unset (or empty) public_url from host and port, then an unset base_iri
        from the public URL; the names filled are kept for :meth:`with_port`."""
        derived = set()
        if not self.public_url.strip():
            self.__dict__["public_url"] = derived_public_url(self.host, self.port)
            derived.add("public_url")
        if not self.base_iri.strip():
            self.__dict__["base_iri"] = self.public_url.rstrip("/") + "/"
            derived.add("base_iri")
        self._derived = frozenset(derived)
        return self

    @model_validator(mode="after")
    def _remote_store_needs_endpoints(self) -> Settings:
        if self.store_backend == "sparql" and not self.sparql_query_url:
            raise ValueError("DATALAB_SPARQL_QUERY_URL is required when store_backend is sparql")
        return self

    @model_validator(mode="after")
    def _oidc_needs_a_client(self) -> Settings:
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError(
                "DATALAB_OIDC_CLIENT_ID and DATALAB_OIDC_CLIENT_SECRET are required when "
                "DATALAB_OIDC_ISSUER is set"
            )
        return self

    @property
    def store_path(self) -> Path:
        """Folder of the embedded Oxigraph store."""
        return self.home / "store"

    def with_port(self, port: int) -> Settings:
        """These settings on ``port`` (the port a server bound for port 0): a derived public
        URL and catalogue IRI follow it, set ones stay."""
        given = {name: getattr(self, name) for name in self.model_fields_set - self._derived}
        return get_settings(**{**given, "port": port})


#: Bind addresses meaning "every interface": no client can use them in a URL.
UNSPECIFIED_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (recognised, never bound)


@functools.cache
def machine_name() -> str:
    """The name peers may reach this machine by: its fully qualified name, else its host
    name, the first that resolves and is not a ``localhost`` alias; else ``127.0.0.1``.
    Asked once per process, so a slow resolver is waited for only once."""
    for name in (socket.getfqdn(), socket.gethostname()):
        if not name or name.lower().split(".")[0] == "localhost":
            continue
        try:
            socket.getaddrinfo(name, None)
        except OSError:
            continue
        return name.lower()
    return "127.0.0.1"


def derived_public_url(host: str, port: int) -> str:
    """``http://<host>:<port>`` for a server bound to ``host``; an unspecified address
    becomes :func:`machine_name`, an IPv6 address gets its brackets."""
    name = machine_name() if host.strip() in UNSPECIFIED_HOSTS else host.strip()
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}"


def default_of(name: str) -> Any:
    """The documented default of setting ``name`` (for code built without a Settings)."""
    return Settings.model_fields[name].default


def get_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
