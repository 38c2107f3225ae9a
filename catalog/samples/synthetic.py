"""Synthetic previews: rows drawn from a sample's column marginals, never a real row copied.

For a sample a caller may not read, a steward may offer a preview generated here from the
real sample, inside the sandboxed DuckDB of :mod:`catalog.samples.engine`, with exact counts
(``count(*)``, never an estimate, wherever the k rule decides):

* **text and booleans**: drawn from the values that occur at least ``k`` times, in their
  observed proportions. The rest (rare values, free text) is drawn as :data:`PLACEHOLDER`
  for text (at the rare values' combined rate) and as null for booleans.
* **numbers, dates and timestamps**: the column's quantiles (``bins`` of them: deciles by
  default) are rounded outwards to a coarse step, and neighbouring bins are merged until
  each holds at least ``k`` rows. A value is drawn as a bin (in the bins' observed
  proportions), then as one point of that bin's grid of step multiples. A grid point that
  equals a real value occurring fewer than ``k`` times is never used; a bin with no usable
  point is dropped, a column with none is left null.
* **nulls** at the column's observed rate; other types (time, binary, nested) stay null.

Columns are drawn independently (marginals only: no joint distribution is kept), and a drawn
row equal to a real row on every generated column is drawn again (then dropped), checked
against every real row in DuckDB. The generator is seeded from the sample's version and the
shape, so a preview is the same every time; :class:`~catalog.samples.store.SampleStore`
caches it beside the sample's statistics.

The placeholder is a marker, not a value of the data: the k rule applies to everything else.
"""

# ruff: noqa: S608  (SQL is built from quoted schema identifiers and checked type names)
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from catalog.samples.engine import SampleEngine
from catalog.samples.stats import Column, jsonable, quote_ident

#: Bumped whenever the generator's output for a given sample changes (part of the cache key).
GENERATOR_VERSION = 1
PLACEHOLDER = "[suppressed]"
SOURCE = "read_parquet($path)"
CATEGORICAL = ("string", "boolean")
NUMERIC = ("integer", "float", "decimal", "date", "timestamp")
#: Grid points per bin (before rounding merges them).
GRID = 5
#: Most categories one column keeps (the most frequent ones).
MAX_CATEGORIES = 1000
#: Draws of one row before a row equal to a real row is dropped.
REDRAWS = 20
_TYPE_NAME = re.compile(r"^[A-Z0-9_]+(\(\d+(, ?\d+)?\))?$")
_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class SyntheticShape:
    """How a preview is made: ``min_count`` (k), ``rows`` drawn and quantile ``bins``."""

    min_count: int
    rows: int
    bins: int

    def cache_name(self) -> str:
        """The file caching the preview beside the sample's statistics."""
        return f"synthetic-v{GENERATOR_VERSION}-k{self.min_count}-r{self.rows}-b{self.bins}.json"


def seed_of(dataset_id: str, version: str, shape: SyntheticShape) -> int:
    """The generator's seed: one per sample version and shape (so the same preview each time)."""
    text = f"{dataset_id}\n{version}\n{shape.cache_name()}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass
class _Plan:
    """How one column is drawn."""

    column: Column
    null_rate: float
    method: str  # categories | bins | suppressed | not-generated
    values: list[Any] = field(default_factory=list)  # categories, or every bin's points
    weights: list[int] = field(default_factory=list)
    bins: list[list[Any]] = field(default_factory=list)  # the usable points of each bin
    note: str = ""

    def draw(self, rng: random.Random) -> Any:
        if self.method in ("suppressed", "not-generated") or rng.random() < self.null_rate:
            return None
        if self.method == "categories":
            return rng.choices(self.values, weights=self.weights)[0]
        points = rng.choices(self.bins, weights=self.weights)[0]
        return points[rng.randrange(len(points))]


def _nice_step(width: float) -> float:
    """1, 2 or 5 times a power of ten, at least ``width``."""
    if width <= 0 or not math.isfinite(width):
        return 1.0
    power = 10.0 ** math.floor(math.log10(width))
    for factor in (1, 2, 5, 10):
        if factor * power >= width * (1 - 1e-9):
            return factor * power
    return 10 * power


def _digits(step: float) -> int:
    """Decimal places that write multiples of ``step`` exactly (0 for steps of 1 or more)."""
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


