"""Sorted copies of large samples, so a filtered *and sorted* page reads a few row groups.

DuckDB answers ``WHERE … ORDER BY c LIMIT n`` with a top-N that must read every matching
row: on a 1 GB sample that is a full scan of the filtered columns (seconds). For samples of
at least ``sample_sort_copy_min_rows`` rows, each sortable column (at most
``sample_sort_copy_max_columns``) gets, at upload, a copy of the sample sorted by it (NULLs
last) in about 64 row groups (1,000 to 100,000 rows each), and the per-group minimum and maximum of
that column are kept in the sample's metadata.

A sorted page then runs on the copy in *windows*: for ``sort=c`` the rows with ``c <=`` the
maximum of the first k row groups (``sort=-c``: ``c >=`` the minimum of the last k), so
DuckDB prunes every other row group by its statistics. If the window yields the whole page
(``offset + limit + 1`` matches) that page is exact: every row outside the window sorts
after every row inside it. Otherwise the window grows eightfold, ending with the whole copy
(the plain query). Ties keep the sample's row order, so pages are stable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from catalog.errors import InvalidInput
from catalog.samples.engine import SampleEngine
from catalog.samples.filters import RowFilter, RowQuery, convert
from catalog.samples.stats import Column, jsonable, quote_ident
from catalog.settings import Settings

log = logging.getLogger("datalab.samples")

MIN_GROUP_ROWS, MAX_GROUP_ROWS = 1_000, 100_000
SORTABLE = {"integer", "float", "decimal", "date", "timestamp", "time", "string"}
MAX_BOUND_CHARS = 1000
GROWTH = 8
RESERVED = "file_row_number"


def build(
    engine: SampleEngine,
    con: Any,
    staged: str,
    path: str,
    columns: list[Column],
    rows: int,
    settings: Settings,
    deadline: float,
) -> dict[str, Any]:
    """Write the sorted copies into ``staged``; their metadata, by column name."""
    if rows < settings.sample_sort_copy_min_rows or any(c.name == RESERVED for c in columns):
        return {}
    chosen = [c for c in columns if c.kind in SORTABLE][: settings.sample_sort_copy_max_columns]
    out: dict[str, Any] = {}
    group_rows = min(MAX_GROUP_ROWS, max(MIN_GROUP_ROWS, rows // 64))
    for i, column in enumerate(chosen):
        name = f"sorted-{i}.parquet"
        target = f"{staged.rstrip('/')}/{name}"
        literal = "'" + target.replace("'", "''") + "'"
        c = quote_ident(column.name)
        engine.query(
            con,
            f"COPY (SELECT * EXCLUDE ({RESERVED}) FROM read_parquet($path, file_row_number=true) "  # noqa: S608
            f"ORDER BY {c} ASC NULLS LAST, {RESERVED}) "
            f"TO {literal} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {group_rows})",
            {"path": path},
            deadline_s=deadline,
        )
        _, groups = engine.query(
            con,
            f"SELECT {RESERVED} // {group_rows} AS g, min({c}), max({c}) "  # noqa: S608
            f"FROM read_parquet($copy, file_row_number=true) GROUP BY g ORDER BY g",
            {"copy": target},
            deadline_s=deadline,
        )
        bounds = [(jsonable(lo), jsonable(hi)) for _, lo, hi in groups if lo is not None]
        if any(isinstance(v, str) and len(v) > MAX_BOUND_CHARS for b in bounds for v in b):
            log.info("no sorted copy for %r: values too long to bound", column.name)
            continue
        out[column.name] = {"file": name, "mins": [b[0] for b in bounds],
                            "maxs": [b[1] for b in bounds]}  # fmt: skip
    return out


def _bound(column: Column, value: Any) -> Any:
    """A stored bound back as a typed query parameter (None: no usable bound)."""
    if value is None:
        return None
    if column.kind == "float" and isinstance(value, str):
        return None  # NaN or infinity: the window cannot be bounded by it
    if isinstance(value, str) and column.kind != "string":
        try:
            return convert(column, value)
        except InvalidInput:
            return None
    return value


def _start(entry: dict[str, Any], column: Column, descending: bool,
           filters: Sequence[RowFilter]) -> int:  # fmt: skip
    """Row groups every row of which the sort column's own filters exclude (from the start
    for ascending, from the end for descending), so the first window is not empty."""
    wanted = ("lt", "le", "eq") if descending else ("gt", "ge", "eq")
    limits = [f.value for f in filters if f.column.name == column.name and f.op in wanted]
    if not limits:
        return 0
    bounds = entry["mins"] if descending else entry["maxs"]
    skip = 0
    try:
        edge = min(limits) if descending else max(limits)
        for raw in reversed(bounds) if descending else bounds:
            value = _bound(column, raw)
            if value is None or (value <= edge if descending else value >= edge):
                break
            skip += 1
    except TypeError:
        return 0
    return skip


def windows(
    entry: dict[str, Any],
    column: Column,
    descending: bool,
    filters: Sequence[RowFilter] = (),
) -> list[tuple[str, Any]]:
    """The growing windows as ``(condition, parameter)``; the last one is unbounded."""
    mins, maxs = entry["mins"], entry["maxs"]
    n = len(mins)
    skip = _start(entry, column, descending, filters)
    out: list[tuple[str, Any]] = []
    k = 1
    c = quote_ident(column.name)
    while skip + k < n:
        value = _bound(column, mins[n - skip - k] if descending else maxs[skip + k - 1])
        if value is None:
            break
        out.append((f"{c} >= ?" if descending else f"{c} <= ?", value))
        k *= GROWTH
    out.append(("", None))
    return out


def sorted_page(
    engine: SampleEngine,
    con: Any,
    copy_path: str,
    projection: str,
    query: RowQuery,
    entry: dict[str, Any],
    limit: int,
    offset: int,
) -> list[tuple[Any, ...]]:
    """``limit + 1`` rows from ``offset`` of the filtered rows sorted by the query's sort
    column, whose sorted copy ``entry`` describes."""
    column, descending = query.sort_column, query.descending
    assert column is not None  # only sorted queries are read from a copy
    direction = "DESC" if descending else "ASC"
    order = f"ORDER BY {quote_ident(column.name)} {direction} NULLS LAST, {RESERVED}"
    rows: list[tuple[Any, ...]] = []
    for condition, value in windows(entry, column, descending, query.filters):
        clauses = [query.where[len("WHERE ") :]] if query.where else []
        params: list[Any] = [copy_path, *query.params]
        if condition:
            clauses.append(condition)
            params.append(value)
        where = ("WHERE " + " AND ".join(f"({c})" for c in clauses)) if clauses else ""
        sql = (
            f"SELECT {projection} FROM read_parquet(?, file_row_number=true) {where} "  # noqa: S608
            f"{order} LIMIT ? OFFSET ?"
        )
        _, rows = engine.query(con, sql, [*params, limit + 1, offset])
        if len(rows) > limit:
            break
    return rows
