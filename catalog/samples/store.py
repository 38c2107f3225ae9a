"""The sample store: accept a file, check it, compute its statistics, publish it; read rows.

This layer knows nothing about callers or terms: :mod:`catalog.samples.service` decides
who may see what before calling it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from catalog.errors import (
    DatalabError,
    InsufficientStorage,
    InvalidInput,
    InvalidSample,
    LimitExceeded,
    QueryTimeout,
    SampleNotFound,
    UnsupportedFormat,
)
from catalog.samples import sorted_copies, synthetic
from catalog.samples.backends import LocalBackend, S3Backend, SampleBackend
from catalog.samples.bounds import DecodedLimits
from catalog.samples.checks import (
    FileLimits,
    check_parquet,
    copy_regular_file,
    csv_to_parquet,
    looks_like_parquet,
)
from catalog.samples.engine import EngineLimits, S3Config, SampleEngine, wrap_read_error
from catalog.samples.filters import RowQuery, SampleQuery, bind
from catalog.samples.staging import Staging
from catalog.samples.stats import (
    Column,
    StatsShape,
    compute_statistics,
    jsonable,
    quote_ident,
    read_schema,
)
from catalog.samples.synthetic import SyntheticShape
from catalog.settings import Settings

log = logging.getLogger("datalab.samples")

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
PARQUET_TYPES = {PARQUET_MEDIA_TYPE, "application/x-parquet", "application/parquet"}
CSV_TYPES = {"text/csv", "application/csv"}
#: errno values of a full disk, an exhausted quota or a file past the size limit
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
FULL_TEXT = ("No space left on device", "Disk quota exceeded", "File too large")


@dataclass(frozen=True)
class Upload:
    """An uploaded file: bytes in memory, a local path, or chunks streamed in (read once),
    with its media type if known."""

    data: bytes | None = None
    path: Path | None = None
    chunks: Iterable[bytes] | None = None
    media_type: str | None = None
    filename: str | None = None

    def is_csv(self) -> bool:
        media = (self.media_type or "").split(";")[0].strip().lower()
        name = (self.filename or (self.path.name if self.path else "")).lower()
        return media in CSV_TYPES or (media not in PARQUET_TYPES and name.endswith(".csv"))

    def check_media_type(self) -> None:
        media = (self.media_type or "").split(";")[0].strip().lower()
        known = PARQUET_TYPES | CSV_TYPES | {"", "application/octet-stream"}
        if media not in known:
            raise UnsupportedFormat(
                f"a sample is Parquet ({PARQUET_MEDIA_TYPE}) or CSV (text/csv), not {media!r}"
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def samples_root(settings: Settings) -> Path:
    return settings.samples_dir or settings.home / "samples"


def storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` (OSError, or a DuckDB or Arrow I/O error) says the disk is full."""
    if isinstance(exc, OSError) and exc.errno in FULL:
        return True
    text = str(exc)
    return any(marker in text for marker in FULL_TEXT)


def _write_chunks(chunks: Iterable[bytes], target: Path, max_bytes: int) -> None:
    written = 0
    with open(target, "wb") as fh:
        for chunk in chunks:
            written += len(chunk)
            if written > max_bytes:
                raise LimitExceeded(f"the sample exceeds the limit of {max_bytes} bytes")
            fh.write(chunk)


def engine_for(settings: Settings) -> SampleEngine:
    limits = EngineLimits(
        settings.duckdb_threads, settings.duckdb_memory_limit, settings.duckdb_deadline_s
    )
    s3 = None
    if settings.samples_s3_endpoint:
        s3 = S3Config(
            endpoint=settings.samples_s3_endpoint,
            access_key=settings.samples_s3_access_key or "",
            secret_key=settings.samples_s3_secret_key or "",
            region=settings.samples_s3_region,
            url_style=settings.samples_s3_url_style,
            use_ssl=settings.samples_s3_use_ssl,
        )
    return SampleEngine(limits, s3)


def backend_for(settings: Settings) -> SampleBackend:
    if not settings.samples_s3_endpoint:
        return LocalBackend(samples_root(settings))
    return S3Backend(
        endpoint=settings.samples_s3_endpoint,
        bucket=settings.samples_s3_bucket,
        prefix=settings.samples_s3_prefix,
        access_key=settings.samples_s3_access_key,
        secret_key=settings.samples_s3_secret_key,
        region=settings.samples_s3_region,
        use_ssl=settings.samples_s3_use_ssl,
    )


