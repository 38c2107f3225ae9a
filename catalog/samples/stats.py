"""Schema and column statistics of a sample, computed once at upload through DuckDB.

Statistics: row count, nulls, distinct values (counted exactly up to
``sample_exact_stats_max_rows`` rows, estimated above and then never more than the non-null
values), min/max and a 10-bin histogram for numbers and dates, top values (exact counts) for
strings and booleans, and length figures for text. Every column name
reaches SQL quoted; the file path is a parameter.
"""

# ruff: noqa: S608  (SQL is built from quoted schema identifiers; values are parameters)
from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import pyarrow as pa

from catalog.samples.engine import SampleEngine
from catalog.settings import Settings, default_of

SOURCE = "read_parquet($path)"


@dataclass(frozen=True)
class StatsShape:
    """How much the statistics hold: histogram bins, listed frequent values and their
    length (the ``sample_stats_*`` settings)."""

    bins: int = default_of("sample_stats_bins")
    top_values: int = default_of("sample_stats_top_values")
    value_chars: int = default_of("sample_stats_value_chars")
    exact_max_rows: int = default_of("sample_exact_stats_max_rows")

    @classmethod
    def from_settings(cls, settings: Settings) -> StatsShape:
        return cls(
            settings.sample_stats_bins,
            settings.sample_stats_top_values,
            settings.sample_stats_value_chars,
            settings.sample_exact_stats_max_rows,
        )


@dataclass(frozen=True)
class Column:
    """One top-level column of a sample."""

    name: str
    arrow_type: str
    duckdb_type: str
    nullable: bool
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def quote_ident(name: str) -> str:
    """A DuckDB quoted identifier (the name must come from the sample's schema)."""
    return '"' + name.replace('"', '""') + '"'


def kind_of(dtype: pa.DataType) -> str:
    """The family of an Arrow type, which decides filters and statistics."""
    t = pa.types
    checks = [
        (t.is_boolean, "boolean"),
        (t.is_integer, "integer"),
        (t.is_floating, "float"),
        (t.is_decimal, "decimal"),
        (t.is_date, "date"),
        (t.is_timestamp, "timestamp"),
        (t.is_time, "time"),
        (lambda d: t.is_string(d) or t.is_large_string(d) or t.is_string_view(d), "string"),
        (lambda d: t.is_binary(d) or t.is_large_binary(d) or t.is_fixed_size_binary(d), "binary"),
        (lambda d: t.is_nested(d) or t.is_dictionary(d), "nested"),
    ]
    for check, kind in checks:
        if check(dtype):
            return kind
    return "other"


def read_schema(
    engine: SampleEngine, con: duckdb.DuckDBPyConnection, path: str, arrow: pa.Schema
) -> list[Column]:
    """Columns with Arrow and DuckDB types, nullability and kind."""
    names, rows = engine.query(con, f"DESCRIBE SELECT * FROM {SOURCE}", {"path": path})
    col_name, col_type = names.index("column_name"), names.index("column_type")
    duck = {r[col_name]: r[col_type] for r in rows}
    columns = []
    for f in arrow:
        duck_type = str(duck.get(f.name, "?"))
        kind = kind_of(f.type)
        if kind == "binary" and duck_type != "BLOB":
            kind = "other"  # e.g. GEOMETRY: stored as bytes, not comparable as bytes
        columns.append(Column(f.name, str(f.type), duck_type, f.nullable, kind))
    return columns