class _Numeric:
    """A numeric-like column as numbers: the SQL giving each value as a DOUBLE (quantiles and
    bins), the SQL giving its exact key, and the conversions of a grid point."""

    def __init__(self, column: Column, arrow_type: pa.DataType) -> None:
        self.column = column
        self.type = arrow_type
        c = quote_ident(column.name)
        kind = column.kind
        self.min_step = 0.0
        if kind == "date":
            self.number = f"CAST(datediff('day', DATE '1970-01-01', {c}) AS DOUBLE)"
            self.key = f"datediff('day', DATE '1970-01-01', {c})"
            self.key_type = "BIGINT"
            self.min_step = 1.0
        elif kind == "timestamp":
            self.number = f"(CAST(epoch_us({c}) AS DOUBLE) / 1000000.0)"
            self.key = f"epoch_us({c})"
            self.key_type = "BIGINT"
            self.min_step = 1.0
        else:
            if not _TYPE_NAME.match(column.duckdb_type):
                raise ValueError(f"unexpected type {column.duckdb_type!r}")
            self.number = f"CAST({c} AS DOUBLE)"
            self.key = c
            self.key_type = column.duckdb_type
            if kind == "integer":
                self.min_step = 1.0
            elif kind == "decimal":
                self.min_step = 10.0 ** -getattr(arrow_type, "scale", 0)

    def key_of(self, point: float) -> Any:
        """The grid point as the parameter compared with :attr:`key`."""
        if self.column.kind == "timestamp":
            return round(point) * 1_000_000
        if self.column.kind in ("date", "integer"):
            return round(point)
        return point

    def value_of(self, point: float) -> Any:
        """The grid point as a value of the column's type."""
        kind = self.column.kind
        if kind == "integer":
            return round(point)
        if kind == "date":
            return _EPOCH_DATE + dt.timedelta(days=round(point))
        if kind == "timestamp":
            value = _EPOCH + dt.timedelta(seconds=round(point))
            tz = getattr(self.type, "tz", None)
            return value.replace(tzinfo=dt.UTC) if tz else value
        if kind == "decimal":
            scale = getattr(self.type, "scale", 0)
            return decimal.Decimal(repr(point)).quantize(decimal.Decimal(1).scaleb(-scale))
        return point


