"""What a Parquet file decodes to, bounded from its footer before any page is read.

A Parquet file's declared sizes (``total_uncompressed_size``) count *encoded* pages: a
run-length or dictionary-encoded column of 50 million identical values is a few kilobytes
"uncompressed" and hundreds of megabytes once decoded. So each column chunk is estimated
at the larger of its declared uncompressed size and ``values × width``, where the width is
what one value takes once decoded (8 bytes for INT64, DuckDB's 16-byte string slot for a
string). When a string chunk's statistics say every value is the same (``min == max``),
that value's length is used instead. The whole sample, and each row group, is refused when
the estimate passes ``sample_max_decoded_bytes`` or ``sample_max_compression_ratio`` times
the bytes actually stored; ``rows × columns`` is capped by ``sample_max_cells``.

The estimate trusts the footer: a file can lie about its sizes. What a lying file decodes
to is still bounded by DuckDB's ``memory_limit`` and the upload deadline.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from catalog.errors import InvalidSample, LimitExceeded

#: Bytes of one decoded value of each fixed-width physical type (BOOLEAN: one byte).
FIXED_WIDTH = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8}
#: Bytes of one decoded string or binary value in DuckDB (its ``string_t``), at least.
STRING_SLOT = 16


@dataclass(frozen=True)
class DecodedLimits:
    """Bounds on what a sample decodes to."""

    max_decoded_bytes: int
    max_cells: int
    max_ratio: int
    ratio_exempt_bytes: int


@dataclass(frozen=True)
class Estimate:
    """The decoded size of a set of column chunks, and the column weighing most."""

    decoded: int
    stored: int
    column: str
    column_decoded: int


def _widths(meta: pq.FileMetaData) -> list[int | None]:
    """Decoded bytes per value of each leaf column; ``None`` for strings and binaries."""
    out: list[int | None] = []
    for j in range(meta.num_columns):
        column = meta.schema.column(j)
        physical = column.physical_type
        if physical == "FIXED_LEN_BYTE_ARRAY":
            out.append(max(int(column.length or 0), 1))
        else:
            out.append(FIXED_WIDTH.get(physical))
    return out


def _chunk_decoded(chunk: pq.ColumnChunkMetaData, width: int | None, rows: int) -> int:
    values = max(chunk.num_values, rows)
    if width is not None:
        return int(max(chunk.total_uncompressed_size, values * width))
    return int(max(chunk.total_uncompressed_size, values * STRING_SLOT + _constant_bytes(chunk)))


def _constant_bytes(chunk: pq.ColumnChunkMetaData) -> int:
    """Bytes of a string chunk whose statistics say every value is one value (0 otherwise)."""
    try:
        if not chunk.is_stats_set:
            return 0
        stats = chunk.statistics
        if not stats.has_min_max or stats.min_raw != stats.max_raw:
            return 0
        value = stats.max_raw
        size = len(value) if isinstance(value, bytes) else len(str(value).encode("utf-8"))
        nulls = stats.null_count if stats.has_null_count else 0
    except (ValueError, TypeError, pa.ArrowException):
        return 0  # unreadable statistics: the slot estimate stands
    return int(max(chunk.num_values - nulls, 0) * size)


def _group_estimate(
    meta: pq.FileMetaData, index: int, widths: list[int | None], totals: list[int]
) -> Estimate:
    group = meta.row_group(index)
    if group.num_columns != meta.num_columns:
        raise InvalidSample(
            f"corrupt Parquet footer: row group {index} has {group.num_columns} columns, "
            f"the schema {meta.num_columns}"
        )
    decoded = stored = 0
    heaviest, heaviest_bytes = 0, -1
    for j in range(group.num_columns):
        chunk = group.column(j)
        size = _chunk_decoded(chunk, widths[j], group.num_rows)
        totals[j] += size
        decoded += size
        stored += chunk.total_compressed_size
        if size > heaviest_bytes:
            heaviest, heaviest_bytes = j, size
    name = meta.schema.column(heaviest).path if group.num_columns else "?"
    return Estimate(decoded, stored, name, max(heaviest_bytes, 0))


def _refuse(what: str, estimate: Estimate, reason: str, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"{what} decodes to about {estimate.decoded:,} bytes from {estimate.stored:,} stored "
        f"({reason}); column {estimate.column[:80]!r} alone decodes to about "
        f"{estimate.column_decoded:,} bytes (Parquet bomb?)",
        where="sample",
        details={
            "decoded_bytes": estimate.decoded,
            "stored_bytes": estimate.stored,
            "column": estimate.column,
            "column_decoded_bytes": estimate.column_decoded,
            "limit": limit,
        },
    )


def check_decoded(meta: pq.FileMetaData, file_size: int, limits: DecodedLimits) -> Estimate:
    """Refuse a sample whose footer says it decodes to too much; the whole-file estimate."""
    cells = meta.num_rows * meta.num_columns
    if cells > limits.max_cells:
        raise LimitExceeded(
            f"the sample has {meta.num_rows:,} rows of {meta.num_columns:,} columns, "
            f"{cells:,} values; the limit is {limits.max_cells:,}",
            where="sample",
            details={"rows": meta.num_rows, "columns": meta.num_columns, "limit": limits.max_cells},
        )
    widths = _widths(meta)
    totals = [0] * meta.num_columns
    decoded = 0
    for i in range(meta.num_row_groups):
        group = _group_estimate(meta, i, widths, totals)
        decoded += group.decoded
        ratio_limit = limits.max_ratio * max(group.stored, 1)
        if group.decoded > limits.ratio_exempt_bytes and group.decoded > ratio_limit:
            raise _refuse(f"row group {i}", group, f"more than {limits.max_ratio}x", ratio_limit)
    heaviest = max(range(meta.num_columns), key=totals.__getitem__, default=0)
    whole = Estimate(
        decoded, file_size, meta.schema.column(heaviest).path if totals else "?",
        totals[heaviest] if totals else 0,
    )  # fmt: skip
    if decoded > limits.max_decoded_bytes:
        raise _refuse(
            "the sample", whole, f"the limit is {limits.max_decoded_bytes:,}",
            limits.max_decoded_bytes,
        )  # fmt: skip
    ratio_limit = limits.max_ratio * max(file_size, 1)
    if decoded > limits.ratio_exempt_bytes and decoded > ratio_limit:
        raise _refuse("the sample", whole, f"more than {limits.max_ratio}x", ratio_limit)
    return whole