class SampleStore:
    """Parquet samples of datasets, their schema and statistics."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = engine_for(settings)
        self.backend = backend_for(settings)
        self.stage = Staging(samples_root(settings) / ".staging", settings.sample_staging_max_age_s)
        self.stage.sweep()  # what killed uploads left behind
        self.staging = self.stage.root
        s = settings
        decoded = DecodedLimits(
            s.sample_max_decoded_bytes,
            s.sample_max_cells,
            s.sample_max_compression_ratio,
            s.sample_ratio_exempt_bytes,
        )
        self.limits = FileLimits(
            s.sample_max_upload_bytes,
            s.sample_max_uncompressed_bytes,
            s.sample_max_columns,
            s.sample_max_row_groups,
            s.sample_max_footer_bytes,
            s.sample_max_nesting,
            decoded,
        )
        self._cache: dict[tuple[str, str, str], dict[str, Any]] = {}

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        dataset_id: str,
        upload: Upload,
        *,
        uploaded_by: str | None,
        origin: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Check, convert, profile and publish a sample; the previous one stays on failure.

        ``origin`` (kept in the metadata) says where a fetched sample came from. A full disk
        raises :class:`InsufficientStorage`; nothing of the new sample is kept."""
        upload.check_media_type()
        staged: Path | None = None
        try:
            staged = self.stage.folder("up")
            raw = staged / "upload.bin"
            if upload.path is not None:
                copy_regular_file(upload.path, raw, self.limits.max_bytes)
            elif upload.chunks is not None:
                _write_chunks(upload.chunks, raw, self.limits.max_bytes)
            else:
                data = upload.data or b""
                if len(data) > self.limits.max_bytes:
                    raise InvalidSample(f"the sample exceeds {self.limits.max_bytes} bytes")
                raw.write_bytes(data)
            target = staged / "sample.parquet"
            if upload.is_csv() and not looks_like_parquet(raw):
                csv_to_parquet(raw, target)
                raw.unlink()
            else:
                raw.rename(target)
            meta = self._profile(dataset_id, staged, target, uploaded_by, origin)
            self.backend.publish(dataset_id, meta["version"], staged)
            log.info("sample of %s published (version %s)", dataset_id, meta["version"])
            return meta
        except (OSError, duckdb.Error, pa.ArrowException) as exc:
            if storage_full(exc):
                raise self.full_error(dataset_id, exc) from None
            raise
        finally:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)

    def full_error(self, dataset_id: str, exc: BaseException) -> InsufficientStorage:
        """The error of an upload that ran out of disk: what failed and what is still served."""
        code = errno.errorcode.get(getattr(exc, "errno", None) or 0)
        reason = next((m for m in FULL_TEXT if m in str(exc)), str(exc)[:200])
        try:
            previous = self.backend.current(dataset_id)
        except (OSError, DatalabError):  # the store is failing already: report what we can
            previous = None
        kept = (
            f"the previous sample (version {previous}) is still served"
            if previous
            else "the dataset still has no sample"
        )
        log.warning("sample upload of %s ran out of storage: %s", dataset_id, exc)
        return InsufficientStorage(
            f"the sample store ran out of space ({reason}) while storing the new sample of "
            f"{dataset_id!r}; nothing of it was kept and {kept}",
            where="sample",
            details={"errno": code, "served_version": previous},
        )

    def _profile(
        self,
        dataset_id: str,
        staged: Path,
        target: Path,
        uploaded_by: str | None,
        origin: dict[str, Any] | None,
    ) -> dict[str, Any]:
        footer = check_parquet(target, self.limits)
        arrow = footer.schema.to_arrow_schema()
        deadline = self.settings.duckdb_upload_deadline_s
        path = str(target)
        try:
            spill = staged / ".spill"
            with self.engine.connect_once(str(staged) + "/", str(spill)) as con:
                columns = read_schema(self.engine, con, path, arrow)
                self.engine.query(
                    con, "SELECT * FROM read_parquet(?) LIMIT 1", [path], deadline_s=deadline
                )
                shape = StatsShape.from_settings(self.settings)
                stats = compute_statistics(self.engine, con, path, columns, deadline, shape)
                copies = sorted_copies.build(
                    self.engine, con, str(staged), path, columns, stats["rows"],
                    self.settings, deadline,
                )  # fmt: skip
            shutil.rmtree(spill, ignore_errors=True)
        except duckdb.Error as exc:
            if storage_full(exc):
                raise
            raise wrap_read_error(exc) from None
        version = f"{int(time.time() * 1000):013d}-{uuid.uuid4().hex[:8]}"
        meta = {
            "dataset_id": dataset_id,
            "version": version,
            "media_type": PARQUET_MEDIA_TYPE,
            "byte_size": target.stat().st_size,
            "rows": stats["rows"],
            "row_groups": footer.num_row_groups,
            "columns": [c.to_dict() for c in columns],
            "uploaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "uploaded_by": uploaded_by,
            "sha256": _sha256(target),
            "sorted_copies": copies,
            **({"origin": origin} if origin else {}),
        }
        (staged / "meta.json").write_text(json.dumps(meta), "utf-8")
        (staged / "statistics.json").write_text(json.dumps(stats), "utf-8")
        return meta

    def sweep(self) -> int:
        """Remove the version folders killed or failed uploads left in the backend, and
        replaced versions, once older than ``sample_staging_max_age_s`` (see
        :mod:`catalog.samples.backends`); how many. The local staging folder is swept
        when the store is built."""
        return self.backend.sweep(self.settings.sample_staging_max_age_s)

    def delete(self, dataset_id: str) -> None:
        """Remove the dataset's sample (readers see it until ``CURRENT`` is gone, then 404)."""
        self._version(dataset_id)
        self.backend.delete(dataset_id)
        log.info("sample of %s deleted", dataset_id)

    # -- reading ---------------------------------------------------------------------------

    def _version(self, dataset_id: str) -> str:
        version = self.backend.current(dataset_id)
        if version is None:
            raise SampleNotFound(f"dataset {dataset_id!r} has no sample", where="sample")
        return version

    def _json(self, dataset_id: str, version: str, name: str) -> dict[str, Any]:
        key = (dataset_id, version, name)
        if key not in self._cache:  # versions are immutable, so this never goes stale
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = json.loads(self.backend.read(dataset_id, version, name))
        return self._cache[key]

    def meta(self, dataset_id: str) -> dict[str, Any]:
        return self._json(dataset_id, self._version(dataset_id), "meta.json")

    def has_sample(self, dataset_id: str) -> bool:
        return self.backend.current(dataset_id) is not None

    def statistics(self, dataset_id: str) -> dict[str, Any]:
        return self._json(dataset_id, self._version(dataset_id), "statistics.json")

    def synthetic(self, dataset_id: str, shape: SyntheticShape) -> dict[str, Any]:
        """The synthetic preview of the current sample (:mod:`catalog.samples.synthetic`):
        generated once per version and shape, then kept beside the sample's statistics.

        This layer does not ask whether a preview may be shown: see
        :mod:`catalog.samples.synthetic_service`."""
        version = self._version(dataset_id)
        name = shape.cache_name()
        key = (dataset_id, version, name)
        if key in self._cache:
            return self._cache[key]
        cached = self.backend.read_optional(dataset_id, version, name)
        if cached is not None:
            preview: dict[str, Any] = json.loads(cached)
        else:
            preview = self._generate(dataset_id, version, shape)
            try:
                self.backend.add_file(dataset_id, version, name, json.dumps(preview).encode())
            except (OSError, DatalabError) as exc:  # a replaced version, a full disk
                log.warning("synthetic preview of %s not cached: %s", dataset_id, exc)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = preview
        return preview

    def _generate(self, dataset_id: str, version: str, shape: SyntheticShape) -> dict[str, Any]:
        meta = self._json(dataset_id, version, "meta.json")
        columns = [Column(**c) for c in meta["columns"]]
        path, allowed = self.backend.duckdb_path(dataset_id, version)
        seed = synthetic.seed_of(dataset_id, version, shape)
        try:
            with self.engine.connect(allowed) as con:
                reader = con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [path]).arrow()
                preview = synthetic.generate(
                    self.engine, con, path, columns, reader.schema, shape, seed,
                    self.settings.duckdb_deadline_s,
                )  # fmt: skip
        except duckdb.Error as exc:
            raise wrap_read_error(exc) from None
        preview["version"] = version
        return preview

    def parquet_bytes(self, dataset_id: str) -> bytes:
        return self.backend.read(dataset_id, self._version(dataset_id), "sample.parquet")

    def rows(
        self,
        dataset_id: str,
        *,
        offset: int = 0,
        limit: int | None = None,
        filters: list[str] | None = None,
        sort: str | None = None,
        search: str | None = None,
    ) -> dict[str, Any]:
        """:meth:`page` of the request parameters as written (scripts, tests, benchmarks)."""
        query = SampleQuery.parse(filters, sort, offset=offset, limit=limit, search=search)
        return self.page(dataset_id, query)

    def page(self, dataset_id: str, query: SampleQuery) -> dict[str, Any]:
        """One page of rows, at most the row cap and the byte cap; ``truncated`` if cut."""
        cap = self.settings.sample_max_rows
        offset = query.offset
        limit = cap if query.limit is None else query.limit
        if limit < 0 or limit > cap:
            raise InvalidInput(f"limit must be between 0 and {cap}", where="limit")
        if offset < 0:
            raise InvalidInput("offset must not be negative", where="offset")
        version = self._version(dataset_id)
        meta = self._json(dataset_id, version, "meta.json")
        columns = [Column(**c) for c in meta["columns"]]
        s = self.settings
        bound = bind(
            query,
            columns,
            max_filters=s.sample_max_filters,
            max_value_chars=s.sample_max_filter_value_chars,
            max_in_values=s.sample_max_in_values,
        )
        path, allowed = self.backend.duckdb_path(dataset_id, version)
        n = self.settings.sample_max_cell_chars
        projection = ", ".join(
            f"left({quote_ident(c.name)}, {n + 1}) AS {quote_ident(c.name)}"
            if c.kind == "string"
            else quote_ident(c.name)
            for c in columns
        )
        sql = (
            f"SELECT {projection} FROM read_parquet(?) {bound.where} {bound.order_by} "  # noqa: S608
            "LIMIT ? OFFSET ?"
        )
        copies = meta.get("sorted_copies", {})
        entry = copies.get(bound.sort_column.name) if bound.sort_column else None
        try:
            with self.engine.connect(allowed) as con:
                if entry is not None:
                    rows = sorted_copies.sorted_page(
                        self.engine, con, allowed + entry["file"], projection, bound, entry,
                        limit, offset,
                    )  # fmt: skip
                else:
                    _, rows = self.engine.query(con, sql, [path, *bound.params, limit + 1, offset])
                matched = self._matched(con, path, bound, meta["rows"], query.narrowed)
        except duckdb.Error as exc:
            raise wrap_read_error(exc) from None
        more = len(rows) > limit
        page = self._page(columns, rows[:limit], offset, limit, more)
        return {**page, "matched": matched, "total": meta["rows"]}

    def _matched(
        self, con: duckdb.DuckDBPyConnection, path: str, bound: RowQuery, rows: int, narrowed: bool
    ) -> int | None:
        """How many rows the filters and search let through: exact, counted by DuckDB over
        the whole sample (the stored row count when nothing narrows); None if counting ran
        past the deadline (the page itself was read)."""
        if not narrowed:
            return rows
        sql = f"SELECT count(*) FROM read_parquet(?) {bound.where}"  # noqa: S608
        try:
            _, result = self.engine.query(con, sql, [path, *bound.params])
        except QueryTimeout:
            log.warning("counting the matching rows of %s ran past the deadline", path)
            return None
        return int(result[0][0])

    def _page(
        self,
        columns: list[Column],
        rows: list[tuple[Any, ...]],
        offset: int,
        limit: int,
        more: bool,
    ) -> dict[str, Any]:
        budget = self.settings.sample_max_response_bytes
        cells = self.settings.sample_max_cell_chars
        names = [c.name for c in columns]
        out: list[dict[str, Any]] = []
        used = 0
        truncated = False
        for row in rows:
            values = [jsonable(v) for v in row]
            for i, v in enumerate(values):
                if isinstance(v, str) and len(v) > cells:
                    values[i] = v[:cells]
                    truncated = True
            record = dict(zip(names, values, strict=True))
            size = len(json.dumps(record, ensure_ascii=False, default=str).encode("utf-8"))
            if used + size > budget:
                truncated = True
                more = True
                break
            used += size
            out.append(record)
        return {
            "columns": names,
            "rows": out,
            "offset": offset,
            "limit": limit,
            "truncated": truncated,
            "next_offset": offset + len(out) if more else None,
        }
