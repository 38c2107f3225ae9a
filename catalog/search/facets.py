"""Facet filters (SQL over the index) and facet counts with labels.

Filters: values of one facet are OR-ed, facets are AND-ed; ``modified_from``/``modified_to``
bound the modification date (ISO dates); ``bbox`` keeps datasets whose bounding box
intersects it. Counts are taken over exactly the hits the caller gets, from facet values
the index derived from the public projection, so they cannot reveal a hidden field.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from catalog.errors import InvalidInput
from catalog.search import facet_rows
from catalog.search.index import FACET_FIELDS
from catalog.search.snippets import pick
from catalog.search.vocab import labels_for
from catalog.settings import default_of

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ALL = "FROM docs d WHERE 1"


def parse_bbox_param(value: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if (
        len(parts) != 4
        or not (-180 <= parts[0] <= parts[2] <= 180)
        or not (-90 <= parts[1] <= parts[3] <= 90)
    ):
        raise InvalidInput(
            "bbox must be 'min_lon,min_lat,max_lon,max_lat' in degrees", where="bbox"
        )
    return (parts[0], parts[1], parts[2], parts[3])


def parse_facet_filters(
    filters: Mapping[str, Sequence[str]], max_values: int
) -> dict[str, list[str]]:
    """The facet filters with their non-empty values (facets without one dropped), in
    facet order; an unknown facet or too many values raise InvalidInput."""
    out: dict[str, list[str]] = {}
    for name, raw in sorted(filters.items()):
        if name not in FACET_FIELDS:
            raise InvalidInput(
                f"unknown facet {name!r}; known: {', '.join(FACET_FIELDS)}", where=name
            )
        values = [v for v in raw if v]
        if not values:
            continue
        if len(values) > max_values:
            raise InvalidInput(f"at most {max_values} values per facet", where=name)
        out[name] = values
    return out


def check_date(value: str, where: str) -> str:
    """``value`` if it is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; else InvalidInput."""
    if not _DATE.match(value):
        raise InvalidInput("dates are YYYY, YYYY-MM or YYYY-MM-DD", where=where)
    return value


def build_where(
    expression: str | None,
    filters: dict[str, list[str]],
    modified_from: str | None,
    modified_to: str | None,
    bbox: tuple[float, float, float, float] | None,
    max_values: int = default_of("search_max_facet_values"),
) -> tuple[str, list[Any]]:
    """``FROM … WHERE …`` over ``docs d`` (joined to the FTS match) and its parameters."""
    params: list[Any] = []
    if expression:
        sql = "FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ?"
        params.append(expression)
    else:
        sql = _ALL
    for name, values in parse_facet_filters(filters, max_values).items():
        # only placeholders are interpolated; values travel as parameters
        holding, held = facet_rows.docs_with(name, values)
        sql += f" AND d.rowid IN ({holding})"
        params += held
    for bound, op, where in (
        (modified_from, ">=", "modified_from"),
        (modified_to, "<=", "modified_to"),
    ):
        if bound:
            check_date(bound, where)
            if op == "<=":
                bound += "\uffff"  # 2024 and 2024-05 include their whole year/month
            sql += f" AND d.modified {op} ?"
            params.append(bound)
    if bbox:
        sql += " AND d.minx <= ? AND d.maxx >= ? AND d.miny <= ? AND d.maxy >= ?"
        params += [bbox[2], bbox[0], bbox[3], bbox[1]]
    return sql, params


def facet_counts(
    db: sqlite3.Connection, base: str, params: list[Any], langs: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """``{facet: [{value, label, count}]}`` over the hits of ``base``, most frequent first."""
    # every dataset: the covering (field, value, doc) key read in order; else the hits
    # walked, each one's facet rows looked up by doc
    matches = None if base == _ALL else f"SELECT d.rowid AS doc {base}"
    return labelled(db, facet_rows.counts(db, matches, params), langs)


def labelled(
    db: sqlite3.Connection,
    raw: dict[str, list[tuple[str, int]]],
    langs: list[str],
    shown: int = default_of("search_facet_values_shown"),
) -> dict[str, list[dict[str, Any]]]:
    """Raw ``{facet: [(value, count)]}`` as the answer shows it: top values, labelled."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in FACET_FIELDS}
    for name, pairs in raw.items():
        if name in out:
            out[name].extend({"value": v, "count": c} for v, c in pairs)
    for values in out.values():
        values.sort(key=lambda v: (-v["count"], v["value"]))
        del values[shown:]
    stored = _stored_labels(db, out["publisher"])
    for name, values in out.items():
        for v in values:
            known = labels_for(name, v["value"]) or stored.get((name, v["value"]), {})
            v["label"] = pick(known, langs) or _short(v["value"])
    return out


def _stored_labels(
    db: sqlite3.Connection, values: list[dict[str, Any]]
) -> dict[tuple[str, str], dict[str, str]]:
    out: dict[tuple[str, str], dict[str, str]] = {}
    for v in values:
        for lang, label in db.execute(
            "SELECT lang, label FROM labels WHERE field='publisher' AND value=?", (v["value"],)
        ):
            out.setdefault(("publisher", v["value"]), {})[lang] = label
    return out


def _short(value: str) -> str:
    return value.rstrip("/#").rsplit("/", 1)[-1] if "://" in value else value