class _Generator:
    def __init__(
        self,
        engine: SampleEngine,
        con: duckdb.DuckDBPyConnection,
        path: str,
        deadline: float,
    ) -> None:
        self.engine = engine
        self.con = con
        self.path = path
        self.deadline = deadline

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.engine.query(
            self.con, sql, {"path": self.path, **(params or {})}, deadline_s=self.deadline
        )[1]

    # -- plans ------------------------------------------------------------------------------

    def plan(self, column: Column, arrow_type: pa.DataType, rows: int, k: int, bins: int) -> _Plan:
        c = quote_ident(column.name)
        ((nonnull,),) = self.query(f"SELECT count({c}) FROM {SOURCE}")
        null_rate = (rows - int(nonnull)) / rows if rows else 1.0
        if column.kind in CATEGORICAL:
            return self._categories(column, null_rate, int(nonnull), k)
        if column.kind in NUMERIC:
            return self._bins(_Numeric(column, arrow_type), null_rate, int(nonnull), k, bins)
        return _Plan(column, 1.0, "not-generated", note=f"{column.kind} columns are left null")

    def _categories(self, column: Column, null_rate: float, nonnull: int, k: int) -> _Plan:
        c = quote_ident(column.name)
        found = self.query(
            f"SELECT {c} AS v, count(*) AS n FROM {SOURCE} WHERE {c} IS NOT NULL "
            f"GROUP BY v HAVING count(*) >= $k ORDER BY n DESC, v LIMIT {MAX_CATEGORIES}",
            {"k": k},
        )
        values = [v for v, _ in found]
        weights = [int(n) for _, n in found]
        rare = nonnull - sum(weights)
        if column.kind == "string" and rare > 0:
            values.append(PLACEHOLDER)
            weights.append(rare)
        elif rare > 0:  # booleans: a rare value becomes null
            null_rate += (1 - null_rate) * rare / nonnull
        if not weights:
            return _Plan(column, 1.0, "suppressed", note=f"no value occurs {k} times or more")
        shown = len(found)
        note = f"{shown} value(s) occurring at least {k} times" + (
            f"; the rest ({rare} rows) as {PLACEHOLDER!r}"
            if column.kind == "string" and rare
            else (f"; the rest ({rare} rows) as null" if rare else "")
        )
        return _Plan(column, null_rate, "categories", values, weights, note=note)

    def _edges(self, num: _Numeric, bins: int) -> tuple[list[float], float, float, float] | None:
        where = f"WHERE {num.number} IS NOT NULL AND isfinite({num.number})"
        qs = [i / bins for i in range(bins + 1)]
        ((quantiles, lo, hi),) = self.query(
            f"SELECT quantile_cont({num.number}, {qs!r}), min({num.number}), max({num.number}) "
            f"FROM {SOURCE} {where}"
        )
        if lo is None or hi is None:
            return None  # no finite value (only NaN or infinities)
        lo, hi = float(lo), float(hi)
        step = max(_nice_step((hi - lo) / (bins * GRID)), num.min_step)
        rounded = sorted(
            {math.floor(lo / step) * step, math.ceil(hi / step) * step}
            | {round(float(q) / step) * step for q in quantiles[1:-1]}
        )
        return rounded, step, lo, hi

    def _bins(self, num: _Numeric, null_rate: float, nonnull: int, k: int, bins: int) -> _Plan:
        column = num.column
        if nonnull < k:
            return _Plan(column, 1.0, "suppressed", note=f"fewer than {k} values")
        found = self._edges(num, bins)
        if found is None:
            return _Plan(column, 1.0, "suppressed", note="no finite value")
        edges, step, lo, hi = found
        counts = self._bin_counts(num, edges)
        merged = _merge(edges, counts, k)
        digits = _digits(step)
        points_per_bin: list[list[float]] = []
        for left, right, _ in merged:
            grid = {
                min(max(round(round(x / step) * step, digits), lo), hi)
                for x in (left + (j + 0.5) * (right - left) / GRID for j in range(GRID))
            }
            points_per_bin.append(sorted(grid))
        unsafe = self._rare_points(num, sorted({p for ps in points_per_bin for p in ps}), k)
        usable: list[list[Any]] = []
        weights: list[int] = []
        for (_, _, n), points in zip(merged, points_per_bin, strict=True):
            safe = [num.value_of(p) for p in points if p not in unsafe]
            if safe and n:
                usable.append(safe)
                weights.append(n)
        if not usable:
            return _Plan(column, 1.0, "suppressed", note="no bin has a point that is safe to show")
        unit = {"date": " days", "timestamp": " seconds"}.get(column.kind, "")
        note = (
            f"{len(usable)} bin(s) of at least {k} rows, values rounded to steps of {step:g}{unit}"
        )
        return _Plan(column, null_rate, "bins", bins=usable, weights=weights, note=note)

    def _bin_counts(self, num: _Numeric, edges: list[float]) -> list[int]:
        """Exact rows per bin ``[edges[i], edges[i+1])`` (the last one closed)."""
        n = len(edges) - 1
        if n <= 1:
            ((count,),) = self.query(f"SELECT count(*) FROM {SOURCE} WHERE isfinite({num.number})")
            return [int(count)]
        cases = " ".join(f"WHEN v < $e{i + 1} THEN {i}" for i in range(n - 1))
        found = self.query(
            f"SELECT CASE {cases} ELSE {n - 1} END AS b, count(*) FROM "
            f"(SELECT {num.number} AS v FROM {SOURCE}) WHERE v IS NOT NULL AND isfinite(v) "
            "GROUP BY b",
            {f"e{i}": edges[i] for i in range(1, n)},
        )
        by_bin = {int(b): int(c) for b, c in found}
        return [by_bin.get(i, 0) for i in range(n)]

    def _rare_points(self, num: _Numeric, points: list[float], k: int) -> set[float]:
        """The grid points equal to a real value occurring fewer than ``k`` times (exact)."""
        if not points:
            return set()
        keys = [num.key_of(p) for p in points]
        found = self.query(
            f"SELECT g.i, count(s.k) FROM (SELECT unnest(CAST($keys AS {num.key_type}[])) AS g, "
            "generate_subscripts($keys, 1) AS i) AS g "
            f"LEFT JOIN (SELECT {num.key} AS k FROM {SOURCE}) AS s ON s.k = g.g GROUP BY g.i",
            {"keys": keys},
        )
        return {points[int(i) - 1] for i, n in found if 0 < int(n) < k}

    # -- rows -------------------------------------------------------------------------------

    def copies(self, plans: Sequence[_Plan], rows: list[list[Any]]) -> set[int]:
        """Indexes of ``rows`` equal to a real row on every generated column."""
        compared = [i for i, p in enumerate(plans) if p.method != "not-generated"]
        if not rows or not compared:
            return set()  # no generated column: an all-null row reproduces nothing
        params: dict[str, Any] = {"idx": list(range(len(rows)))}
        selects = ["unnest($idx) AS i"]
        conditions = []
        for n, i in enumerate(compared):
            plan = plans[i]
            column = plan.column
            c = quote_ident(column.name)
            cells = [row[i] for row in rows]
            if column.kind in NUMERIC:
                num = _Numeric(column, pa.null())
                cells = [None if v is None else _key_of_value(num, v) for v in cells]
                sql_type, real = num.key_type, num.key
            elif column.kind == "boolean":
                sql_type, real = "BOOLEAN", c
            else:
                sql_type, real = "VARCHAR", c
            params[f"c{n}"] = cells
            selects.append(f"unnest(CAST($c{n} AS {sql_type}[])) AS c{n}")
            conditions.append(f"{real} IS NOT DISTINCT FROM g.c{n}")
        found = self.query(
            f"SELECT g.i FROM (SELECT {', '.join(selects)}) AS g WHERE EXISTS "
            f"(SELECT 1 FROM {SOURCE} WHERE {' AND '.join(conditions)})",
            params,
        )
        return {int(i) for (i,) in found}


