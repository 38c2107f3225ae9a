"""The whitelisted filter and sort grammar of sample rows, parsed once into typed values.

``filter=column:op:value`` (repeatable), ``sort=column`` / ``sort=-column`` and ``q=words``
(rows where every word occurs, case-insensitively, in some text column). The column must be
one of the sample's columns (matched exactly, then quoted); the operator comes from a fixed
list (:data:`OPS_BY_KIND` says which suit which column type); the value is converted in
Python to the column's type and sent to DuckDB as a parameter. Nothing the user writes is
ever spliced into SQL.

Two steps, each done once:

* at the boundary (API, web page, CLI) :meth:`SampleQuery.parse` turns the request into a
  :class:`SampleQuery`: the sort as a :class:`SortKey`, paging as integers and the filter
  texts as given. The filters cannot be split there: a column name may itself contain
  ``:``, so only the sample's columns tell where the name ends. Nothing here raises, so a
  caller refused by the access gate learns nothing from errors about the request.
* after the gate, :func:`bind` checks the query against the sample's columns and gives a
  :class:`RowQuery` of :class:`RowFilter` values (column, operator, converted value) that
  the store and :mod:`catalog.samples.sorted_copies` take as they are.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalog.errors import InvalidInput
from catalog.samples.stats import Column, quote_ident

COMPARISONS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
TEXT_OPS = {"contains": "contains", "startswith": "starts_with"}
NULL_OPS = {"isnull": "IS NULL", "notnull": "IS NOT NULL"}
OPERATORS = (*COMPARISONS, *TEXT_OPS, *NULL_OPS, "in", "between")
COMPARABLE = {"integer", "float", "decimal", "date", "timestamp", "time", "boolean", "string"}
#: kinds whose values are ordered along a line: ``between`` applies to them
RANGED = {"integer", "float", "decimal", "date", "timestamp", "time"}
#: the operators a filter builder offers per column kind (the API accepts every operator
#: :func:`parse_filter` allows, e.g. ``lt`` on text)
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    **{
        kind: ("eq", "ne", "lt", "le", "gt", "ge", "between", "in", "isnull", "notnull")
        for kind in RANGED
    },
    "string": ("eq", "ne", "contains", "startswith", "in", "isnull", "notnull"),
    "boolean": ("eq", "ne", "isnull", "notnull"),
}
NULL_ONLY = ("isnull", "notnull")
#: most words of one search within rows
MAX_SEARCH_WORDS = 10


def ops_for(kind: str) -> tuple[str, ...]:
    """The operators offered for a column of ``kind`` (NULL tests only for the others)."""
    return OPS_BY_KIND.get(kind, NULL_ONLY)


def compose(column: str, op: str, value: str = "", value2: str = "") -> str:
    """The ``column:op:value`` text of a filter built from a form's fields (``between``
    joins its two bounds with a comma, as the API expects); checked later by :func:`bind`."""
    if op in NULL_OPS:
        return f"{column}:{op}"
    if op == "between":
        return f"{column}:between:{value.strip()},{value2.strip()}"
    return f"{column}:{op}:{value.strip() if op not in TEXT_OPS else value}"


def split_filter(raw: str, columns: Sequence[Column]) -> tuple[Column, str, str] | None:
    """``raw`` as (column, operator, value text) for showing it; None if it names no column."""
    try:
        return _split(raw, columns)
    except InvalidInput:
        return None


@dataclass(frozen=True)
class SortKey:
    """``sort=column`` (ascending, NULLs last) or ``sort=-column`` (descending)."""

    column: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str | None) -> SortKey | None:
        """The sort of ``column`` or ``-column``; ``None`` for no (or an empty) sort."""
        if not text:
            return None
        if text.startswith("-"):
            return cls(text[1:], True)
        return cls(text, False)

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.column


@dataclass(frozen=True)
class SampleQuery:
    """A request for a page of sample rows, as parsed at the boundary (see the module)."""

    filters: tuple[str, ...] = ()
    sort: SortKey | None = None
    offset: int = 0
    limit: int | None = None
    search: str = ""

    @classmethod
    def parse(
        cls,
        filters: Sequence[str] | None = None,
        sort: str | None = None,
        *,
        offset: int = 0,
        limit: int | None = None,
        search: str | None = None,
    ) -> SampleQuery:
        """The typed query of the ``filter``, ``sort``, ``offset``, ``limit`` and ``q``
        parameters."""
        return cls(tuple(filters or ()), SortKey.parse(sort), offset, limit, (search or "").strip())

    @property
    def narrowed(self) -> bool:
        """Whether filters or a search narrow the rows (else every row matches)."""
        return bool(self.filters or self.search)

    def audit_detail(self) -> dict[str, Any]:
        """The query as the audit log records it (as the caller wrote it)."""
        return {
            "offset": self.offset,
            "limit": self.limit,
            "filters": list(self.filters),
            "sort": str(self.sort) if self.sort else None,
            "search": self.search or None,
        }


@dataclass(frozen=True)
class RowFilter:
    """One checked filter: a sample column, an operator of :data:`OPERATORS` and the value
    converted to the column's type (a tuple for ``in``, ``None`` for the NULL tests)."""

    column: Column
    op: str
    value: Any = None

    def condition(self) -> tuple[str, list[Any]]:
        """The SQL condition (quoted identifier, ``?`` placeholders) and its parameters."""
        ident = quote_ident(self.column.name)
        if self.op in NULL_OPS:
            return f"{ident} {NULL_OPS[self.op]}", []
        if self.op in TEXT_OPS:
            return f"{TEXT_OPS[self.op]}({ident}, ?)", [self.value]
        if self.op == "in":
            return f"{ident} IN ({', '.join('?' for _ in self.value)})", list(self.value)
        if self.op == "between":
            return f"{ident} BETWEEN ? AND ?", list(self.value)
        return f"{ident} {COMPARISONS[self.op]} ?", [self.value]


