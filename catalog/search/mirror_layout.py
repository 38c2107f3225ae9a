"""The layout of the Tantivy mirror: its schema, tokens, documents and stamp.

The mirror holds exactly the rows of the SQLite index's ``fts`` table, keyed by rowid and
tokenised the way FTS5's ``unicode61`` tokenizer splits the already folded text
(``text.py`` does folding, stemming and compounds before either engine sees a word). Each
document also carries its facet values, one indexed fast field per facet
(:data:`catalog.search.counted.COLUMNS`), its labs as one set
(:data:`catalog.search.counted.LAB_SETS`) and its values of the facets of few values as
one set (:data:`catalog.search.counted.SMALL_SETS`), and its sort and range keys (``day``,
``sort_title``, ``ident``, the bounding box).

``mirror.txt`` records what the mirror was made from (:func:`stamp`); a mirror whose stamp
(or :data:`LAYOUT`) differs from SQLite's is rebuilt when opened.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sqlite3
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

import numpy as np
import tantivy

from catalog.search.counted import (
    COLUMNS,
    LAB,
    LAB_SETS,
    OTHER,
    SMALL,
    SMALL_SETS,
    column_value,
    lab_set,
    small_set,
)
from catalog.search.index import WEIGHTS

FIELDS = ("title", "kw", "body", "stems")
#: The layout of the mirror; a mirror written with another layout is rebuilt (7: ``stems``
#: without positions; 8: ``fv_smallsets`` and the boxes' grid ``cells``).
LAYOUT = "8"
#: The text fields indexed without positions: every query on ``stems`` is one token (a
#: stem or a word start, letters and digits after its tag), never a phrase, and its
#: positions were a fifth of the mirror's disk (680 against 546 MB at 2M datasets).
UNPOSITIONED = frozenset({"stems"})
#: Memory of a Tantivy index writer (its indexing buffer), bytes.
WRITER_HEAP = 256_000_000
#: The ``day`` of a document without a modification date: after every date in a descending
#: sort, outside every date range.
NO_DAY = -1
#: Characters of the sort title kept in the ``sort_title`` fast field: a longer title's
#: prefix keeps the order and bounds the term (matches tied on a cut key are all read).
TITLE_CHARS = 1000
#: The bounding-box fields (as in ``docs``).
BOX = ("minx", "miny", "maxx", "maxy")
#: The ``cells`` field: the grid cells a document's box touches, which narrow a
#: bounding-box filter before its four ranges are read (each range alone reads its whole
#: column: at 2M documents a box filter took 20 ms). A box is indexed by its cells of
#: :data:`FINE_DEGREES`, or when it touches more than :data:`BOX_CELLS` of those by its
#: cells of :data:`COARSE_DEGREES`, or past that (or malformed) as :data:`ANY_CELL`.
CELLS = "cells"
FINE_DEGREES = 2.0
COARSE_DEGREES = 20.0
BOX_CELLS = 16
#: The term of a box too wide (or too odd) for the grid: every box filter reads it.
ANY_CELL = "any"
#: A query box touching more fine cells than this is filtered by its ranges alone (it
#: holds a large share of the boxes anyway).
QUERY_CELLS = 400
#: A document's sort and range keys, from its ``docs`` row: id, modified, sort title and
#: bounding box.
Keys = tuple[str, str | None, str | None, float | None, float | None, float | None, float | None]
#: The BM25 column weights of FTS5, as per-field boosts.
BOOST = dict(zip(FIELDS, WEIGHTS, strict=True))
_TOKEN = re.compile(r"\w+", re.UNICODE)  # unicode61 with tokenchars '_'


def tokens(text: str) -> str:
    """``text`` split as ``unicode61`` splits it, the words joined by spaces."""
    return " ".join(_TOKEN.findall(text.lower()))


def part_tokens(text: str) -> str:
    """:func:`tokens` of ``text``, taken part by part between the ``" \\n "`` that join the
    texts of an ``fts`` column, each distinct part's once: the ``kw`` column repeats its
    keywords and its themes' labels in every language from document to document. The same
    string as :func:`tokens`: no word and no case rule (final sigma) reaches across a space."""
    return " ".join(filter(None, map(_part_tokens, text.split(" \n "))))


@lru_cache(maxsize=16_384)
def _part_tokens(part: str) -> str:
    return tokens(part)


def schema() -> tantivy.Schema:
    """The mirror's schema (:data:`LAYOUT`)."""
    b = tantivy.SchemaBuilder()
    for name in FIELDS:
        option = "freq" if name in UNPOSITIONED else "position"
        b.add_text_field(name, tokenizer_name="ws", index_option=option)
    for column in (*COLUMNS.values(), OTHER):  # filtered by term, counted as a column
        b.add_text_field(column, tokenizer_name="raw", fast=True, index_option="basic")
    for sets in (LAB_SETS, SMALL_SETS):  # counted only, never filtered by
        b.add_text_field(sets, tokenizer_name="raw", fast=True, index_option="basic")
    b.add_integer_field("rowid", indexed=True, fast=True)
    # the sort keys: Tantivy's top-k by a fast field answers a sorted page, and a range
    # over ``day`` a date filter, without handing every match to Python
    b.add_integer_field("day", indexed=True, fast=True)
    b.add_text_field("sort_title", tokenizer_name="raw", fast=True)
    b.add_text_field("ident", tokenizer_name="raw", fast=True)  # ties are broken by id
    for name in BOX:  # a bounding-box filter is four ranges (a document without one: none)
        b.add_float_field(name, indexed=True, fast=True)
    b.add_text_field(CELLS, tokenizer_name="raw", index_option="basic")
    return b.build()


