"""Checks an uploaded file must pass before it becomes a sample.

Cheap structural checks come first (regular file, magic bytes, footer length, column and
row-group counts, claimed logical size, nesting, and the decoded size estimated from the
footer: :mod:`catalog.samples.bounds`), so a footer bomb or a Parquet bomb is refused
before any page is decoded. CSV is converted to Parquet with pyarrow.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from catalog.errors import InvalidSample, LimitExceeded
from catalog.samples.bounds import DecodedLimits, check_decoded

MAGIC = b"PAR1"
#: pyarrow's default null markers, plus "?" (common in UCI-style CSV such as Titanic).
CSV_NULLS = ["", "#N/A", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null", "?"]


@dataclass(frozen=True)
class FileLimits:
    """Structural limits of an accepted sample."""

    max_bytes: int
    max_uncompressed_bytes: int
    max_columns: int
    max_row_groups: int
    max_footer_bytes: int
    max_nesting: int
    decoded: DecodedLimits


def copy_regular_file(source: Path, target: Path, max_bytes: int) -> int:
    """Copy ``source`` to ``target`` if it is a regular file (no symlink, FIFO, device)."""
    try:
        info = os.lstat(source)
    except OSError as exc:
        raise InvalidSample(f"cannot read {source.name!r}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise InvalidSample(f"{source.name!r} is {kind}; only regular files are accepted")
    if info.st_size > max_bytes:
        raise LimitExceeded(f"the sample is {info.st_size} bytes; the limit is {max_bytes}")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(source, flags)
    written = 0
    with os.fdopen(fd, "rb") as src, open(target, "wb") as dst:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise InvalidSample(f"{source.name!r} is not a regular file")
        while chunk := src.read(1024 * 1024):
            written += len(chunk)
            if written > max_bytes:
                raise LimitExceeded(f"the sample exceeds the limit of {max_bytes} bytes")
            dst.write(chunk)
    return written


def looks_like_parquet(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == MAGIC


def csv_to_parquet(source: Path, target: Path) -> None:
    """Convert a CSV file to Parquet (types inferred by pyarrow)."""
    try:
        options = pacsv.ConvertOptions(null_values=CSV_NULLS, strings_can_be_null=True)
        table = pacsv.read_csv(source, convert_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise InvalidSample(f"the CSV file cannot be read: {str(exc)[:300]}") from None
    if table.num_columns == 0:
        raise InvalidSample("the CSV file has no columns")
    pq.write_table(table, target, compression="zstd")


def _depth(dtype: pa.DataType) -> int:
    """Nesting depth of a type, without recursion (a 1,000-deep type must not crash)."""
    deepest = 0
    stack = [(dtype, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((current.field(i).type, level + 1) for i in range(current.num_fields))
    return deepest


def check_parquet(path: Path, limits: FileLimits) -> pq.FileMetaData:
    """Structural checks of a Parquet file; its footer metadata when they pass."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise LimitExceeded(f"the sample is {size} bytes; the limit is {limits.max_bytes}")
    if size < 12:
        raise InvalidSample("not a Parquet file: too short")
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(size - 8)
        tail = fh.read(8)
    if head != MAGIC or tail[4:] != MAGIC:
        raise InvalidSample("not a Parquet file: the PAR1 magic bytes are missing")
    footer = int.from_bytes(tail[:4], "little")
    if footer <= 0 or footer > size - 12:
        raise InvalidSample(f"corrupt Parquet footer: length {footer} in a {size}-byte file")
    if footer > limits.max_footer_bytes:
        raise LimitExceeded(
            f"the Parquet footer is {footer} bytes; the limit is {limits.max_footer_bytes}"
        )
    try:
        meta = pq.read_metadata(path)
        schema = meta.schema.to_arrow_schema()
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise InvalidSample(f"corrupt Parquet metadata: {str(exc)[:300]}") from None
    if meta.num_columns > limits.max_columns or len(schema) > limits.max_columns:
        raise LimitExceeded(
            f"the sample has {meta.num_columns} columns; the limit is {limits.max_columns}"
        )
    if len(schema) == 0:
        raise InvalidSample("the Parquet file has no columns")
    if meta.num_row_groups > limits.max_row_groups:
        raise LimitExceeded(
            f"the sample has {meta.num_row_groups} row groups; the limit is {limits.max_row_groups}"
        )
    logical = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if logical > limits.max_uncompressed_bytes:
        raise LimitExceeded(
            f"the sample claims {logical} bytes uncompressed; the limit is "
            f"{limits.max_uncompressed_bytes} (Parquet bomb?)"
        )
    check_decoded(meta, size, limits.decoded)
    for fld in schema:
        if "\x00" in fld.name:
            raise InvalidSample("a column name contains a NUL character")
        if _depth(fld.type) > limits.max_nesting:
            raise LimitExceeded(
                f"column {fld.name[:80]!r} nests deeper than {limits.max_nesting} levels"
            )
    return meta
