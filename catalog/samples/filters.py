"""The whitelisted filter and sort grammar of sample rows.

``filter=column:op:value`` (repeatable) and ``sort=column`` / ``sort=-column``. The column
must be one of the sample's columns (matched exactly, then quoted); the operator comes
from a fixed list; the value is converted in Python to the column's type and sent to DuckDB
as a parameter. Nothing the user writes is ever spliced into SQL.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.errors import InvalidInput
from catalog.samples.stats import Column, quote_ident

COMPARISONS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
TEXT_OPS = {"contains": "contains", "startswith": "starts_with"}
NULL_OPS = {"isnull": "IS NULL", "notnull": "IS NOT NULL"}
OPERATORS = (*COMPARISONS, *TEXT_OPS, *NULL_OPS, "in")
MAX_FILTERS = 10
MAX_IN_VALUES = 100
MAX_VALUE_CHARS = 1000
COMPARABLE = {"integer", "float", "decimal", "date", "timestamp", "time", "boolean", "string"}


@dataclass
class RowQuery:
    """A validated filter/sort: a WHERE clause, an ORDER BY clause and their parameters."""

    where: str = ""
    order_by: str = ""
    params: list[Any] = field(default_factory=list)


def _convert(column: Column, raw: str) -> Any:
    kind = column.kind
    where = f"filter.{column.name}"
    try:
        if kind == "integer":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "decimal":
            return decimal.Decimal(raw)
        if kind == "boolean":
            lowered = raw.lower()
            if lowered not in ("true", "false"):
                raise ValueError(raw)
            return lowered == "true"
        if kind == "date":
            return dt.date.fromisoformat(raw)
        if kind == "timestamp":
            return dt.datetime.fromisoformat(raw)
        if kind == "time":
            return dt.time.fromisoformat(raw)
    except (ValueError, decimal.InvalidOperation):
        raise InvalidInput(
            f"{raw[:80]!r} is not a valid {kind} value for column {column.name!r}", where=where
        ) from None
    return raw


def _split(raw: str, columns: Sequence[Column]) -> tuple[Column, str, str]:
    """``column:op[:value]``, with columns whose names contain ':' matched whole."""
    for column in sorted(columns, key=lambda c: len(c.name), reverse=True):
        if raw.startswith(column.name + ":"):
            op, _, value = raw[len(column.name) + 1 :].partition(":")
            return column, op, value
    name = raw.split(":", 1)[0]
    raise InvalidInput(f"unknown column {name[:80]!r} in filter", where="filter")


def _condition(raw: str, columns: Sequence[Column], params: list[Any]) -> str:
    column, op, value = _split(raw, columns)
    ident = quote_ident(column.name)
    if op not in OPERATORS:
        raise InvalidInput(
            f"unknown operator {op[:40]!r}; known: {', '.join(OPERATORS)}", where="filter"
        )
    if op in NULL_OPS:
        return f"{ident} {NULL_OPS[op]}"
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidInput(f"filter value longer than {MAX_VALUE_CHARS} chars", where="filter")
    if column.kind not in COMPARABLE:
        raise InvalidInput(
            f"column {column.name!r} of type {column.duckdb_type} cannot be filtered by value",
            where="filter",
        )
    if op in TEXT_OPS:
        if column.kind != "string":
            raise InvalidInput(f"{op} applies to text columns only", where="filter")
        params.append(value)
        return f"{TEXT_OPS[op]}({ident}, ?)"
    if op == "in":
        items = value.split(",")
        if len(items) > MAX_IN_VALUES:
            raise InvalidInput(f"at most {MAX_IN_VALUES} values after 'in'", where="filter")
        params.extend(_convert(column, item) for item in items)
        return f"{ident} IN ({', '.join('?' for _ in items)})"
    params.append(_convert(column, value))
    return f"{ident} {COMPARISONS[op]} ?"


def build_query(filters: Sequence[str], sort: str | None, columns: Sequence[Column]) -> RowQuery:
    """Validate the user's filters and sort against the sample's columns."""
    if len(filters) > MAX_FILTERS:
        raise InvalidInput(f"at most {MAX_FILTERS} filters", where="filter")
    query = RowQuery()
    conditions = [_condition(raw, columns, query.params) for raw in filters]
    if conditions:
        query.where = "WHERE " + " AND ".join(f"({c})" for c in conditions)
    if sort:
        descending = sort.startswith("-")
        name = sort[1:] if descending else sort
        by_name = {c.name: c for c in columns}
        if name not in by_name:
            raise InvalidInput(f"unknown sort column {name[:80]!r}", where="sort")
        column = by_name[name]
        if column.kind not in COMPARABLE:
            raise InvalidInput(
                f"column {name!r} of type {column.duckdb_type} cannot be sorted", where="sort"
            )
        direction = "DESC" if descending else "ASC"
        query.order_by = f"ORDER BY {quote_ident(name)} {direction} NULLS LAST"
    return query