def day_of(modified: str | None) -> int:
    """``modified`` as the integer ``YYYYMMDD`` (:data:`NO_DAY` without one): the same
    order as the date strings, which the projection always writes as ``YYYY-MM-DD``."""
    digits = (modified or "")[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else NO_DAY


def title_key(sort_title: str | None) -> str:
    """The ``sort_title`` term: a prefix of the folded title, after a marker so that no
    term is empty (a prefix never reverses the byte order SQLite sorts by)."""
    return "t" + (sort_title or "")[:TITLE_CHARS]


def day_bounds(modified_from: str | None, modified_to: str | None) -> tuple[int, int] | None:
    """The ``day`` range of a date filter (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` bounds,
    a date matching when it is at or after the first and starts at or before the second),
    or ``None`` without one."""
    if not modified_from and not modified_to:
        return None
    low = int((modified_from or "0000").replace("-", "").ljust(8, "0"))
    high = int((modified_to or "9999").replace("-", "").ljust(8, "9"))
    return low, high


def _cells(
    prefix: str, size: float, west: float, south: float, east: float, north: float, most: int
) -> list[str] | None:
    """The terms of the grid cells of ``size`` degrees that the box touches (its edges
    included), or ``None`` when they are more than ``most`` or the box is not a box."""
    if not all(map(math.isfinite, (west, south, east, north))) or west > east or south > north:
        return None
    x0, x1 = math.floor(west / size), math.floor(east / size)
    y0, y1 = math.floor(south / size), math.floor(north / size)
    if (x1 - x0 + 1) * (y1 - y0 + 1) > most:
        return None
    return [f"{prefix}{x}:{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def box_cells(minx: float, miny: float, maxx: float, maxy: float) -> list[str]:
    """The :data:`CELLS` terms of a document's box.

    Two intersecting boxes share a point, and the cell of that point at either size is
    among both boxes' cells (dividing by the size and rounding down keep the order), so
    a box filter asking for its own cells of both sizes and :data:`ANY_CELL` loses no
    document; the ranges then keep exactly the intersecting ones."""
    for prefix, size in (("f", FINE_DEGREES), ("c", COARSE_DEGREES)):
        found = _cells(prefix, size, minx, miny, maxx, maxy, BOX_CELLS)
        if found is not None:
            return found
    return [ANY_CELL]


def query_cells(bbox: tuple[float, float, float, float]) -> list[str] | None:
    """The :data:`CELLS` terms a filter by ``bbox`` (west, south, east, north) reads, or
    ``None`` when it is too wide for them to narrow it (its ranges alone filter)."""
    fine = _cells("f", FINE_DEGREES, *bbox, QUERY_CELLS)
    if fine is None:
        return None
    coarse = _cells("c", COARSE_DEGREES, *bbox, QUERY_CELLS)
    return [*fine, *(coarse or ()), ANY_CELL]


def document(
    rowid: int,
    title: str | None,
    kw: str | None,
    body: str | None,
    stems: str | None,
    facets: list[tuple[str, str]],
    keys: Keys,
) -> tantivy.Document:
    """The Tantivy document of one ``fts`` row, its ``(field, value)`` facet pairs and its
    ``docs`` row's :data:`Keys`."""
    ident, modified, sort_title, *box = keys
    doc = tantivy.Document(rowid=rowid, day=day_of(modified))
    doc.add_text("sort_title", title_key(sort_title))
    doc.add_text("ident", ident)
    corners = [v for v in box if v is not None]
    if len(corners) == len(BOX):
        sides = [float(c) for c in corners]
        for side, corner in zip(BOX, sides, strict=True):
            doc.add_float(side, corner)
        for cell in box_cells(*sides):
            doc.add_text(CELLS, cell)
    doc.add_text("title", tokens(title or ""))
    doc.add_text("kw", part_tokens(kw or ""))
    doc.add_text("body", tokens(body or ""))
    doc.add_text("stems", stems or "")
    labs: list[str] = []
    small: list[tuple[str, str]] = []
    for name, value in facets:
        doc.add_text(*column_value(name, value))
        if name == LAB:
            labs.append(value)
        elif name in SMALL:
            small.append((name, value))
    labs_term = lab_set(labs)
    if labs_term is not None:
        doc.add_text(LAB_SETS, labs_term)
    doc.add_text(SMALL_SETS, small_set(small))  # every document: its counts sum to the total
    return doc


def stamp(db: sqlite3.Connection, live: Collection[int]) -> str:
    """What ``mirror.txt`` records: layout, SQLite build stamp, row count, highest rowid,
    and the count of in-place facet rewrites once there was one."""
    if isinstance(live, np.ndarray):  # sorted rowids
        return stamp_of(db, len(live), int(live[-1]) if len(live) else 0)
    return stamp_of(db, len(live), max(live, default=0))


def stamp_of(db: sqlite3.Connection, count: int, top: int) -> str:
    """:func:`stamp` of ``count`` rows whose highest rowid is ``top``."""
    row = db.execute("SELECT value FROM meta WHERE key='complete'").fetchone()
    out = f"{LAYOUT}|{row[0] if row else ''}|{count}|{top}"
    rewrites = db.execute("SELECT value FROM meta WHERE key='rewrites'").fetchone()
    return out if rewrites is None else f"{out}|{rewrites[0]}"


def open_index(path: Path, layout: tantivy.Schema, fresh: bool) -> tantivy.Index:
    """The Tantivy index at ``path`` (emptied first when ``fresh``), its tokenizer
    registered, reloaded only when asked."""
    if fresh and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(layout, path=str(path), reuse=not fresh)
    index.register_tokenizer(
        "ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    )
    index.config_reader(reload_policy="manual")
    return index


def deleted_docs(path: Path) -> int | None:
    """How many deleted documents the segments of the mirror at ``path`` still hold (a
    merge drops them), as its last commit recorded them (Tantivy's ``meta.json``);
    ``None`` when that cannot be read."""
    try:
        meta = json.loads((path / "meta.json").read_text())
        return sum(int((s["deletes"] or {}).get("num_deleted_docs", 0)) for s in meta["segments"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
