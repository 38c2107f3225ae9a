"""The sample viewer of the dataset page: what the request asks, and what the page shows.

The request's ``filter`` (``column:op:value``, repeatable), ``sort``, ``q`` and ``offset``
are the rows API's own parameters, so a page's address is also an API query. The filter
builder's fields (``fcol``, ``fop``, ``fval``, ``fval2``) are compiled into one more
``filter`` here (:func:`catalog.samples.filters.compose`), so the builder works as a plain
GET form; a built filter the column cannot take is refused with the reason and never
added. Whether rows, counts and statistics are shown at all is the gate's decision
(:meth:`catalog.samples.service.SampleService.browse`), read once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from api.web.charts import ColumnSummary, number, summarise
from api.web.labels import label
from catalog.errors import InvalidInput
from catalog.samples.filters import (
    COMPARABLE,
    SampleQuery,
    SortKey,
    compose,
    ops_for,
    parse_filter,
    split_filter,
)
from catalog.samples.service import SampleView
from catalog.samples.stats import Column
from catalog.settings import Settings

#: the conditions in the builder's order (sample.js keeps those the chosen column takes)
BUILDER_OPS = (
    "eq", "ne", "lt", "le", "gt", "ge", "between", "contains", "startswith", "in", "isnull",
    "notnull",
)  # fmt: skip
#: the filter builder's form fields: column, condition, value and the second value of between
BUILDER_FIELDS = ("fcol", "fop", "fval", "fval2")
#: the value input the builder offers per column kind (``text`` for the others)
INPUT_TYPES = {
    "integer": "number",
    "float": "number",
    "decimal": "number",
    "date": "date",
    "timestamp": "datetime-local",
    "time": "time",
}


@dataclass(frozen=True)
class Request:
    """The viewer's part of a dataset page request."""

    filters: list[str]
    sort: str | None
    search: str
    offset: int
    built: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, q: QueryParams, max_filters: int) -> Request:
        try:
            offset = max(0, min(int(q.get("offset") or 0), 2**62))
        except ValueError:
            offset = 0
        filters = list(dict.fromkeys(f for f in q.getlist("filter") if f))[:max_filters]
        built = {k: q.get(k) or "" for k in BUILDER_FIELDS}
        return cls(filters, q.get("sort") or None, (q.get("q") or "").strip(), offset, built)

    @property
    def state(self) -> dict[str, Any]:
        """The query parameters every link and form of the viewer carries on."""
        return {"filter": self.filters, "sort": self.sort, "q": self.search or None}


def _build(req: Request, columns: list[Column], settings: Settings) -> tuple[Request, str | None]:
    """``req`` with the builder's filter added, or the reason it cannot be."""
    fields = req.built
    if not fields["fcol"] or not fields["fop"]:
        return req, None
    column = next((c for c in columns if c.name == fields["fcol"]), None)
    if column is None:
        return req, f"the sample has no column {fields['fcol'][:80]!r}"
    op = fields["fop"]
    if op not in ops_for(column.kind):
        offered = ", ".join(label(o, "sample_op") for o in ops_for(column.kind))
        return req, (
            f"“{label(op, 'sample_op')}” does not apply to column {column.name!r} "
            f"({label(column.kind, 'column_kind')}); choose one of: {offered}"
        )
    raw = compose(column.name, op, fields["fval"], fields["fval2"])
    try:
        parse_filter(
            raw,
            columns,
            max_value_chars=settings.sample_max_filter_value_chars,
            max_in_values=settings.sample_max_in_values,
        )
    except InvalidInput as exc:
        return req, exc.message
    if raw in req.filters:
        return _without_builder(req), None
    if len(req.filters) >= settings.sample_max_filters:
        return req, f"at most {settings.sample_max_filters} filters"
    return Request([*req.filters, raw], req.sort, req.search, 0), None


def _without_builder(req: Request) -> Request:
    return Request(req.filters, req.sort, req.search, req.offset)


