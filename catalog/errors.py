"""One error hierarchy for the whole catalogue.

Every error the catalogue raises on purpose derives from :class:`DatalabError`. Each class
carries the HTTP status and a stable ``code`` that the API's single handler turns into the
one error body (``{"error": {"code", "message", "where", "details"}}``). Third-party errors
are wrapped at the boundary where they occur.
"""

from __future__ import annotations

from typing import Any, ClassVar


def error_body(
    code: str, message: str, where: str | None = None, details: Any | None = None
) -> dict[str, Any]:
    """The one error body, on every endpoint, on the pages' JSON twin and in the CLI's --json:
    ``{"error": {"code", "message", "where", "details"}}``."""
    return {"error": {"code": code, "message": message, "where": where, "details": details}}


class DatalabError(Exception):
    """Base of every error the catalogue raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(
        self, message: str, *, where: str | None = None, details: Any | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} (at {self.where})" if self.where else self.message

    def to_body(self) -> dict[str, Any]:
        """This error as :func:`error_body`."""
        return error_body(self.code, self.message, self.where, self.details)


class ConfigurationError(DatalabError):
    """Settings are missing, contradictory or placeholders."""

    code = "configuration_error"


class InvalidInput(DatalabError):
    """A request or argument is malformed."""

    status = 400
    code = "invalid_input"


class ParseError(InvalidInput):
    """An RDF (or JSON, XML) document is broken; ``where`` names the line or node."""

    status = 422
    code = "parse_error"


class UnsafeDocument(InvalidInput):
    """A document tries something the catalogue never does: entities, remote contexts."""

    status = 422
    code = "unsafe_document"


class InvalidField(InvalidInput):
    """A well-formed request whose field names something that cannot be (an unknown
    dataset, country or purpose): 422, with ``where`` naming the field."""

    status = 422
    code = "invalid_input"


class LimitExceeded(InvalidInput):
    """A document or request exceeds one of the configured limits."""

    status = 413
    code = "limit_exceeded"


class UnsupportedFormat(InvalidInput):
    """The media type or syntax is not one the catalogue reads or writes."""

    status = 415
    code = "unsupported_format"


class NotAcceptable(DatalabError):
    """No representation matches the client's Accept header."""

    status = 406
    code = "not_acceptable"


class ValidationFailed(DatalabError):
    """SHACL validation found violations and the caller asked for strictness."""

    status = 422
    code = "validation_failed"


class ShapesError(DatalabError):
    """The SHACL shapes are broken or the validator could not apply them."""

    code = "shapes_error"


class NotFound(DatalabError):
    """The requested resource does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class DatasetNotFound(NotFound):
    code = "dataset_not_found"


class SourceNotFound(NotFound):
    code = "source_not_found"


class Conflict(DatalabError):
    """The request conflicts with the current state (duplicate, lock held)."""

    status = 409
    code = "conflict"


class DuplicateRecord(Conflict):
    """Several stored records carry one dataset id (case variants of an IRI stored before
    ownership was enforced): no reader picks one."""

    code = "duplicate_record"


class StoreError(DatalabError):
    """The graph store failed or is unreachable."""

    status = 503
    code = "store_error"


class QueryTimeout(DatalabError):
    """A query ran past its deadline and was stopped."""

    status = 504
    code = "query_timeout"


class FetchError(DatalabError):
    """An outbound fetch failed (network, status, size, deadline)."""

    status = 502
    code = "fetch_error"


class FetchRefused(FetchError):
    """An outbound fetch was refused before it was made (internal address, bad scheme)."""

    status = 400
    code = "fetch_refused"


class FetchTimeout(FetchError):
    """An outbound fetch ran past its connect, read or total deadline."""

    status = 504
    code = "fetch_timeout"


class FetchTooLarge(FetchError):
    """A remote body exceeded the size cap or the decompressed-size cap."""

    code = "fetch_too_large"


class FetchStatusError(FetchError):
    """The remote server answered with an error status (after any retries)."""

    code = "fetch_status"


class FetchRedirectError(FetchError):
    """Too many redirects, a redirect loop, or a redirect without a usable Location."""

    code = "fetch_redirect"


class FetchRetryLater(FetchError):
    """The remote host asked to wait (Retry-After) longer than the fetch may wait."""

    status = 503
    code = "fetch_retry_later"


class FetchCircuitOpen(FetchError):
    """The remote host failed too often in a row; requests to it pause for a while."""

    status = 503
    code = "fetch_circuit_open"


class ConnectorNotFound(NotFound):
    code = "connector_not_found"


class HarvestError(DatalabError):
    """A harvest listing broke: paging loops, leaves the host, never ends, or lies."""

    status = 502
    code = "harvest_error"


class MappingError(DatalabError):
    """A source record could not be mapped to DCAT-AP."""

    status = 422
    code = "mapping_error"


class Unauthorized(DatalabError):
    status = 401
    code = "unauthorized"


class Forbidden(DatalabError):
    status = 403
    code = "forbidden"


class InvalidSample(InvalidInput):
    """An uploaded sample is not a readable, safe Parquet or CSV file."""

    status = 422
    code = "invalid_sample"


class SampleNotFound(NotFound):
    code = "sample_not_found"


class SearchIndexError(DatalabError):
    """The search index is missing or corrupt; it is rebuilt from the graph, never trusted."""

    status = 503
    code = "search_index_unavailable"


class SnapshotRefused(SearchIndexError):
    """A search index snapshot that may not be used: another format, a wrong checksum, too
    large, or an archive breaking the unpacking rules. The index is built instead."""

    code = "search_snapshot_refused"


class ObjectStorageError(StoreError):
    """The shared object storage (S3) could not be reached or answered with an error."""

    code = "object_storage_error"


class PayloadTooLarge(LimitExceeded):
    """A request body (declared or streamed) exceeds its route's byte cap."""

    code = "payload_too_large"


class HeadersTooLarge(InvalidInput):
    """The request line and headers together exceed the header cap."""

    status = 431
    code = "headers_too_large"


class RequestTimeout(InvalidInput):
    """The client sent its request body too slowly: it did not arrive before the deadline."""

    status = 408
    code = "request_timeout"


class UntrustedHost(InvalidInput):
    """The ``Host`` header names a host this catalogue does not serve."""

    code = "untrusted_host"


class TooManyAttempts(DatalabError):
    """Too many failed sign-ins or bearer tokens from one address; ``retry_after`` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: float, where: str | None = None) -> None:
        super().__init__(message, where=where, details={"retry_after": round(retry_after)})
        self.retry_after = retry_after


class InsufficientStorage(DatalabError):
    """The disk (or quota) filled up while storing something; nothing partial was kept."""

    status = 507
    code = "insufficient_storage"


class DatabaseUnavailable(DatalabError):
    """The operational database (SQLite or PostgreSQL) failed or cannot be reached."""

    status = 503
    code = "database_unavailable"


class InvalidTransition(InvalidInput):
    """A Dataspace Protocol message that its process's state does not allow (the HTTPS
    bindings answer it 400)."""

    code = "invalid_state_transition"


class DerivedDataForbidden(Conflict):
    """The dataset's terms forbid derived data (a no-derivatives licence, an ODRL
    prohibition of derivation, EHDS health data under a permit), so no synthetic preview."""

    code = "derived_data_forbidden"