def _key_of_value(num: _Numeric, value: Any) -> Any:
    """A generated value as the key :class:`_Numeric` compares (inverse of ``value_of``)."""
    kind = num.column.kind
    if kind == "date":
        return (value - _EPOCH_DATE).days
    if kind == "timestamp":
        naive = value.replace(tzinfo=None) if value.tzinfo else value
        return int((naive - _EPOCH).total_seconds()) * 1_000_000
    if kind == "decimal":
        return float(value)
    return value


def _merge(edges: list[float], counts: list[int], k: int) -> list[tuple[float, float, int]]:
    """Neighbouring bins merged left to right until each holds at least ``k`` rows (the last
    one, if short, joins the one before)."""
    if len(edges) < 2:
        return [(edges[0], edges[0], counts[0])] if edges else []
    out: list[list[Any]] = []
    start, total = edges[0], 0
    for i, count in enumerate(counts):
        total += count
        if total >= k:
            out.append([start, edges[i + 1], total])
            start, total = edges[i + 1], 0
    if total:
        if out:
            out[-1][1] = edges[-1]
            out[-1][2] += total
        else:
            out.append([start, edges[-1], total])
    return [(float(a), float(b), int(n)) for a, b, n in out]


def generate(
    engine: SampleEngine,
    con: duckdb.DuckDBPyConnection,
    path: str,
    columns: Sequence[Column],
    arrow_schema: pa.Schema | None,
    shape: SyntheticShape,
    seed: int,
    deadline: float,
) -> dict[str, Any]:
    """The synthetic preview of the sample at ``path`` (read through ``con``): rows as JSON
    values, and per column how it was drawn."""
    gen = _Generator(engine, con, path, deadline)
    ((rows,),) = gen.query(f"SELECT count(*) FROM {SOURCE}")
    types = {f.name: f.type for f in arrow_schema} if arrow_schema is not None else {}
    plans = [
        gen.plan(c, types.get(c.name, pa.null()), int(rows), shape.min_count, shape.bins)
        for c in columns
    ]
    rng = random.Random(seed)  # noqa: S311  (seeded on purpose: the same preview each time)

    def draw() -> list[Any]:
        return [plan.draw(rng) for plan in plans]

    drawn = [draw() for _ in range(shape.rows)] if rows else []
    pending = gen.copies(plans, drawn)
    for _ in range(REDRAWS):
        if not pending:
            break
        order = sorted(pending)
        for i in order:
            drawn[i] = draw()
        pending = {order[j] for j in gen.copies(plans, [drawn[i] for i in order])}
    kept = [row for i, row in enumerate(drawn) if i not in pending]
    return {
        "rows": _as_json(columns, types, kept),
        "columns": [c.name for c in columns],
        "method": [
            {"name": p.column.name, "kind": p.column.kind, "drawn_as": p.method, "note": p.note}
            for p in plans
        ],
        "rows_dropped": len(drawn) - len(kept),
        "min_count": shape.min_count,
        "generator": GENERATOR_VERSION,
    }


def _as_json(
    columns: Sequence[Column], types: dict[str, pa.DataType], rows: list[list[Any]]
) -> list[dict[str, Any]]:
    """Rows as JSON objects, each value first typed as its column (so types are kept)."""
    out: list[dict[str, Any]] = [{} for _ in rows]
    for i, column in enumerate(columns):
        cells = [row[i] for row in rows]
        arrow_type = types.get(column.name)
        if arrow_type is not None and column.kind in (*CATEGORICAL, *NUMERIC):
            cells = pa.array(cells, type=arrow_type).to_pylist()
        for record, value in zip(out, cells, strict=True):
            record[column.name] = jsonable(value)
    return out