def jsonable(value: Any) -> Any:
    """A cell or statistic as a JSON value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time | dt.timedelta):
        return value.isoformat() if not isinstance(value, dt.timedelta) else str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def _histogram(
    engine: SampleEngine,
    con: Any,
    expr: str,
    path: str,
    lo: float,
    hi: float,
    deadline: float,
    n_bins: int,
) -> list[dict[str, Any]]:
    if lo is None or hi is None:
        return []
    width = (hi - lo) / n_bins if hi > lo else 1.0
    _, rows = engine.query(
        con,
        f"SELECT least(CAST(floor((v - $lo) / $w) AS BIGINT), {n_bins - 1}) AS b, count(*) "
        f"FROM (SELECT {expr} AS v FROM {SOURCE}) WHERE v IS NOT NULL AND isfinite(v) "
        "GROUP BY b ORDER BY b",
        {"path": path, "lo": lo, "w": width},
        deadline_s=deadline,
    )
    counts = {int(b): int(n) for b, n in rows}
    bins = n_bins if hi > lo else 1
    return [
        {"from": lo + i * width, "to": lo + (i + 1) * width, "count": counts.get(i, 0)}
        for i in range(bins)
    ]


def _one(engine: SampleEngine, con: Any, sql: str, params: dict[str, Any], deadline: float) -> Any:
    return engine.query(con, sql, params, deadline_s=deadline)[1][0]


def column_statistics(
    engine: SampleEngine,
    con: Any,
    path: str,
    column: Column,
    rows: int,
    deadline: float,
    shape: StatsShape = StatsShape(),
) -> dict[str, Any]:
    """Statistics of one column."""
    c = quote_ident(column.name)
    p = {"path": path}
    out: dict[str, Any] = {"name": column.name, "kind": column.kind}
    if column.kind in ("nested", "other"):
        (nonnull,) = _one(engine, con, f"SELECT count({c}) FROM {SOURCE}", p, deadline)
        out["nulls"] = rows - int(nonnull)
        return out
    exact = rows <= shape.exact_max_rows
    counter = f"count(DISTINCT {c})" if exact else f"approx_count_distinct({c})"
    nonnull, distinct, lo, hi = _one(
        engine, con, f"SELECT count({c}), {counter}, min({c}), max({c}) FROM {SOURCE}", p, deadline
    )
    # HyperLogLog may overshoot on few values; no column has more distinct than non-null values
    distinct = min(int(distinct), int(nonnull))
    out.update(nulls=rows - int(nonnull), distinct=distinct, distinct_exact=exact)
    if not exact:
        out["distinct_estimate"] = distinct
    if column.kind in ("integer", "float", "decimal", "date", "timestamp", "time", "boolean"):
        out.update(min=jsonable(lo), max=jsonable(hi))
    if column.kind in ("integer", "float", "decimal"):
        expr = f"CAST({c} AS DOUBLE)"
    elif column.kind in ("date", "timestamp"):
        expr = f"CAST(epoch({c}) AS DOUBLE)"
    else:
        expr = ""
    if expr:
        flo, fhi = _one(
            engine,
            con,
            f"SELECT min(v), max(v) FROM (SELECT {expr} AS v FROM {SOURCE}) WHERE isfinite(v)",
            p,
            deadline,
        )
        out["histogram"] = _histogram(engine, con, expr, path, flo, fhi, deadline, shape.bins)
        if column.kind in ("date", "timestamp"):
            out["histogram_unit"] = "epoch_seconds"
    if column.kind in ("string", "boolean"):
        value = f"left({c}, {shape.value_chars})" if column.kind == "string" else c
        _, top = engine.query(
            con,
            f"SELECT {value} AS v, count(*) AS n FROM {SOURCE} "
            f"WHERE {c} IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT {shape.top_values}",
            p,
            deadline_s=deadline,
        )
        out["top_values"] = [{"value": jsonable(v), "count": int(n)} for v, n in top]
    if column.kind in ("string", "binary"):
        expr = f"CAST(octet_length(CAST({c} AS BLOB)) AS DOUBLE)"
        if column.kind == "string":
            expr = f"CAST(length({c}) AS DOUBLE)"
        lmin, lmax, lmean = _one(
            engine,
            con,
            f"SELECT min(v), max(v), avg(v) FROM (SELECT {expr} AS v FROM {SOURCE})",
            p,
            deadline,
        )
        out["lengths"] = {
            "min": jsonable(lmin),
            "max": jsonable(lmax),
            "mean": jsonable(lmean),
            "histogram": _histogram(engine, con, expr, path, lmin, lmax, deadline, shape.bins),
        }
    return out


def compute_statistics(
    engine: SampleEngine,
    con: Any,
    path: str,
    columns: list[Column],
    deadline: float,
    shape: StatsShape = StatsShape(),
) -> dict[str, Any]:
    """Statistics of every column, and the row count."""
    (rows,) = _one(engine, con, f"SELECT count(*) FROM {SOURCE}", {"path": path}, deadline)
    return {
        "rows": int(rows),
        "columns": [
            column_statistics(engine, con, path, col, int(rows), deadline, shape) for col in columns
        ],
    }