def parse(q: QueryParams, columns: list[Column], settings: Settings) -> tuple[Request, str | None]:
    """The request with the builder's filter compiled in, and a builder error if any."""
    req = Request.parse(q, settings.sample_max_filters)
    return _build(req, columns, settings)


def query_of(req: Request, page_rows: int) -> SampleQuery:
    return SampleQuery.parse(
        req.filters, req.sort, offset=req.offset, limit=page_rows, search=req.search
    )


def _chip(raw: str, columns: list[Column], state: dict[str, Any]) -> dict[str, Any]:
    """A filter as the page shows it: column, condition (labelled by the template), value
    (``between``: both bounds) and the address without it."""
    parts = split_filter(raw, columns)
    chip: dict[str, Any] = {"column": raw, "op": None, "value": "", "value2": None}
    if parts is not None:
        column, op, value = parts
        chip.update(column=column.name, op=op, value=value)
        if op == "between":
            chip["value"], _, chip["value2"] = value.partition(",")
        elif op == "in":
            chip["value"] = ", ".join(value.split(","))
    chip["remove"] = {**state, "filter": [f for f in state["filter"] if f != raw]}
    return chip


def _header(column: Column, summary: ColumnSummary | None, req: Request) -> dict[str, Any]:
    current = SortKey.parse(req.sort)
    sorted_here = current is not None and current.column == column.name
    descending = sorted_here and current is not None and current.descending
    aria = ("descending" if descending else "ascending") if sorted_here else None
    next_sort = column.name if (not sorted_here or descending) else f"-{column.name}"
    return {
        "name": column.name,
        "kind": column.kind,
        "sortable": column.kind in COMPARABLE,
        "aria_sort": aria,
        "next_sort": next_sort,
        "next_label": "descending" if next_sort.startswith("-") else "ascending",
        "summary": summary,
    }


def context(
    view: SampleView, req: Request, build_error: str | None, page_rows: int
) -> dict[str, Any]:
    """Everything ``_dataset_sample.html`` shows (see the module)."""
    overview = view.overview
    columns = [Column(**c) for c in overview["columns"]]
    out: dict[str, Any] = {
        "overview": overview,
        "visible": view.decision.rows_visible,
        "rows": None,
        "headers": [],
        "error": None,
    }
    if not view.decision.rows_visible:
        return out  # no counts, values or statistics: only the schema and the reason
    stats = {s["name"]: s for s in (view.statistics or {}).get("columns", [])}
    page = view.rows
    total = int(overview.get("rows") or 0)
    matched = page.get("matched") if page else None
    narrowed = bool(req.filters or req.search)
    if page is None:
        count = None
    elif matched is None:
        count = "counting the matching rows took too long"
    elif narrowed:
        count = f"{number(matched)} of {number(total)} rows match"
    else:
        count = f"{number(total)} rows"
    shown = len(page["rows"]) if page else 0
    out.update(
        rows=page,
        error=build_error or view.error,
        count=count,
        range=(
            f"rows {number(req.offset + 1)}–{number(req.offset + shown)}"
            + (f" of {number(matched)}" if matched is not None else "")
            if shown
            else None
        ),
        state=req.state,
        offset=req.offset,
        prev_offset=max(0, req.offset - page_rows) if req.offset > 0 else None,
        next_offset=page["next_offset"] if page else None,
        search=req.search,
        chips=[_chip(raw, columns, req.state) for raw in req.filters],
        headers=[
            _header(c, summarise(stats[c.name]) if c.name in stats else None, req) for c in columns
        ],
        builder={
            "columns": [
                {
                    "name": c.name,
                    "kind": c.kind,
                    "ops": " ".join(ops_for(c.kind)),
                    "input": INPUT_TYPES.get(c.kind, "text"),
                }
                for c in columns
            ],
            "ops": list(BUILDER_OPS),
            # a refused built filter stays in the form, to be mended
            "fields": req.built if build_error else dict.fromkeys(BUILDER_FIELDS, ""),
        },
    )
    return out