@dataclass(frozen=True)
class RowSearch:
    """Words to find in a row: each must occur, ignoring case, in one of the text columns."""

    words: tuple[str, ...]
    columns: tuple[Column, ...]

    def condition(self) -> tuple[str, list[Any]]:
        """One ``(contains(lower(c1), ?) OR …)`` per word, the lower-cased words as
        parameters."""
        idents = [quote_ident(c.name) for c in self.columns]
        one = "(" + " OR ".join(f"contains(lower({i}), ?)" for i in idents) + ")"
        sql = " AND ".join(one for _ in self.words)
        return sql, [w for w in self.words for _ in idents]


@dataclass(frozen=True)
class RowQuery:
    """A :class:`SampleQuery` bound to a sample's columns: typed filters, the search within
    rows and the sort column."""

    filters: tuple[RowFilter, ...] = ()
    sort_column: Column | None = None
    descending: bool = False
    search: RowSearch | None = None

    def _conditions(self) -> list[tuple[str, list[Any]]]:
        out = [f.condition() for f in self.filters]
        if self.search is not None:
            out.append(self.search.condition())
        return out

    @property
    def where(self) -> str:
        conditions = [sql for sql, _ in self._conditions()]
        return ("WHERE " + " AND ".join(f"({c})" for c in conditions)) if conditions else ""

    @property
    def params(self) -> list[Any]:
        return [p for _, params in self._conditions() for p in params]

    @property
    def order_by(self) -> str:
        if self.sort_column is None:
            return ""
        direction = "DESC" if self.descending else "ASC"
        return f"ORDER BY {quote_ident(self.sort_column.name)} {direction} NULLS LAST"


def convert(column: Column, raw: str) -> Any:
    """``raw`` as a value of the column's type; InvalidInput if it is not one."""
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


def parse_filter(
    raw: str, columns: Sequence[Column], *, max_value_chars: int, max_in_values: int
) -> RowFilter:
    """One ``column:op:value`` filter against the sample's columns."""
    column, op, value = _split(raw, columns)
    if op not in OPERATORS:
        raise InvalidInput(
            f"unknown operator {op[:40]!r}; known: {', '.join(OPERATORS)}", where="filter"
        )
    if op in NULL_OPS:
        return RowFilter(column, op)
    if len(value) > max_value_chars:
        raise InvalidInput(f"filter value longer than {max_value_chars} chars", where="filter")
    if column.kind not in COMPARABLE:
        raise InvalidInput(
            f"column {column.name!r} of type {column.duckdb_type} cannot be filtered by value",
            where="filter",
        )
    if op in TEXT_OPS:
        if column.kind != "string":
            raise InvalidInput(f"{op} applies to text columns only", where="filter")
        return RowFilter(column, op, value)
    if op == "between":
        if column.kind not in RANGED:
            raise InvalidInput(
                f"between applies to numbers, dates and times, not to column {column.name!r}",
                where="filter",
            )
        bounds = value.split(",")
        if len(bounds) != 2 or not all(b.strip() for b in bounds):
            raise InvalidInput(
                f"between needs two values 'low,high' for column {column.name!r}", where="filter"
            )
        low, high = (convert(column, b.strip()) for b in bounds)
        return RowFilter(column, op, (low, high))
    if op == "in":
        items = value.split(",")
        if len(items) > max_in_values:
            raise InvalidInput(f"at most {max_in_values} values after 'in'", where="filter")
        return RowFilter(column, op, tuple(convert(column, item) for item in items))
    return RowFilter(column, op, convert(column, value))


def bind(
    query: SampleQuery,
    columns: Sequence[Column],
    *,
    max_filters: int,
    max_value_chars: int,
    max_in_values: int,
) -> RowQuery:
    """Check the query's filters, search and sort against the sample's columns."""
    if len(query.filters) > max_filters:
        raise InvalidInput(f"at most {max_filters} filters", where="filter")
    filters = tuple(
        parse_filter(raw, columns, max_value_chars=max_value_chars, max_in_values=max_in_values)
        for raw in query.filters
    )
    search = bind_search(query.search, columns, max_chars=max_value_chars)
    if query.sort is None:
        return RowQuery(filters, search=search)
    name = query.sort.column
    column = {c.name: c for c in columns}.get(name)
    if column is None:
        raise InvalidInput(f"unknown sort column {name[:80]!r}", where="sort")
    if column.kind not in COMPARABLE:
        raise InvalidInput(
            f"column {name!r} of type {column.duckdb_type} cannot be sorted", where="sort"
        )
    return RowQuery(filters, column, query.sort.descending, search)


def bind_search(text: str, columns: Sequence[Column], *, max_chars: int) -> RowSearch | None:
    """The words of ``q`` against the sample's text columns (None for no search)."""
    if not text:
        return None
    if len(text) > max_chars:
        raise InvalidInput(f"the search is longer than {max_chars} characters", where="q")
    words = tuple(dict.fromkeys(w.lower() for w in text.split()))
    if len(words) > MAX_SEARCH_WORDS:
        raise InvalidInput(f"at most {MAX_SEARCH_WORDS} words in a search", where="q")
    texts = tuple(c for c in columns if c.kind == "string")
    if not texts:
        raise InvalidInput("this sample has no text column to search in", where="q")
    return RowSearch(words, texts)
